import { AtlasError } from '../domain/errors.js';
import { isObjectId } from '../domain/ids.js';
import type { Organization, Project } from '../domain/project.js';
import { effectiveProjectRoles } from '../domain/roles.js';
import type { Repositories } from '../store/store.js';
import type { CatalogCache } from './catalog-cache.js';
import type { Principal } from './identities/principal.js';
import type { RateLimiter } from './rate-limits.js';
import {
  meetsRequirement,
  type OrganizationOperation,
  type OrganizationRequirement,
  type ProjectOperation,
  type ProjectRequirement,
  REQUIRED_ROLES,
} from './required-roles.js';

/** The project roles a caller holds in one project (assigned, and brought by its org roles). */
function projectRolesOf(principal: Principal, groupId: string) {
  return effectiveProjectRoles(principal.orgRoles, principal.projectRoles.get(groupId) ?? []);
}

/** True when the caller's organization roles reach every project of its organization. */
export function seesAllProjects(principal: Principal): boolean {
  return effectiveProjectRoles(principal.orgRoles, []).size > 0;
}

/** The project a path names, whoever asks: INVALID_GROUP_ID or GROUP_NOT_FOUND (404) otherwise. */
export async function existingProject(
  repositories: Repositories,
  groupId: string,
  find: (groupId: string) => Promise<Project | undefined> = (id) => repositories.projects.find(id),
): Promise<Project> {
  if (!isObjectId(groupId)) throw new AtlasError('INVALID_GROUP_ID', groupId);
  const project = await find(groupId);
  if (!project) throw new AtlasError('GROUP_NOT_FOUND', groupId);
  return project;
}

/**
 * Applies REQUIRED_ROLES: finds the resource an operation names, refuses callers whose
 * roles fall short with Atlas' answers, and draws the operation's rate-limit token.
 */
export class AccessControl {
  constructor(
    private readonly rateLimiter: RateLimiter,
    /** The projects and users requests name, for the use cases that find them. */
    readonly catalog: CatalogCache,
  ) {}

  private async drawToken(
    principal: Principal,
    requirement: ProjectRequirement | OrganizationRequirement,
    scopeId: string,
  ) {
    const bucket = requirement.bucket === 'project' ? scopeId : principal.apiKeyId;
    const usage = await this.rateLimiter.take(requirement.rateLimit, bucket, principal.resource);
    if (usage) principal.rateLimit = usage;
  }

  /**
   * The project, if the caller may perform `operation` on it. A malformed id is
   * INVALID_GROUP_ID, an unknown one GROUP_NOT_FOUND (404). A caller with no role in the
   * project (including every project of another organization) is NOT_IN_GROUP and one
   * whose roles there fall short USER_UNAUTHORIZED (401, as Atlas answers both).
   */
  async project(
    repositories: Repositories,
    principal: Principal,
    operation: ProjectOperation,
    groupId: string,
  ): Promise<Project> {
    const requirement: ProjectRequirement = REQUIRED_ROLES[operation];
    const generation = this.catalog.generationFor(repositories, principal);
    const project = await existingProject(
      repositories,
      groupId,
      generation === undefined ? undefined : (id) => this.catalog.project(id, generation),
    );
    const held = project.orgId === principal.orgId ? projectRolesOf(principal, groupId) : new Set();
    if (held.size === 0) throw new AtlasError('NOT_IN_GROUP');
    const assigned = principal.projectRoles.get(groupId) ?? [];
    if (!meetsRequirement(requirement, principal.orgRoles, assigned)) throw new AtlasError('USER_UNAUTHORIZED');
    await this.drawToken(principal, requirement, groupId);
    return project;
  }

  /**
   * The organization, if the caller may perform `operation` on it: its own only. A
   * malformed id is INVALID_ORG_ID; another organization, existing or not, is answered as
   * unknown (ORG_NOT_FOUND), so a key learns nothing about other organizations.
   */
  async organization(
    repositories: Repositories,
    principal: Principal,
    operation: OrganizationOperation,
    orgId: string = principal.orgId,
  ): Promise<Organization> {
    const requirement: OrganizationRequirement = REQUIRED_ROLES[operation];
    if (!isObjectId(orgId)) throw new AtlasError('INVALID_ORG_ID', orgId);
    const organization = orgId === principal.orgId ? await repositories.organizations.find(orgId) : undefined;
    if (!organization) throw new AtlasError('ORG_NOT_FOUND', orgId);
    if (!meetsRequirement(requirement, principal.orgRoles, [])) {
      throw requirement.denied === 'NOT_ORG_GROUP_CREATOR'
        ? new AtlasError('NOT_ORG_GROUP_CREATOR', orgId)
        : new AtlasError(requirement.denied ?? 'USER_UNAUTHORIZED');
    }
    await this.drawToken(principal, requirement, orgId);
    return organization;
  }
}
