import type { Actor, AuditEvent, EventOutcome, EventTarget, EventType } from '../domain/events.js';
import { newObjectId } from '../domain/ids.js';
import type { Repositories } from '../store/store.js';
import type { Clock } from './clock.js';

export interface EventScope {
  orgId: string;
  groupId?: string;
}

/** The scope of events about one project. */
export function projectScope(project: { id: string; orgId: string }): EventScope {
  return { orgId: project.orgId, groupId: project.id };
}

/**
 * Writes audit events. Changes record theirs inside the transaction that makes the
 * change, so an event exists exactly when its change does. Never given secrets.
 */
export class AuditTrail {
  constructor(private readonly clock: Clock) {}

  event(
    actor: Actor | undefined,
    eventTypeName: EventType,
    scope: EventScope,
    target: EventTarget = {},
    outcome: EventOutcome = 'SUCCESS',
    errorCode?: string,
  ): AuditEvent {
    const createdAt = this.clock.now();
    const event: AuditEvent = {
      id: newObjectId(createdAt),
      eventTypeName,
      orgId: scope.orgId,
      createdAt,
      target,
      outcome,
    };
    if (scope.groupId !== undefined) event.groupId = scope.groupId;
    if (actor) {
      event.apiKeyId = actor.apiKeyId;
      event.publicKey = actor.publicKey;
      event.remoteAddress = actor.remoteAddress;
    }
    if (errorCode !== undefined) event.errorCode = errorCode;
    return event;
  }

  async record(
    repositories: Repositories,
    actor: Actor | undefined,
    eventTypeName: EventType,
    scope: EventScope,
    target: EventTarget = {},
  ): Promise<void> {
    await repositories.events.insert(this.event(actor, eventTypeName, scope, target));
  }
}
