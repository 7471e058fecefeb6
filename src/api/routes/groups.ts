import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Project } from '../../domain/project.js';
import { formatAtlasDate } from '../../domain/validity.js';
import { type ApiContext, pageRequest, resourceUrl, sendPage } from '../context.js';
import { selfLink } from '../links.js';
import { sendAtlas } from '../plugins/atlas-conventions.js';
import { EnvelopeQuery, GroupIdParams, PageQuery } from '../schemas/common.js';
import { Group, GroupCreate, GroupCreateQuery, PaginatedGroup } from '../schemas/projects.js';

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

/** Projects: `/groups`, `/groups/{groupId}`. dbcerts has no clusters, so clusterCount is 0. */
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
};
