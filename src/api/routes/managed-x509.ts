import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { CaStatus, CertificateAuthority } from '../../domain/certificate.js';
import type { PageRequest } from '../../domain/pagination.js';
import { pageFromRows, pageOffset } from '../../domain/pagination.js';
import { formatAtlasDate } from '../../domain/validity.js';
import { type ApiContext, pageRequest, resourceUrl, sendPage } from '../context.js';
import { coverageParameter, detailsView, holderView, inventoryFilters, inventoryView } from '../inventory.js';
import { selfLink } from '../links.js';
import { defineOperation, defineResource } from '../operations.js';
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
const MANAGED_X509_OPERATIONS = {
  ca: defineOperation({
    method: 'GET',
    path: `${BASE}/ca`,
    operation: 'getManagedCaCertificate',
    summary: "The project's active CA certificate (PEM)",
    extension: true,
    success: 200,
    schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 200: PEM } },
  }),
  bundle: defineOperation({
    method: 'GET',
    path: `${BASE}/ca/bundle`,
    operation: 'getManagedCaTrustBundle',
    summary: 'Every CA of the project still trusted (PEM)',
    extension: true,
    success: 200,
    schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 200: PEM } },
  }),
  cas: defineOperation({
    method: 'GET',
    path: `${BASE}/cas`,
    operation: 'listManagedCas',
    summary: "The project's CAs, active and retired",
    extension: true,
    success: 200,
    schema: { params: GroupIdParams, querystring: PageQuery, response: { 200: PaginatedManagedCa } },
  }),
  rotate: defineOperation({
    method: 'POST',
    path: `${BASE}/ca/rotate`,
    operation: 'rotateManagedCa',
    summary: 'A new CA signs from now on; the old one stays trusted',
    extension: true,
    success: 200,
    schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 200: ManagedCa } },
  }),
  crl: defineOperation({
    method: 'GET',
    path: `${BASE}/crl`,
    operation: 'getCertificateRevocationList',
    summary: "The active CA's CRL (DER)",
    extension: true,
    success: 200,
    schema: { params: GroupIdParams, response: { 200: DER_CRL } },
  }),
  crlPem: defineOperation({
    method: 'GET',
    path: `${BASE}/crl.pem`,
    operation: 'getCertificateRevocationList',
    operationId: 'getCertificateRevocationListPem',
    summary: 'The CRLs of every trusted CA (PEM)',
    extension: true,
    success: 200,
    schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 200: PEM } },
  }),
  crlOfCa: defineOperation({
    method: 'GET',
    path: `${BASE}/cas/:caId/crl`,
    operation: 'getCertificateRevocationList',
    operationId: 'getCertificateRevocationListOfCa',
    summary: "One CA's CRL (DER)",
    extension: true,
    success: 200,
    schema: { params: CaParams, response: { 200: DER_CRL } },
  }),
  inventory: defineOperation({
    method: 'GET',
    path: `${BASE}/certs`,
    operation: 'listCertificateInventory',
    summary: "The project's certificates, filtered and sorted",
    extension: true,
    success: 200,
    schema: { params: GroupIdParams, querystring: ProjectInventoryQuery, response: { 200: PaginatedInventoryCert } },
  }),
  certificate: defineOperation({
    method: 'GET',
    path: `${BASE}/certs/:serial`,
    operation: 'getManagedCertificate',
    summary: 'One certificate in full, with its PEM',
    extension: true,
    success: 200,
    schema: { params: RevokeParams, querystring: EnvelopeQuery, response: { 200: CertificateDetails } },
  }),
  users: defineOperation({
    method: 'GET',
    path: `${BASE}/users`,
    operation: 'listManagedX509Users',
    summary: 'Every Atlas-managed X.509 user with its certificate coverage',
    extension: true,
    success: 200,
    schema: {
      params: GroupIdParams,
      querystring: CertificateHoldersQuery,
      response: { 200: PaginatedCertificateHolder },
    },
  }),
  revoke: defineOperation({
    method: 'POST',
    path: `${BASE}/certs/:serial/revoke`,
    operation: 'revokeCertificate',
    summary: "Revoke a certificate (listed on its CA's next CRL)",
    extension: true,
    success: 200,
    schema: {
      params: RevokeParams,
      querystring: EnvelopeQuery,
      body: RevokeRequest,
      response: { 200: InventoryCert },
    },
  }),
  alerts: defineOperation({
    method: 'GET',
    path: `${BASE}/alerts`,
    operation: 'getExpiryAlertSettings',
    summary: "The project's certificate expiry alert settings",
    extension: true,
    success: 200,
    schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 200: ExpiryAlertSettings } },
  }),
  updateAlerts: defineOperation({
    method: 'PATCH',
    path: `${BASE}/alerts`,
    operation: 'updateExpiryAlertSettings',
    summary: 'Change the expiry alert settings',
    extension: true,
    success: 200,
    // `"webhookUrl": null` removes the webhook (docs/extensions.md).
    keepNullMembers: true,
    schema: {
      params: GroupIdParams,
      querystring: EnvelopeQuery,
      body: ExpiryAlertSettingsUpdate,
      response: { 200: ExpiryAlertSettings },
    },
  }),
};

