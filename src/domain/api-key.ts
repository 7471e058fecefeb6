import { AtlasError } from './errors.js';
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

/** A role of a key in an update: a name, or an assignment as the key was read (`{orgId|groupId, roleName}`). */
export type WrittenRole = string | { groupId?: string; orgId?: string; roleName: string };

/**
 * The role names a key update writes. Assignments of the scope written (the key's
 * organization, or one project) give their names; the others were read along with them
 * and are ignored; one naming another organization or project is refused.
 */
export function writtenRoleNames(
  roles: readonly WrittenRole[],
  scope: { orgId: string } | { groupId: string },
): string[] {
  const names: string[] = [];
  for (const role of roles) {
    if (typeof role === 'string') {
      names.push(role);
      continue;
    }
    if (role.orgId === undefined && role.groupId === undefined) {
      throw new AtlasError('API_KEY_ROLE_ASSIGNMENT_MISSING_ID');
    }
    const [named, ofScope] = 'orgId' in scope ? [role.orgId, scope.orgId] : [role.groupId, scope.groupId];
    if (named === undefined) continue;
    if (named !== ofScope) {
      throw 'orgId' in scope
        ? new AtlasError('INVALID_ATTRIBUTE', 'roles.orgId')
        : new AtlasError('GROUP_MISMATCH', named);
    }
    names.push(role.roleName);
  }
  return names;
}

/** The secrets HTTP Digest needs (HA1 = H(publicKey:realm:privateKey)), per hash algorithm. */
export interface DigestSecrets {
  md5: string;
  sha256: string;
}
