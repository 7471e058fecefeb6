import { pageRequest, sendPage } from '../context.js';
import { defineOperation, defineResource } from '../operations.js';
import { sendAtlas } from '../plugins/atlas-conventions.js';
import {
  ApiKeyUserDetails,
  PaginatedApiKey,
  ProjectApiKeyAdd,
  ProjectApiKeyCreate,
  ProjectApiKeyParams,
  ProjectApiKeyUpdate,
} from '../schemas/api-keys.js';
import { EnvelopeQuery, GroupIdParams, PageQuery, NoContent } from '../schemas/common.js';
import { apiKeyView, newApiKeyView } from './api-keys.js';

const KEYS = '/groups/:groupId/apiKeys';
const KEY = `${KEYS}/:apiUserId`;

/** API keys of a project: `/groups/{groupId}/apiKeys[/{apiUserId}]`. Roles shown are the org's and this project's. */
const PROJECT_API_KEY_OPERATIONS = {
  list: defineOperation({
    method: 'GET',
    path: KEYS,
    operation: 'listProjectApiKeys',
    summary: 'The API keys assigned to the project',
    success: 200,
    schema: { params: GroupIdParams, querystring: PageQuery, response: { 200: PaginatedApiKey } },
  }),
  create: defineOperation({
    method: 'POST',
    path: KEYS,
    operation: 'createProjectApiKey',
    summary: 'Create an organization API key assigned to the project',
    success: 200,
    schema: {
      params: GroupIdParams,
      querystring: EnvelopeQuery,
      body: ProjectApiKeyCreate,
      response: { 200: ApiKeyUserDetails },
    },
  }),
  // Atlas' UpdateApiKeyRoles: roles in the project (assigning the key), its description, or both.
  assign: defineOperation({
    method: 'PATCH',
    path: KEY,
    operation: 'assignProjectApiKey',
    summary: "Change an API key's roles in the project or its description",
    success: 200,
    schema: {
      params: ProjectApiKeyParams,
      querystring: EnvelopeQuery,
      body: ProjectApiKeyUpdate,
      response: { 200: ApiKeyUserDetails },
    },
  }),
  // Atlas' AddProjectApiKey (Terraform, CloudFormation): the key in the project with exactly these roles.
  add: defineOperation({
    method: 'POST',
    path: KEY,
    operation: 'addProjectApiKey',
    summary: 'Assign an API key to the project with exactly the roles sent',
    success: 204,
    schema: {
      params: ProjectApiKeyParams,
      querystring: EnvelopeQuery,
      body: ProjectApiKeyAdd,
      response: { 204: NoContent },
    },
  }),
  remove: defineOperation({
    method: 'DELETE',
    path: KEY,
    operation: 'removeProjectApiKey',
    summary: 'Take an API key out of the project (it stays in the organization)',
    success: 204,
    schema: { params: ProjectApiKeyParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
  }),
};

export const projectApiKeyRoutes = defineResource(PROJECT_API_KEY_OPERATIONS, (context) => {
  const { apiKeys } = context.authority;
  return {
    list: async (request, reply) => {
      const page = pageRequest(request.query);
      const { groupId } = request.params;
      const result = await apiKeys.listProjectKeys(request.principal, groupId, page);
      return sendPage(context, request, reply, page, result, (key) =>
        apiKeyView(context, request, key, { onlyGroupId: groupId }),
      );
    },
    create: async (request, reply) => {
      const { groupId } = request.params;
      const created = await apiKeys.createProjectKey(request.principal, groupId, request.body);
      return sendAtlas(request, reply, 200, newApiKeyView(context, request, created, groupId));
    },
    assign: async (request, reply) => {
      const { groupId, apiUserId } = request.params;
      const key = await apiKeys.updateProjectKey(request.principal, groupId, apiUserId, request.body);
      return sendAtlas(request, reply, 200, apiKeyView(context, request, key, { onlyGroupId: groupId }));
    },
    add: async (request, reply) => {
      const { groupId, apiUserId } = request.params;
      await apiKeys.addProjectKey(request.principal, groupId, apiUserId, request.body);
      return reply.code(204).send(null);
    },
    remove: async (request, reply) => {
      await apiKeys.removeProjectKey(request.principal, request.params.groupId, request.params.apiUserId);
      return reply.code(204).send(null);
    },
  };
});
