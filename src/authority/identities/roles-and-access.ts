import { type AccessListEntry, accessListEntryFrom, canonicalEntryKey } from '../../domain/access-list.js';
import type { ApiKey } from '../../domain/api-key.js';
import { AtlasError, type AtlasErrorCode } from '../../domain/errors.js';
import type { EventType } from '../../domain/events.js';
import { isObjectId } from '../../domain/ids.js';
import { type Page, type PageRequest, pageFromRows, pageOffset } from '../../domain/pagination.js';
import type { Project } from '../../domain/project.js';
import { isOrgRole, isProjectRole, type OrgRole, type ProjectRole } from '../../domain/roles.js';
import { clientIdOf } from '../../domain/service-account.js';
import { isUniqueViolation } from '../../store/database.js';
import type { StoredApiKey } from '../../store/repositories/api-keys.js';
import type { Repositories, Store } from '../../store/store.js';
import type { AccessControl } from '../access.js';
import { type AuditTrail, projectScope } from '../audit.js';
import type { Clock } from '../clock.js';
import type { OrganizationOperation, ProjectOperation } from '../required-roles.js';
import type { IdentityKind, IdentityRecord, Principal } from './principal.js';

/**
 * What both kinds of identity hold alike: organization roles, roles in projects, and an
 * access list. The operations differ only in the names they answer and record under
 * (error codes, REQUIRED_ROLES operations, event types), which each kind's profile gives.
 */

interface IdentityProfile {
  /** How errors name an identity: its id, or a service account's client id. */
  label(id: string): string;
  invalidId: AtlasErrorCode;
  notFound: AtlasErrorCode;
  operations: {
    listAccessList: OrganizationOperation;
    addAccessListEntries: OrganizationOperation;
    deleteAccessListEntry: OrganizationOperation;
    listProject: ProjectOperation;
    /** Adds the identity to a project with roles (or replaces its roles there). */
    addProject: ProjectOperation;
    removeProject: ProjectOperation;
  };
  events: {
    rolesChanged: EventType;
    addedToGroup: EventType;
    removedFromGroup: EventType;
    accessListEntryAdded: EventType;
    accessListEntryDeleted: EventType;
  };
}

const PROFILES: Record<IdentityKind, IdentityProfile> = {
  API_KEY: {
    label: (id) => id,
    invalidId: 'INVALID_API_KEY_ID',
    notFound: 'API_KEY_NOT_FOUND',
    operations: {
      listAccessList: 'listApiKeyAccessListEntries',
      addAccessListEntries: 'createApiKeyAccessListEntries',
      deleteAccessListEntry: 'deleteApiKeyAccessListEntry',
      listProject: 'listProjectApiKeys',
      addProject: 'addProjectApiKey',
      removeProject: 'removeProjectApiKey',
    },
    events: {
      rolesChanged: 'API_KEY_ROLES_CHANGED',
      addedToGroup: 'API_KEY_ADDED_TO_GROUP',
      removedFromGroup: 'API_KEY_REMOVED_FROM_GROUP',
      accessListEntryAdded: 'API_KEY_ACCESS_LIST_ENTRY_ADDED',
      accessListEntryDeleted: 'API_KEY_ACCESS_LIST_ENTRY_DELETED',
    },
  },
  SERVICE_ACCOUNT: {
    label: clientIdOf,
    invalidId: 'INVALID_SERVICE_ACCOUNT_CLIENT_ID',
    notFound: 'SERVICE_ACCOUNT_NOT_FOUND',
    operations: {
      listAccessList: 'listServiceAccountAccessListEntries',
      addAccessListEntries: 'createServiceAccountAccessListEntries',
      deleteAccessListEntry: 'deleteServiceAccountAccessListEntry',
      listProject: 'listProjectServiceAccounts',
      addProject: 'addProjectServiceAccount',
      removeProject: 'removeProjectServiceAccount',
    },
    events: {
      rolesChanged: 'SERVICE_ACCOUNT_ROLES_CHANGED',
      addedToGroup: 'SERVICE_ACCOUNT_ADDED_TO_GROUP',
      removedFromGroup: 'SERVICE_ACCOUNT_REMOVED_FROM_GROUP',
      accessListEntryAdded: 'SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_ADDED',
      accessListEntryDeleted: 'SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_DELETED',
    },
  },
};

/**
 * Where a request reaches an identity from: its organization's paths, or the paths of a
 * project it is assigned to (Atlas' project service-account routes).
 */
export type Reach = { orgId: string } | { groupId: string; operation: ProjectOperation };

/** A reach whose access has been checked: the identity's organization, and the project if any. */
export interface Reached {
  orgId: string;
  project?: Project;
}

/** What admits an authenticated identity's request besides its credential. */
export interface AccessRules {
  /** Its access list: when not empty, requests must come from one of these. */
  entries: AccessListEntry[];
  /** Its organization requires an access list (and the identity has none). */
  accessListRequired: boolean;
}

