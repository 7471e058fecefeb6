/**
 * RFC 5280 revocation reasons (CRLReason), by name and code. `certificateHold` and
 * `removeFromCRL` are not offered: dbcerts revocations are final.
 */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

export type RevocationReason = keyof typeof REVOCATION_REASONS;

export function isRevocationReason(value: string): value is RevocationReason {
  return Object.hasOwn(REVOCATION_REASONS, value);
}

export const CERTIFICATE_STATUSES = ['active', 'expired', 'revoked'] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

/** A certificate's state at `now`: revocation wins over expiry. */
export function certificateStatus(certificate: { revokedAt?: Date; notAfter: Date }, now: Date): CertificateStatus {
  if (certificate.revokedAt) return 'revoked';
  return certificate.notAfter.getTime() <= now.getTime() ? 'expired' : 'active';
}

/** How long a CRL is valid; it is reissued at half that age, and on every revocation. */
export const CRL_VALIDITY_MS = 7 * 24 * 60 * 60 * 1000;
