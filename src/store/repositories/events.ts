import type { Kysely } from 'kysely';
import type { AuditEvent, EventOutcome, EventTarget, EventType } from '../../domain/events.js';
import type { Database, EventsTable } from '../schema.js';
import { toDate } from './codec.js';
import { reusableInsert } from './reusable-query.js';

function targetToJson(target: EventTarget): string {
  return JSON.stringify(target, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
}

function fromRow(row: EventsTable): AuditEvent {
  const target = JSON.parse(row.target) as EventTarget & { serial?: string };
  const event: AuditEvent = {
    id: row.id,
    eventTypeName: row.event_type_name as EventType,
    orgId: row.org_id,
    createdAt: toDate(row.created_at),
    target: { ...target, ...(target.serial !== undefined ? { serial: BigInt(target.serial) } : {}) },
    outcome: row.outcome as EventOutcome,
  };
  if (row.group_id !== null) event.groupId = row.group_id;
  if (row.api_key_id !== null) event.apiKeyId = row.api_key_id;
  if (row.public_key !== null) event.publicKey = row.public_key;
  if (row.remote_address !== null) event.remoteAddress = row.remote_address;
  if (row.error_code !== null) event.errorCode = row.error_code;
  return event;
}

export interface EventFilter {
  orgId: string;
  /** Only this project's events (else the whole organization's). */
  groupId?: string;
  /** Only events of these types (an empty list: none); every type when absent. */
  eventTypes?: readonly string[];
  minDate?: Date;
  maxDate?: Date;
}

/** Every write records an event: built once. */
export const EVENT_COLUMNS = [
  'id',
  'org_id',
  'group_id',
  'event_type_name',
  'created_at',
  'api_key_id',
  'public_key',
  'remote_address',
  'target',
  'outcome',
  'error_code',
] as const;
export const insertEvent = reusableInsert('events', EVENT_COLUMNS);

export function eventRow(event: AuditEvent): EventsTable {
  return {
    id: event.id,
    org_id: event.orgId,
    group_id: event.groupId ?? null,
    event_type_name: event.eventTypeName,
    created_at: event.createdAt.toISOString(),
    api_key_id: event.apiKeyId ?? null,
    public_key: event.publicKey ?? null,
    remote_address: event.remoteAddress ?? null,
    target: targetToJson(event.target),
    outcome: event.outcome,
    error_code: event.errorCode ?? null,
  };
}

/** The audit trail, newest first. */
export class EventsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(event: AuditEvent): Promise<void> {
    await insertEvent(this.db, eventRow(event));
  }

  private filtered(filter: EventFilter) {
    let query = this.db.selectFrom('events').where('org_id', '=', filter.orgId);
    if (filter.groupId !== undefined) query = query.where('group_id', '=', filter.groupId);
    if (filter.eventTypes) query = query.where('event_type_name', 'in', filter.eventTypes);
    if (filter.minDate) query = query.where('created_at', '>=', filter.minDate.toISOString());
    if (filter.maxDate) query = query.where('created_at', '<=', filter.maxDate.toISOString());
    return query;
  }

  async list(filter: EventFilter, offset: number, limit: number): Promise<AuditEvent[]> {
    if (filter.eventTypes?.length === 0) return [];
    const rows = await this.filtered(filter)
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .offset(offset)
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }

  async count(filter: EventFilter): Promise<number> {
    if (filter.eventTypes?.length === 0) return 0;
    const row = await this.filtered(filter)
      .select((eb) => eb.fn.countAll().as('count'))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async find(orgId: string, id: string): Promise<AuditEvent | undefined> {
    const row = await this.db
      .selectFrom('events')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && fromRow(row);
  }
}