/** The identity without its sealed Digest secrets (empty for a service account). */
export function withoutCredentials(stored: StoredApiKey): IdentityRecord {
  const { sealedDigestHa1Md5: _md5, sealedDigestHa1Sha256: _sha256, ...record } = stored;
  return record;
}

export function keyTarget(key: Pick<ApiKey, 'id' | 'publicKey'>) {
  return { targetApiKeyId: key.id, targetPublicKey: key.publicKey };
}

function distinct<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

export function orgRolesOf(roles: readonly string[]): OrgRole[] {
  if (roles.length === 0) throw new AtlasError('MISSING_ATTRIBUTE', 'roles');
  for (const role of roles) {
    if (isProjectRole(role)) throw new AtlasError('INVALID_ROLE_FOR_ORG', role);
    if (!isOrgRole(role)) throw new AtlasError('INVALID_ENUM_VALUE', role);
  }
  return distinct(roles as OrgRole[]);
}

export function projectRolesOf(roles: readonly string[]): ProjectRole[] {
  if (roles.length === 0) throw new AtlasError('MISSING_ATTRIBUTE', 'roles');
  for (const role of roles) {
    if (isOrgRole(role)) throw new AtlasError('INVALID_ROLE_FOR_GROUP', role);
    if (!isProjectRole(role)) throw new AtlasError('INVALID_ENUM_VALUE', role);
  }
  return distinct(roles as ProjectRole[]);
}

/** True when the two role lists hold the same roles. */
export function sameRoles(a: readonly string[], b: readonly string[]): boolean {
  return [...a].sort().join() === [...b].sort().join();
}

/** API_KEY_NOT_IN_GROUP unless the identity is assigned to the project (Atlas' code for both kinds). */
export function requireAssignment(identity: ApiKey, groupId: string, kind: IdentityKind): void {
  if (!identity.projectRoles.some((assignment) => assignment.groupId === groupId)) {
    throw new AtlasError('API_KEY_NOT_IN_GROUP', PROFILES[kind].label(identity.id), groupId);
  }
}

/**
 * Roles in projects and access lists of identities of either kind. Every change is
 * recorded in the audit trail under the kind's event types.
 */
