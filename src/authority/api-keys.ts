import { createHash, timingSafeEqual } from 'node:crypto';
import { type AccessListEntry, accessListEntryFrom, admittingEntry, canonicalEntryKey } from '../domain/access-list.js';
import {
  type ApiKey,
  type DigestSecrets,
  MAX_API_KEY_DESCRIPTION_LENGTH,
  type WrittenRole,
  writtenRoleNames,
} from '../domain/api-key.js';
import { AtlasError, type AtlasErrorCode } from '../domain/errors.js';
import type { EventType } from '../domain/events.js';
import { isObjectId, newObjectId, newPrivateApiKey, newPublicApiKey } from '../domain/ids.js';
import { canonicalAddress } from '../domain/ip-address.js';
import { type Page, type PageRequest, pageFromRows, pageOffset } from '../domain/pagination.js';
import type { Project } from '../domain/project.js';
import { isOrgRole, isProjectRole, type OrgRole, type ProjectRole } from '../domain/roles.js';
import type { SecretBox } from '../pki/secret-box.js';
import { isUniqueViolation } from '../store/database.js';
import type { IdentityKind, StoredApiKey } from '../store/repositories/api-keys.js';
import type { Repositories, Store } from '../store/store.js';
import type { AccessControl } from './access.js';
import type { OrganizationOperation, ProjectOperation } from './required-roles.js';
import { type AuditTrail, projectScope } from './audit.js';
import type { Clock } from './clock.js';
import type { Principal } from './principal.js';

/** Authenticated identities kept in memory. */
const IDENTITY_CACHE_SIZE = 10_000;

/** The realm Atlas names in its Digest challenge; it is part of every stored HA1. */
const DIGEST_REALM = 'MMS Public API';

function digestHa1(algorithm: 'md5' | 'sha256', publicKey: string, privateKey: string): string {
  return createHash(algorithm).update(`${publicKey}:${DIGEST_REALM}:${privateKey}`).digest('hex');
}

function sealContext(keyId: string, algorithm: string): string {
  return `api_keys.digest_ha1_${algorithm}:${keyId}`;
}

export interface NewApiKey {
  key: ApiKey;
  /** Shown once, to whoever created the key; only its Digest HA1 is kept (sealed). */
  privateKey: string;
}

/** What admits an authenticated key's request besides its credentials. */
export interface AccessRules {
  /** Its access list: when not empty, requests must come from one of these. */
  entries: AccessListEntry[];
  /** Its organization requires an access list (and the key has none). */
  accessListRequired: boolean;
}

export interface DigestIdentity {
  apiKey: ApiKey;
  secrets: DigestSecrets;
  access: AccessRules;
}

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

/**
 * Where a request reaches a programmatic identity from: its organization's paths, or the
 * paths of a project it is assigned to (Atlas' project service-account routes).
 */
export type Reach = { orgId: string } | { groupId: string; operation: ProjectOperation };

/** A reach whose access has been checked: the identity's organization, and the project if any. */
export interface Reached {
  orgId: string;
  project?: Project;
}

/**
 * What differs between the two kinds of programmatic identity (API keys and service
 * accounts) in the operations they share: roles in projects, and access lists.
 */
