import { AtlasError } from '../domain/errors.js';
import { newObjectId } from '../domain/ids.js';
import { type Page, type PageRequest, pageFromRows, pageOffset } from '../domain/pagination.js';
import { checkProjectName, type Organization, type Project, type ResourceTag } from '../domain/project.js';
import { ATLAS_RATE_LIMITS, bucketKey } from './rate-limits.js';
import type { EndpointSet } from './required-roles.js';
import { effectiveProjectRoles } from '../domain/roles.js';
import { isUniqueViolation } from '../store/database.js';
import type { Store } from '../store/store.js';
import { type AccessControl, seesAllProjects } from './access.js';
import { type AuditTrail, projectScope } from './audit.js';
import type { Clock } from './clock.js';
import type { Principal } from './identities/principal.js';

export interface NewProject {
  name: string;
  orgId?: string;
  tags?: ResourceTag[];
  regionUsageRestrictions?: string;
  withDefaultAlertsSettings?: boolean;
}

/**
 * PATCH /groups/{groupId}: the writable members of Group, and the members naming the
 * project (a client sends back what it read; they must agree with the project).
 */
export interface ProjectUpdate {
  id?: string;
  name?: string;
  orgId?: string;
  tags?: ResourceTag[];
  withDefaultAlertsSettings?: boolean;
}

