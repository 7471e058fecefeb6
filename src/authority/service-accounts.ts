import type { AccessListEntry } from '../domain/access-list.js';
import { AtlasError } from '../domain/errors.js';
import { newObjectId } from '../domain/ids.js';
import { type Page, type PageRequest, pageFromRows, pageOffset } from '../domain/pagination.js';
import type { OrgRole } from '../domain/roles.js';
import { clientIdOf, idOfClientId, type ServiceAccount } from '../domain/service-account.js';
import type { StoredApiKey } from '../store/repositories/api-keys.js';
import type { StoredServiceAccountSecret } from '../store/repositories/service-account-secrets.js';
import type { Repositories, Store } from '../store/store.js';
import type { AccessControl } from './access.js';
import type { AuditTrail } from './audit.js';
import { checkSecretHours, type ClientSecrets, type NewSecret, publicSecret } from './identities/client-secrets.js';
import type { IdentityRecord, Principal } from './identities/principal.js';
import {
  keyTarget,
  orgRolesOf,
  projectRolesOf,
  type Reach,
  type Reached,
  type RolesAndAccess,
  sameRoles,
} from './identities/roles-and-access.js';
import type { Clock } from './clock.js';
import type { OrganizationOperation } from './required-roles.js';

export type { NewSecret } from './identities/client-secrets.js';

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

function toAccount(stored: IdentityRecord, secrets: StoredServiceAccountSecret[]): ServiceAccount {
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

/**
 * The service account routes: accounts of an organization or a project, and their
 * secrets. Secrets are client-secrets.ts's; roles in projects and access lists are
 * shared with API keys (roles-and-access.ts).
 */
export class ServiceAccountService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
    private readonly rolesAndAccess: RolesAndAccess,
    private readonly clientSecrets: ClientSecrets,
  ) {}

  /** The account id a client id names (INVALID_SERVICE_ACCOUNT_CLIENT_ID when it is not one). */
  idOf(clientId: string): string {
    const id = idOfClientId(clientId);
    if (id === undefined) throw new AtlasError('INVALID_SERVICE_ACCOUNT_CLIENT_ID', clientId);
    return id;
  }

  private async view(repositories: Repositories, stored: IdentityRecord): Promise<ServiceAccount> {
    const secrets = await repositories.serviceAccountSecrets.ofAccount(stored.id);
    return toAccount(stored, secrets);
  }

  private require(repositories: Repositories, reached: Reached, clientId: string): Promise<StoredApiKey> {
    return this.rolesAndAccess.requireReached(repositories, reached, this.idOf(clientId), 'SERVICE_ACCOUNT');
  }

  /** Checks the caller may perform an organization operation, or the reach's project operation. */
  private reach(principal: Principal, reach: Reach, orgOperation: OrganizationOperation): Promise<Reached> {
    return this.rolesAndAccess.reach(principal, reach, orgOperation);
  }

  async list(principal: Principal, orgId: string, page: PageRequest): Promise<Page<ServiceAccount>> {
    const org = await this.access.organization(this.store, principal, 'listServiceAccounts', orgId);
    const rows = await this.store.apiKeys.listByOrg(org.id, pageOffset(page), page.itemsPerPage + 1, 'SERVICE_ACCOUNT');
    const secrets = await this.store.serviceAccountSecrets.ofAccounts(rows.map((row) => row.id));
    const total = page.includeCount ? await this.store.apiKeys.countByOrg(org.id, 'SERVICE_ACCOUNT') : undefined;
    return pageFromRows(
      rows.map((row) => toAccount(row, secrets.get(row.id) ?? [])),
      page,
      total,
    );
  }

  /** An account, from its organization or (with its roles there) from a project it is in. */
  async get(principal: Principal, reach: Reach, clientId: string): Promise<ServiceAccount> {
    const reached = await this.reach(principal, reach, 'getServiceAccount');
    return this.view(this.store, await this.require(this.store, reached, clientId));
  }

  /** The projects an account is assigned to, in id order. */
  async projectsOf(principal: Principal, orgId: string, clientId: string, page: PageRequest): Promise<Page<string>> {
    const reached = await this.reach(principal, { orgId }, 'listServiceAccountProjects');
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
    checkSecretHours(request.secretExpiresAfterHours);
    const now = this.clock.now();
    const id = newObjectId(now);
    // The shared table's Digest columns stay empty: an account's credential is its secrets.
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
      const { value } = await this.clientSecrets.issue(repositories, id, request.secretExpiresAfterHours);
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
        await this.rolesAndAccess.setProjectRoles(
          repositories,
          principal,
          project,
          stored,
          projectRoles,
          'SERVICE_ACCOUNT',
        );
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
      const reroled = orgRoles !== undefined && !sameRoles(orgRoles, account.roles);
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
      if (project && projectRoles && !sameRoles(projectRoles, assigned)) {
        await this.rolesAndAccess.setProjectRoles(
          repositories,
          principal,
          project,
          account,
          projectRoles,
          'SERVICE_ACCOUNT',
        );
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
    checkSecretHours(hours);
    return this.store.transaction(async (repositories) => {
      const account = await this.require(repositories, reached, clientId);
      const created = await this.clientSecrets.issue(repositories, account.id, hours);
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

  // --- roles in projects and access lists (shared with API keys) ----------------------

  listAccessList(
    principal: Principal,
    reach: Reach,
    clientId: string,
    page: PageRequest,
  ): Promise<Page<AccessListEntry>> {
    return this.rolesAndAccess.listAccessList(principal, reach, this.idOf(clientId), page, 'SERVICE_ACCOUNT');
  }

  addAccessListEntries(
    principal: Principal,
    reach: Reach,
    clientId: string,
    entries: Array<{ ipAddress?: string; cidrBlock?: string }>,
  ): Promise<void> {
    return this.rolesAndAccess.addAccessListEntries(principal, reach, this.idOf(clientId), entries, 'SERVICE_ACCOUNT');
  }

  deleteAccessListEntry(principal: Principal, reach: Reach, clientId: string, entry: string): Promise<void> {
    return this.rolesAndAccess.deleteAccessListEntry(principal, reach, this.idOf(clientId), entry, 'SERVICE_ACCOUNT');
  }

  async listInProject(principal: Principal, groupId: string, page: PageRequest): Promise<Page<ServiceAccount>> {
    const result = await this.rolesAndAccess.listInProject(principal, groupId, page, 'SERVICE_ACCOUNT');
    const secrets = await this.store.serviceAccountSecrets.ofAccounts(result.items.map((item) => item.id));
    return { ...result, items: result.items.map((item) => toAccount(item, secrets.get(item.id) ?? [])) };
  }

  /** Brings an organization's account into a project with these roles (or replaces its roles there). */
  async addToProject(
    principal: Principal,
    groupId: string,
    clientId: string,
    roles: string[],
  ): Promise<ServiceAccount> {
    const id = this.idOf(clientId);
    const account = await this.rolesAndAccess.assignToProject(principal, groupId, id, roles, 'SERVICE_ACCOUNT');
    return this.view(this.store, account);
  }

  removeFromProject(principal: Principal, groupId: string, clientId: string): Promise<void> {
    return this.rolesAndAccess.removeFromProject(principal, groupId, this.idOf(clientId), 'SERVICE_ACCOUNT');
  }
}
