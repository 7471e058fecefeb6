import { AtlasError } from '../domain/errors.js';
import type { UserCertificate } from '../domain/certificate.js';
import { CERTIFICATE_STATUSES, type CertificateStatus, certificateStatus } from '../domain/revocation.js';
import { formatAtlasDate } from '../domain/validity.js';

/** `status=all`, or active/expired/revoked, comma-separated or repeated. */
export function statusesParameter(value: string | string[] | undefined): CertificateStatus[] | undefined {
  if (value === undefined) return undefined;
  const words = [value]
    .flat()
    .flatMap((entry) => entry.split(','))
    .map((word) => word.trim().toLowerCase());
  if (words.includes('all')) return [...CERTIFICATE_STATUSES];
  for (const word of words) {
    if (!(CERTIFICATE_STATUSES as readonly string[]).includes(word))
      throw new AtlasError('INVALID_QUERY_PARAMETER', 'status');
  }
  return [...new Set(words)] as CertificateStatus[];
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
