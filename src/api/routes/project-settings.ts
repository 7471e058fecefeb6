import { AtlasError } from '../../domain/errors.js';
import { pageFromRows } from '../../domain/pagination.js';
import {
  type ProjectLimit as Limit,
  type ProjectLimitDefinition,
  projectLimitDefinition,
} from '../../domain/project-limits.js';
import { pageRequest, sendPage } from '../context.js';
import { defineOperation, defineResource, type OperationHandler } from '../operations.js';
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

/** The limit a path names; an unknown name is an unknown resource, as an unknown path is. */
function limitOf(url: string, name: string): ProjectLimitDefinition {
  const definition = projectLimitDefinition(name);
  if (!definition) throw new AtlasError('RESOURCE_NOT_FOUND', url.split('?')[0] ?? url);
  return definition;
}

const LIMIT = '/groups/:groupId/limits/:limitName';

/**
 * What a project has besides its Group document, as Terraform's `mongodbatlas_project`
 * reads it: `/settings`, `/limits[/{limitName}]`, `/teams`, `/ipAddresses`, `/managedSlowMs`.
 */
const PROJECT_SETTINGS_OPERATIONS = {
  settings: defineOperation({
    method: 'GET',
    path: '/groups/:groupId/settings',
    operation: 'getProjectSettings',
    summary: "The project's settings",
    success: 200,
    schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 200: GroupSettings } },
  }),
  updateSettings: defineOperation({
    method: 'PATCH',
    path: '/groups/:groupId/settings',
    operation: 'updateProjectSettings',
    summary: "Change the project's settings",
    success: 200,
    schema: {
      params: GroupIdParams,
      querystring: EnvelopeQuery,
      body: GroupSettingsUpdate,
      response: { 200: GroupSettings },
    },
  }),
  limits: defineOperation({
    method: 'GET',
    path: '/groups/:groupId/limits',
    operation: 'listProjectLimits',
    summary: "The project's limits",
    success: 200,
    schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 200: ProjectLimits } },
  }),
  limit: defineOperation({
    method: 'GET',
    path: LIMIT,
    operation: 'getProjectLimit',
    summary: 'One limit of the project',
    success: 200,
    schema: { params: ProjectLimitParams, querystring: EnvelopeQuery, response: { 200: ProjectLimit } },
  }),
  setLimit: defineOperation({
    method: 'PATCH',
    path: LIMIT,
    operation: 'setProjectLimit',
    summary: 'Set one limit of the project',
    success: 200,
    schema: {
      params: ProjectLimitParams,
      querystring: EnvelopeQuery,
      body: ProjectLimitUpdate,
      response: { 200: ProjectLimit },
    },
  }),
  resetLimit: defineOperation({
    method: 'DELETE',
    path: LIMIT,
    operation: 'deleteProjectLimit',
    summary: 'Return one limit of the project to its default',
    success: 204,
    schema: { params: ProjectLimitParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
  }),
  teams: defineOperation({
    method: 'GET',
    path: '/groups/:groupId/teams',
    operation: 'listProjectTeams',
    summary: "The project's teams (dbcerts has none)",
    success: 200,
    schema: { params: GroupIdParams, querystring: PageQuery, response: { 200: PaginatedTeamRole } },
  }),
  ipAddresses: defineOperation({
    method: 'GET',
    path: '/groups/:groupId/ipAddresses',
    operation: 'returnAllIpAddresses',
    summary: "The project's IP addresses (dbcerts has no clusters)",
    success: 200,
    schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 200: GroupIPAddresses } },
  }),
  managedSlowMs: defineOperation({
    method: 'GET',
    path: '/groups/:groupId/managedSlowMs',
    operation: 'getManagedSlowMs',
    summary: 'Whether the project manages the slow-operation threshold',
    success: 200,
    schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 200: ManagedSlowMs } },
  }),
  enableManagedSlowMs: defineOperation({
    method: 'POST',
    path: '/groups/:groupId/managedSlowMs/enable',
    operation: 'enableSlowOperationThresholding',
    summary: 'Let the project manage the slow-operation threshold',
    success: 204,
    schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
  }),
  disableManagedSlowMs: defineOperation({
    method: 'DELETE',
    path: '/groups/:groupId/managedSlowMs/disable',
    operation: 'disableSlowOperationThresholding',
    summary: 'Stop managing the slow-operation threshold',
    success: 204,
    schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
  }),
};

export const projectSettingsRoutes = defineResource(PROJECT_SETTINGS_OPERATIONS, (context) => {
  const { projectSettings } = context.authority;
  const setManagedSlowMs = (enabled: boolean) =>
    (async (request, reply) => {
      await projectSettings.setManagedSlowMs(request.principal, request.params.groupId, enabled);
      return reply.code(204).send(null);
    }) satisfies OperationHandler<(typeof PROJECT_SETTINGS_OPERATIONS)['enableManagedSlowMs']['schema']>;
  return {
    settings: async (request, reply) =>
      sendAtlas(request, reply, 200, await projectSettings.settings(request.principal, request.params.groupId)),
    updateSettings: async (request, reply) => {
      const settings = await projectSettings.updateSettings(request.principal, request.params.groupId, request.body);
      return sendAtlas(request, reply, 200, settings);
    },
    limits: async (request, reply) =>
      sendAtlas(
        request,
        reply,
        200,
        (await projectSettings.limits(request.principal, request.params.groupId)).map(limitView),
      ),
    limit: async (request, reply) => {
      const definition = limitOf(request.url, request.params.limitName);
      const limit = await projectSettings.limit(request.principal, request.params.groupId, definition);
      return sendAtlas(request, reply, 200, limitView(limit));
    },
    setLimit: async (request, reply) => {
      const definition = limitOf(request.url, request.params.limitName);
      const limit = await projectSettings.setLimit(request.principal, request.params.groupId, definition, request.body);
      return sendAtlas(request, reply, 200, limitView(limit));
    },
    resetLimit: async (request, reply) => {
      const definition = limitOf(request.url, request.params.limitName);
      await projectSettings.resetLimit(request.principal, request.params.groupId, definition);
      return reply.code(204).send(null);
    },
    teams: async (request, reply) => {
      const page = pageRequest(request.query);
      await projectSettings.teams(request.principal, request.params.groupId);
      return sendPage(context, request, reply, page, pageFromRows([], page, 0), (team: never) => team);
    },
    ipAddresses: async (request, reply) => {
      const project = await projectSettings.ipAddresses(request.principal, request.params.groupId);
      return sendAtlas(request, reply, 200, { groupId: project.id, services: { clusters: [] } });
    },
    managedSlowMs: async (request, reply) =>
      sendAtlas(request, reply, 200, await projectSettings.managedSlowMs(request.principal, request.params.groupId)),
    enableManagedSlowMs: setManagedSlowMs(true),
    disableManagedSlowMs: setManagedSlowMs(false),
  };
});
