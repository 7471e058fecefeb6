/** Programmatic API keys: Digest credentials scoped to one organization. */

export const ORG_ROLES = [
  'ORG_OWNER',
  'ORG_MEMBER',
  'ORG_GROUP_CREATOR',
  'ORG_BILLING_ADMIN',
  'ORG_BILLING_READ_ONLY',
  'ORG_READ_ONLY',
  'ORG_STREAM_PROCESSING_ADMIN',
] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

export interface ApiKey {
  id: string;
  orgId: string;
  publicKey: string;
  description: string;
  roles: OrgRole[];
  /** The last 12 characters of the private key: Atlas shows keys as `********-****-****-<tail>`. */
  privateKeyTail: string;
  createdAt: Date;
}

/** The secrets HTTP Digest needs (HA1 = H(publicKey:realm:privateKey)), per hash algorithm. */
export interface DigestSecrets {
  md5: string;
  sha256: string;
}
