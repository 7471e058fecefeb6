import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Project } from '../../domain/project.js';
import { formatAtlasDate } from '../../domain/validity.js';
import { type ApiContext, pageRequest, resourceUrl, sendPage } from '../context.js';
import { selfLink } from '../links.js';
import { sendAtlas } from '../plugins/atlas-conventions.js';
import { EnvelopeQuery, GroupIdParams, NoContent, PageQuery } from '../schemas/common.js';
import {
  Group,
  GroupCreate,
  GroupCreateQuery,
  GroupNameParams,
  GroupUpdate,
  PaginatedGroup,
} from '../schemas/projects.js';

export function groupView(context: ApiContext, request: FastifyRequest, project: Project) {
  return {
    clusterCount: 0,
    created: formatAtlasDate(project.createdAt),
    id: project.id,
    links: [selfLink(resourceUrl(context, request, 'groups', project.id))],
    name: project.name,
    orgId: project.orgId,
    tags: project.tags,
  };
}

/**
 * Projects: `/groups`, `/groups/{groupId}`, `/groups/byName/{groupName}`. dbcerts has no
 * clusters, so clusterCount is 0.
 */
export const groupRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, context) => {
  const { projects } = context.authority;

  app.get(
    '/groups',
    { config: { operation: 'listProjects' }, schema: { querystring: PageQuery, response: { 200: PaginatedGroup } } },
    async (request, reply) => {
      const page = pageRequest(request.query);
      const result = await projects.list(request.principal, page);
      return sendPage(context, request, reply, page, result, (project) => groupView(context, request, project));
    },
  );

  app.post(
    '/groups',
    {
      config: { operation: 'createProject' },
      schema: { querystring: GroupCreateQuery, body: GroupCreate, response: { 200: Group } },
    },
    async (request, reply) => {
      const project = await projects.create(request.principal, request.body);
      return sendAtlas(request, reply, 200, groupView(context, request, project));
    },
  );

  app.get(
    '/groups/:groupId',
    {
      config: { operation: 'getProject' },
      schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 200: Group } },
    },
    async (request, reply) => {
      const project = await projects.get(request.principal, request.params.groupId);
      return sendAtlas(request, reply, 200, groupView(context, request, project));
    },
  );

  app.get(
    '/groups/byName/:groupName',
    {
      config: { operation: 'getProjectByName' },
      schema: { params: GroupNameParams, querystring: EnvelopeQuery, response: { 200: Group } },
    },
    async (request, reply) => {
      const project = await projects.getByName(request.principal, request.params.groupName);
      return sendAtlas(request, reply, 200, groupView(context, request, project));
    },
  );

  app.patch(
    '/groups/:groupId',
    {
      config: { operation: 'updateProject' },
      schema: { params: GroupIdParams, querystring: EnvelopeQuery, body: GroupUpdate, response: { 200: Group } },
    },
    async (request, reply) => {
      const project = await projects.update(request.principal, request.params.groupId, request.body);
      return sendAtlas(request, reply, 200, groupView(context, request, project));
    },
  );

  app.delete(
    '/groups/:groupId',
    {
      config: { operation: 'deleteProject' },
      schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
    },
    async (request, reply) => {
      await projects.delete(request.principal, request.params.groupId);
      return reply.code(204).send(null);
    },
  );
};
