import { AtlasError } from './errors.js';

/**
 * The audit trail: every state change, with who made it (API key), from where, when,
 * on what, and how it ended; and the requests refused. Event type names are Atlas'
 * where Atlas has one; the `DBCERTS_` ones are dbcerts' own.
 */

export const EVENT_TYPES = [
  'GROUP_CREATED',
  'GROUP_DELETED',
  'DBCERTS_GROUP_UPDATED',
  'DBCERTS_GROUP_SETTINGS_CHANGED',
  'DBCERTS_GROUP_LIMIT_CHANGED',
  'MONGODB_USER_ADDED',
  'MONGODB_USER_UPDATED',
  'MONGODB_USER_DELETED',
  'MONGODB_USER_X509_CERT_CREATED',
  'MONGODB_USER_X509_CERT_REVOKED',
  'API_KEY_CREATED',
  'API_KEY_DELETED',
  'API_KEY_DESCRIPTION_CHANGED',
  'API_KEY_ROLES_CHANGED',
  'API_KEY_ADDED_TO_GROUP',
  'API_KEY_REMOVED_FROM_GROUP',
  'API_KEY_ACCESS_LIST_ENTRY_ADDED',
  'API_KEY_ACCESS_LIST_ENTRY_DELETED',
  'SERVICE_ACCOUNT_CREATED',
  'SERVICE_ACCOUNT_DELETED',
  'SERVICE_ACCOUNT_DETAILS_CHANGED',
  'SERVICE_ACCOUNT_ROLES_CHANGED',
  'SERVICE_ACCOUNT_SECRET_ADDED',
  'SERVICE_ACCOUNT_SECRET_DELETED',
  'SERVICE_ACCOUNT_ADDED_TO_GROUP',
  'SERVICE_ACCOUNT_REMOVED_FROM_GROUP',
  'SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_ADDED',
  'SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_DELETED',
  'ORG_PUBLIC_API_ACCESS_LIST_REQUIRED',
  'ORG_PUBLIC_API_ACCESS_LIST_NOT_REQUIRED',
  'DBCERTS_CA_CREATED',
  'DBCERTS_CA_ROTATED',
  'DBCERTS_CUSTOMER_X509_UPDATED',
  'DBCERTS_CUSTOMER_X509_DISABLED',
  'DBCERTS_X509_ALERT_SETTINGS_CHANGED',
  'NDS_X509_USER_AUTHENTICATION_MANAGED_USER_CERTS_EXPIRATION_CHECK',
  'DBCERTS_REQUEST_REFUSED',
  'MONGODB_ROLE_ADDED',
  'MONGODB_ROLE_UPDATED',
  'MONGODB_ROLE_DELETED',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * Atlas' organization event types (EventTypeForOrg): what the organization feed holds.
 * Every other Atlas type is a project's only.
 */
const ORGANIZATION_EVENT_TYPE = /^(API_KEY_|SERVICE_ACCOUNT_|ORG_|GROUP_(CREATED|DELETED|MOVED)$)/;

/** dbcerts' own types: never in an Atlas feed unless asked for by name. */
export function isDbcertsEventType(type: string): boolean {
  return type.startsWith('DBCERTS_');
}

export type EventFeed = 'project' | 'organization';

/** The types a feed knows: its Atlas types, and dbcerts' own. */
export function feedEventTypes(feed: EventFeed): EventType[] {
  return EVENT_TYPES.filter(
    (type) => feed === 'project' || isDbcertsEventType(type) || ORGANIZATION_EVENT_TYPE.test(type),
  );
}

/**
 * The types a feed lists for `eventType` and `excludedEventType` (Atlas: every type, or
 * those named, less those excluded). dbcerts' own types are listed only when named.
 * A name the feed does not know is Atlas' 400 INVALID_ENUM_VALUE.
 */
export function listedEventTypes(
  feed: EventFeed,
  included: readonly string[] | undefined,
  excluded: readonly string[] = [],
): EventType[] {
  const known = feedEventTypes(feed);
  for (const name of [...(included ?? []), ...excluded]) {
    if (!(known as readonly string[]).includes(name)) throw new AtlasError('INVALID_ENUM_VALUE', name);
  }
  const wanted =
    included === undefined || included.length === 0
      ? known.filter((type) => !isDbcertsEventType(type))
      : known.filter((type) => included.includes(type));
  return wanted.filter((type) => !excluded.includes(type));
}

export type EventOutcome = 'SUCCESS' | 'FAILURE';

/** What an event is about, in Atlas' event field names where they exist. */
export interface EventTarget {
  /** Database user events: the user and its authentication database. */
  targetUsername?: string;
  database?: string;
  /** API key events: the key acted on. */
  targetPublicKey?: string;
  targetApiKeyId?: string;
  /** Access list events. */
  accessListEntry?: string;
  /** Certificate events: the serial. */
  serial?: bigint;
  /** Revocations: the RFC 5280 reason. */
  reason?: string;
  /** CA events: the CA. */
  caId?: string;
  /** Expiry alerts: when the newest certificate expires. */
  notAfter?: string;
  /** Role changes: the roles after the change. */
  roles?: string[];
  /** Custom database role events: the role. */
  customDbRoleName?: string;
  /** Refused requests: what was asked and how it was answered. */
  method?: string;
  path?: string;
  status?: number;
}

export interface AuditEvent {
  id: string;
  eventTypeName: EventType;
  orgId: string;
  groupId?: string;
  createdAt: Date;
  apiKeyId?: string;
  publicKey?: string;
  remoteAddress?: string;
  target: EventTarget;
  outcome: EventOutcome;
  errorCode?: string;
}

/** Who acts, and from where: stamped on every event an action records. */
export interface Actor {
  apiKeyId: string;
  publicKey: string;
  remoteAddress: string;
}
