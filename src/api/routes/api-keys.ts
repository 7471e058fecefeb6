import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { NewApiKey } from '../../authority/api-keys.js';
import type { AccessListEntry } from '../../domain/access-list.js';
import type { ApiKey } from '../../domain/api-key.js';
import { maskedPrivateApiKey } from '../../domain/ids.js';
import { formatAtlasDate } from '../../domain/validity.js';
import { type ApiContext, pageRequest, resourceUrl, sendPage } from '../context.js';
import { selfLink } from '../links.js';
import { sendAtlas } from '../plugins/atlas-conventions.js';
import {
  AccessListCreate,
  AccessListEntryParams,
  AccessListEntry as AccessListEntrySchema,
  ApiKeyParams,
  ApiKeyUserDetails,
  OrgApiKeyCreate,
  OrgApiKeyUpdate,
  PaginatedAccessListEntry,
  PaginatedApiKey,
} from '../schemas/api-keys.js';
import { EnvelopeQuery, PageQuery, NoContent } from '../schemas/common.js';
import { OrgIdParams } from '../schemas/organizations.js';

/**
 * An API key as Atlas shows it: the private key in full only in the response that
 * created it, `********-****-****-<last 12>` everywhere else. `onlyGroupId` limits the
 * project roles shown to one project (the project-scoped listings).
 */
export function apiKeyView(
  context: ApiContext,
  request: FastifyRequest,
  key: ApiKey,
  options: { privateKey?: string; onlyGroupId?: string } = {},
) {
  const projectRoles = key.projectRoles.filter(
    (assignment) => options.onlyGroupId === undefined || assignment.groupId === options.onlyGroupId,
  );
  return {
    desc: key.description,
    id: key.id,
    links: [selfLink(resourceUrl(context, request, 'orgs', key.orgId, 'apiKeys', key.id))],
    privateKey: options.privateKey ?? maskedPrivateApiKey(key.privateKeyTail),
    publicKey: key.publicKey,
    roles: [
      ...key.roles.map((roleName) => ({ orgId: key.orgId, roleName })),
      ...projectRoles.flatMap((assignment) =>
        assignment.roles.map((roleName) => ({ groupId: assignment.groupId, roleName })),
      ),
    ],
  };
}

export function newApiKeyView(context: ApiContext, request: FastifyRequest, created: NewApiKey, onlyGroupId?: string) {
  return apiKeyView(context, request, created.key, {
    privateKey: created.privateKey,
    ...(onlyGroupId ? { onlyGroupId } : {}),
  });
}

/** An access list entry; `owner` is the path of the key (or service account) it belongs to. */
function accessListEntryView(context: ApiContext, request: FastifyRequest, owner: string[], entry: AccessListEntry) {
  return {
    cidrBlock: entry.cidrBlock,
    count: entry.lastUsedAt ? entry.useCount : undefined,
    created: formatAtlasDate(entry.createdAt),
    ipAddress: entry.ipAddress,
    lastUsed: entry.lastUsedAt && formatAtlasDate(entry.lastUsedAt),
    lastUsedAddress: entry.lastUsedAddress,
    links: [selfLink(resourceUrl(context, request, ...owner, 'accessList', entry.ipAddress ?? entry.cidrBlock))],
  };
}

