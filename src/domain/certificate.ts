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

/** The subject of a project's managed CA: readable, and unique per project. */
export function managedCaSubject(groupId: string): string {
  return `CN=dbcerts Atlas-managed X.509 CA,OU=${groupId},O=dbcerts`;
}

/** Managed CAs outlive every certificate they can sign (at most 24 months) many times over. */
export const MANAGED_CA_VALIDITY_YEARS = 10;