export class ProjectService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
  ) {}

  /**
   * The projects the caller can see: all of its organization's, or those it is assigned
   * to; with `namePrefix`, those whose name starts with it, ignoring case.
   */
  async list(principal: Principal, page: PageRequest, orgId?: string, namePrefix?: string): Promise<Page<Project>> {
    const org = await this.access.organization(this.store, principal, 'listProjects', orgId);
    const offset = pageOffset(page);
    const { projects } = this.store;
    if (seesAllProjects(principal)) {
      const rows = await projects.listByOrg(org.id, offset, page.itemsPerPage + 1, namePrefix);
      const total = page.includeCount ? await projects.countByOrg(org.id, namePrefix) : undefined;
      return pageFromRows(rows, page, total);
    }
    const assigned = [...principal.projectRoles.keys()];
    const rows = await projects.listByIds(org.id, assigned, offset, page.itemsPerPage + 1, namePrefix);
    const total = page.includeCount ? await projects.countByIds(org.id, assigned, namePrefix) : undefined;
    return pageFromRows(rows, page, total);
  }

  get(principal: Principal, groupId: string): Promise<Project> {
    return this.access.project(this.store, principal, 'getProject', groupId);
  }

  /** A project of the caller's organization by its exact name. */
  async getByName(principal: Principal, name: string): Promise<Project> {
    const project = await this.store.projects.findByName(principal.orgId, name);
    if (!project) throw new AtlasError('GROUP_NAME_NOT_FOUND', name);
    return this.access.project(this.store, principal, 'getProjectByName', project.id);
  }

  /**
   * Renames or re-tags a project. `tags` replaces the whole list. `id` and `orgId` are the
   * project's own (a project moves to another organization by no PATCH);
   * `withDefaultAlertsSettings` is accepted and ignored, as on create.
   */
  async update(principal: Principal, groupId: string, changes: ProjectUpdate): Promise<Project> {
    const project = await this.access.project(this.store, principal, 'updateProject', groupId);
    if (changes.id !== undefined && changes.id !== project.id) throw new AtlasError('GROUP_MISMATCH', changes.id);
    if (changes.orgId !== undefined && changes.orgId !== project.orgId) {
      throw new AtlasError('ATTRIBUTE_READ_ONLY', 'orgId');
    }
    const updated: Project = { ...project, name: changes.name ?? project.name, tags: changes.tags ?? project.tags };
    checkProjectName(updated.name);
    if (updated.name === project.name && JSON.stringify(updated.tags) === JSON.stringify(project.tags)) return project;
    try {
      await this.store.transaction(async (repositories) => {
        await repositories.projects.update(project.id, updated);
        await this.audit.record(repositories, principal, 'DBCERTS_GROUP_UPDATED', projectScope(project));
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new AtlasError('GROUP_ALREADY_EXISTS', updated.name);
      throw error;
    }
    return updated;
  }

  /**
   * Deletes a project, atomically, with everything that exists only for it: its CAs, their
   * certificates and CRLs, its customer CA, expiry alerts and undelivered webhooks,
   * settings, limits, rate-limit buckets, and the keys' and service accounts' roles in it
   * (the keys themselves belong to the organization and stay). Refused while it has
   * database users (409), as Atlas refuses while a project still serves something. Its
   * events stay in the organization's trail, with a GROUP_DELETED event.
   */
  async delete(principal: Principal, groupId: string): Promise<void> {
    const project = await this.access.project(this.store, principal, 'deleteProject', groupId);
    const now = this.clock.now();
    await this.store.transaction(async (repositories) => {
      await repositories.projects.lock(project.id);
      // Another request may have deleted it since the access check.
      if (!(await repositories.projects.find(project.id))) throw new AtlasError('GROUP_NOT_FOUND', project.id);
      await repositories.databaseUsers.purgeExpired(project.id, now);
      if ((await repositories.databaseUsers.count(project.id, now)) > 0) {
        throw new AtlasError('CANNOT_CLOSE_GROUP_ACTIVE_DATABASE_USERS');
      }
      await repositories.certificates.deleteAllOfProject(project.id);
      await repositories.certificateAuthorities.deleteAllOfProject(project.id);
      await repositories.userSecurity.delete(project.id);
      await repositories.alerts.deleteAllOfProject(project.id);
      const sets = Object.keys(ATLAS_RATE_LIMITS) as EndpointSet[];
      await repositories.rateLimitBuckets.delete(sets.map((set) => bucketKey(set, project.id)));
      await repositories.projects.delete(project.id);
      await this.audit.record(repositories, principal, 'GROUP_DELETED', projectScope(project));
    });
  }

  /**
   * Creates a project in the caller's organization. Atlas requires API keys to name the
   * organization (`orgId`). A creator that does not already own every project of the
   * organization becomes Project Owner of the new one, so it can manage what it made.
   */
  async create(principal: Principal, request: NewProject): Promise<Project> {
    // Atlas for Government only: commercial Atlas refuses the field.
    if (request.regionUsageRestrictions !== undefined) {
      throw new AtlasError('INVALID_ATTRIBUTE', 'regionUsageRestrictions');
    }
    if (request.orgId === undefined) throw new AtlasError('API_KEY_CREATED_GROUPS_MUST_HAVE_ORG');
    let org: Organization;
    try {
      org = await this.access.organization(this.store, principal, 'createProject', request.orgId);
    } catch (error) {
      // Another organization's id, or a malformed one: the caller creates nothing there.
      if (error instanceof AtlasError && ['ORG_NOT_FOUND', 'INVALID_ORG_ID'].includes(error.errorCode)) {
        throw new AtlasError('NOT_ORG_GROUP_CREATOR', request.orgId);
      }
      throw error;
    }
    checkProjectName(request.name);
    const now = this.clock.now();
    const project: Project = {
      id: newObjectId(now),
      orgId: org.id,
      name: request.name,
      tags: request.tags ?? [],
      createdAt: now,
    };
    try {
      await this.store.transaction(async (repositories) => {
        await repositories.projects.insert(project);
        if (!projectRolesReachEverywhere(principal)) {
          await repositories.apiKeys.setProjectRoles(principal.apiKeyId, project.id, ['GROUP_OWNER']);
        }
        await this.audit.record(repositories, principal, 'GROUP_CREATED', { orgId: org.id, groupId: project.id });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new AtlasError('GROUP_ALREADY_EXISTS', request.name);
      throw error;
    }
    return project;
  }
}

function projectRolesReachEverywhere(principal: Principal): boolean {
  return effectiveProjectRoles(principal.orgRoles, []).has('GROUP_OWNER');
}
