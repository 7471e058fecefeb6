import type { OrgRole } from '../domain/api-key.js';
import { AtlasError } from '../domain/errors.js';
import { isObjectId } from '../domain/ids.js';
import type { Project } from '../domain/project.js';
import type { Repositories } from '../store/store.js';
import type { Principal } from './principal.js';

/**
 * What an operation needs of its caller. Organization roles imply project roles the
 * way Atlas defines them: an Organization Owner owns every project of the org.
 */
export type Permission =
  'ORG_READ' | 'ORG_CREATE_PROJECT' | 'PROJECT_READ' | 'PROJECT_DATABASE_ACCESS' | 'PROJECT_OWNER';

const GRANTS: Readonly<Record<OrgRole, readonly Permission[]>> = {
  ORG_OWNER: ['ORG_READ', 'ORG_CREATE_PROJECT', 'PROJECT_READ', 'PROJECT_DATABASE_ACCESS', 'PROJECT_OWNER'],
  ORG_GROUP_CREATOR: ['ORG_READ', 'ORG_CREATE_PROJECT'],
  ORG_READ_ONLY: ['ORG_READ', 'PROJECT_READ'],
  ORG_MEMBER: ['ORG_READ'],
  ORG_BILLING_ADMIN: ['ORG_READ'],
  ORG_BILLING_READ_ONLY: ['ORG_READ'],
  ORG_STREAM_PROCESSING_ADMIN: ['ORG_READ'],
};

export function hasPermission(principal: Principal, permission: Permission): boolean {
  return principal.orgRoles.some((role) => GRANTS[role]?.includes(permission));
}

export function requirePermission(principal: Principal, permission: Permission): void {
  if (!hasPermission(principal, permission)) throw new AtlasError('USER_UNAUTHORIZED');
}

/**
 * The project a request names, if the caller may act on it. A malformed id is
 * Atlas' INVALID_GROUP_ID, an unknown one GROUP_NOT_FOUND (404); a project of another
 * organization is NOT_IN_GROUP (401), as Atlas answers keys that are not members.
 */
export async function accessibleProject(
  repositories: Repositories,
  principal: Principal,
  groupId: string,
  permission: Permission,
): Promise<Project> {
  if (!isObjectId(groupId)) throw new AtlasError('INVALID_GROUP_ID', groupId);
  const project = await repositories.projects.find(groupId);
  if (!project) throw new AtlasError('GROUP_NOT_FOUND', groupId);
  if (project.orgId !== principal.orgId) throw new AtlasError('NOT_IN_GROUP');
  requirePermission(principal, permission);
  return project;
}
