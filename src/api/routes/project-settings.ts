import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AtlasError } from '../../domain/errors.js';
import { pageFromRows } from '../../domain/pagination.js';
import {
  type ProjectLimit as Limit,
  type ProjectLimitDefinition,
  projectLimitDefinition,
} from '../../domain/project-limits.js';
import { type ApiContext, pageRequest, sendPage } from '../context.js';
import { sendAtlas } from '../plugins/atlas-conventions.js';
import { EnvelopeQuery, GroupIdParams, NoContent, PageQuery } from '../schemas/common.js';
import {
  GroupIPAddresses,
  GroupSettings,
  GroupSettingsUpdate,
  ManagedSlowMs,
  PaginatedTeamRole,
  ProjectLimit,
  ProjectLimitParams,
  ProjectLimits,
  ProjectLimitUpdate,
} from '../schemas/projects.js';

/** A limit, members in Atlas' (alphabetical) order: an enveloped answer is written as built. */
function limitView(limit: Limit) {
  return {
    currentUsage: limit.currentUsage,
    defaultLimit: limit.defaultLimit,
    maximumLimit: limit.maximumLimit,
    name: limit.name,
    value: limit.value,
  };
}

/**
 * What a project has besides its Group document, as Terraform's `mongodbatlas_project`
 * reads it: `/settings`, `/limits[/{limitName}]`, `/teams`, `/ipAddresses`, `/managedSlowMs`.
 */
export const projectSettingsRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, context) => {
  const { projectSettings } = context.authority;

  /** The limit a path names; an unknown name is an unknown resource, as an unknown path is. */
  const limitOf = (url: string, name: string): ProjectLimitDefinition => {
    const definition = projectLimitDefinition(name);
    if (!definition) throw new AtlasError('RESOURCE_NOT_FOUND', url.split('?')[0] ?? url);
    return definition;
  };

  app.get(
    '/groups/:groupId/settings',
    {
      config: { operation: 'getProjectSettings' },
      schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 200: GroupSettings } },
    },
    async (request, reply) =>
      sendAtlas(request, reply, 200, await projectSettings.settings(request.principal, request.params.groupId)),
  );

  app.patch(
    '/groups/:groupId/settings',
    {
      config: { operation: 'updateProjectSettings' },
      schema: {
        params: GroupIdParams,
        querystring: EnvelopeQuery,
        body: GroupSettingsUpdate,
        response: { 200: GroupSettings },
      },
    },
    async (request, reply) => {
      const settings = await projectSettings.updateSettings(request.principal, request.params.groupId, request.body);
      return sendAtlas(request, reply, 200, settings);
    },
  );

  app.get(
    '/groups/:groupId/limits',
    {
      config: { operation: 'listProjectLimits' },
      schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 200: ProjectLimits } },
    },
    async (request, reply) =>
      sendAtlas(
        request,
        reply,
        200,
        (await projectSettings.limits(request.principal, request.params.groupId)).map(limitView),
      ),
  );

  app.get(
    '/groups/:groupId/limits/:limitName',
    {
      config: { operation: 'getProjectLimit' },
      schema: { params: ProjectLimitParams, querystring: EnvelopeQuery, response: { 200: ProjectLimit } },
    },
    async (request, reply) => {
      const definition = limitOf(request.url, request.params.limitName);
      const limit = await projectSettings.limit(request.principal, request.params.groupId, definition);
      return sendAtlas(request, reply, 200, limitView(limit));
    },
  );

  app.patch(
    '/groups/:groupId/limits/:limitName',
    {
      config: { operation: 'setProjectLimit' },
      schema: {
        params: ProjectLimitParams,
        querystring: EnvelopeQuery,
        body: ProjectLimitUpdate,
        response: { 200: ProjectLimit },
      },
    },
    async (request, reply) => {
      const definition = limitOf(request.url, request.params.limitName);
      const limit = await projectSettings.setLimit(request.principal, request.params.groupId, definition, request.body);
      return sendAtlas(request, reply, 200, limitView(limit));
    },
  );

  app.delete(
    '/groups/:groupId/limits/:limitName',
    {
      config: { operation: 'deleteProjectLimit' },
      schema: { params: ProjectLimitParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
    },
    async (request, reply) => {
      const definition = limitOf(request.url, request.params.limitName);
      await projectSettings.resetLimit(request.principal, request.params.groupId, definition);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/groups/:groupId/teams',
    {
      config: { operation: 'listProjectTeams' },
      schema: { params: GroupIdParams, querystring: PageQuery, response: { 200: PaginatedTeamRole } },
    },
    async (request, reply) => {
      const page = pageRequest(request.query);
      await projectSettings.teams(request.principal, request.params.groupId);
      return sendPage(context, request, reply, page, pageFromRows([], page, 0), (team: never) => team);
    },
  );

  app.get(
    '/groups/:groupId/ipAddresses',
    {
      config: { operation: 'returnAllIpAddresses' },
      schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 200: GroupIPAddresses } },
    },
    async (request, reply) => {
      const project = await projectSettings.ipAddresses(request.principal, request.params.groupId);
      return sendAtlas(request, reply, 200, { groupId: project.id, services: { clusters: [] } });
    },
  );

  app.get(
    '/groups/:groupId/managedSlowMs',
    {
      config: { operation: 'getManagedSlowMs' },
      schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 200: ManagedSlowMs } },
    },
    async (request, reply) =>
      sendAtlas(request, reply, 200, await projectSettings.managedSlowMs(request.principal, request.params.groupId)),
  );

  for (const [method, path, enabled] of [
    ['POST', 'enable', true],
    ['DELETE', 'disable', false],
  ] as const) {
    app.route({
      method,
      url: `/groups/:groupId/managedSlowMs/${path}`,
      config: { operation: enabled ? 'enableSlowOperationThresholding' : 'disableSlowOperationThresholding' },
      schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
      handler: async (request, reply) => {
        await projectSettings.setManagedSlowMs(request.principal, request.params.groupId, enabled);
        return reply.code(204).send(null);
      },
    });
  }
};
