import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AtlasError } from '../domain/errors.js';
import type { OrgRole } from '../domain/roles.js';
import { newObjectId } from '../domain/ids.js';
import type { AccessListEntry } from '../domain/access-list.js';
import type { ApiKey } from '../domain/api-key.js';
import { type Page, type PageRequest, pageFromRows, pageOffset } from '../domain/pagination.js';
import {
  clientIdOf,
  idOfClientId,
  maskSecret,
  MAX_SECRET_HOURS,
  MIN_SECRET_HOURS,
  SECRET_PREFIX,
  type ServiceAccount,
  type ServiceAccountSecret,
} from '../domain/service-account.js';
import type { StoredApiKey } from '../store/repositories/api-keys.js';
import type { StoredServiceAccountSecret } from '../store/repositories/service-account-secrets.js';
import type { Repositories, Store } from '../store/store.js';
import type { AccessControl } from './access.js';
import {
  type ApiKeyService,
  type IdentityFlavor,
  keyTarget,
  orgRolesOf,
  projectRolesOf,
  type Reach,
  type Reached,
} from './api-keys.js';
import { projectScope } from './audit.js';
import type { AuditTrail } from './audit.js';
import type { OrganizationOperation } from './required-roles.js';
import type { Clock } from './clock.js';
import type { Principal } from './principal.js';

const SERVICE_ACCOUNTS: IdentityFlavor = {
  kind: 'SERVICE_ACCOUNT',
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
};

export interface ServiceAccountRequest {
  name: string;
  description: string;
  roles: string[];
  secretExpiresAfterHours: number;
}

/** What an update changes; `clientId`, when a client sends back the account it read, must be the account's. */
export interface ServiceAccountUpdate extends Partial<Omit<ServiceAccountRequest, 'secretExpiresAfterHours'>> {
  clientId?: string;
}

export interface NewSecret {
  secret: ServiceAccountSecret;
  /** Shown once; only its SHA-256 is kept. */
  value: string;
}

function secretSha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

function checkHours(hours: number): void {
  if (!Number.isInteger(hours) || hours < MIN_SECRET_HOURS || hours > MAX_SECRET_HOURS) {
    throw new AtlasError('INVALID_SECRET_EXPIRATION', MIN_SECRET_HOURS, MAX_SECRET_HOURS);
  }
}

function publicSecret({
  accountId: _account,
  secretSha256: _hash,
  ...secret
}: StoredServiceAccountSecret): ServiceAccountSecret {
  return secret;
}

/**
 * Organization service accounts: programmatic identities that authenticate with OAuth
 * 2.0 client credentials. Roles, project assignments and access lists work exactly as
 * for API keys (and share their implementation); secrets are theirs alone.
 */
