import { AtlasError } from '../domain/errors.js';
import { isObjectId, newObjectId } from '../domain/ids.js';
import { type PageRequest, type Page, pageFromRows, pageOffset } from '../domain/pagination.js';
import { checkProjectName, type Project, type ResourceTag } from '../domain/project.js';
import { isUniqueViolation } from '../store/database.js';
import type { Store } from '../store/store.js';
import { accessibleProject, hasPermission, requirePermission } from './access.js';
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
  ) {}

  async list(principal: Principal, page: PageRequest): Promise<Page<Project>> {
    requirePermission(principal, 'ORG_READ');
    const rows = await this.store.projects.listByOrg(principal.orgId, pageOffset(page), page.itemsPerPage + 1);
    const total = page.includeCount ? await this.store.projects.countByOrg(principal.orgId) : undefined;
    return pageFromRows(rows, page, total);
  }

  get(principal: Principal, groupId: string): Promise<Project> {
    return accessibleProject(this.store, principal, groupId, 'PROJECT_READ');
  }

  /**
   * Creates a project in the caller's organization. Atlas requires API keys to name
   * the organization (`orgId`); a key may only create projects in its own.
   */
  async create(principal: Principal, request: NewProject): Promise<Project> {
    // Atlas for Government only: commercial Atlas refuses the field.
    if (request.regionUsageRestrictions !== undefined)
      throw new AtlasError('INVALID_ATTRIBUTE', 'regionUsageRestrictions');
    if (request.orgId === undefined) throw new AtlasError('API_KEY_CREATED_GROUPS_MUST_HAVE_ORG');
    if (!isObjectId(request.orgId) || request.orgId !== principal.orgId) {
      throw new AtlasError('NOT_ORG_GROUP_CREATOR', request.orgId);
    }
    if (!hasPermission(principal, 'ORG_CREATE_PROJECT')) throw new AtlasError('NOT_ORG_GROUP_CREATOR', request.orgId);
    checkProjectName(request.name);
    const now = this.clock.now();
    const project: Project = {
      id: newObjectId(now),
      orgId: request.orgId,
      name: request.name,
      tags: request.tags ?? [],
      createdAt: now,
    };
    try {
      await this.store.projects.insert(project);
    } catch (error) {
      if (isUniqueViolation(error)) throw new AtlasError('GROUP_ALREADY_EXISTS', request.name);
      throw error;
    }
    return project;
  }
}
