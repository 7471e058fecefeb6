import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Reach } from '../../authority/api-keys.js';
import type { ProjectOperation } from '../../authority/required-roles.js';
import type { AccessListEntry } from '../../domain/access-list.js';
import type { ServiceAccount, ServiceAccountSecret } from '../../domain/service-account.js';
import { formatAtlasDate } from '../../domain/validity.js';
import { type ApiContext, pageRequest, type PageQueryValues, sendPage } from '../context.js';
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

/** The project a route's path names, with its operation; or the organization's. */
function reachOf(params: { orgId: string } | { groupId: string }, operation: ProjectOperation): Reach {
  return 'orgId' in params ? { orgId: params.orgId } : { groupId: params.groupId, operation };
}

const groupIdOf = (params: { orgId: string } | { groupId: string }) =>
  'groupId' in params ? params.groupId : undefined;

/**
 * Service accounts, as Atlas has them: only under v2, only as resource version
 * 2024-08-05. The organization's (`/orgs/{orgId}/serviceAccounts…`) and, for the accounts
 * assigned to a project, the project's (`/groups/{groupId}/serviceAccounts…`): the same
 * accounts, secrets and access lists, with the project's roles.
 */
export const serviceAccountRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, context) => {
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

  app.get(
    '/orgs/:orgId/serviceAccounts',
    {
      config: { operation: 'listServiceAccounts', versions: VERSIONS },
      schema: { params: OrgIdParams, querystring: PageQuery, response: { 200: PaginatedServiceAccount } },
    },
    async (request, reply) => {
      const page = pageRequest(request.query);
      const result = await serviceAccounts.list(request.principal, request.params.orgId, page);
      return sendPage(context, request, reply, page, result, (account) => serviceAccountView(account));
    },
  );

  app.get(
    '/groups/:groupId/serviceAccounts',
    {
      config: { operation: 'listProjectServiceAccounts', versions: VERSIONS },
      schema: { params: GroupIdParams, querystring: PageQuery, response: { 200: PaginatedServiceAccount } },
    },
    async (request, reply) => {
      const page = pageRequest(request.query);
      const { groupId } = request.params;
      const result = await serviceAccounts.listInProject(request.principal, groupId, page);
      return sendPage(context, request, reply, page, result, (account) => serviceAccountView(account, { groupId }));
    },
  );

  for (const [url, params, body, operation] of [
    ['/orgs/:orgId/serviceAccounts', OrgIdParams, ServiceAccountCreate, 'createServiceAccount'],
    ['/groups/:groupId/serviceAccounts', GroupIdParams, ProjectServiceAccountCreate, 'createProjectServiceAccount'],
  ] as const) {
    app.post(
      url,
      {
        config: { operation, versions: VERSIONS },
        schema: { params, querystring: EnvelopeQuery, body, response: { 201: ServiceAccountSchema } },
      },
      async (request, reply) => {
        const reach = reachOf(request.params, 'createProjectServiceAccount');
        const { account, secretValue } = await serviceAccounts.create(request.principal, reach, request.body);
        const secret = { id: account.secrets[0]!.id, value: secretValue };
        return sendAtlas(
          request,
          reply,
          201,
          serviceAccountView(account, { groupId: groupIdOf(request.params), secret }),
        );
      },
    );
  }

  for (const [url, params, operation] of [
    ['/orgs/:orgId/serviceAccounts/:clientId', ServiceAccountParams, 'getServiceAccount'],
    [PROJECT_ACCOUNT, ProjectServiceAccountParams, 'getProjectServiceAccount'],
  ] as const) {
    app.get(
      url,
      {
        config: { operation, versions: VERSIONS },
        schema: { params, querystring: EnvelopeQuery, response: { 200: ServiceAccountSchema } },
      },
      async (request, reply) => {
        const reach = reachOf(request.params, 'getProjectServiceAccount');
        const account = await serviceAccounts.get(request.principal, reach, request.params.clientId);
        return sendAtlas(request, reply, 200, serviceAccountView(account, { groupId: groupIdOf(request.params) }));
      },
    );
  }

  for (const [url, params, body, operation] of [
    ['/orgs/:orgId/serviceAccounts/:clientId', ServiceAccountParams, ServiceAccountUpdate, 'updateServiceAccount'],
    [PROJECT_ACCOUNT, ProjectServiceAccountParams, ProjectServiceAccountUpdate, 'updateProjectServiceAccount'],
  ] as const) {
    app.patch(
      url,
      {
        config: { operation, versions: VERSIONS },
        schema: { params, querystring: EnvelopeQuery, body, response: { 200: ServiceAccountSchema } },
      },
      async (request, reply) => {
        const reach = reachOf(request.params, 'updateProjectServiceAccount');
        const account = await serviceAccounts.update(request.principal, reach, request.params.clientId, request.body);
        return sendAtlas(request, reply, 200, serviceAccountView(account, { groupId: groupIdOf(request.params) }));
      },
    );
  }

  app.delete(
    '/orgs/:orgId/serviceAccounts/:clientId',
    {
      config: { operation: 'deleteServiceAccount', versions: VERSIONS },
      schema: { params: ServiceAccountParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
    },
    async (request, reply) => {
      await serviceAccounts.delete(request.principal, request.params.orgId, request.params.clientId);
      return reply.code(204).send(null);
    },
  );

  // Atlas' "Remove One Project Service Account": out of the project, still in the organization.
  app.delete(
    PROJECT_ACCOUNT,
    {
      config: { operation: 'removeProjectServiceAccount', versions: VERSIONS },
      schema: { params: ProjectServiceAccountParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
    },
    async (request, reply) => {
      await serviceAccounts.removeFromProject(request.principal, request.params.groupId, request.params.clientId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    `${PROJECT_ACCOUNT}::invite`,
    {
      config: { operation: 'addProjectServiceAccount', versions: VERSIONS },
      schema: {
        params: ProjectServiceAccountParams,
        querystring: EnvelopeQuery,
        body: ProjectServiceAccountInvite,
        response: { 200: ServiceAccountSchema },
      },
    },
    async (request, reply) => {
      const { groupId, clientId } = request.params;
      const roles = [request.body].flat().flatMap((assignment) => assignment.roles);
      const account = await serviceAccounts.addToProject(request.principal, groupId, clientId, roles);
      return sendAtlas(request, reply, 200, serviceAccountView(account, { groupId }));
    },
  );

  app.get(
    '/orgs/:orgId/serviceAccounts/:clientId/groups',
    {
      config: { operation: 'listServiceAccountProjects', versions: VERSIONS },
      schema: {
        params: ServiceAccountParams,
        querystring: PageQuery,
        response: { 200: PaginatedServiceAccountProject },
      },
    },
    async (request, reply) => {
      const page = pageRequest(request.query);
      const { orgId, clientId } = request.params;
      const result = await serviceAccounts.projectsOf(request.principal, orgId, clientId, page);
      return sendPage(context, request, reply, page, result, (groupId) => ({ groupId }));
    },
  );

  for (const [url, params, operation] of [
    ['/orgs/:orgId/serviceAccounts/:clientId/secrets', ServiceAccountParams, 'createServiceAccountSecret'],
    [
      '/groups/:groupId/serviceAccounts/:clientId/secrets',
      ProjectServiceAccountParams,
      'createProjectServiceAccountSecret',
    ],
  ] as const) {
    app.post(
      url,
      {
        config: { operation, versions: VERSIONS },
        schema: { params, querystring: EnvelopeQuery, body: SecretCreate, response: { 201: SecretSchema } },
      },
      async (request, reply) => {
        const reach = reachOf(request.params, 'createProjectServiceAccountSecret');
        const hours = request.body.secretExpiresAfterHours;
        const created = await serviceAccounts.createSecret(request.principal, reach, request.params.clientId, hours);
        return sendAtlas(request, reply, 201, secretView(created.secret, created.value));
      },
    );
  }

  for (const [url, params, operation] of [
    ['/orgs/:orgId/serviceAccounts/:clientId/secrets/:secretId', SecretParams, 'deleteServiceAccountSecret'],
    [
      '/groups/:groupId/serviceAccounts/:clientId/secrets/:secretId',
      ProjectSecretParams,
      'deleteProjectServiceAccountSecret',
    ],
  ] as const) {
    app.delete(
      url,
      {
        config: { operation, versions: VERSIONS },
        schema: { params, querystring: EnvelopeQuery, response: { 204: NoContent } },
      },
      async (request, reply) => {
        const { clientId, secretId } = request.params;
        const reach = reachOf(request.params, 'deleteProjectServiceAccountSecret');
        await serviceAccounts.deleteSecret(request.principal, reach, clientId, secretId);
        return reply.code(204).send(null);
      },
    );
  }

  for (const [url, params, operation] of [
    ['/orgs/:orgId/serviceAccounts/:clientId/accessList', ServiceAccountParams, 'listServiceAccountAccessListEntries'],
    [
      '/groups/:groupId/serviceAccounts/:clientId/accessList',
      ProjectServiceAccountParams,
      'listProjectServiceAccountAccessList',
    ],
  ] as const) {
    app.get(
      url,
      {
        config: { operation, versions: VERSIONS },
        schema: { params, querystring: PageQuery, response: { 200: PaginatedServiceAccountAccessListEntry } },
      },
      async (request, reply) =>
        sendAccessList(
          request,
          reply,
          reachOf(request.params, 'listProjectServiceAccountAccessList'),
          request.params.clientId,
        ),
    );
  }

  // Atlas answers the creation with 200 and the account's whole access list (first page).
  for (const [url, params, operation] of [
    [
      '/orgs/:orgId/serviceAccounts/:clientId/accessList',
      ServiceAccountParams,
      'createServiceAccountAccessListEntries',
    ],
    [
      '/groups/:groupId/serviceAccounts/:clientId/accessList',
      ProjectServiceAccountParams,
      'createProjectServiceAccountAccessList',
    ],
  ] as const) {
    app.post(
      url,
      {
        config: { operation, versions: VERSIONS },
        schema: {
          params,
          querystring: PageQuery,
          body: ServiceAccountAccessListCreate,
          response: { 200: PaginatedServiceAccountAccessListEntry },
        },
      },
      async (request, reply) => {
        const reach = reachOf(request.params, 'createProjectServiceAccountAccessList');
        await serviceAccounts.addAccessListEntries(request.principal, reach, request.params.clientId, request.body);
        return sendAccessList(request, reply, reach, request.params.clientId);
      },
    );
  }

  for (const [url, params, operation] of [
    [
      '/orgs/:orgId/serviceAccounts/:clientId/accessList/:entry',
      ServiceAccountEntryParams,
      'deleteServiceAccountAccessListEntry',
    ],
    [
      '/groups/:groupId/serviceAccounts/:clientId/accessList/:entry',
      ProjectServiceAccountEntryParams,
      'deleteProjectServiceAccountAccessListEntry',
    ],
  ] as const) {
    app.delete(
      url,
      {
        config: { operation, versions: VERSIONS },
        schema: { params, querystring: EnvelopeQuery, response: { 204: NoContent } },
      },
      async (request, reply) => {
        const { clientId, entry } = request.params;
        const reach = reachOf(request.params, 'deleteProjectServiceAccountAccessListEntry');
        await serviceAccounts.deleteAccessListEntry(request.principal, reach, clientId, entry);
        return reply.code(204).send(null);
      },
    );
  }
};
