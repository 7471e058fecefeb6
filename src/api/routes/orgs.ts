import type { FastifyRequest } from 'fastify';
import type { Organization } from '../../domain/project.js';
import { type ApiContext, pageRequest, resourceUrl, sendPage } from '../context.js';
import { selfLink } from '../links.js';
import { defineOperation, defineResource } from '../operations.js';
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
const ORGANIZATION_OPERATIONS = {
  list: defineOperation({
    method: 'GET',
    path: '/orgs',
    operation: 'listOrganizations',
    summary: "The caller's organization",
    success: 200,
    schema: { querystring: OrganizationListQuery, response: { 200: PaginatedOrganization } },
  }),
  get: defineOperation({
    method: 'GET',
    path: '/orgs/:orgId',
    operation: 'getOrganization',
    summary: 'One organization',
    success: 200,
    schema: { params: OrgIdParams, querystring: EnvelopeQuery, response: { 200: AtlasOrganization } },
  }),
  projects: defineOperation({
    method: 'GET',
    path: '/orgs/:orgId/groups',
    operation: 'listProjects',
    operationId: 'listProjectsOfOrganization',
    summary: "The organization's projects the caller can see",
    success: 200,
    schema: { params: OrgIdParams, querystring: GroupListQuery, response: { 200: PaginatedGroup } },
  }),
  settings: defineOperation({
    method: 'GET',
    path: '/orgs/:orgId/settings',
    operation: 'getOrganizationSettings',
    summary: "The organization's settings",
    success: 200,
    schema: { params: OrgIdParams, querystring: EnvelopeQuery, response: { 200: OrganizationSettings } },
  }),
  updateSettings: defineOperation({
    method: 'PATCH',
    path: '/orgs/:orgId/settings',
    operation: 'updateOrganizationSettings',
    summary: "Change the organization's settings (whether API calls need an access list)",
    success: 200,
    schema: {
      params: OrgIdParams,
      querystring: EnvelopeQuery,
      body: OrganizationSettingsUpdate,
      response: { 200: OrganizationSettings },
    },
  }),
};

export const organizationRoutes = defineResource(ORGANIZATION_OPERATIONS, (context) => {
  const { organizations, projects } = context.authority;
  return {
    list: async (request, reply) => {
      const page = pageRequest(request.query);
      const result = await organizations.list(request.principal, page, request.query.name);
      return sendPage(context, request, reply, page, result, (org) => organizationView(context, request, org));
    },
    get: async (request, reply) => {
      const org = await organizations.get(request.principal, request.params.orgId);
      return sendAtlas(request, reply, 200, organizationView(context, request, org));
    },
    projects: async (request, reply) => {
      const page = pageRequest(request.query);
      const result = await projects.list(request.principal, page, request.params.orgId, request.query.name);
      return sendPage(context, request, reply, page, result, (project) => groupView(context, request, project));
    },
    settings: async (request, reply) => {
      return sendAtlas(request, reply, 200, await organizations.settings(request.principal, request.params.orgId));
    },
    updateSettings: async (request, reply) => {
      const settings = await organizations.updateSettings(request.principal, request.params.orgId, request.body);
      return sendAtlas(request, reply, 200, settings);
    },
  };
});
