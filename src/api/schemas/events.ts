import { Type } from '@sinclair/typebox';
import { Link, Paginated, PageQuery } from './common.js';

/**
 * An audit event as Atlas' events API shows one. Members Atlas does not have (`outcome`,
 * `errorCode`, `serial`, `reason`, `caId`, `notAfter`, `method`, `path`, `status`,
 * `roles`, `accessListEntry`, `targetApiKeyId`, `customDbRoleName`) are dbcerts extensions.
 */
export const Event = Type.Object({
  accessListEntry: Type.Optional(Type.String()),
  apiKeyId: Type.Optional(Type.String()),
  caId: Type.Optional(Type.String()),
  created: Type.String({ format: 'date-time' }),
  customDbRoleName: Type.Optional(Type.String()),
  database: Type.Optional(Type.String()),
  errorCode: Type.Optional(Type.String()),
  eventTypeName: Type.String(),
  groupId: Type.Optional(Type.String()),
  id: Type.String(),
  isGlobalAdmin: Type.Boolean(),
  links: Type.Array(Link),
  method: Type.Optional(Type.String()),
  notAfter: Type.Optional(Type.String()),
  orgId: Type.String(),
  outcome: Type.String(),
  path: Type.Optional(Type.String()),
  publicKey: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
  remoteAddress: Type.Optional(Type.String()),
  roles: Type.Optional(Type.Array(Type.String())),
  serial: Type.Optional(Type.Integer({ format: 'int64' })),
  status: Type.Optional(Type.Integer()),
  targetApiKeyId: Type.Optional(Type.String()),
  targetPublicKey: Type.Optional(Type.String()),
  targetUsername: Type.Optional(Type.String()),
});

export const PaginatedEvent = Paginated(Event);

const EventTypeNames = Type.Union([Type.String(), Type.Array(Type.String())]);

export const EventQuery = Type.Object({
  ...PageQuery.properties,
  eventType: Type.Optional(EventTypeNames),
  excludedEventType: Type.Optional(EventTypeNames),
  includeRaw: Type.Optional(Type.Boolean()),
  maxDate: Type.Optional(Type.String()),
  minDate: Type.Optional(Type.String()),
});
