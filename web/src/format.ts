import { badge } from './dom.js';
import type { CloudDatabaseUser, DatabaseUserRole, InventoryCert } from './wire.js';

/** Presentation helpers shared by the views. */

/** `2025-03-01 10:00 UTC`: unambiguous wherever the reader is. */
export function formatInstant(value: string | Date | undefined): string {
  if (value === undefined) return '—';
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) return String(value);
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function formatDay(value: string | Date): string {
  const date = typeof value === 'string' ? new Date(value) : value;
  return date.toISOString().slice(0, 10);
}

/** A serial as exact decimal (it is the Atlas `_id`), whatever JSON gave us. */
export function serialText(value: unknown): string {
  return typeof value === 'bigint' || typeof value === 'number' || typeof value === 'string' ? String(value) : '?';
}

/** The serial as OpenSSL prints it (upper-case hex, even length). */
export function serialHex(value: unknown): string {
  try {
    const hex = BigInt(serialText(value)).toString(16).toUpperCase();
    return hex.length % 2 === 1 ? `0${hex}` : hex;
  } catch {
    return '?';
  }
}

export function authMethod(user: CloudDatabaseUser): string {
  if (user.x509Type === 'MANAGED') return 'X.509 (dbcerts-managed)';
  if (user.x509Type === 'CUSTOMER') return 'X.509 (customer CA)';
  if (user.awsIAMType !== 'NONE') return 'AWS IAM';
  if (user.ldapAuthType !== 'NONE') return 'LDAP';
  if (user.oidcAuthType !== 'NONE') return 'OIDC';
  return 'Password (SCRAM)';
}

export function roleText(role: DatabaseUserRole): string {
  return `${role.roleName}@${role.databaseName}${role.collectionName ? `.${role.collectionName}` : ''}`;
}

export type DisplayStatus = 'active' | 'expiring' | 'expired' | 'revoked';

/** active, expiring soon (within the alert lead time), expired or revoked, as of `now`. */
export function displayStatus(certificate: InventoryCert, now: Date, leadTimeDays: number): DisplayStatus {
  if (certificate.status === 'revoked' || certificate.revokedAt) return 'revoked';
  const notAfter = new Date(certificate.notAfter).getTime();
  if (notAfter <= now.getTime()) return 'expired';
  if (notAfter <= now.getTime() + leadTimeDays * 86_400_000) return 'expiring';
  return 'active';
}

export const STATUS_LABELS: Record<DisplayStatus, string> = {
  active: 'Active',
  expiring: 'Expiring soon',
  expired: 'Expired',
  revoked: 'Revoked',
};

export function statusBadge(status: DisplayStatus): HTMLSpanElement {
  return badge(STATUS_LABELS[status], status);
}

/** Atlas' default expiry-alert lead time, when a project has not set its own. */
export const DEFAULT_LEAD_TIME_DAYS = 30;

/** 10,000: counts read at a glance. */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

const DAY_MS = 86_400_000;

/** "in 5 days", "today", "3 days ago": how far an instant is from now. */
export function relativeDays(value: string | Date, now: Date): string {
  const date = typeof value === 'string' ? new Date(value) : value;
  const days = Math.round((date.getTime() - now.getTime()) / DAY_MS);
  if (days === 0) return date.getTime() >= now.getTime() ? 'within a day' : 'less than a day ago';
  if (days > 0) return `in ${formatCount(days)} day${days === 1 ? '' : 's'}`;
  return `${formatCount(-days)} day${days === -1 ? '' : 's'} ago`;
}

/** The project's audit event types in words (docs/compatibility.md, "Audit trail"). */
export const EVENT_TYPE_WORDS: Record<string, string> = {
  MONGODB_USER_ADDED: 'Database user added',
  MONGODB_USER_UPDATED: 'Database user updated',
  MONGODB_USER_DELETED: 'Database user deleted',
  MONGODB_USER_X509_CERT_CREATED: 'Certificate issued',
  MONGODB_USER_X509_CERT_REVOKED: 'Certificate revoked',
  MONGODB_ROLE_ADDED: 'Custom role added',
  MONGODB_ROLE_UPDATED: 'Custom role updated',
  MONGODB_ROLE_DELETED: 'Custom role deleted',
  API_KEY_ADDED_TO_GROUP: 'API key added to the project',
  API_KEY_ROLES_CHANGED: 'API key roles changed',
  API_KEY_REMOVED_FROM_GROUP: 'API key removed from the project',
  SERVICE_ACCOUNT_ADDED_TO_GROUP: 'Service account added to the project',
  SERVICE_ACCOUNT_ROLES_CHANGED: 'Service account roles changed',
  SERVICE_ACCOUNT_REMOVED_FROM_GROUP: 'Service account removed from the project',
  GROUP_CREATED: 'Project created',
  DBCERTS_CA_CREATED: 'Project CA created',
  DBCERTS_CA_ROTATED: 'Project CA rotated',
  DBCERTS_CUSTOMER_X509_UPDATED: 'Customer CA bundle saved',
  DBCERTS_CUSTOMER_X509_DISABLED: 'Customer X.509 turned off',
  DBCERTS_X509_ALERT_SETTINGS_CHANGED: 'Expiry alert settings changed',
  NDS_X509_USER_AUTHENTICATION_MANAGED_USER_CERTS_EXPIRATION_CHECK: 'Certificate expiry alert',
  DBCERTS_REQUEST_REFUSED: 'Request refused',
};

export function eventTypeText(name: string): string {
  return EVENT_TYPE_WORDS[name] ?? name.toLowerCase().replace(/_/g, ' ');
}
