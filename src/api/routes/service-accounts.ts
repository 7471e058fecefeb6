import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { AccessListEntry } from '../../domain/access-list.js';
import type { ServiceAccount, ServiceAccountSecret } from '../../domain/service-account.js';
import { formatAtlasDate } from '../../domain/validity.js';
import { type ApiContext, pageRequest, sendPage } from '../context.js';
import { sendAtlas } from '../plugins/atlas-conventions.js';
import { AccessListCreate, PaginatedAccessListEntry } from '../schemas/api-keys.js';
import { EnvelopeQuery, GroupIdParams, PageQuery, NoContent } from '../schemas/common.js';
import { OrgIdParams } from '../schemas/organizations.js';
import {
  PaginatedServiceAccount,
  ProjectServiceAccountAssign,
  ProjectServiceAccountParams,
  SecretCreate,
  SecretParams,
  ServiceAccount as ServiceAccountSchema,
  ServiceAccountCreate,
  ServiceAccountEntryParams,
  ServiceAccountParams,
  ServiceAccountSecret as SecretSchema,
  ServiceAccountUpdate,
} from '../schemas/service-accounts.js';
import { accessListEntryView } from './api-keys.js';

function secretView(secret: ServiceAccountSecret, value?: string) {
  return {
    createdAt: formatAtlasDate(secret.createdAt),
    expiresAt: formatAtlasDate(secret.expiresAt),
    id: secret.id,
    lastUsedAt: secret.lastUsedAt && formatAtlasDate(secret.lastUsedAt),
    maskedSecretValue: secret.maskedSecretValue,
    secret: value,
  };
}

/** Organization roles, or (in a project's listing) the account's roles in that project. */
function serviceAccountView(
  account: ServiceAccount,
  options: { groupId?: string; secret?: { id: string; value: string } } = {},
) {
  const roles =
    options.groupId === undefined
      ? account.roles
      : (account.projectRoles.find((assignment) => assignment.groupId === options.groupId)?.roles ?? []);
  return {
    clientId: account.clientId,
    createdAt: formatAtlasDate(account.createdAt),
    description: account.description,
    name: account.name,
    roles: [...roles],
    secrets: account.secrets.map((secret) =>
      secretView(secret, secret.id === options.secret?.id ? options.secret.value : undefined),
    ),
  };
}

/**
 * Organization service accounts (`/orgs/{orgId}/serviceAccounts…`) and their roles in
 * projects (`/groups/{groupId}/serviceAccounts…`).
 */