/** Organization API keys and their access lists: `/orgs/{orgId}/apiKeys[/{apiUserId}[/accessList[/{entry}]]]`. */
export const apiKeyRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, context) => {
  const { apiKeys } = context.authority;

  app.get(
    '/orgs/:orgId/apiKeys',
    {
      config: { operation: 'listOrganizationApiKeys' },
      schema: { params: OrgIdParams, querystring: PageQuery, response: { 200: PaginatedApiKey } },
    },
    async (request, reply) => {
      const page = pageRequest(request.query);
      const result = await apiKeys.listOrganizationKeys(request.principal, request.params.orgId, page);
      return sendPage(context, request, reply, page, result, (key) => apiKeyView(context, request, key));
    },
  );

  app.post(
    '/orgs/:orgId/apiKeys',
    {
      config: { operation: 'createOrganizationApiKey' },
      schema: {
        params: OrgIdParams,
        querystring: EnvelopeQuery,
        body: OrgApiKeyCreate,
        response: { 200: ApiKeyUserDetails },
      },
    },
    async (request, reply) => {
      const created = await apiKeys.createOrganizationKey(request.principal, request.params.orgId, request.body);
      return sendAtlas(request, reply, 200, newApiKeyView(context, request, created));
    },
  );

  app.get(
    '/orgs/:orgId/apiKeys/:apiUserId',
    {
      config: { operation: 'getOrganizationApiKey' },
      schema: { params: ApiKeyParams, querystring: EnvelopeQuery, response: { 200: ApiKeyUserDetails } },
    },
    async (request, reply) => {
      const key = await apiKeys.getOrganizationKey(request.principal, request.params.orgId, request.params.apiUserId);
      return sendAtlas(request, reply, 200, apiKeyView(context, request, key));
    },
  );

  app.patch(
    '/orgs/:orgId/apiKeys/:apiUserId',
    {
      config: { operation: 'updateOrganizationApiKey' },
      schema: {
        params: ApiKeyParams,
        querystring: EnvelopeQuery,
        body: OrgApiKeyUpdate,
        response: { 200: ApiKeyUserDetails },
      },
    },
    async (request, reply) => {
      const { orgId, apiUserId } = request.params;
      const key = await apiKeys.updateOrganizationKey(request.principal, orgId, apiUserId, request.body);
      return sendAtlas(request, reply, 200, apiKeyView(context, request, key));
    },
  );

  app.delete(
    '/orgs/:orgId/apiKeys/:apiUserId',
    {
      config: { operation: 'deleteOrganizationApiKey' },
      schema: { params: ApiKeyParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
    },
    async (request, reply) => {
      await apiKeys.deleteOrganizationKey(request.principal, request.params.orgId, request.params.apiUserId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/orgs/:orgId/apiKeys/:apiUserId/accessList',
    {
      config: { operation: 'listApiKeyAccessListEntries' },
      schema: { params: ApiKeyParams, querystring: PageQuery, response: { 200: PaginatedAccessListEntry } },
    },
    async (request, reply) => {
      const page = pageRequest(request.query);
      const { orgId, apiUserId } = request.params;
      const result = await apiKeys.listAccessList(request.principal, { orgId }, apiUserId, page);
      return sendPage(context, request, reply, page, result, (entry) =>
        accessListEntryView(context, request, ['orgs', orgId, 'apiKeys', apiUserId], entry),
      );
    },
  );

  // Atlas answers the creation with the key's whole access list (first page).
  app.post(
    '/orgs/:orgId/apiKeys/:apiUserId/accessList',
    {
      config: { operation: 'createApiKeyAccessListEntries' },
      schema: {
        params: ApiKeyParams,
        querystring: PageQuery,
        body: AccessListCreate,
        response: { 201: PaginatedAccessListEntry },
      },
    },
    async (request, reply) => {
      const { orgId, apiUserId } = request.params;
      await apiKeys.addAccessListEntries(request.principal, { orgId }, apiUserId, request.body);
      const page = pageRequest(request.query);
      const result = await apiKeys.listAccessList(request.principal, { orgId }, apiUserId, page);
      return sendPage(
        context,
        request,
        reply,
        page,
        result,
        (entry) => accessListEntryView(context, request, ['orgs', orgId, 'apiKeys', apiUserId], entry),
        201,
      );
    },
  );

  app.get(
    '/orgs/:orgId/apiKeys/:apiUserId/accessList/:entry',
    {
      config: { operation: 'getApiKeyAccessListEntry' },
      schema: { params: AccessListEntryParams, querystring: EnvelopeQuery, response: { 200: AccessListEntrySchema } },
    },
    async (request, reply) => {
      const { orgId, apiUserId, entry } = request.params;
      const found = await apiKeys.getAccessListEntry(request.principal, orgId, apiUserId, entry);
      return sendAtlas(
        request,
        reply,
        200,
        accessListEntryView(context, request, ['orgs', orgId, 'apiKeys', apiUserId], found),
      );
    },
  );

  app.delete(
    '/orgs/:orgId/apiKeys/:apiUserId/accessList/:entry',
    {
      config: { operation: 'deleteApiKeyAccessListEntry' },
      schema: { params: AccessListEntryParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
    },
    async (request, reply) => {
      const { orgId, apiUserId, entry } = request.params;
      await apiKeys.deleteAccessListEntry(request.principal, { orgId }, apiUserId, entry);
      return reply.code(204).send(null);
    },
  );
};
