import type { AccessListEntry } from '../domain/access-list.js';
import { canonicalEntryKey } from '../domain/access-list.js';
import { type ApiKey, MAX_API_KEY_DESCRIPTION_LENGTH, type WrittenRole, writtenRoleNames } from '../domain/api-key.js';
import { AtlasError } from '../domain/errors.js';
import type { Page, PageRequest } from '../domain/pagination.js';
import { pageFromRows, pageOffset } from '../domain/pagination.js';
import type { OrgRole } from '../domain/roles.js';
import type { Repositories, Store } from '../store/store.js';
import type { AccessControl } from './access.js';
import { type AuditTrail, projectScope } from './audit.js';
import type { DigestKeys, NewApiKey } from './identities/digest-keys.js';
import type { Principal } from './identities/principal.js';
import {
  keyTarget,
  orgRolesOf,
  projectRolesOf,
  type Reach,
  requireAssignment,
  type RolesAndAccess,
  sameRoles,
  withoutCredentials,
} from './identities/roles-and-access.js';

export type { NewApiKey } from './identities/digest-keys.js';
export type { Reach } from './identities/roles-and-access.js';

export interface ApiKeyRequest {
  desc: string;
  roles: string[];
}

/**
 * An update of a key: what to change, and what names the key when a client sends back the
 * key it read (`id`, `publicKey`: they must be the key's own).
 */
export interface ApiKeyUpdate {
  desc?: string;
  roles?: WrittenRole[];
  id?: string;
  publicKey?: string;
}

/** ATTRIBUTE_READ_ONLY for a member that names another key than the one updated. */
function checkNamesOf(key: Pick<ApiKey, 'id' | 'publicKey'>, request: ApiKeyUpdate): void {
  if (request.id !== undefined && request.id !== key.id) throw new AtlasError('ATTRIBUTE_READ_ONLY', 'id');
  if (request.publicKey !== undefined && request.publicKey !== key.publicKey) {
    throw new AtlasError('ATTRIBUTE_READ_ONLY', 'publicKey');
  }
}

function checkDescription(description: string): void {
  if (description.length < 1 || description.length > MAX_API_KEY_DESCRIPTION_LENGTH) {
    throw new AtlasError('INVALID_ATTRIBUTE', 'desc');
  }
}

/**
 * The API key routes: keys of an organization, keys in projects, and their access lists.
 * Credentials are digest-keys.ts's; roles in projects and access lists are shared with
 * service accounts (roles-and-access.ts). Every change is recorded in the audit trail.
 */
export class ApiKeyService {
  constructor(
    private readonly store: Store,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
    private readonly digestKeys: DigestKeys,
    private readonly rolesAndAccess: RolesAndAccess,
  ) {}

  /** Mints a key of an organization (inside the caller's transaction when given one). */
  mint(orgId: string, description: string, roles: OrgRole[], repositories: Repositories = this.store) {
    return this.digestKeys.mint(orgId, description, roles, repositories);
  }

  private requireKey(repositories: Repositories, orgId: string, apiKeyId: string) {
    return this.rolesAndAccess.require(repositories, orgId, apiKeyId, 'API_KEY');
  }

  // --- organization API keys ---------------------------------------------------------

  async listOrganizationKeys(principal: Principal, orgId: string, page: PageRequest): Promise<Page<ApiKey>> {
    const org = await this.access.organization(this.store, principal, 'listOrganizationApiKeys', orgId);
    const rows = await this.store.apiKeys.listByOrg(org.id, pageOffset(page), page.itemsPerPage + 1, 'API_KEY');
    const total = page.includeCount ? await this.store.apiKeys.countByOrg(org.id, 'API_KEY') : undefined;
    return pageFromRows(rows.map(withoutCredentials), page, total);
  }

  async getOrganizationKey(principal: Principal, orgId: string, apiKeyId: string): Promise<ApiKey> {
    const org = await this.access.organization(this.store, principal, 'getOrganizationApiKey', orgId);
    return withoutCredentials(await this.requireKey(this.store, org.id, apiKeyId));
  }