export interface IdentityFlavor {
  kind: IdentityKind;
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

const API_KEYS: IdentityFlavor = {
  kind: 'API_KEY',
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
};

/** The key without its sealed Digest secrets (a service account keeps its `name`). */
function withoutSecrets(stored: StoredApiKey): ApiKey & { name?: string } {
  const { sealedDigestHa1Md5: _md5, sealedDigestHa1Sha256: _sha256, ...key } = stored;
  return key;
}

function checkDescription(description: string): void {
  if (description.length < 1 || description.length > MAX_API_KEY_DESCRIPTION_LENGTH) {
    throw new AtlasError('INVALID_ATTRIBUTE', 'desc');
  }
}

function distinct<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

/**
 * Programmatic API keys: who holds them, what they may do (organization roles, project
 * roles), and where from (access lists). Every change is recorded in the audit trail.
 */
export class ApiKeyService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly secrets: SecretBox,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
  ) {}

  /** Mints a key of an organization (inside the caller's transaction when given one). */
  async mint(
    orgId: string,
    description: string,
    roles: OrgRole[],
    repositories: Repositories = this.store,
  ): Promise<NewApiKey> {
    const now = this.clock.now();
    const privateKey = newPrivateApiKey();
    const publicKey = newPublicApiKey();
    const id = newObjectId(now);
    const seal = (algorithm: 'md5' | 'sha256') =>
      this.secrets.seal(Buffer.from(digestHa1(algorithm, publicKey, privateKey)), sealContext(id, algorithm));
    const stored: StoredApiKey = {
      id,
      orgId,
      publicKey,
      description,
      roles: distinct(roles),
      projectRoles: [],
      privateKeyTail: privateKey.slice(-12),
      createdAt: now,
      sealedDigestHa1Md5: seal('md5'),
      sealedDigestHa1Sha256: seal('sha256'),
    };
    await repositories.apiKeys.insert(stored);
    return { key: withoutSecrets(stored), privateKey };
  }

  /**
   * Identities by public key, each as read at one identity generation. The generation is
   * read on every request (one indexed row) and moves with any change to a key, its
   * secrets, roles or access list, on any process or instance: a cached identity is used
   * only while nothing it was built from has changed, and a deleted key stops working at
   * once. The generation is read before the identity, so an identity is never filed under
   * a generation newer than what it was read from.
   */
  readonly #identities = new Map<string, { generation: bigint; identity: DigestIdentity }>();

  /** The key, the secrets Digest needs to check a request signed with `publicKey`, and what admits it. */
  async digestIdentity(publicKey: string): Promise<DigestIdentity | undefined> {
    const generation = await this.store.apiKeys.identityGeneration();
    const cached = this.#identities.get(publicKey);
    if (cached?.generation === generation) return cached.identity;
    this.#identities.delete(publicKey);
    const key = await this.store.apiKeys.findByPublicKey(publicKey);
    if (!key) return undefined;
    const identity: DigestIdentity = {
      apiKey: withoutSecrets(key),
      secrets: {
        md5: this.secrets.open(key.sealedDigestHa1Md5, sealContext(key.id, 'md5')).toString(),
        sha256: this.secrets.open(key.sealedDigestHa1Sha256, sealContext(key.id, 'sha256')).toString(),
      },
      access: await this.#accessRules(key),
    };
    if (this.#identities.size >= IDENTITY_CACHE_SIZE) this.#identities.delete(this.#identities.keys().next().value!);
    this.#identities.set(publicKey, { generation, identity });
    return identity;
  }

  async #accessRules(apiKey: ApiKey): Promise<AccessRules> {
    const entries = await this.store.accessLists.all(apiKey.id);
    const accessListRequired =
      entries.length === 0 && ((await this.store.organizations.find(apiKey.orgId))?.apiAccessListRequired ?? false);
    return { entries, accessListRequired };
  }

  /**
   * Admits an authenticated key's request from `address`: a key with an access list may
   * only be used from its entries (IP_ADDRESS_NOT_ON_ACCESS_LIST); a key without one is
   * refused when its organization requires one (RESOURCE_REQUIRES_ACCESS_LIST). Both
   * 403s carry the caller's address. The admitting entry's use is recorded.
   */
  async admit(
    apiKey: ApiKey,
    remoteAddress: string,
    request: { method: string; resource: string },
    access?: AccessRules,
  ): Promise<Principal> {
    const address = canonicalAddress(remoteAddress);
    const actor = { apiKeyId: apiKey.id, publicKey: apiKey.publicKey, remoteAddress: address };
    const refuse = async (error: AtlasError): Promise<never> => {
      const target = { method: request.method, path: `/${request.resource}`, status: error.status };
      await this.store.events.insert(
        this.audit.event(actor, 'DBCERTS_REQUEST_REFUSED', { orgId: apiKey.orgId }, target, 'FAILURE', error.errorCode),
      );
      throw error;
    };
    const { entries, accessListRequired } = access ?? (await this.#accessRules(apiKey));
    if (entries.length > 0) {
      const entry = admittingEntry(entries, address);
      if (!entry) return refuse(new AtlasError('IP_ADDRESS_NOT_ON_ACCESS_LIST', address));
      await this.store.accessLists.recordUse(apiKey.id, entry.cidrBlock, this.clock.now(), address);
    } else if (accessListRequired) {
      return refuse(new AtlasError('RESOURCE_REQUIRES_ACCESS_LIST', address));
    }
    const resource = request.resource;
    return {
      kind: 'apiKey',
      apiKeyId: apiKey.id,
      publicKey: apiKey.publicKey,
      remoteAddress: address,
      orgId: apiKey.orgId,
      orgRoles: apiKey.roles,
      projectRoles: new Map(apiKey.projectRoles.map((assignment) => [assignment.groupId, assignment.roles])),
      resource,
    };
  }

  /** True when the pair is a live key (constant-time in the private key). */
  async verify(publicKey: string, privateKey: string): Promise<boolean> {
    const identity = await this.digestIdentity(publicKey);
    if (!identity) return false;
    const expected = Buffer.from(identity.secrets.md5);
    const actual = Buffer.from(digestHa1('md5', publicKey, privateKey));
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  /**
   * The live API key a public and private key pair names, or undefined: the private key
   * is checked against the key's sealed Digest HA1 (MD5), in constant time, and an
   * unknown public key costs the same comparison.
   */
  async verifyApiKeySecret(publicKey: string, privateKey: string): Promise<ApiKey | undefined> {
    const identity = await this.digestIdentity(publicKey);
    const actual = Buffer.from(digestHa1('md5', publicKey, privateKey));
    const expected = Buffer.from(identity?.secrets.md5 ?? '0'.repeat(actual.length));
    const equal = expected.length === actual.length && timingSafeEqual(expected, actual);
    return identity && equal ? identity.apiKey : undefined;
  }

  // --- organization API keys ---------------------------------------------------------

  async requireKey(
    repositories: Repositories,
    orgId: string,
    apiKeyId: string,
    flavor: IdentityFlavor = API_KEYS,
  ): Promise<StoredApiKey> {
    if (!isObjectId(apiKeyId)) throw new AtlasError(flavor.invalidId, flavor.label(apiKeyId));
    const key = await repositories.apiKeys.find(orgId, apiKeyId, flavor.kind);
    if (!key) throw new AtlasError(flavor.notFound, flavor.label(apiKeyId));
    return key;
  }

  async listOrganizationKeys(principal: Principal, orgId: string, page: PageRequest): Promise<Page<ApiKey>> {
    const org = await this.access.organization(this.store, principal, 'listOrganizationApiKeys', orgId);
    const rows = await this.store.apiKeys.listByOrg(org.id, pageOffset(page), page.itemsPerPage + 1);
    const total = page.includeCount ? await this.store.apiKeys.countByOrg(org.id) : undefined;
    return pageFromRows(rows.map(withoutSecrets), page, total);
  }

  async getOrganizationKey(principal: Principal, orgId: string, apiKeyId: string): Promise<ApiKey> {
    const org = await this.access.organization(this.store, principal, 'getOrganizationApiKey', orgId);
    return withoutSecrets(await this.requireKey(this.store, org.id, apiKeyId));
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
      const updated = withoutSecrets(await this.requireKey(repositories, org.id, apiKeyId));
      if (request.desc !== undefined && request.desc !== key.description) {
        await this.audit.record(
          repositories,
          principal,
          'API_KEY_DESCRIPTION_CHANGED',
          { orgId: org.id },
          keyTarget(updated),
        );
      }
      if (roles && [...roles].sort().join() !== [...key.roles].sort().join()) {
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

  async listProjectKeys(
    principal: Principal,
    groupId: string,
    page: PageRequest,
    flavor: IdentityFlavor = API_KEYS,
  ): Promise<Page<ApiKey>> {
    await this.access.project(this.store, principal, flavor.operations.listProject, groupId);
    const rows = await this.store.apiKeys.listByProject(groupId, pageOffset(page), page.itemsPerPage + 1, flavor.kind);
    const total = page.includeCount ? await this.store.apiKeys.countByProject(groupId, flavor.kind) : undefined;
    return pageFromRows(rows.map(withoutSecrets), page, total);
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
   * Assigns an organization key to the project with exactly these roles (or changes them);
   * `operation` is the route's (PATCH …/apiKeys/{id}, POST …/apiKeys/{id}, POST …:invite).
   */
  async assignProjectKey(
    principal: Principal,
    groupId: string,
    apiKeyId: string,
    requestedRoles: string[],
    flavor: IdentityFlavor = API_KEYS,
    operation: ProjectOperation = flavor.operations.addProject,
    checkRequest: () => void = () => {},
  ): Promise<ApiKey> {
    const project = await this.access.project(this.store, principal, operation, groupId);
    checkRequest();
    const roles = projectRolesOf(requestedRoles);
    return this.store.transaction(async (repositories) => {
      const key = await this.requireKey(repositories, project.orgId, apiKeyId, flavor);
      await this.setProjectRoles(repositories, principal, project, key, roles, flavor);
      return withoutSecrets(await this.requireKey(repositories, project.orgId, apiKeyId, flavor));
    });
  }

  /**
   * POST /groups/{groupId}/apiKeys/{id} (UserAccessRoleAssignment[]): the key in the
   * project with the roles of every assignment; an assignment's `userId` must be the key's.
   */
  async addProjectKey(
    principal: Principal,
    groupId: string,
    apiKeyId: string,
    assignments: ReadonlyArray<{ roles: string[]; userId?: string }>,
  ): Promise<ApiKey> {
    const roles = assignments.flatMap((assignment) => assignment.roles);
    return this.assignProjectKey(principal, groupId, apiKeyId, roles, API_KEYS, 'addProjectApiKey', () => {
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
      if (roles) await this.setProjectRoles(repositories, principal, project, key, roles, API_KEYS);
      else requireAssignment(key, groupId, API_KEYS);
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
      return withoutSecrets(await this.requireKey(repositories, project.orgId, apiKeyId));
    });
  }

  /** Sets an identity's roles in a project (inside the caller's transaction), on record. */
  async setProjectRoles(
    repositories: Repositories,
    principal: Principal,
    project: Project,
    key: StoredApiKey,
    roles: ProjectRole[],
    flavor: IdentityFlavor,
  ): Promise<void> {
    const before = key.projectRoles.find((assignment) => assignment.groupId === project.id);
    await repositories.apiKeys.setProjectRoles(key.id, project.id, roles);
    const type = before ? flavor.events.rolesChanged : flavor.events.addedToGroup;
    await this.audit.record(repositories, principal, type, projectScope(project), { ...keyTarget(key), roles });
  }

  async removeProjectKey(
    principal: Principal,
    groupId: string,
    apiKeyId: string,
    flavor: IdentityFlavor = API_KEYS,
  ): Promise<void> {
    const project = await this.access.project(this.store, principal, flavor.operations.removeProject, groupId);
    await this.store.transaction(async (repositories) => {
      const key = await this.requireKey(repositories, project.orgId, apiKeyId, flavor);
      if (!(await repositories.apiKeys.removeFromProject(key.id, groupId))) {
        throw new AtlasError('API_KEY_NOT_IN_GROUP', flavor.label(apiKeyId), groupId);
      }
      await this.audit.record(
        repositories,
        principal,
        flavor.events.removedFromGroup,
        projectScope(project),
        keyTarget(key),
      );
    });
  }

  // --- access lists ------------------------------------------------------------------

  /**
   * Checks the caller may perform an operation on an identity reached from `reach`: the
   * organization operation of the flavor, or the project operation the reach names.
   */
  async reach(principal: Principal, reach: Reach, orgOperation: OrganizationOperation): Promise<Reached> {
    if ('orgId' in reach) {
      return { orgId: (await this.access.organization(this.store, principal, orgOperation, reach.orgId)).id };
    }
    const project = await this.access.project(this.store, principal, reach.operation, reach.groupId);
    return { orgId: project.orgId, project };
  }

  /** The identity a reached path names; through a project, only one assigned to it. */
  async requireReachedKey(
    repositories: Repositories,
    reached: Reached,
    apiKeyId: string,
    flavor: IdentityFlavor,
  ): Promise<StoredApiKey> {
    const key = await this.requireKey(repositories, reached.orgId, apiKeyId, flavor);
    if (reached.project) requireAssignment(key, reached.project.id, flavor);
    return key;
  }

  async listAccessList(
    principal: Principal,
    reach: Reach,
    apiKeyId: string,
    page: PageRequest,
    flavor: IdentityFlavor = API_KEYS,
  ): Promise<Page<AccessListEntry>> {
    const reached = await this.reach(principal, reach, flavor.operations.listAccessList);
    const key = await this.requireReachedKey(this.store, reached, apiKeyId, flavor);
    const rows = await this.store.accessLists.list(key.id, pageOffset(page), page.itemsPerPage + 1);
    const total = page.includeCount ? await this.store.accessLists.count(key.id) : undefined;
    return pageFromRows(rows, page, total);
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
  async addAccessListEntries(
    principal: Principal,
    reach: Reach,
    apiKeyId: string,
    requests: Array<{ ipAddress?: string; cidrBlock?: string }>,
    flavor: IdentityFlavor = API_KEYS,
  ): Promise<void> {
    const reached = await this.reach(principal, reach, flavor.operations.addAccessListEntries);
    const entries = requests.map(accessListEntryFrom);
    const now = this.clock.now();
    await this.store.transaction(async (repositories) => {
      const key = await this.requireReachedKey(repositories, reached, apiKeyId, flavor);
      const seen = new Set<string>();
      for (const entry of entries) {
        if (seen.has(entry.cidrBlock)) continue;
        seen.add(entry.cidrBlock);
        try {
          await repositories.accessLists.insert(key.id, { ...entry, createdAt: now });
        } catch (error) {
          if (isUniqueViolation(error)) {
            throw new AtlasError('DUPLICATE_ACCESS_LIST_ENTRY', entry.cidrBlock, flavor.label(key.id));
          }
          throw error;
        }
        await this.audit.record(
          repositories,
          principal,
          flavor.events.accessListEntryAdded,
          { orgId: reached.orgId },
          {
            ...keyTarget(key),
            accessListEntry: entry.ipAddress ?? entry.cidrBlock,
          },
        );
      }
    });
  }

  async deleteAccessListEntry(
    principal: Principal,
    reach: Reach,
    apiKeyId: string,
    entry: string,
    flavor: IdentityFlavor = API_KEYS,
  ): Promise<void> {
    const reached = await this.reach(principal, reach, flavor.operations.deleteAccessListEntry);
    await this.store.transaction(async (repositories) => {
      const key = await this.requireReachedKey(repositories, reached, apiKeyId, flavor);
      const cidrBlock = canonicalEntryKey(entry);
      const stored = cidrBlock === undefined ? undefined : await repositories.accessLists.find(key.id, cidrBlock);
      if (!stored) throw new AtlasError('ACCESS_LIST_ENTRY_NOT_FOUND', entry, flavor.label(apiKeyId));
      await repositories.accessLists.delete(key.id, stored.cidrBlock);
      // Named as it was added, however the request spelled it.
      await this.audit.record(
        repositories,
        principal,
        flavor.events.accessListEntryDeleted,
        { orgId: reached.orgId },
        {
          ...keyTarget(key),
          accessListEntry: stored.ipAddress ?? stored.cidrBlock,
        },
      );
    });
  }
}

/** API_KEY_NOT_IN_GROUP unless the identity is assigned to the project. */
function requireAssignment(key: ApiKey, groupId: string, flavor: IdentityFlavor): void {
  if (!key.projectRoles.some((assignment) => assignment.groupId === groupId)) {
    throw new AtlasError('API_KEY_NOT_IN_GROUP', flavor.label(key.id), groupId);
  }
}

export function keyTarget(key: Pick<ApiKey, 'id' | 'publicKey'>) {
  return { targetApiKeyId: key.id, targetPublicKey: key.publicKey };
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
