import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type ApiContext, pageRequest, sendPage } from '../context.js';
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

/** API keys of a project: `/groups/{groupId}/apiKeys[/{apiUserId}]`. Roles shown are the org's and this project's. */
export const projectApiKeyRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, context) => {
  const { apiKeys } = context.authority;

  app.get(
    '/groups/:groupId/apiKeys',
    {
      config: { operation: 'listProjectApiKeys' },
      schema: { params: GroupIdParams, querystring: PageQuery, response: { 200: PaginatedApiKey } },
    },
    async (request, reply) => {
      const page = pageRequest(request.query);
      const { groupId } = request.params;
      const result = await apiKeys.listProjectKeys(request.principal, groupId, page);
      return sendPage(context, request, reply, page, result, (key) =>
        apiKeyView(context, request, key, { onlyGroupId: groupId }),
      );
    },
  );

  app.post(
    '/groups/:groupId/apiKeys',
    {
      config: { operation: 'createProjectApiKey' },
      schema: {
        params: GroupIdParams,
        querystring: EnvelopeQuery,
        body: ProjectApiKeyCreate,
        response: { 200: ApiKeyUserDetails },
      },
    },
    async (request, reply) => {
      const { groupId } = request.params;
      const created = await apiKeys.createProjectKey(request.principal, groupId, request.body);
      return sendAtlas(request, reply, 200, newApiKeyView(context, request, created, groupId));
    },
  );

  // Atlas' UpdateApiKeyRoles: roles in the project (assigning the key), its description, or both.
  app.patch(
    '/groups/:groupId/apiKeys/:apiUserId',
    {
      config: { operation: 'assignProjectApiKey' },
      schema: {
        params: ProjectApiKeyParams,
        querystring: EnvelopeQuery,
        body: ProjectApiKeyUpdate,
        response: { 200: ApiKeyUserDetails },
      },
    },
    async (request, reply) => {
      const { groupId, apiUserId } = request.params;
      const key = await apiKeys.updateProjectKey(request.principal, groupId, apiUserId, request.body);
      return sendAtlas(request, reply, 200, apiKeyView(context, request, key, { onlyGroupId: groupId }));
    },
  );

  // Atlas' AddProjectApiKey (Terraform, CloudFormation): the key in the project with exactly these roles.
  app.post(
    '/groups/:groupId/apiKeys/:apiUserId',
    {
      config: { operation: 'addProjectApiKey' },
      schema: {
        params: ProjectApiKeyParams,
        querystring: EnvelopeQuery,
        body: ProjectApiKeyAdd,
        response: { 204: NoContent },
      },
    },
    async (request, reply) => {
      const { groupId, apiUserId } = request.params;
      await apiKeys.addProjectKey(request.principal, groupId, apiUserId, request.body);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/groups/:groupId/apiKeys/:apiUserId',
    {
      config: { operation: 'removeProjectApiKey' },
      schema: { params: ProjectApiKeyParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
    },
    async (request, reply) => {
      await apiKeys.removeProjectKey(request.principal, request.params.groupId, request.params.apiUserId);
      return reply.code(204).send(null);
    },
  );
};
