import { type Static, Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { EventQuery as EventFilter } from '../../authority/events.js';
import { AtlasError } from '../../domain/errors.js';
import type { AuditEvent } from '../../domain/events.js';
import { formatAtlasDate } from '../../domain/validity.js';
import { type ApiContext, pageRequest, resourceUrl, sendPage } from '../context.js';
import { dateParameter } from '../inventory.js';
import { selfLink } from '../links.js';
import { defineOperation, defineResource } from '../operations.js';
import { sendAtlas } from '../plugins/atlas-conventions.js';
import { EnvelopeQuery, GroupIdParams } from '../schemas/common.js';
import { Event, EventQuery, PaginatedEvent } from '../schemas/events.js';
import { OrgIdParams } from '../schemas/organizations.js';

function eventView(context: ApiContext, request: FastifyRequest, event: AuditEvent) {
  const self =
    event.groupId !== undefined
      ? resourceUrl(context, request, 'groups', event.groupId, 'events', event.id)
      : resourceUrl(context, request, 'orgs', event.orgId, 'events', event.id);
  const { target } = event;
  return {
    accessListEntry: target.accessListEntry,
    apiKeyId: event.apiKeyId,
    caId: target.caId,
    created: formatAtlasDate(event.createdAt),
    customDbRoleName: target.customDbRoleName,
    database: target.database,
    errorCode: event.errorCode,
    eventTypeName: event.eventTypeName,
    groupId: event.groupId,
    id: event.id,
    isGlobalAdmin: false,
    links: [selfLink(self)],
    method: target.method,
    notAfter: target.notAfter,
    orgId: event.orgId,
    outcome: event.outcome,
    path: target.path,
    publicKey: event.publicKey,
    reason: target.reason,
    remoteAddress: event.remoteAddress,
    roles: target.roles,
    serial: target.serial,
    status: target.status,
    targetApiKeyId: target.targetApiKeyId,
    targetPublicKey: target.targetPublicKey,
    targetUsername: target.targetUsername,
  };
}

function eventFilter(query: Static<typeof EventQuery>): EventFilter {
  const filter: EventFilter = {};
  if (query.eventType !== undefined) filter.eventTypes = [query.eventType].flat();
  if (query.excludedEventType !== undefined) filter.excludedEventTypes = [query.excludedEventType].flat();
  const minDate = dateParameter('minDate', query.minDate);
  const maxDate = dateParameter('maxDate', query.maxDate);
  if (minDate && maxDate && maxDate < minDate)
    throw new AtlasError('INVALID_DATE_RANGE', query.minDate!, query.maxDate!);
  if (minDate) filter.minDate = minDate;
  if (maxDate) filter.maxDate = maxDate;
  return filter;
}

const ProjectEventParams = Type.Object({ groupId: Type.String(), eventId: Type.String() });
const OrgEventParams = Type.Object({ orgId: Type.String(), eventId: Type.String() });

/** The audit trail: `/groups/{groupId}/events[/{eventId}]`, `/orgs/{orgId}/events[/{eventId}]`, newest first. */
const EVENT_OPERATIONS = {
  listProject: defineOperation({
    method: 'GET',
    path: '/groups/:groupId/events',
    operation: 'listProjectEvents',
    summary: "The project's events, newest first",
    success: 200,
    schema: {
      params: GroupIdParams,
      querystring: EventQuery,
      response: { 200: PaginatedEvent },
    },
  }),
  getProject: defineOperation({
    method: 'GET',
    path: '/groups/:groupId/events/:eventId',
    operation: 'getProjectEvent',
    summary: 'One event of the project',
    success: 200,
    schema: { params: ProjectEventParams, querystring: EnvelopeQuery, response: { 200: Event } },
  }),
  listOrganization: defineOperation({
    method: 'GET',
    path: '/orgs/:orgId/events',
    operation: 'listOrganizationEvents',
    summary: "The organization's events, newest first",
    success: 200,
    schema: {
      params: OrgIdParams,
      querystring: EventQuery,
      response: { 200: PaginatedEvent },
    },
  }),
  getOrganization: defineOperation({
    method: 'GET',
    path: '/orgs/:orgId/events/:eventId',
    operation: 'getOrganizationEvent',
    summary: 'One event of the organization',
    success: 200,
    schema: { params: OrgEventParams, querystring: EnvelopeQuery, response: { 200: Event } },
  }),
};

export const eventRoutes = defineResource(EVENT_OPERATIONS, (context) => {
  const { events } = context.authority;
  return {
    listProject: async (request, reply) => {
      const page = pageRequest(request.query);
      const result = await events.listProjectEvents(
        request.principal,
        request.params.groupId,
        eventFilter(request.query),
        page,
      );
      return sendPage(context, request, reply, page, result, (event) => eventView(context, request, event));
    },
    getProject: async (request, reply) => {
      const event = await events.getProjectEvent(request.principal, request.params.groupId, request.params.eventId);
      return sendAtlas(request, reply, 200, eventView(context, request, event));
    },
    listOrganization: async (request, reply) => {
      const page = pageRequest(request.query);
      const result = await events.listOrganizationEvents(
        request.principal,
        request.params.orgId,
        eventFilter(request.query),
        page,
      );
      return sendPage(context, request, reply, page, result, (event) => eventView(context, request, event));
    },
    getOrganization: async (request, reply) => {
      const event = await events.getOrganizationEvent(request.principal, request.params.orgId, request.params.eventId);
      return sendAtlas(request, reply, 200, eventView(context, request, event));
    },
  };
});
