/** Certificates dbcerts has issued, and the CAs that issued them. */

export interface UserCertificate {
  serial: bigint;
  groupId: string;
  userId: string;
  caId: string;
  subject: string;
  keyAlgorithm: string;
  createdAt: Date;
  notBefore: Date;
  notAfter: Date;
  der: Uint8Array;
  /** `generated`: dbcerts made the key pair (and forgot the private key); `csr`: the client kept it. */
  source: 'generated' | 'csr';
  revokedAt?: Date;
  revocationReason?: string;
}

export interface CertificateAuthority {
  id: string;
  groupId: string;
  keyAlgorithm: string;
  subject: string;
  serial: bigint;
  der: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  createdAt: Date;
  retiredAt?: Date;
}

/**
 * The subject of a project's managed CA: readable, unique per project, and after a
 * rotation unique per CA too (`… CA G2`), so CA and CRL lookups by issuer name never
 * confuse an old CA with its successor.
 */
export function managedCaSubject(groupId: string, generation = 1): string {
  const suffix = generation > 1 ? ` G${generation}` : '';
  return `CN=dbcerts Atlas-managed X.509 CA${suffix},OU=${groupId},O=dbcerts`;
}

/** A CA's place in its project's life: the one that signs, an older one still trusted, or a finished one. */
export type CaStatus = 'ACTIVE' | 'RETIRED_TRUSTED' | 'RETIRED';

/** Managed CAs outlive every certificate they can sign (at most 24 months) many times over. */
export const MANAGED_CA_VALIDITY_YEARS = 10;