export const managedX509Routes = defineResource(MANAGED_X509_OPERATIONS, (context) => {
  const { certificates, certificateAuthorities, revocationLists, expiryAlerts, clock } = context.authority;
  return {
    ca: async (request, reply) => {
      const pem = await certificates.caCertificatePem(request.principal, request.params.groupId);
      reply.type('application/x-pem-file');
      return sendAtlas(request, reply, 200, pem);
    },
    bundle: async (request, reply) => {
      const pem = await certificateAuthorities.trustBundlePem(request.principal, request.params.groupId);
      reply.type('application/x-pem-file');
      return sendAtlas(request, reply, 200, pem);
    },
    cas: async (request, reply) => {
      const page = pageRequest(request.query);
      const cas = await certificateAuthorities.list(request.principal, request.params.groupId);
      return sendPage(context, request, reply, page, slice(cas, page), (ca) => caView(context, request, ca));
    },
    rotate: async (request, reply) => {
      const ca = await certificateAuthorities.rotate(request.principal, request.params.groupId);
      return sendAtlas(request, reply, 200, caView(context, request, { ...ca, status: 'ACTIVE' }));
    },
    crl: async (request, reply) => {
      const der = await revocationLists.crlDer(request.principal, request.params.groupId);
      return reply.type('application/pkix-crl').send(Buffer.from(der));
    },
    crlPem: async (request, reply) => {
      const pem = await revocationLists.crlPemBundle(request.principal, request.params.groupId);
      reply.type('application/x-pem-file');
      return sendAtlas(request, reply, 200, pem);
    },
    crlOfCa: async (request, reply) => {
      const der = await revocationLists.crlDer(request.principal, request.params.groupId, request.params.caId);
      return reply.type('application/pkix-crl').send(Buffer.from(der));
    },
    inventory: async (request, reply) => {
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
    certificate: async (request, reply) => {
      const { groupId, serial } = request.params;
      const details = await certificates.details(request.principal, groupId, serial);
      return sendAtlas(request, reply, 200, detailsView(details, clock.now()));
    },
    users: async (request, reply) => {
      const page = pageRequest(request.query);
      const coverage = coverageParameter(request.query.certificateStatus);
      const holders = await certificates.holders(request.principal, request.params.groupId, coverage, page);
      return sendPage(context, request, reply, page, holders.page, (holder) =>
        holderView(holder, holders.now, holders.leadTimeDays),
      );
    },
    revoke: async (request, reply) => {
      const { groupId, serial } = request.params;
      const revoked = await certificates.revoke(request.principal, groupId, serial, request.body.reason);
      return sendAtlas(request, reply, 200, inventoryView(revoked, clock.now()));
    },
    alerts: async (request, reply) => {
      return sendAtlas(request, reply, 200, await expiryAlerts.settings(request.principal, request.params.groupId));
    },
    updateAlerts: async (request, reply) => {
      const settings = await expiryAlerts.updateSettings(request.principal, request.params.groupId, request.body);
      return sendAtlas(request, reply, 200, settings);
    },
  };
});
