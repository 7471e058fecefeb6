import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Organization } from '../../domain/project.js';
import { type ApiContext, pageRequest, resourceUrl, sendPage } from '../context.js';
import { selfLink } from '../links.js';
import { sendAtlas } from '../plugins/atlas-conventions.js';
import { EnvelopeQuery } from '../schemas/common.js';
import {
  AtlasOrganization,
  OrganizationSettings,
  OrganizationSettingsUpdate,
  OrganizationListQuery,
  OrgIdParams,
  PaginatedOrganization,
} from '../schemas/organizations.js';
import { GroupListQuery, PaginatedGroup } from '../schemas/projects.js';
import { groupView } from './groups.js';

function organizationView(context: ApiContext, request: FastifyRequest, org: Organization) {
  return {
    id: org.id,
    isDeleted: false,
    links: [selfLink(resourceUrl(context, request, 'orgs', org.id))],
    name: org.name,
  };
}

/** Organizations: `/orgs`, `/orgs/{orgId}`, its projects and its settings. */
export const organizationRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, context) => {
  const { organizations, projects } = context.authority;

  app.get(
    '/orgs',
    {
      config: { operation: 'listOrganizations' },
      schema: { querystring: OrganizationListQuery, response: { 200: PaginatedOrganization } },
    },
    async (request, reply) => {
      const page = pageRequest(request.query);
      const result = await organizations.list(request.principal, page, request.query.name);
      return sendPage(context, request, reply, page, result, (org) => organizationView(context, request, org));
    },
  );

  app.get(
    '/orgs/:orgId',
    {
      config: { operation: 'getOrganization' },
      schema: { params: OrgIdParams, querystring: EnvelopeQuery, response: { 200: AtlasOrganization } },
    },
    async (request, reply) => {
      const org = await organizations.get(request.principal, request.params.orgId);
      return sendAtlas(request, reply, 200, organizationView(context, request, org));
    },
  );

  app.get(
    '/orgs/:orgId/groups',
    {
      config: { operation: 'listProjects', operationId: 'listProjectsOfOrganization' },
      schema: { params: OrgIdParams, querystring: GroupListQuery, response: { 200: PaginatedGroup } },
    },
    async (request, reply) => {
      const page = pageRequest(request.query);
      const result = await projects.list(request.principal, page, request.params.orgId, request.query.name);
      return sendPage(context, request, reply, page, result, (project) => groupView(context, request, project));
    },
  );

  app.get(
    '/orgs/:orgId/settings',
    {
      config: { operation: 'getOrganizationSettings' },
      schema: { params: OrgIdParams, querystring: EnvelopeQuery, response: { 200: OrganizationSettings } },
    },
    async (request, reply) => {
      return sendAtlas(request, reply, 200, await organizations.settings(request.principal, request.params.orgId));
    },
  );

  app.patch(
    '/orgs/:orgId/settings',
    {
      config: { operation: 'updateOrganizationSettings' },
      schema: {
        params: OrgIdParams,
        querystring: EnvelopeQuery,
        body: OrganizationSettingsUpdate,
        response: { 200: OrganizationSettings },
      },
    },
    async (request, reply) => {
      const settings = await organizations.updateSettings(request.principal, request.params.orgId, request.body);
      return sendAtlas(request, reply, 200, settings);
    },
  );
};
