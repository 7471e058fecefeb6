import type { FastifyRequest } from 'fastify';
import type { Project } from '../../domain/project.js';
import { formatAtlasDate } from '../../domain/validity.js';
import { type ApiContext, pageRequest, resourceUrl, sendPage } from '../context.js';
import { selfLink } from '../links.js';
import { defineOperation, defineResource } from '../operations.js';
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
const GROUP_OPERATIONS = {
  list: defineOperation({
    method: 'GET',
    path: '/groups',
    operation: 'listProjects',
    summary: 'The projects the caller can see',
    success: 200,
    schema: { querystring: PageQuery, response: { 200: PaginatedGroup } },
  }),
  create: defineOperation({
    method: 'POST',
    path: '/groups',
    operation: 'createProject',
    summary: 'Create a project in an organization',
    success: 200,
    schema: { querystring: GroupCreateQuery, body: GroupCreate, response: { 200: Group } },
  }),
  get: defineOperation({
    method: 'GET',
    path: '/groups/:groupId',
    operation: 'getProject',
    summary: 'One project',
    success: 200,
    schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 200: Group } },
  }),
  getByName: defineOperation({
    method: 'GET',
    path: '/groups/byName/:groupName',
    operation: 'getProjectByName',
    summary: "One project of the caller's organization, by name",
    success: 200,
    schema: { params: GroupNameParams, querystring: EnvelopeQuery, response: { 200: Group } },
  }),
  update: defineOperation({
    method: 'PATCH',
    path: '/groups/:groupId',
    operation: 'updateProject',
    summary: "Change a project's name or tags",
    success: 200,
    schema: { params: GroupIdParams, querystring: EnvelopeQuery, body: GroupUpdate, response: { 200: Group } },
  }),
  delete: defineOperation({
    method: 'DELETE',
    path: '/groups/:groupId',
    operation: 'deleteProject',
    summary: 'Delete a project without database users, with its CAs and certificates',
    success: 204,
    schema: { params: GroupIdParams, querystring: EnvelopeQuery, response: { 204: NoContent } },
  }),
};

export const groupRoutes = defineResource(GROUP_OPERATIONS, (context) => {
  const { projects } = context.authority;
  return {
    list: async (request, reply) => {
      const page = pageRequest(request.query);
      const result = await projects.list(request.principal, page);
      return sendPage(context, request, reply, page, result, (project) => groupView(context, request, project));
    },
    create: async (request, reply) => {
      const project = await projects.create(request.principal, request.body);
      return sendAtlas(request, reply, 200, groupView(context, request, project));
    },
    get: async (request, reply) => {
      const project = await projects.get(request.principal, request.params.groupId);
      return sendAtlas(request, reply, 200, groupView(context, request, project));
    },
    getByName: async (request, reply) => {
      const project = await projects.getByName(request.principal, request.params.groupName);
      return sendAtlas(request, reply, 200, groupView(context, request, project));
    },
    update: async (request, reply) => {
      const project = await projects.update(request.principal, request.params.groupId, request.body);
      return sendAtlas(request, reply, 200, groupView(context, request, project));
    },
    delete: async (request, reply) => {
      await projects.delete(request.principal, request.params.groupId);
      return reply.code(204).send(null);
    },
  };
});