export class ServiceAccountService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
    private readonly apiKeys: ApiKeyService,
  ) {}

  /** The account id a client id names (INVALID_SERVICE_ACCOUNT_CLIENT_ID when it is not one). */
  idOf(clientId: string): string {
    const id = idOfClientId(clientId);
    if (id === undefined) throw new AtlasError('INVALID_SERVICE_ACCOUNT_CLIENT_ID', clientId);
    return id;
  }

  private async view(repositories: Repositories, stored: StoredApiKey): Promise<ServiceAccount> {
    const secrets = await repositories.serviceAccountSecrets.ofAccount(stored.id);
    return this.toAccount(stored, secrets);
  }

  private toAccount(stored: ApiKey & { name?: string }, secrets: StoredServiceAccountSecret[]): ServiceAccount {
    return {
      id: stored.id,
      orgId: stored.orgId,
      clientId: stored.publicKey,
      name: stored.name ?? '',
      description: stored.description,
      roles: stored.roles,
      projectRoles: stored.projectRoles,
      createdAt: stored.createdAt,
      secrets: secrets.map(publicSecret),
    };
  }

  private async require(repositories: Repositories, reached: Reached, clientId: string): Promise<StoredApiKey> {
    return this.apiKeys.requireReachedKey(repositories, reached, this.idOf(clientId), SERVICE_ACCOUNTS);
  }

  /** Checks the caller may perform an organization operation, or the reach's project operation. */
  private reach(principal: Principal, reach: Reach, orgOperation: OrganizationOperation): Promise<Reached> {
    return this.apiKeys.reach(principal, reach, orgOperation);
  }

  private async newSecret(repositories: Repositories, accountId: string, hours: number): Promise<NewSecret> {
    const now = this.clock.now();
    const value = `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
    const stored: StoredServiceAccountSecret = {
      id: newObjectId(now),
      accountId,
      secretSha256: secretSha256(value),
      maskedSecretValue: maskSecret(value),
      createdAt: now,
      expiresAt: new Date(now.getTime() + hours * 3600 * 1000),
    };
    await repositories.serviceAccountSecrets.insert(stored);
    return { secret: publicSecret(stored), value };
  }

  async list(principal: Principal, orgId: string, page: PageRequest): Promise<Page<ServiceAccount>> {
    const org = await this.access.organization(this.store, principal, 'listServiceAccounts', orgId);
    const rows = await this.store.apiKeys.listByOrg(org.id, pageOffset(page), page.itemsPerPage + 1, 'SERVICE_ACCOUNT');
    const secrets = await this.store.serviceAccountSecrets.ofAccounts(rows.map((row) => row.id));
    const total = page.includeCount ? await this.store.apiKeys.countByOrg(org.id, 'SERVICE_ACCOUNT') : undefined;
    return pageFromRows(
      rows.map((row) => this.toAccount(row, secrets.get(row.id) ?? [])),
      page,
      total,
    );
  }

  /** An account, from its organization or (with its roles there) from a project it is in. */
  async get(principal: Principal, reach: Reach, clientId: string): Promise<ServiceAccount> {
    const reached = await this.apiKeys.reach(principal, reach, 'getServiceAccount');
    return this.view(this.store, await this.require(this.store, reached, clientId));
  }

  /** The projects an account is assigned to, in id order. */
  async projectsOf(principal: Principal, orgId: string, clientId: string, page: PageRequest): Promise<Page<string>> {
    const reached = await this.apiKeys.reach(principal, { orgId }, 'listServiceAccountProjects');
    const account = await this.require(this.store, reached, clientId);
    const groupIds = account.projectRoles.map((assignment) => assignment.groupId);
    const offset = pageOffset(page);
    return pageFromRows(
      groupIds.slice(offset, offset + page.itemsPerPage + 1),
      page,
      page.includeCount ? groupIds.length : undefined,
    );
  }

  /**
   * Creates an account with a first secret: in the organization with organization roles,
   * or in a project (an Organization Member with these roles in the project).
   */
  async create(
    principal: Principal,
    reach: Reach,
    request: ServiceAccountRequest,
  ): Promise<{ account: ServiceAccount; secretValue: string }> {
    const reached = await this.reach(principal, reach, 'createServiceAccount');
    const project = reached.project;
    const roles: OrgRole[] = project ? ['ORG_MEMBER'] : orgRolesOf(request.roles);
    const projectRoles = project ? projectRolesOf(request.roles) : [];
    checkHours(request.secretExpiresAfterHours);
    const now = this.clock.now();
    const id = newObjectId(now);
    const stored: StoredApiKey = {
      id,
      orgId: reached.orgId,
      publicKey: clientIdOf(id),
      description: request.description,
      roles,
      projectRoles: [],
      privateKeyTail: '',
      createdAt: now,
      sealedDigestHa1Md5: '',
      sealedDigestHa1Sha256: '',
      name: request.name,
    };
    return this.store.transaction(async (repositories) => {
      await repositories.apiKeys.insert(stored, 'SERVICE_ACCOUNT', request.name);
      const { value } = await this.newSecret(repositories, id, request.secretExpiresAfterHours);
      await this.audit.record(
        repositories,
        principal,
        'SERVICE_ACCOUNT_CREATED',
        { orgId: reached.orgId },
        {
          ...keyTarget(stored),
          roles,
        },
      );
      if (project) {
        await this.apiKeys.setProjectRoles(repositories, principal, project, stored, projectRoles, SERVICE_ACCOUNTS);
      }
      const account = await this.view(repositories, await this.require(repositories, reached, stored.publicKey));
      return { account, secretValue: value };
    });
  }

  /**
   * Changes an account's name, description and roles: its organization roles from the
   * organization's paths, its roles in the project from a project's.
   */
  async update(
    principal: Principal,
    reach: Reach,
    clientId: string,
    request: ServiceAccountUpdate,
  ): Promise<ServiceAccount> {
    const reached = await this.reach(principal, reach, 'updateServiceAccount');
    const project = reached.project;
    const orgRoles = request.roles === undefined || project ? undefined : orgRolesOf(request.roles);
    const projectRoles = request.roles === undefined || !project ? undefined : projectRolesOf(request.roles);
    return this.store.transaction(async (repositories) => {
      const account = await this.require(repositories, reached, clientId);
      if (request.clientId !== undefined && idOfClientId(request.clientId) !== account.id) {
        throw new AtlasError('ATTRIBUTE_READ_ONLY', 'clientId');
      }
      const renamed = request.name !== undefined && request.name !== (account.name ?? '');
      const redescribed = request.description !== undefined && request.description !== account.description;
      const reroled = orgRoles !== undefined && [...orgRoles].sort().join() !== [...account.roles].sort().join();
      await repositories.apiKeys.update(account.id, {
        ...(request.name !== undefined ? { name: request.name } : {}),
        ...(request.description !== undefined ? { description: request.description } : {}),
        ...(orgRoles ? { roles: orgRoles } : {}),
      });
      // Only changes are events: sending the same values again records nothing.
      if (renamed || redescribed) {
        await this.audit.record(
          repositories,
          principal,
          'SERVICE_ACCOUNT_DETAILS_CHANGED',
          { orgId: reached.orgId },
          keyTarget(account),
        );
      }
      if (reroled) {
        await this.audit.record(
          repositories,
          principal,
          'SERVICE_ACCOUNT_ROLES_CHANGED',
          { orgId: reached.orgId },
          {
            ...keyTarget(account),
            roles: orgRoles!,
          },
        );
      }
      const assigned = account.projectRoles.find((assignment) => assignment.groupId === project?.id)?.roles ?? [];
      if (project && projectRoles && [...projectRoles].sort().join() !== [...assigned].sort().join()) {
        await this.apiKeys.setProjectRoles(repositories, principal, project, account, projectRoles, SERVICE_ACCOUNTS);
      }
      return this.view(repositories, await this.require(repositories, reached, clientId));
    });
  }

  /** Deletes the account: its tokens stop working at their next use, on every instance. */
  async delete(principal: Principal, orgId: string, clientId: string): Promise<void> {
    const reached = await this.reach(principal, { orgId }, 'deleteServiceAccount');
    await this.store.transaction(async (repositories) => {
      const account = await this.require(repositories, reached, clientId);
      await repositories.apiKeys.delete(account.id);
      await this.audit.record(
        repositories,
        principal,
        'SERVICE_ACCOUNT_DELETED',
        { orgId: reached.orgId },
        keyTarget(account),
      );
    });
  }

  async createSecret(principal: Principal, reach: Reach, clientId: string, hours: number): Promise<NewSecret> {
    const reached = await this.reach(principal, reach, 'createServiceAccountSecret');
    checkHours(hours);
    return this.store.transaction(async (repositories) => {
      const account = await this.require(repositories, reached, clientId);
      const created = await this.newSecret(repositories, account.id, hours);
      await this.audit.record(
        repositories,
        principal,
        'SERVICE_ACCOUNT_SECRET_ADDED',
        { orgId: reached.orgId },
        keyTarget(account),
      );
      return created;
    });
  }

  /** Deletes a secret: tokens minted with it stop working at their next use. */
  async deleteSecret(principal: Principal, reach: Reach, clientId: string, secretId: string): Promise<void> {
    const reached = await this.reach(principal, reach, 'deleteServiceAccountSecret');
    await this.store.transaction(async (repositories) => {
      const account = await this.require(repositories, reached, clientId);
      if (!(await repositories.serviceAccountSecrets.delete(account.id, secretId))) {
        throw new AtlasError('SERVICE_ACCOUNT_SECRET_NOT_FOUND', secretId);
      }
      await this.audit.record(
        repositories,
        principal,
        'SERVICE_ACCOUNT_SECRET_DELETED',
        { orgId: reached.orgId },
        keyTarget(account),
      );
    });
  }

  // Roles in projects and access lists: the API keys' implementation, for service accounts.

  listAccessList(
    principal: Principal,
    reach: Reach,
    clientId: string,
    page: PageRequest,
  ): Promise<Page<AccessListEntry>> {
    return this.apiKeys.listAccessList(principal, reach, this.idOf(clientId), page, SERVICE_ACCOUNTS);
  }

  addAccessListEntries(
    principal: Principal,
    reach: Reach,
    clientId: string,
    entries: Array<{ ipAddress?: string; cidrBlock?: string }>,
  ) {
    return this.apiKeys.addAccessListEntries(principal, reach, this.idOf(clientId), entries, SERVICE_ACCOUNTS);
  }

  deleteAccessListEntry(principal: Principal, reach: Reach, clientId: string, entry: string) {
    return this.apiKeys.deleteAccessListEntry(principal, reach, this.idOf(clientId), entry, SERVICE_ACCOUNTS);
  }

  async listInProject(principal: Principal, groupId: string, page: PageRequest): Promise<Page<ServiceAccount>> {
    const result = await this.apiKeys.listProjectKeys(principal, groupId, page, SERVICE_ACCOUNTS);
    const secrets = await this.store.serviceAccountSecrets.ofAccounts(result.items.map((item) => item.id));
    return { ...result, items: result.items.map((item) => this.toAccount(item, secrets.get(item.id) ?? [])) };
  }

  /** Brings an organization's account into a project with these roles (or replaces its roles there). */
  async addToProject(
    principal: Principal,
    groupId: string,
    clientId: string,
    roles: string[],
  ): Promise<ServiceAccount> {
    const key = await this.apiKeys.assignProjectKey(principal, groupId, this.idOf(clientId), roles, SERVICE_ACCOUNTS);
    return this.view(this.store, (await this.store.apiKeys.find(key.orgId, key.id, 'SERVICE_ACCOUNT'))!);
  }

  removeFromProject(principal: Principal, groupId: string, clientId: string): Promise<void> {
    return this.apiKeys.removeProjectKey(principal, groupId, this.idOf(clientId), SERVICE_ACCOUNTS);
  }

  /**
   * The account and secret a client authenticates with at the token endpoint, or
   * undefined (unknown client, wrong or expired secret). Constant-time in the secret.
   */
  async authenticateClient(
    clientId: string,
    secret: string,
  ): Promise<{ account: StoredApiKey; secretId: string } | undefined> {
    const account = await this.store.apiKeys.findByPublicKey(clientId, 'SERVICE_ACCOUNT');
    const presented = Buffer.from(secretSha256(secret), 'hex');
    const now = this.clock.now();
    const secrets = account ? await this.store.serviceAccountSecrets.ofAccount(account.id) : [];
    let match: StoredServiceAccountSecret | undefined;
    for (const candidate of secrets) {
      const equal = timingSafeEqual(Buffer.from(candidate.secretSha256, 'hex'), presented);
      if (equal && candidate.expiresAt > now) match = candidate;
    }
    if (!account || !match) return undefined;
    await this.store.serviceAccountSecrets.touch(match.id, now);
    return { account, secretId: match.id };
  }

  /** The account behind a token's claims, if the account and the secret still exist and the secret is live. */
  async accountForToken(clientId: string, secretId: string): Promise<StoredApiKey | undefined> {
    const account = await this.store.apiKeys.findByPublicKey(clientId, 'SERVICE_ACCOUNT');
    if (!account) return undefined;
    const secret = await this.store.serviceAccountSecrets.find(account.id, secretId);
    if (!secret || secret.expiresAt <= this.clock.now()) return undefined;
    return account;
  }
}
