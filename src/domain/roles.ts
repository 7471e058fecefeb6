/**
 * Atlas' organization and project roles, and what each one implies. Organization roles
 * can reach into projects: an Organization Owner owns every project of the org, an
 * Organization Read Only reads every one. Every project role includes Project Read Only.
 */

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

export const PROJECT_ROLES = [
  'GROUP_OWNER',
  'GROUP_CLUSTER_MANAGER',
  'GROUP_STREAM_PROCESSING_OWNER',
  'GROUP_DATA_ACCESS_ADMIN',
  'GROUP_DATA_ACCESS_READ_WRITE',
  'GROUP_DATA_ACCESS_READ_ONLY',
  'GROUP_DATABASE_ACCESS_ADMIN',
  'GROUP_BACKUP_MANAGER',
  'GROUP_OBSERVABILITY_VIEWER',
  'GROUP_SEARCH_INDEX_EDITOR',
  'GROUP_READ_ONLY',
] as const;
export type ProjectRole = (typeof PROJECT_ROLES)[number];

export type Role = OrgRole | ProjectRole;

export function isOrgRole(value: string): value is OrgRole {
  return (ORG_ROLES as readonly string[]).includes(value);
}

export function isProjectRole(value: string): value is ProjectRole {
  return (PROJECT_ROLES as readonly string[]).includes(value);
}

/** Organization roles each organization role also holds. */
const ORG_IMPLIES: Readonly<Record<OrgRole, readonly OrgRole[]>> = {
  ORG_OWNER: ORG_ROLES,
  ORG_GROUP_CREATOR: ['ORG_MEMBER'],
  ORG_BILLING_ADMIN: ['ORG_MEMBER', 'ORG_BILLING_READ_ONLY'],
  ORG_BILLING_READ_ONLY: ['ORG_MEMBER'],
  ORG_READ_ONLY: ['ORG_MEMBER'],
  ORG_STREAM_PROCESSING_ADMIN: ['ORG_MEMBER'],
  ORG_MEMBER: [],
};

/** Project roles an organization role holds in every project of its organization. */
const ORG_GRANTS_IN_PROJECTS: Readonly<Record<OrgRole, readonly ProjectRole[]>> = {
  ORG_OWNER: ['GROUP_OWNER'],
  ORG_READ_ONLY: ['GROUP_READ_ONLY'],
  ORG_STREAM_PROCESSING_ADMIN: ['GROUP_STREAM_PROCESSING_OWNER'],
  ORG_GROUP_CREATOR: [],
  ORG_BILLING_ADMIN: [],
  ORG_BILLING_READ_ONLY: [],
  ORG_MEMBER: [],
};

/** Project roles each project role also holds. */
const PROJECT_IMPLIES: Readonly<Record<ProjectRole, readonly ProjectRole[]>> = {
  GROUP_OWNER: PROJECT_ROLES,
  GROUP_DATA_ACCESS_ADMIN: ['GROUP_DATA_ACCESS_READ_WRITE', 'GROUP_DATA_ACCESS_READ_ONLY', 'GROUP_READ_ONLY'],
  GROUP_DATA_ACCESS_READ_WRITE: ['GROUP_DATA_ACCESS_READ_ONLY', 'GROUP_READ_ONLY'],
  GROUP_DATA_ACCESS_READ_ONLY: ['GROUP_READ_ONLY'],
  GROUP_CLUSTER_MANAGER: ['GROUP_READ_ONLY'],
  GROUP_STREAM_PROCESSING_OWNER: ['GROUP_READ_ONLY'],
  GROUP_DATABASE_ACCESS_ADMIN: ['GROUP_READ_ONLY'],
  GROUP_BACKUP_MANAGER: ['GROUP_READ_ONLY'],
  GROUP_OBSERVABILITY_VIEWER: ['GROUP_READ_ONLY'],
  GROUP_SEARCH_INDEX_EDITOR: ['GROUP_READ_ONLY'],
  GROUP_READ_ONLY: [],
};

/** Every organization role the given ones hold, directly or by implication. */
export function effectiveOrgRoles(roles: readonly OrgRole[]): Set<OrgRole> {
  const held = new Set<OrgRole>();
  for (const role of roles) {
    held.add(role);
    for (const implied of ORG_IMPLIES[role]) held.add(implied);
  }
  return held;
}

/**
 * Every project role held in one project: the roles assigned there, those the
 * organization roles bring into every project, and everything they imply.
 */
export function effectiveProjectRoles(
  orgRoles: readonly OrgRole[],
  projectRoles: readonly ProjectRole[],
): Set<ProjectRole> {
  const direct = [...projectRoles, ...orgRoles.flatMap((role) => ORG_GRANTS_IN_PROJECTS[role])];
  const held = new Set<ProjectRole>();
  for (const role of direct) {
    held.add(role);
    for (const implied of PROJECT_IMPLIES[role]) held.add(implied);
  }
  return held;
}
