import { type AuditEvent, type EventFeed, feedEventTypes, listedEventTypes } from '../domain/events.js';
import { AtlasError } from '../domain/errors.js';
import { isObjectId } from '../domain/ids.js';
import { type Page, type PageRequest, pageFromRows, pageOffset } from '../domain/pagination.js';
import type { EventFilter } from '../store/repositories/events.js';
import type { Store } from '../store/store.js';
import type { AccessControl } from './access.js';
import type { AuditTrail } from './audit.js';
import type { Principal } from './identities/principal.js';

/** A feed's filters: `eventType`, `excludedEventType` (Atlas' names, repeatable), `minDate`, `maxDate`. */
export interface EventQuery {
  eventTypes?: readonly string[];
  excludedEventTypes?: readonly string[];
  minDate?: Date;
  maxDate?: Date;
}

function feedFilter(feed: EventFeed, query: EventQuery): Omit<EventFilter, 'orgId'> {
  const { eventTypes, excludedEventTypes, ...dates } = query;
  return { ...dates, eventTypes: listedEventTypes(feed, eventTypes, excludedEventTypes) };
}

export interface RefusedRequest {
  method: string;
  path: string;
  status: number;
  errorCode: string;
  /** The project the request named, if it names one. */
  groupId?: string;
}

/**
 * Reading the audit trail, and recording requests that were refused. A project's feed
 * holds that project's events; the organization's feed holds organization events (of
 * any project too, as Atlas lists them). dbcerts' own types, refusals among them, appear
 * only when `eventType` names them.
 */
export class EventService {
  constructor(
    private readonly store: Store,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
  ) {}

  private async page(filter: EventFilter, page: PageRequest): Promise<Page<AuditEvent>> {
    const rows = await this.store.events.list(filter, pageOffset(page), page.itemsPerPage + 1);
    const total = page.includeCount ? await this.store.events.count(filter) : undefined;
    return pageFromRows(rows, page, total);
  }

  async listProjectEvents(principal: Principal, groupId: string, query: EventQuery, page: PageRequest) {
    const project = await this.access.project(this.store, principal, 'listProjectEvents', groupId);
    return this.page({ ...feedFilter('project', query), orgId: project.orgId, groupId: project.id }, page);
  }

  async listOrganizationEvents(principal: Principal, orgId: string, query: EventQuery, page: PageRequest) {
    const org = await this.access.organization(this.store, principal, 'listOrganizationEvents', orgId);
    return this.page({ ...feedFilter('organization', query), orgId: org.id }, page);
  }

  async getProjectEvent(principal: Principal, groupId: string, eventId: string): Promise<AuditEvent> {
    const project = await this.access.project(this.store, principal, 'getProjectEvent', groupId);
    const event = await this.find(project.orgId, eventId);
    if (event?.groupId !== project.id) throw new AtlasError('EVENT_NOT_FOUND', eventId, project.id);
    return event;
  }

  /** One event the organization's feed holds (or would, for dbcerts' own types). */
  async getOrganizationEvent(principal: Principal, orgId: string, eventId: string): Promise<AuditEvent> {
    const org = await this.access.organization(this.store, principal, 'getOrganizationEvent', orgId);
    const event = await this.find(org.id, eventId);
    if (!event || !feedEventTypes('organization').includes(event.eventTypeName)) {
      throw new AtlasError('ORG_EVENT_NOT_FOUND', eventId, org.id);
    }
    return event;
  }

  private async find(orgId: string, eventId: string): Promise<AuditEvent | undefined> {
    if (!isObjectId(eventId)) throw new AtlasError('INVALID_EVENT_ID', eventId);
    return this.store.events.find(orgId, eventId);
  }

  /**
   * Records a refused request of an authenticated caller in its own organization's
   * trail (and in the project's, when the request named one of that organization).
   */
  async recordRefusal(principal: Principal, refusal: RefusedRequest): Promise<void> {
    const project =
      refusal.groupId !== undefined && isObjectId(refusal.groupId)
        ? await this.store.projects.find(refusal.groupId)
        : undefined;
    const scope =
      project?.orgId === principal.orgId ? { orgId: principal.orgId, groupId: project.id } : { orgId: principal.orgId };
    const event = this.audit.event(
      principal,
      'DBCERTS_REQUEST_REFUSED',
      scope,
      { method: refusal.method, path: refusal.path, status: refusal.status },
      'FAILURE',
      refusal.errorCode,
    );
    await this.store.events.insert(event);
  }
}