  async createOrganizationKey(principal: Principal, orgId: string, request: ApiKeyRequest): Promise<NewApiKey> {
    const org = await this.access.organization(this.store, principal, 'createOrganizationApiKey', orgId);
    checkDescription(request.desc);
    const roles = orgRolesOf(request.roles);
    return this.store.transaction(async (repositories) => {
      const created = await this.mint(org.id, request.desc, roles, repositories);
      await this.audit.record(repositories, principal, 'API_KEY_CREATED', { orgId: org.id }, keyTarget(created.key));
      return created;
    });
  }

  async updateOrganizationKey(
    principal: Principal,
    orgId: string,
    apiKeyId: string,
    request: ApiKeyUpdate,
  ): Promise<ApiKey> {
    const org = await this.access.organization(this.store, principal, 'updateOrganizationApiKey', orgId);
    if (request.desc !== undefined) checkDescription(request.desc);
    const roles = request.roles && orgRolesOf(writtenRoleNames(request.roles, { orgId: org.id }));
    return this.store.transaction(async (repositories) => {
      const key = await this.requireKey(repositories, org.id, apiKeyId);
      checkNamesOf(key, request);
      await repositories.apiKeys.update(key.id, {
        ...(request.desc !== undefined ? { description: request.desc } : {}),
        ...(roles ? { roles } : {}),
      });
      const updated = withoutCredentials(await this.requireKey(repositories, org.id, apiKeyId));
      if (request.desc !== undefined && request.desc !== key.description) {
        await this.audit.record(
          repositories,
          principal,
          'API_KEY_DESCRIPTION_CHANGED',
          { orgId: org.id },
          keyTarget(updated),
        );
      }
      if (roles && !sameRoles(roles, key.roles)) {
        await this.audit.record(
          repositories,
          principal,
          'API_KEY_ROLES_CHANGED',
          { orgId: org.id },
          {
            ...keyTarget(updated),
            roles: updated.roles,
          },
        );
      }
      return updated;
    });
  }

  /** Deletes a key: from the next request on, on every instance, it authenticates nothing. */
  async deleteOrganizationKey(principal: Principal, orgId: string, apiKeyId: string): Promise<void> {
    const org = await this.access.organization(this.store, principal, 'deleteOrganizationApiKey', orgId);
    await this.store.transaction(async (repositories) => {
      const key = await this.requireKey(repositories, org.id, apiKeyId);
      await repositories.apiKeys.delete(key.id);
      await this.audit.record(repositories, principal, 'API_KEY_DELETED', { orgId: org.id }, keyTarget(key));
    });
  }

  // --- project API keys --------------------------------------------------------------

  listProjectKeys(principal: Principal, groupId: string, page: PageRequest): Promise<Page<ApiKey>> {
    return this.rolesAndAccess.listInProject(principal, groupId, page, 'API_KEY');
  }

  /** Creates a key of the project's organization (Organization Member) with roles in this project. */
  async createProjectKey(principal: Principal, groupId: string, request: ApiKeyRequest): Promise<NewApiKey> {
    const project = await this.access.project(this.store, principal, 'createProjectApiKey', groupId);
    checkDescription(request.desc);
    const roles = projectRolesOf(request.roles);
    return this.store.transaction(async (repositories) => {
      const created = await this.mint(project.orgId, request.desc, ['ORG_MEMBER'], repositories);
      await repositories.apiKeys.setProjectRoles(created.key.id, groupId, roles);
      const key = { ...created.key, projectRoles: [{ groupId, roles }] };
      await this.audit.record(repositories, principal, 'API_KEY_CREATED', { orgId: project.orgId }, keyTarget(key));
      await this.audit.record(repositories, principal, 'API_KEY_ADDED_TO_GROUP', projectScope(project), {
        ...keyTarget(key),
        roles,
      });
      return { key, privateKey: created.privateKey };
    });
  }

