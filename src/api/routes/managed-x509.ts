import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { CaStatus, CertificateAuthority } from '../../domain/certificate.js';
import type { PageRequest } from '../../domain/pagination.js';
import { pageFromRows, pageOffset } from '../../domain/pagination.js';
import { formatAtlasDate } from '../../domain/validity.js';
import { type ApiContext, pageRequest, resourceUrl, sendPage } from '../context.js';
import { coverageParameter, detailsView, holderView, inventoryFilters, inventoryView } from '../inventory.js';
import { selfLink } from '../links.js';
import { sendAtlas } from '../plugins/atlas-conventions.js';
import {
  CertificateDetails,
  CertificateHoldersQuery,
  InventoryCert,
  PaginatedCertificateHolder,
  PaginatedInventoryCert,
} from '../schemas/certificates.js';
import { EnvelopeQuery, GroupIdParams, PageQuery } from '../schemas/common.js';
import {
  CaParams,
  ExpiryAlertSettings,
  ExpiryAlertSettingsUpdate,
  ManagedCa,
  PaginatedManagedCa,
  ProjectInventoryQuery,
  RevokeParams,
  RevokeRequest,
} from '../schemas/managed-x509.js';

const BASE = '/groups/:groupId/userSecurity/managedX509';
const PEM_TEXT = Type.String({ description: 'PEM' });
/** Answers that keep their own media types in both versions (documented as such). */
const PEM = { description: 'PEM', content: { 'application/x-pem-file': { schema: PEM_TEXT } } };
const DER_CRL = {
  description: 'DER',
  content: { 'application/pkix-crl': { schema: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }) } },
};

function caView(context: ApiContext, request: FastifyRequest, ca: CertificateAuthority & { status: CaStatus }) {
  return {
    createdAt: formatAtlasDate(ca.createdAt),
    id: ca.id,
    keyAlgorithm: ca.keyAlgorithm,
    links: [selfLink(resourceUrl(context, request, 'groups', ca.groupId, 'userSecurity', 'managedX509', 'cas', ca.id))],
    notAfter: formatAtlasDate(ca.notAfter),
    notBefore: formatAtlasDate(ca.notBefore),
    retiredAt: ca.retiredAt && formatAtlasDate(ca.retiredAt),
    serial: ca.serial,
    status: ca.status,
    subject: ca.subject,
  };
}

function slice<T>(items: T[], page: PageRequest) {
  const offset = pageOffset(page);
  return pageFromRows(items.slice(offset, offset + page.itemsPerPage + 1), page, items.length);
}

/**
 * dbcerts extensions for Atlas-managed X.509 (see docs/extensions.md), under
 * `/groups/{groupId}/userSecurity/managedX509`: the CA and its rotation, CRLs, the
 * certificate inventory, revocation, and expiry alerts.
 */
