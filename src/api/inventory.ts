import { createHash } from 'node:crypto';
import type {
  CertificateCoverage,
  CertificateDetails,
  CertificateHolder,
  InventoryQuery,
} from '../authority/certificates.js';
import { DAY_MS } from '../authority/expiry-alerts.js';
import { AtlasError } from '../domain/errors.js';
import type { UserCertificate } from '../domain/certificate.js';
import { CERTIFICATE_STATUSES, type CertificateStatus, certificateStatus } from '../domain/revocation.js';
import { serialSearchCandidates } from '../domain/serial.js';
import { formatAtlasDate } from '../domain/validity.js';

/** The words of a parameter given comma-separated or repeated, each one of `allowed` (else Atlas' 400 naming it). */
function wordsParameter<Word extends string>(name: string, value: string | string[], allowed: readonly Word[]): Word[] {
  const words = [value]
    .flat()
    .flatMap((entry) => entry.split(','))
    .map((word) => word.trim().toLowerCase());
  for (const word of words) {
    if (!(allowed as readonly string[]).includes(word)) throw new AtlasError('INVALID_QUERY_PARAMETER', name);
  }
  return [...new Set(words)] as Word[];
}

/** `status=all`, or active/expired/revoked, comma-separated or repeated. */
function statusesParameter(value: string | string[] | undefined): CertificateStatus[] | undefined {
  if (value === undefined) return undefined;
  const words = wordsParameter('status', value, [...CERTIFICATE_STATUSES, 'all']);
  return words.includes('all') ? [...CERTIFICATE_STATUSES] : (words as CertificateStatus[]);
}

/** The inventory's own query parameters (docs/extensions.md, "Inventory"). */
export interface InventoryParameters {
  status?: string | string[];
  expiresBefore?: string;
  expiresAfter?: string;
  serial?: string;
  sortBy?: 'createdAt' | 'notAfter';
  orderBy?: 'asc' | 'desc';
}

type InventoryFilters = Omit<InventoryQuery, 'view' | 'username'>;

/** The filters and order the parameters ask for; undefined when none is given (Atlas' own list). */
export function inventoryFilters(query: InventoryParameters): InventoryFilters | undefined {
  const statuses = statusesParameter(query.status);
  const expiresBefore = dateParameter('expiresBefore', query.expiresBefore);
  const expiresAfter = dateParameter('expiresAfter', query.expiresAfter);
  const serials = query.serial === undefined ? undefined : serialSearchCandidates(query.serial);
  if (query.serial !== undefined && serials === undefined) throw new AtlasError('INVALID_QUERY_PARAMETER', 'serial');
  const given = [statuses, expiresBefore, expiresAfter, serials, query.sortBy, query.orderBy];
  if (given.every((value) => value === undefined)) return undefined;
  return {
    ...(statuses ? { statuses } : {}),
    ...(expiresBefore ? { expiresBefore } : {}),
    ...(expiresAfter ? { expiresAfter } : {}),
    ...(serials ? { serials } : {}),
    ...(query.sortBy ? { sortBy: query.sortBy } : {}),
    ...(query.orderBy === 'desc' ? { descending: true } : {}),
  };
}

const COVERAGES: readonly CertificateCoverage[] = ['valid', 'expiring', 'none'];

/** `certificateStatus=valid,expiring,none` (comma-separated or repeated). */
export function coverageParameter(value: string | string[] | undefined): CertificateCoverage[] | undefined {
  return value === undefined ? undefined : wordsParameter('certificateStatus', value, COVERAGES);
}

/** An ISO-8601 date or date-time query parameter. */
export function dateParameter(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/.exec(value);
  const instant = match ? new Date(value) : undefined;
  // JavaScript rolls an impossible day over (Feb 30 → Mar 2); such a date is refused instead.
  const [year, month, day] = (match ?? []).slice(1, 4).map(Number);
  const calendarDate = match ? new Date(Date.UTC(year!, month! - 1, day!)) : undefined;
  const real =
    calendarDate !== undefined && calendarDate.getUTCMonth() === month! - 1 && calendarDate.getUTCDate() === day;
  if (!instant || Number.isNaN(instant.getTime()) || !real) throw new AtlasError('INVALID_QUERY_PARAMETER', name);
  return instant;
}

/** A certificate as the inventory shows it: Atlas' members, then dbcerts' own. */
export function inventoryView(certificate: UserCertificate, now: Date) {
  return {
    _id: certificate.serial,
    createdAt: formatAtlasDate(certificate.createdAt),
    groupId: certificate.groupId,
    keyAlgorithm: certificate.keyAlgorithm,
    notAfter: formatAtlasDate(certificate.notAfter),
    revocationReason: certificate.revocationReason,
    revokedAt: certificate.revokedAt && formatAtlasDate(certificate.revokedAt),
    source: certificate.source,
    status: certificateStatus(certificate, now),
    subject: certificate.subject,
  };
}

/** A certificate in full: the inventory's members, its issuer, validity start, PEM and fingerprint. */
export function detailsView(details: CertificateDetails, now: Date) {
  const { certificate, pem, issuer, user } = details;
  const fingerprint = createHash('sha256').update(certificate.der).digest('hex').toUpperCase();
  return {
    ...inventoryView(certificate, now),
    caId: certificate.caId,
    databaseName: user?.databaseName,
    issuer: issuer.subject,
    notBefore: formatAtlasDate(certificate.notBefore),
    pem,
    sha256Fingerprint: fingerprint.match(/../g)!.join(':'),
    username: user?.username,
  };
}

/** A managed user's coverage: none valid, all ending within the lead time, or one outlasting it. */
export function holderView(holder: CertificateHolder, now: Date, leadTimeDays: number) {
  const leadEnd = now.getTime() + leadTimeDays * DAY_MS;
  const certificateStatus =
    holder.validUntil === undefined ? 'none' : holder.validUntil.getTime() <= leadEnd ? 'expiring' : 'valid';
  return {
    certificateStatus,
    certificates: holder.certificates,
    databaseName: holder.databaseName,
    lastIssuedAt: holder.lastIssuedAt && formatAtlasDate(holder.lastIssuedAt),
    username: holder.username,
    validCertificates: holder.validCertificates,
    validUntil: holder.validUntil && formatAtlasDate(holder.validUntil),
  };
}