  /**
   * POST /groups/{groupId}/apiKeys/{id} (UserAccessRoleAssignment[]): the key in the
   * project with the roles of every assignment; an assignment's `userId` must be the key's.
   */
  addProjectKey(
    principal: Principal,
    groupId: string,
    apiKeyId: string,
    assignments: ReadonlyArray<{ roles: string[]; userId?: string }>,
  ): Promise<ApiKey> {
    const roles = assignments.flatMap((assignment) => assignment.roles);
    return this.rolesAndAccess.assignToProject(principal, groupId, apiKeyId, roles, 'API_KEY', () => {
      if (assignments.some((assignment) => assignment.userId !== undefined && assignment.userId !== apiKeyId)) {
        throw new AtlasError('ATTRIBUTE_READ_ONLY', 'userId');
      }
    });
  }

  /**
   * PATCH /groups/{groupId}/apiKeys/{id}: the key's roles in the project (assigning it
   * when it is not yet), its description, or both. A description alone needs the key to
   * be in the project already.
   */
  async updateProjectKey(
    principal: Principal,
    groupId: string,
    apiKeyId: string,
    request: ApiKeyUpdate,
  ): Promise<ApiKey> {
    const project = await this.access.project(this.store, principal, 'assignProjectApiKey', groupId);
    if (request.desc === undefined && request.roles === undefined) throw new AtlasError('MISSING_ATTRIBUTE', 'roles');
    if (request.desc !== undefined) checkDescription(request.desc);
    const roles = request.roles && projectRolesOf(writtenRoleNames(request.roles, { groupId: project.id }));
    return this.store.transaction(async (repositories) => {
      const key = await this.requireKey(repositories, project.orgId, apiKeyId);
      checkNamesOf(key, request);
      if (roles) await this.rolesAndAccess.setProjectRoles(repositories, principal, project, key, roles, 'API_KEY');
      else requireAssignment(key, groupId, 'API_KEY');
      if (request.desc !== undefined && request.desc !== key.description) {
        await repositories.apiKeys.update(key.id, { description: request.desc });
        await this.audit.record(
          repositories,
          principal,
          'API_KEY_DESCRIPTION_CHANGED',
          { orgId: project.orgId },
          keyTarget(key),
        );
      }
      return withoutCredentials(await this.requireKey(repositories, project.orgId, apiKeyId));
    });
  }

  removeProjectKey(principal: Principal, groupId: string, apiKeyId: string): Promise<void> {
    return this.rolesAndAccess.removeFromProject(principal, groupId, apiKeyId, 'API_KEY');
  }

  // --- access lists ------------------------------------------------------------------

  listAccessList(
    principal: Principal,
    reach: Reach,
    apiKeyId: string,
    page: PageRequest,
  ): Promise<Page<AccessListEntry>> {
    return this.rolesAndAccess.listAccessList(principal, reach, apiKeyId, page, 'API_KEY');
  }

  async getAccessListEntry(
    principal: Principal,
    orgId: string,
    apiKeyId: string,
    entry: string,
  ): Promise<AccessListEntry> {
    const org = await this.access.organization(this.store, principal, 'getApiKeyAccessListEntry', orgId);
    const key = await this.requireKey(this.store, org.id, apiKeyId);
    const cidrBlock = canonicalEntryKey(entry);
    const found = cidrBlock === undefined ? undefined : await this.store.accessLists.find(key.id, cidrBlock);
    if (!found) throw new AtlasError('ACCESS_LIST_ENTRY_NOT_FOUND', entry, apiKeyId);
    return found;
  }

  /** Adds entries (all or none); the route answers with the whole list, as Atlas does. */
  addAccessListEntries(
    principal: Principal,
    reach: Reach,
    apiKeyId: string,
    requests: Array<{ ipAddress?: string; cidrBlock?: string }>,
  ): Promise<void> {
    return this.rolesAndAccess.addAccessListEntries(principal, reach, apiKeyId, requests, 'API_KEY');
  }

  deleteAccessListEntry(principal: Principal, reach: Reach, apiKeyId: string, entry: string): Promise<void> {
    return this.rolesAndAccess.deleteAccessListEntry(principal, reach, apiKeyId, entry, 'API_KEY');
  }
}
