import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Reach } from '../../authority/api-keys.js';
import type { ProjectOperation } from '../../authority/required-roles.js';
import type { AccessListEntry } from '../../domain/access-list.js';
import type { ServiceAccount, ServiceAccountSecret } from '../../domain/service-account.js';
import { formatAtlasDate } from '../../domain/validity.js';
import { pageRequest, type PageQueryValues, sendPage } from '../context.js';
import { defineOperation, defineResource } from '../operations.js';
import { sendAtlas } from '../plugins/atlas-conventions.js';
import type { ApiVersion } from '../plugins/versioned-media-types.js';
import { EnvelopeQuery, GroupIdParams, PageQuery, NoContent } from '../schemas/common.js';
import { OrgIdParams } from '../schemas/organizations.js';
import {
  PaginatedServiceAccount,
  PaginatedServiceAccountAccessListEntry,
  PaginatedServiceAccountProject,
  ProjectSecretParams,
  ProjectServiceAccountCreate,
  ProjectServiceAccountEntryParams,
  ProjectServiceAccountInvite,
  ProjectServiceAccountParams,
  ProjectServiceAccountUpdate,
  SecretCreate,
  SecretParams,
  ServiceAccount as ServiceAccountSchema,
  ServiceAccountAccessListCreate,
  ServiceAccountCreate,
  ServiceAccountEntryParams,
  ServiceAccountParams,
  ServiceAccountSecret as SecretSchema,
  ServiceAccountUpdate,
} from '../schemas/service-accounts.js';

/** Atlas has service accounts in one resource version only. */
const VERSIONS: readonly ApiVersion[] = ['2024-08-05'];

/**
 * A project's account: its client id, never with a colon, so that `…/{clientId}:invite`
 * is the invitation's path alone (its other methods answer 405, as for any served path).
 */
const PROJECT_ACCOUNT = '/groups/:groupId/serviceAccounts/:clientId(^[^/:]+)';

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