export const managedX509Routes: FastifyPluginAsyncTypebox<ApiContext> = async (app, context) => {
  const { certificates, certificateAuthorities, revocationLists, expiryAlerts, clock } = context.authority;

  app.get(
    `${BASE}/ca`,
    {
      config: { operation: 'getManagedCaCertificate' },
      schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 200: PEM } },
    },
    async (request, reply) => {
      const pem = await certificates.caCertificatePem(request.principal, request.params.groupId);
      reply.type('application/x-pem-file');
      return sendAtlas(request, reply, 200, pem);
    },
  );

  app.get(
    `${BASE}/ca/bundle`,
    {
      config: { operation: 'getManagedCaTrustBundle' },
      schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 200: PEM } },
    },
    async (request, reply) => {
      const pem = await certificateAuthorities.trustBundlePem(request.principal, request.params.groupId);
      reply.type('application/x-pem-file');
      return sendAtlas(request, reply, 200, pem);
    },
  );

  app.get(
    `${BASE}/cas`,
    {
      config: { operation: 'listManagedCas' },
      schema: { params: GroupIdParams, querystring: PageQuery, response: { 200: PaginatedManagedCa } },
    },
    async (request, reply) => {
      const page = pageRequest(request.query);
      const cas = await certificateAuthorities.list(request.principal, request.params.groupId);
      return sendPage(context, request, reply, page, slice(cas, page), (ca) => caView(context, request, ca));
    },
  );

  app.post(
    `${BASE}/ca/rotate`,
    {
      config: { operation: 'rotateManagedCa' },
      schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 200: ManagedCa } },
    },
    async (request, reply) => {
      const ca = await certificateAuthorities.rotate(request.principal, request.params.groupId);
      return sendAtlas(request, reply, 200, caView(context, request, { ...ca, status: 'ACTIVE' }));
    },
  );

  app.get(
    `${BASE}/crl`,
    {
      config: { operation: 'getCertificateRevocationList' },
      schema: { params: GroupIdParams, response: { 200: DER_CRL } },
    },
    async (request, reply) => {
      const der = await revocationLists.crlDer(request.principal, request.params.groupId);
      return reply.type('application/pkix-crl').send(Buffer.from(der));
    },
  );

  app.get(
    `${BASE}/crl.pem`,
    {
      config: { operation: 'getCertificateRevocationList', operationId: 'getCertificateRevocationListPem' },
      schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 200: PEM } },
    },
    async (request, reply) => {
      const pem = await revocationLists.crlPemBundle(request.principal, request.params.groupId);
      reply.type('application/x-pem-file');
      return sendAtlas(request, reply, 200, pem);
    },
  );

  app.get(
    `${BASE}/cas/:caId/crl`,
    {
      config: { operation: 'getCertificateRevocationList', operationId: 'getCertificateRevocationListOfCa' },
      schema: { params: CaParams, response: { 200: DER_CRL } },
    },
    async (request, reply) => {
      const der = await revocationLists.crlDer(request.principal, request.params.groupId, request.params.caId);
      return reply.type('application/pkix-crl').send(Buffer.from(der));
    },
  );

  app.get(
    `${BASE}/certs`,
    {
      config: { operation: 'listCertificateInventory' },
      schema: { params: GroupIdParams, querystring: ProjectInventoryQuery, response: { 200: PaginatedInventoryCert } },
    },
    async (request, reply) => {
      const page = pageRequest(request.query);
      const { username } = request.query;
      const inventory = await certificates.inventory(
        request.principal,
        request.params.groupId,
        {
          view: 'project',
          ...(username !== undefined ? { username } : {}),
          ...inventoryFilters(request.query),
        },
        page,
      );
      const now = clock.now();
      return sendPage(context, request, reply, page, inventory, (certificate) => inventoryView(certificate, now));
    },
  );

  app.get(
    `${BASE}/certs/:serial`,
    {
      config: { operation: 'getManagedCertificate' },
      schema: { params: RevokeParams, querystring: EnvelopeQuery, response: { 200: CertificateDetails } },
    },
    async (request, reply) => {
      const { groupId, serial } = request.params;
      const details = await certificates.details(request.principal, groupId, serial);
      return sendAtlas(request, reply, 200, detailsView(details, clock.now()));
    },
  );

  app.get(
    `${BASE}/users`,
    {
      config: { operation: 'listManagedX509Users' },
      schema: {
        params: GroupIdParams,
        querystring: CertificateHoldersQuery,
        response: { 200: PaginatedCertificateHolder },
      },
    },
    async (request, reply) => {
      const page = pageRequest(request.query);
      const coverage = coverageParameter(request.query.certificateStatus);
      const holders = await certificates.holders(request.principal, request.params.groupId, coverage, page);
      return sendPage(context, request, reply, page, holders.page, (holder) =>
        holderView(holder, holders.now, holders.leadTimeDays),
      );
    },
  );

  app.post(
    `${BASE}/certs/:serial/revoke`,
    {
      config: { operation: 'revokeCertificate' },
      schema: {
        params: RevokeParams,
        querystring: EnvelopeQuery,
        body: RevokeRequest,
        response: { 200: InventoryCert },
      },
    },
    async (request, reply) => {
      const { groupId, serial } = request.params;
      const revoked = await certificates.revoke(request.principal, groupId, serial, request.body.reason);
      return sendAtlas(request, reply, 200, inventoryView(revoked, clock.now()));
    },
  );

  app.get(
    `${BASE}/alerts`,
    {
      config: { operation: 'getExpiryAlertSettings' },
      schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 200: ExpiryAlertSettings } },
    },
    async (request, reply) => {
      return sendAtlas(request, reply, 200, await expiryAlerts.settings(request.principal, request.params.groupId));
    },
  );

  app.patch(
    `${BASE}/alerts`,
    {
      // `"webhookUrl": null` removes the webhook (docs/extensions.md).
      config: { operation: 'updateExpiryAlertSettings', keepNullMembers: true },
      schema: {
        params: GroupIdParams,
        querystring: EnvelopeQuery,
        body: ExpiryAlertSettingsUpdate,
        response: { 200: ExpiryAlertSettings },
      },
    },
    async (request, reply) => {
      const settings = await expiryAlerts.updateSettings(request.principal, request.params.groupId, request.body);
      return sendAtlas(request, reply, 200, settings);
    },
  );
};
