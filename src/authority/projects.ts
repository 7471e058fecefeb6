import { AtlasError } from '../domain/errors.js';
import { newObjectId } from '../domain/ids.js';
import { type Page, type PageRequest, pageFromRows, pageOffset } from '../domain/pagination.js';
import { checkProjectName, type Organization, type Project, type ResourceTag } from '../domain/project.js';
import { effectiveProjectRoles } from '../domain/roles.js';
import { isUniqueViolation } from '../store/database.js';
import type { Store } from '../store/store.js';
import { type AccessControl, seesAllProjects } from './access.js';
import type { AuditTrail } from './audit.js';
import type { Clock } from './clock.js';
import type { Principal } from './principal.js';

export interface NewProject {
  name: string;
  orgId?: string;
  tags?: ResourceTag[];
  regionUsageRestrictions?: string;
  withDefaultAlertsSettings?: boolean;
}

export class ProjectService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
  ) {}

  /** The projects the caller can see: all of its organization's, or those it is assigned to. */
  async list(principal: Principal, page: PageRequest, orgId?: string): Promise<Page<Project>> {
    const org = await this.access.organization(this.store, principal, 'listProjects', orgId);
    const offset = pageOffset(page);
    if (seesAllProjects(principal)) {
      const rows = await this.store.projects.listByOrg(org.id, offset, page.itemsPerPage + 1);
      const total = page.includeCount ? await this.store.projects.countByOrg(org.id) : undefined;
      return pageFromRows(rows, page, total);
    }
    const assigned = [...principal.projectRoles.keys()];
    const rows = await this.store.projects.listByIds(org.id, assigned, offset, page.itemsPerPage + 1);
    const total = page.includeCount ? await this.store.projects.countByIds(org.id, assigned) : undefined;
    return pageFromRows(rows, page, total);
  }

  get(principal: Principal, groupId: string): Promise<Project> {
    return this.access.project(this.store, principal, 'getProject', groupId);
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