/** OrgServiceAccount, or (in a project) GroupServiceAccount: the account's roles in that project. */
function serviceAccountView(
  account: ServiceAccount,
  options: { groupId?: string | undefined; secret?: { id: string; value: string } } = {},
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

/** ServiceAccountIPAccessListEntry: unlike an API key's entry, no links, and `requestCount` once used. */
function accessListEntryView(entry: AccessListEntry) {
  return {
    cidrBlock: entry.cidrBlock,
    createdAt: formatAtlasDate(entry.createdAt),
    ipAddress: entry.ipAddress,
    lastUsedAddress: entry.lastUsedAddress,
    lastUsedAt: entry.lastUsedAt && formatAtlasDate(entry.lastUsedAt),
    requestCount: entry.lastUsedAt ? entry.useCount : undefined,
  };
}

/** The organization a route's path names. */
const inOrg = (params: { orgId: string }): Reach => ({ orgId: params.orgId });

/** The project a route's path names, with the operation its caller's project roles must allow. */
const inProject = (params: { groupId: string }, operation: ProjectOperation): Reach => ({
  groupId: params.groupId,
  operation,
});

const ORG_ACCOUNTS = '/orgs/:orgId/serviceAccounts';
const ORG_ACCOUNT = `${ORG_ACCOUNTS}/:clientId`;
const PROJECT_ACCOUNTS = '/groups/:groupId/serviceAccounts';
/** Under a project's account, the next `/` ends the client id: no pattern needed. */
const PROJECT_ACCOUNT_UNDER = `${PROJECT_ACCOUNTS}/:clientId`;

/**
 * Service accounts, as Atlas has them: only under v2, only as resource version
 * 2024-08-05. The organization's (`/orgs/{orgId}/serviceAccounts…`) and, for the accounts
 * assigned to a project, the project's (`/groups/{groupId}/serviceAccounts…`): the same
 * accounts, secrets and access lists, with the project's roles. Each organization
 * operation is followed by its project twin, in the order the routes are added.
 */
const SERVICE_ACCOUNT_OPERATIONS = {
  list: defineOperation({
    method: 'GET',
    path: ORG_ACCOUNTS,
    operation: 'listServiceAccounts',
    summary: "The organization's service accounts",
    versions: VERSIONS,
    success: 200,
    schema: { params: OrgIdParams, querystring: PageQuery, response: { 200: PaginatedServiceAccount } },
  }),
  listInProject: defineOperation({
    method: 'GET',
    path: PROJECT_ACCOUNTS,
    operation: 'listProjectServiceAccounts',
    summary: 'The service accounts assigned to the project',
    versions: VERSIONS,
    success: 200,
    schema: { params: GroupIdParams, querystring: PageQuery, response: { 200: PaginatedServiceAccount } },
  }),
  create: defineOperation({
    method: 'POST',
    path: ORG_ACCOUNTS,
    operation: 'createServiceAccount',
    summary: 'Create a service account with its first secret',
    versions: VERSIONS,
    success: 201,
    schema: {
      params: OrgIdParams,
      querystring: EnvelopeQuery,
      body: ServiceAccountCreate,
      response: { 201: ServiceAccountSchema },
    },
  }),
  createInProject: defineOperation({
    method: 'POST',
    path: PROJECT_ACCOUNTS,
    operation: 'createProjectServiceAccount',
    summary: 'Create a service account assigned to the project, with its first secret',
    versions: VERSIONS,
    success: 201,
    schema: {
      params: GroupIdParams,
      querystring: EnvelopeQuery,
      body: ProjectServiceAccountCreate,
      response: { 201: ServiceAccountSchema },
    },
  }),
  get: defineOperation({
    method: 'GET',
    path: ORG_ACCOUNT,
    operation: 'getServiceAccount',
    summary: 'One service account of the organization',
    versions: VERSIONS,
    success: 200,
    schema: { params: ServiceAccountParams, querystring: EnvelopeQuery, response: { 200: ServiceAccountSchema } },
  }),
  getInProject: defineOperation({
    method: 'GET',
    path: PROJECT_ACCOUNT,
    operation: 'getProjectServiceAccount',
    summary: 'One service account of the project, with its roles there',
    versions: VERSIONS,
    success: 200,
    schema: {
      params: ProjectServiceAccountParams,
      querystring: EnvelopeQuery,
      response: { 200: ServiceAccountSchema },
    },
  }),
  update: defineOperation({
    method: 'PATCH',
    path: ORG_ACCOUNT,
    operation: 'updateServiceAccount',
    summary: "Change a service account's name, description or organization roles",
    versions: VERSIONS,
    success: 200,
    schema: {
      params: ServiceAccountParams,
      querystring: EnvelopeQuery,
      body: ServiceAccountUpdate,
      response: { 200: ServiceAccountSchema },
    },
  }),
  updateInProject: defineOperation({
    method: 'PATCH',
    path: PROJECT_ACCOUNT,
    operation: 'updateProjectServiceAccount',
    summary: "Change a service account's roles in the project",
    versions: VERSIONS,
    success: 200,
    schema: {
      params: ProjectServiceAccountParams,
      querystring: EnvelopeQuery,
      body: ProjectServiceAccountUpdate,
      response: { 200: ServiceAccountSchema },
    },
  }),
  delete: defineOperation({
    method: 'DELETE',
    path: ORG_ACCOUNT,
    operation: 'deleteServiceAccount',
    summary: 'Delete a service account',
    versions: VERSIONS,
    success: 204,
    schema: { params: ServiceAccountParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
  }),
  // Atlas' "Remove One Project Service Account": out of the project, still in the organization.
  removeFromProject: defineOperation({
    method: 'DELETE',
    path: PROJECT_ACCOUNT,
    operation: 'removeProjectServiceAccount',
    summary: 'Take a service account out of the project (it stays in the organization)',
    versions: VERSIONS,
    success: 204,
    schema: { params: ProjectServiceAccountParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
  }),
  addToProject: defineOperation({
    method: 'POST',
    path: `${PROJECT_ACCOUNT}::invite`,
    operation: 'addProjectServiceAccount',
    summary: 'Assign a service account of the organization to the project',
    versions: VERSIONS,
    success: 200,
    schema: {
      params: ProjectServiceAccountParams,
      querystring: EnvelopeQuery,
      body: ProjectServiceAccountInvite,
      response: { 200: ServiceAccountSchema },
    },
  }),
  listProjects: defineOperation({
    method: 'GET',
    path: `${ORG_ACCOUNT}/groups`,
    operation: 'listServiceAccountProjects',
    summary: 'The projects a service account is assigned to',
    versions: VERSIONS,
    success: 200,
    schema: {
      params: ServiceAccountParams,
      querystring: PageQuery,
      response: { 200: PaginatedServiceAccountProject },
    },
  }),
  createSecret: defineOperation({
    method: 'POST',
    path: `${ORG_ACCOUNT}/secrets`,
    operation: 'createServiceAccountSecret',
    summary: 'Create a secret of a service account',
    versions: VERSIONS,
    success: 201,
    schema: {
      params: ServiceAccountParams,
      querystring: EnvelopeQuery,
      body: SecretCreate,
      response: { 201: SecretSchema },
    },
  }),
  createSecretInProject: defineOperation({
    method: 'POST',
    path: `${PROJECT_ACCOUNT_UNDER}/secrets`,
    operation: 'createProjectServiceAccountSecret',
    summary: "Create a secret of one of the project's service accounts",
    versions: VERSIONS,
    success: 201,
    schema: {
      params: ProjectServiceAccountParams,
      querystring: EnvelopeQuery,
      body: SecretCreate,
      response: { 201: SecretSchema },
    },
  }),
  deleteSecret: defineOperation({
    method: 'DELETE',
    path: `${ORG_ACCOUNT}/secrets/:secretId`,
    operation: 'deleteServiceAccountSecret',
    summary: 'Delete a secret of a service account',
    versions: VERSIONS,
    success: 204,
    schema: { params: SecretParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
  }),
  deleteSecretInProject: defineOperation({
    method: 'DELETE',
    path: `${PROJECT_ACCOUNT_UNDER}/secrets/:secretId`,
    operation: 'deleteProjectServiceAccountSecret',
    summary: "Delete a secret of one of the project's service accounts",
    versions: VERSIONS,
    success: 204,
    schema: { params: ProjectSecretParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
  }),
  listAccessList: defineOperation({
    method: 'GET',
    path: `${ORG_ACCOUNT}/accessList`,
    operation: 'listServiceAccountAccessListEntries',
    summary: "A service account's access list",
    versions: VERSIONS,
    success: 200,
    schema: {
      params: ServiceAccountParams,
      querystring: PageQuery,
      response: { 200: PaginatedServiceAccountAccessListEntry },
    },
  }),
  listAccessListInProject: defineOperation({
    method: 'GET',
    path: `${PROJECT_ACCOUNT_UNDER}/accessList`,
    operation: 'listProjectServiceAccountAccessList',
    summary: "The access list of one of the project's service accounts",
    versions: VERSIONS,
    success: 200,
    schema: {
      params: ProjectServiceAccountParams,
      querystring: PageQuery,
      response: { 200: PaginatedServiceAccountAccessListEntry },
    },
  }),
  // Atlas answers the creation with 200 and the account's whole access list (first page).
  addAccessListEntries: defineOperation({
    method: 'POST',
    path: `${ORG_ACCOUNT}/accessList`,
    operation: 'createServiceAccountAccessListEntries',
    summary: "Add entries to a service account's access list",
    versions: VERSIONS,
    success: 200,
    schema: {
      params: ServiceAccountParams,
      querystring: PageQuery,
      body: ServiceAccountAccessListCreate,
      response: { 200: PaginatedServiceAccountAccessListEntry },
    },
  }),
  addAccessListEntriesInProject: defineOperation({
    method: 'POST',
    path: `${PROJECT_ACCOUNT_UNDER}/accessList`,
    operation: 'createProjectServiceAccountAccessList',
    summary: "Add entries to the access list of one of the project's service accounts",
    versions: VERSIONS,
    success: 200,
    schema: {
      params: ProjectServiceAccountParams,
      querystring: PageQuery,
      body: ServiceAccountAccessListCreate,
      response: { 200: PaginatedServiceAccountAccessListEntry },
    },
  }),
  deleteAccessListEntry: defineOperation({
    method: 'DELETE',
    path: `${ORG_ACCOUNT}/accessList/:entry`,
    operation: 'deleteServiceAccountAccessListEntry',
    summary: "Delete an entry of a service account's access list",
    versions: VERSIONS,
    success: 204,
    schema: { params: ServiceAccountEntryParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
  }),
  deleteAccessListEntryInProject: defineOperation({
    method: 'DELETE',
    path: `${PROJECT_ACCOUNT_UNDER}/accessList/:entry`,
    operation: 'deleteProjectServiceAccountAccessListEntry',
    summary: "Delete an entry of the access list of one of the project's service accounts",
    versions: VERSIONS,
    success: 204,
    schema: {
      params: ProjectServiceAccountEntryParams,
      querystring: EnvelopeQuery,
      response: { 204: NoContent },
    },
  }),
};

export const serviceAccountRoutes = defineResource(SERVICE_ACCOUNT_OPERATIONS, (context) => {
  const { serviceAccounts } = context.authority;

  const sendAccessList = async (
    request: FastifyRequest<{ Querystring: PageQueryValues }>,
    reply: FastifyReply,
    reach: Reach,
    clientId: string,
  ) => {
    const page = pageRequest(request.query);
    const result = await serviceAccounts.listAccessList(request.principal, reach, clientId, page);
    return sendPage(context, request, reply, page, result, accessListEntryView);
  };

  const create = async (
    request: FastifyRequest,
    reply: FastifyReply,
    reach: Reach,
    body: Parameters<typeof serviceAccounts.create>[2],
    groupId?: string,
  ) => {
    const { account, secretValue } = await serviceAccounts.create(request.principal, reach, body);
    const secret = { id: account.secrets[0]!.id, value: secretValue };
    return sendAtlas(request, reply, 201, serviceAccountView(account, { groupId, secret }));
  };

  const createSecret = async (
    request: FastifyRequest,
    reply: FastifyReply,
    reach: Reach,
    clientId: string,
    hours: number,
  ) => {
    const created = await serviceAccounts.createSecret(request.principal, reach, clientId, hours);
    return sendAtlas(request, reply, 201, secretView(created.secret, created.value));
  };

  return {
    list: async (request, reply) => {
      const page = pageRequest(request.query);
      const result = await serviceAccounts.list(request.principal, request.params.orgId, page);
      return sendPage(context, request, reply, page, result, (account) => serviceAccountView(account));
    },
    listInProject: async (request, reply) => {
      const page = pageRequest(request.query);
      const { groupId } = request.params;
      const result = await serviceAccounts.listInProject(request.principal, groupId, page);
      return sendPage(context, request, reply, page, result, (account) => serviceAccountView(account, { groupId }));
    },
    create: async (request, reply) => create(request, reply, inOrg(request.params), request.body),
    createInProject: async (request, reply) =>
      create(
        request,
        reply,
        inProject(request.params, 'createProjectServiceAccount'),
        request.body,
        request.params.groupId,
      ),
    get: async (request, reply) => {
      const account = await serviceAccounts.get(request.principal, inOrg(request.params), request.params.clientId);
      return sendAtlas(request, reply, 200, serviceAccountView(account));
    },
    getInProject: async (request, reply) => {
      const { groupId, clientId } = request.params;
      const reach = inProject(request.params, 'getProjectServiceAccount');
      const account = await serviceAccounts.get(request.principal, reach, clientId);
      return sendAtlas(request, reply, 200, serviceAccountView(account, { groupId }));
    },
    update: async (request, reply) => {
      const reach = inOrg(request.params);
      const account = await serviceAccounts.update(request.principal, reach, request.params.clientId, request.body);
      return sendAtlas(request, reply, 200, serviceAccountView(account));
    },
    updateInProject: async (request, reply) => {
      const { groupId, clientId } = request.params;
      const reach = inProject(request.params, 'updateProjectServiceAccount');
      const account = await serviceAccounts.update(request.principal, reach, clientId, request.body);
      return sendAtlas(request, reply, 200, serviceAccountView(account, { groupId }));
    },
    delete: async (request, reply) => {
      await serviceAccounts.delete(request.principal, request.params.orgId, request.params.clientId);
      return reply.code(204).send(null);
    },
    removeFromProject: async (request, reply) => {
      await serviceAccounts.removeFromProject(request.principal, request.params.groupId, request.params.clientId);
      return reply.code(204).send(null);
    },
    addToProject: async (request, reply) => {
      const { groupId, clientId } = request.params;
      const roles = [request.body].flat().flatMap((assignment) => assignment.roles);
      const account = await serviceAccounts.addToProject(request.principal, groupId, clientId, roles);
      return sendAtlas(request, reply, 200, serviceAccountView(account, { groupId }));
    },
    listProjects: async (request, reply) => {
      const page = pageRequest(request.query);
      const { orgId, clientId } = request.params;
      const result = await serviceAccounts.projectsOf(request.principal, orgId, clientId, page);
      return sendPage(context, request, reply, page, result, (groupId) => ({ groupId }));
    },
    createSecret: async (request, reply) =>
      createSecret(
        request,
        reply,
        inOrg(request.params),
        request.params.clientId,
        request.body.secretExpiresAfterHours,
      ),
    createSecretInProject: async (request, reply) =>
      createSecret(
        request,
        reply,
        inProject(request.params, 'createProjectServiceAccountSecret'),
        request.params.clientId,
        request.body.secretExpiresAfterHours,
      ),
    deleteSecret: async (request, reply) => {
      const { clientId, secretId } = request.params;
      await serviceAccounts.deleteSecret(request.principal, inOrg(request.params), clientId, secretId);
      return reply.code(204).send(null);
    },
    deleteSecretInProject: async (request, reply) => {
      const { clientId, secretId } = request.params;
      const reach = inProject(request.params, 'deleteProjectServiceAccountSecret');
      await serviceAccounts.deleteSecret(request.principal, reach, clientId, secretId);
      return reply.code(204).send(null);
    },
    listAccessList: async (request, reply) =>
      sendAccessList(request, reply, inOrg(request.params), request.params.clientId),
    listAccessListInProject: async (request, reply) =>
      sendAccessList(
        request,
        reply,
        inProject(request.params, 'listProjectServiceAccountAccessList'),
        request.params.clientId,
      ),
    addAccessListEntries: async (request, reply) => {
      const reach = inOrg(request.params);
      await serviceAccounts.addAccessListEntries(request.principal, reach, request.params.clientId, request.body);
      return sendAccessList(request, reply, reach, request.params.clientId);
    },
    addAccessListEntriesInProject: async (request, reply) => {
      const reach = inProject(request.params, 'createProjectServiceAccountAccessList');
      await serviceAccounts.addAccessListEntries(request.principal, reach, request.params.clientId, request.body);
      return sendAccessList(request, reply, reach, request.params.clientId);
    },
    deleteAccessListEntry: async (request, reply) => {
      const { clientId, entry } = request.params;
      await serviceAccounts.deleteAccessListEntry(request.principal, inOrg(request.params), clientId, entry);
      return reply.code(204).send(null);
    },
    deleteAccessListEntryInProject: async (request, reply) => {
      const { clientId, entry } = request.params;
      const reach = inProject(request.params, 'deleteProjectServiceAccountAccessListEntry');
      await serviceAccounts.deleteAccessListEntry(request.principal, reach, clientId, entry);
      return reply.code(204).send(null);
    },
  };
});
