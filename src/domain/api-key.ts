import type { OrgRole, ProjectRole } from './roles.js';

/** Programmatic API keys: Digest credentials scoped to one organization. */

export interface ApiKey {
  id: string;
  orgId: string;
  publicKey: string;
  description: string;
  roles: OrgRole[];
  /** Project roles, per project the key is assigned to. */
  projectRoles: ProjectRoleAssignment[];
  /** The last 12 characters of the private key: Atlas shows keys as `********-****-****-<tail>`. */
  privateKeyTail: string;
  createdAt: Date;
}

export interface ProjectRoleAssignment {
  groupId: string;
  roles: ProjectRole[];
}

export const MAX_API_KEY_DESCRIPTION_LENGTH = 250;

/** The secrets HTTP Digest needs (HA1 = H(publicKey:realm:privateKey)), per hash algorithm. */
export interface DigestSecrets {
  md5: string;
  sha256: string;
}
