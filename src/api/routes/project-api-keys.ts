import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type ApiContext, pageRequest, sendPage } from '../context.js';
import { sendAtlas } from '../plugins/atlas-conventions.js';
import {
  ApiKeyUserDetails,
  PaginatedApiKey,
  ProjectApiKeyAssign,
  ProjectApiKeyCreate,
  ProjectApiKeyParams,
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

  app.patch(
    '/groups/:groupId/apiKeys/:apiUserId',
    {
      config: { operation: 'assignProjectApiKey' },
      schema: {
        params: ProjectApiKeyParams,
        querystring: EnvelopeQuery,
        body: ProjectApiKeyAssign,
        response: { 200: ApiKeyUserDetails },
      },
    },
    async (request, reply) => {
      const { groupId, apiUserId } = request.params;
      const key = await apiKeys.assignProjectKey(request.principal, groupId, apiUserId, request.body.roles);
      return sendAtlas(request, reply, 200, apiKeyView(context, request, key, { onlyGroupId: groupId }));
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