export class RolesAndAccess {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
  ) {}

  /** The identity of this kind an organization's path names (the kind's invalid-id and not-found codes otherwise). */
  async require(repositories: Repositories, orgId: string, id: string, kind: IdentityKind): Promise<StoredApiKey> {
    const profile = PROFILES[kind];
    if (!isObjectId(id)) throw new AtlasError(profile.invalidId, profile.label(id));
    const identity = await repositories.apiKeys.find(orgId, id, kind);
    if (!identity) throw new AtlasError(profile.notFound, profile.label(id));
    return identity;
  }

  /**
   * Checks the caller may perform an operation on an identity reached from `reach`: the
   * organization operation given, or the project operation the reach names.
   */
  async reach(principal: Principal, reach: Reach, orgOperation: OrganizationOperation): Promise<Reached> {
    if ('orgId' in reach) {
      return { orgId: (await this.access.organization(this.store, principal, orgOperation, reach.orgId)).id };
    }
    const project = await this.access.project(this.store, principal, reach.operation, reach.groupId);
    return { orgId: project.orgId, project };
  }

  /** The identity a reached path names; through a project, only one assigned to it. */
  async requireReached(
    repositories: Repositories,
    reached: Reached,
    id: string,
    kind: IdentityKind,
  ): Promise<StoredApiKey> {
    const identity = await this.require(repositories, reached.orgId, id, kind);
    if (reached.project) requireAssignment(identity, reached.project.id, kind);
    return identity;
  }

  /** An identity's access list and its organization's requirement of one, as admission applies them. */
  async accessRules(identity: Pick<ApiKey, 'id' | 'orgId'>): Promise<AccessRules> {
    const entries = await this.store.accessLists.all(identity.id);
    const accessListRequired =
      entries.length === 0 && ((await this.store.organizations.find(identity.orgId))?.apiAccessListRequired ?? false);
    return { entries, accessListRequired };
  }

  // --- roles in projects ---------------------------------------------------------------

  async listInProject(
    principal: Principal,
    groupId: string,
    page: PageRequest,
    kind: IdentityKind,
  ): Promise<Page<IdentityRecord>> {
    await this.access.project(this.store, principal, PROFILES[kind].operations.listProject, groupId);
    const rows = await this.store.apiKeys.listByProject(groupId, pageOffset(page), page.itemsPerPage + 1, kind);
    const total = page.includeCount ? await this.store.apiKeys.countByProject(groupId, kind) : undefined;
    return pageFromRows(rows.map(withoutCredentials), page, total);
  }

  /** Sets an identity's roles in a project (inside the caller's transaction), on record. */
  async setProjectRoles(
    repositories: Repositories,
    principal: Principal,
    project: Project,
    identity: ApiKey,
    roles: ProjectRole[],
    kind: IdentityKind,
  ): Promise<void> {
    const before = identity.projectRoles.find((assignment) => assignment.groupId === project.id);
    await repositories.apiKeys.setProjectRoles(identity.id, project.id, roles);
    const { events } = PROFILES[kind];
    const type = before ? events.rolesChanged : events.addedToGroup;
    await this.audit.record(repositories, principal, type, projectScope(project), { ...keyTarget(identity), roles });
  }

  /**
   * Assigns an organization's identity to the project with exactly these roles (or
   * changes them). `checkRequest` refuses a malformed request once the caller is known
   * to be allowed to make it.
   */
  async assignToProject(
    principal: Principal,
    groupId: string,
    id: string,
    requestedRoles: string[],
    kind: IdentityKind,
    checkRequest?: () => void,
  ): Promise<IdentityRecord> {
    const project = await this.access.project(this.store, principal, PROFILES[kind].operations.addProject, groupId);
    checkRequest?.();
    const roles = projectRolesOf(requestedRoles);
    return this.store.transaction(async (repositories) => {
      const identity = await this.require(repositories, project.orgId, id, kind);
      await this.setProjectRoles(repositories, principal, project, identity, roles, kind);
      return withoutCredentials(await this.require(repositories, project.orgId, id, kind));
    });
  }

  async removeFromProject(principal: Principal, groupId: string, id: string, kind: IdentityKind): Promise<void> {
    const profile = PROFILES[kind];
    const project = await this.access.project(this.store, principal, profile.operations.removeProject, groupId);
    await this.store.transaction(async (repositories) => {
      const identity = await this.require(repositories, project.orgId, id, kind);
      if (!(await repositories.apiKeys.removeFromProject(identity.id, groupId))) {
        throw new AtlasError('API_KEY_NOT_IN_GROUP', profile.label(id), groupId);
      }
      await this.audit.record(
        repositories,
        principal,
        profile.events.removedFromGroup,
        projectScope(project),
        keyTarget(identity),
      );
    });
  }

  // --- access lists --------------------------------------------------------------------

  async listAccessList(
    principal: Principal,
    reach: Reach,
    id: string,
    page: PageRequest,
    kind: IdentityKind,
  ): Promise<Page<AccessListEntry>> {
    const reached = await this.reach(principal, reach, PROFILES[kind].operations.listAccessList);
    const identity = await this.requireReached(this.store, reached, id, kind);
    const rows = await this.store.accessLists.list(identity.id, pageOffset(page), page.itemsPerPage + 1);
    const total = page.includeCount ? await this.store.accessLists.count(identity.id) : undefined;
    return pageFromRows(rows, page, total);
  }

  /** Adds entries (all or none); the routes answer with the whole list, as Atlas does. */
  async addAccessListEntries(
    principal: Principal,
    reach: Reach,
    id: string,
    requests: Array<{ ipAddress?: string; cidrBlock?: string }>,
    kind: IdentityKind,
  ): Promise<void> {
    const profile = PROFILES[kind];
    const reached = await this.reach(principal, reach, profile.operations.addAccessListEntries);
    const entries = requests.map(accessListEntryFrom);
    const now = this.clock.now();
    await this.store.transaction(async (repositories) => {
      const identity = await this.requireReached(repositories, reached, id, kind);
      const seen = new Set<string>();
      for (const entry of entries) {
        if (seen.has(entry.cidrBlock)) continue;
        seen.add(entry.cidrBlock);
        try {
          await repositories.accessLists.insert(identity.id, { ...entry, createdAt: now });
        } catch (error) {
          if (isUniqueViolation(error)) {
            throw new AtlasError('DUPLICATE_ACCESS_LIST_ENTRY', entry.cidrBlock, profile.label(identity.id));
          }
          throw error;
        }
        await this.audit.record(
          repositories,
          principal,
          profile.events.accessListEntryAdded,
          { orgId: reached.orgId },
          {
            ...keyTarget(identity),
            accessListEntry: entry.ipAddress ?? entry.cidrBlock,
          },
        );
      }
    });
  }

  async deleteAccessListEntry(
    principal: Principal,
    reach: Reach,
    id: string,
    entry: string,
    kind: IdentityKind,
  ): Promise<void> {
    const profile = PROFILES[kind];
    const reached = await this.reach(principal, reach, profile.operations.deleteAccessListEntry);
    await this.store.transaction(async (repositories) => {
      const identity = await this.requireReached(repositories, reached, id, kind);
      const cidrBlock = canonicalEntryKey(entry);
      const stored = cidrBlock === undefined ? undefined : await repositories.accessLists.find(identity.id, cidrBlock);
      if (!stored) throw new AtlasError('ACCESS_LIST_ENTRY_NOT_FOUND', entry, profile.label(id));
      await repositories.accessLists.delete(identity.id, stored.cidrBlock);
      // Named as it was added, however the request spelled it.
      await this.audit.record(
        repositories,
        principal,
        profile.events.accessListEntryDeleted,
        { orgId: reached.orgId },
        {
          ...keyTarget(identity),
          accessListEntry: stored.ipAddress ?? stored.cidrBlock,
        },
      );
    });
  }
}