export const serviceAccountRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, context) => {
  const { serviceAccounts } = context.authority;
  const entryView = (request: FastifyRequest, orgId: string, clientId: string) => (entry: AccessListEntry) =>
    accessListEntryView(context, request, ['orgs', orgId, 'serviceAccounts', clientId], entry);

  app.get(
    '/orgs/:orgId/serviceAccounts',
    {
      config: { operation: 'listServiceAccounts' },
      schema: { params: OrgIdParams, querystring: PageQuery, response: { 200: PaginatedServiceAccount } },
    },
    async (request, reply) => {
      const page = pageRequest(request.query);
      const result = await serviceAccounts.list(request.principal, request.params.orgId, page);
      return sendPage(context, request, reply, page, result, (account) => serviceAccountView(account));
    },
  );

  app.post(
    '/orgs/:orgId/serviceAccounts',
    {
      config: { operation: 'createServiceAccount' },
      schema: {
        params: OrgIdParams,
        querystring: EnvelopeQuery,
        body: ServiceAccountCreate,
        response: { 201: ServiceAccountSchema },
      },
    },
    async (request, reply) => {
      const { account, secretValue } = await serviceAccounts.create(
        request.principal,
        request.params.orgId,
        request.body,
      );
      const secret = { id: account.secrets[0]!.id, value: secretValue };
      return sendAtlas(request, reply, 201, serviceAccountView(account, { secret }));
    },
  );

  app.get(
    '/orgs/:orgId/serviceAccounts/:clientId',
    {
      config: { operation: 'getServiceAccount' },
      schema: { params: ServiceAccountParams, querystring: EnvelopeQuery, response: { 200: ServiceAccountSchema } },
    },
    async (request, reply) => {
      const { orgId, clientId } = request.params;
      return sendAtlas(
        request,
        reply,
        200,
        serviceAccountView(await serviceAccounts.get(request.principal, orgId, clientId)),
      );
    },
  );

  app.patch(
    '/orgs/:orgId/serviceAccounts/:clientId',
    {
      config: { operation: 'updateServiceAccount' },
      schema: {
        params: ServiceAccountParams,
        querystring: EnvelopeQuery,
        body: ServiceAccountUpdate,
        response: { 200: ServiceAccountSchema },
      },
    },
    async (request, reply) => {
      const { orgId, clientId } = request.params;
      const account = await serviceAccounts.update(request.principal, orgId, clientId, request.body);
      return sendAtlas(request, reply, 200, serviceAccountView(account));
    },
  );

  app.delete(
    '/orgs/:orgId/serviceAccounts/:clientId',
    {
      config: { operation: 'deleteServiceAccount' },
      schema: { params: ServiceAccountParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
    },
    async (request, reply) => {
      await serviceAccounts.delete(request.principal, request.params.orgId, request.params.clientId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/orgs/:orgId/serviceAccounts/:clientId/secrets',
    {
      config: { operation: 'createServiceAccountSecret' },
      schema: {
        params: ServiceAccountParams,
        querystring: EnvelopeQuery,
        body: SecretCreate,
        response: { 201: SecretSchema },
      },
    },
    async (request, reply) => {
      const { orgId, clientId } = request.params;
      const created = await serviceAccounts.createSecret(
        request.principal,
        orgId,
        clientId,
        request.body.secretExpiresAfterHours,
      );
      return sendAtlas(request, reply, 201, secretView(created.secret, created.value));
    },
  );

  app.delete(
    '/orgs/:orgId/serviceAccounts/:clientId/secrets/:secretId',
    {
      config: { operation: 'deleteServiceAccountSecret' },
      schema: { params: SecretParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
    },
    async (request, reply) => {
      const { orgId, clientId, secretId } = request.params;
      await serviceAccounts.deleteSecret(request.principal, orgId, clientId, secretId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/orgs/:orgId/serviceAccounts/:clientId/accessList',
    {
      config: { operation: 'listServiceAccountAccessListEntries' },
      schema: { params: ServiceAccountParams, querystring: PageQuery, response: { 200: PaginatedAccessListEntry } },
    },
    async (request, reply) => {
      const page = pageRequest(request.query);
      const { orgId, clientId } = request.params;
      const result = await serviceAccounts.listAccessList(request.principal, orgId, clientId, page);
      return sendPage(context, request, reply, page, result, entryView(request, orgId, clientId));
    },
  );

  app.post(
    '/orgs/:orgId/serviceAccounts/:clientId/accessList',
    {
      config: { operation: 'createServiceAccountAccessListEntries' },
      schema: {
        params: ServiceAccountParams,
        querystring: PageQuery,
        body: AccessListCreate,
        response: { 201: PaginatedAccessListEntry },
      },
    },
    async (request, reply) => {
      const { orgId, clientId } = request.params;
      await serviceAccounts.addAccessListEntries(request.principal, orgId, clientId, request.body);
      const page = pageRequest(request.query);
      const result = await serviceAccounts.listAccessList(request.principal, orgId, clientId, page);
      return sendPage(context, request, reply, page, result, entryView(request, orgId, clientId), 201);
    },
  );

  app.delete(
    '/orgs/:orgId/serviceAccounts/:clientId/accessList/:entry',
    {
      config: { operation: 'deleteServiceAccountAccessListEntry' },
      schema: { params: ServiceAccountEntryParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
    },
    async (request, reply) => {
      const { orgId, clientId, entry } = request.params;
      await serviceAccounts.deleteAccessListEntry(request.principal, orgId, clientId, entry);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/groups/:groupId/serviceAccounts',
    {
      config: { operation: 'listProjectServiceAccounts' },
      schema: { params: GroupIdParams, querystring: PageQuery, response: { 200: PaginatedServiceAccount } },
    },
    async (request, reply) => {
      const page = pageRequest(request.query);
      const { groupId } = request.params;
      const result = await serviceAccounts.listInProject(request.principal, groupId, page);
      return sendPage(context, request, reply, page, result, (account) => serviceAccountView(account, { groupId }));
    },
  );

  app.patch(
    '/groups/:groupId/serviceAccounts/:clientId',
    {
      config: { operation: 'assignProjectServiceAccount' },
      schema: {
        params: ProjectServiceAccountParams,
        querystring: EnvelopeQuery,
        body: ProjectServiceAccountAssign,
        response: { 200: ServiceAccountSchema },
      },
    },
    async (request, reply) => {
      const { groupId, clientId } = request.params;
      const account = await serviceAccounts.assignToProject(request.principal, groupId, clientId, request.body.roles);
      return sendAtlas(request, reply, 200, serviceAccountView(account, { groupId }));
    },
  );

  app.delete(
    '/groups/:groupId/serviceAccounts/:clientId',
    {
      config: { operation: 'removeProjectServiceAccount' },
      schema: { params: ProjectServiceAccountParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
    },
    async (request, reply) => {
      await serviceAccounts.removeFromProject(request.principal, request.params.groupId, request.params.clientId);
      return reply.code(204).send(null);
    },
  );
};
