import type { FastifyRequest } from 'fastify';
import type { NewApiKey } from '../../authority/api-keys.js';
import type { AccessListEntry } from '../../domain/access-list.js';
import type { ApiKey } from '../../domain/api-key.js';
import { maskedPrivateApiKey } from '../../domain/ids.js';
import { formatAtlasDate } from '../../domain/validity.js';
import { type ApiContext, pageRequest, resourceUrl, sendPage } from '../context.js';
import { selfLink } from '../links.js';
import { defineOperation, defineResource } from '../operations.js';
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

const KEYS = '/orgs/:orgId/apiKeys';
const KEY = `${KEYS}/:apiUserId`;
const ACCESS_LIST = `${KEY}/accessList`;

/** Organization API keys and their access lists: `/orgs/{orgId}/apiKeys[/{apiUserId}[/accessList[/{entry}]]]`. */
const API_KEY_OPERATIONS = {
  list: defineOperation({
    method: 'GET',
    path: KEYS,
    operation: 'listOrganizationApiKeys',
    summary: "The organization's API keys",
    success: 200,
    schema: { params: OrgIdParams, querystring: PageQuery, response: { 200: PaginatedApiKey } },
  }),
  // 200, as Atlas, with the private key in full (the only response that shows it).
  create: defineOperation({
    method: 'POST',
    path: KEYS,
    operation: 'createOrganizationApiKey',
    summary: 'Create an organization API key',
    success: 200,
    schema: {
      params: OrgIdParams,
      querystring: EnvelopeQuery,
      body: OrgApiKeyCreate,
      response: { 200: ApiKeyUserDetails },
    },
  }),
  get: defineOperation({
    method: 'GET',
    path: KEY,
    operation: 'getOrganizationApiKey',
    summary: 'One organization API key',
    success: 200,
    schema: { params: ApiKeyParams, querystring: EnvelopeQuery, response: { 200: ApiKeyUserDetails } },
  }),
  update: defineOperation({
    method: 'PATCH',
    path: KEY,
    operation: 'updateOrganizationApiKey',
    summary: "Change an organization API key's description or roles",
    success: 200,
    schema: {
      params: ApiKeyParams,
      querystring: EnvelopeQuery,
      body: OrgApiKeyUpdate,
      response: { 200: ApiKeyUserDetails },
    },
  }),
  delete: defineOperation({
    method: 'DELETE',
    path: KEY,
    operation: 'deleteOrganizationApiKey',
    summary: 'Delete an organization API key',
    success: 204,
    schema: { params: ApiKeyParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
  }),
  listAccessList: defineOperation({
    method: 'GET',
    path: ACCESS_LIST,
    operation: 'listApiKeyAccessListEntries',
    summary: "An API key's access list",
    success: 200,
    schema: { params: ApiKeyParams, querystring: PageQuery, response: { 200: PaginatedAccessListEntry } },
  }),
  // Atlas answers the creation with the key's whole access list (first page).
  addAccessListEntries: defineOperation({
    method: 'POST',
    path: ACCESS_LIST,
    operation: 'createApiKeyAccessListEntries',
    summary: "Add entries to an API key's access list",
    success: 201,
    schema: {
      params: ApiKeyParams,
      querystring: PageQuery,
      body: AccessListCreate,
      response: { 201: PaginatedAccessListEntry },
    },
  }),
  getAccessListEntry: defineOperation({
    method: 'GET',
    path: `${ACCESS_LIST}/:entry`,
    operation: 'getApiKeyAccessListEntry',
    summary: "One entry of an API key's access list",
    success: 200,
    schema: { params: AccessListEntryParams, querystring: EnvelopeQuery, response: { 200: AccessListEntrySchema } },
  }),
  deleteAccessListEntry: defineOperation({
    method: 'DELETE',
    path: `${ACCESS_LIST}/:entry`,
    operation: 'deleteApiKeyAccessListEntry',
    summary: "Delete an entry of an API key's access list",
    success: 204,
    schema: { params: AccessListEntryParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
  }),
};

export const apiKeyRoutes = defineResource(API_KEY_OPERATIONS, (context) => {
  const { apiKeys } = context.authority;
  const entryView = (request: FastifyRequest, orgId: string, apiUserId: string, entry: AccessListEntry) =>
    accessListEntryView(context, request, ['orgs', orgId, 'apiKeys', apiUserId], entry);
  return {
    list: async (request, reply) => {
      const page = pageRequest(request.query);
      const result = await apiKeys.listOrganizationKeys(request.principal, request.params.orgId, page);
      return sendPage(context, request, reply, page, result, (key) => apiKeyView(context, request, key));
    },
    create: async (request, reply) => {
      const created = await apiKeys.createOrganizationKey(request.principal, request.params.orgId, request.body);
      return sendAtlas(request, reply, 200, newApiKeyView(context, request, created));
    },
    get: async (request, reply) => {
      const key = await apiKeys.getOrganizationKey(request.principal, request.params.orgId, request.params.apiUserId);
      return sendAtlas(request, reply, 200, apiKeyView(context, request, key));
    },
    update: async (request, reply) => {
      const { orgId, apiUserId } = request.params;
      const key = await apiKeys.updateOrganizationKey(request.principal, orgId, apiUserId, request.body);
      return sendAtlas(request, reply, 200, apiKeyView(context, request, key));
    },
    delete: async (request, reply) => {
      await apiKeys.deleteOrganizationKey(request.principal, request.params.orgId, request.params.apiUserId);
      return reply.code(204).send(null);
    },
    listAccessList: async (request, reply) => {
      const page = pageRequest(request.query);
      const { orgId, apiUserId } = request.params;
      const result = await apiKeys.listAccessList(request.principal, { orgId }, apiUserId, page);
      return sendPage(context, request, reply, page, result, (entry) => entryView(request, orgId, apiUserId, entry));
    },
    addAccessListEntries: async (request, reply) => {
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
        (entry) => entryView(request, orgId, apiUserId, entry),
        201,
      );
    },
    getAccessListEntry: async (request, reply) => {
      const { orgId, apiUserId, entry } = request.params;
      const found = await apiKeys.getAccessListEntry(request.principal, orgId, apiUserId, entry);
      return sendAtlas(request, reply, 200, entryView(request, orgId, apiUserId, found));
    },
    deleteAccessListEntry: async (request, reply) => {
      const { orgId, apiUserId, entry } = request.params;
      await apiKeys.deleteAccessListEntry(request.principal, { orgId }, apiUserId, entry);
      return reply.code(204).send(null);
    },
  };
});
