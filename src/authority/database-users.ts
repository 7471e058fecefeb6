import {
  type AuthDatabase,
  checkDatabaseUser,
  checkImmutableFields,
  checkUserRoles,
  type DatabaseUser,
  type DatabaseUserSettings,
  keptUsername,
  usernameLookups,
} from '../domain/database-user.js';
import { AtlasError } from '../domain/errors.js';
import { newObjectId } from '../domain/ids.js';
import { type Page, type PageRequest, pageFromRows, pageOffset } from '../domain/pagination.js';
import { scramSha256Credentials } from '../pki/scram.js';
import { isUniqueViolation } from '../store/database.js';
import type { StoredDatabaseUser } from '../store/repositories/database-users.js';
import type { Repositories, Store } from '../store/store.js';
import type { AccessControl } from './access.js';
import { type AuditTrail, projectScope } from './audit.js';
import type { Clock } from './clock.js';
import type { Principal } from './identities/principal.js';
import { databaseUsersLimit } from './project-settings.js';

/** A create request: settings with Atlas' defaults applied, plus the write-only fields. */
export interface NewDatabaseUser extends DatabaseUserSettings {
  groupId?: string;
  password?: string;
}

/** A PATCH: any subset of the fields. */
export type DatabaseUserPatch = Partial<NewDatabaseUser>;

/** Revocation reason recorded for the certificates of a deleted user (RFC 5280). */
const USER_DELETED_REASON = 'cessationOfOperation';

/** What a database user's events name. */
export function userTarget(user: DatabaseUser) {
  return { targetUsername: user.username, database: user.databaseName };
}

function publicView(user: StoredDatabaseUser): DatabaseUser {
  const { scramSha256: _secret, ...rest } = user;
  return rest;
}

export class DatabaseUserService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
  ) {}

  private checkGroupMatches(groupId: string, bodyGroupId: string | undefined): void {
    if (bodyGroupId !== undefined && bodyGroupId !== groupId) throw new AtlasError('GROUP_MISMATCH', bodyGroupId);
  }

  async list(principal: Principal, groupId: string, page: PageRequest): Promise<Page<DatabaseUser>> {
    await this.access.project(this.store, principal, 'listDatabaseUsers', groupId);
    const now = this.clock.now();
    const rows = await this.store.databaseUsers.list(groupId, now, pageOffset(page), page.itemsPerPage + 1);
    const total = page.includeCount ? await this.store.databaseUsers.count(groupId, now) : undefined;
    return pageFromRows(rows.map(publicView), page, total);
  }

  async get(principal: Principal, groupId: string, databaseName: string, username: string): Promise<DatabaseUser> {
    await this.access.project(this.store, principal, 'getDatabaseUser', groupId);
    return publicView(await this.require(this.store, groupId, databaseName, username));
  }

  async create(principal: Principal, groupId: string, request: NewDatabaseUser): Promise<DatabaseUser> {
    const project = await this.access.project(this.store, principal, 'createDatabaseUser', groupId);
    this.checkGroupMatches(groupId, request.groupId);
    const now = this.clock.now();
    const { groupId: _groupId, password, ...settings } = request;
    checkDatabaseUser(settings, { now, passwordGiven: password !== undefined, creating: true });
    const user: StoredDatabaseUser = {
      ...settings,
      username: keptUsername(settings),
      id: newObjectId(now),
      groupId,
      createdAt: now,
      updatedAt: now,
    };
    if (password !== undefined) user.scramSha256 = await scramSha256Credentials(password);

    await this.store.transaction(async (repositories) => {
      await repositories.projects.lock(groupId);
      checkUserRoles(user.username, user.roles, await repositories.customDbRoles.names(groupId));
      await repositories.databaseUsers.purgeExpired(groupId, now);
      const limit = await databaseUsersLimit(repositories, groupId);
      if ((await repositories.databaseUsers.count(groupId, now)) >= limit) {
        throw new AtlasError('GROUP_USERS_LIMIT_EXCEEDED', limit);
      }
      try {
        await repositories.databaseUsers.insert(user);
      } catch (error) {
        if (isUniqueViolation(error)) throw new AtlasError('USER_ALREADY_EXISTS', user.username);
        throw error;
      }
      await this.audit.record(repositories, principal, 'MONGODB_USER_ADDED', projectScope(project), userTarget(user));
    });
    return publicView(user);
  }

  async update(
    principal: Principal,
    groupId: string,
    databaseName: string,
    username: string,
    patch: DatabaseUserPatch,
  ): Promise<DatabaseUser> {
    const project = await this.access.project(this.store, principal, 'updateDatabaseUser', groupId);
    this.checkGroupMatches(groupId, patch.groupId);
    const now = this.clock.now();
    const existing = await this.require(this.store, groupId, databaseName, username);
    checkImmutableFields(existing, patch);
    // The username stays as created: a PATCH may name the user, in any spelling, not rename it.
    const { groupId: _groupId, password, username: _username, ...changes } = patch;
    const updated: StoredDatabaseUser = { ...existing, ...changes, updatedAt: now };
    checkDatabaseUser(updated, { now, passwordGiven: password !== undefined, creating: false });
    if (password !== undefined) updated.scramSha256 = await scramSha256Credentials(password);

    await this.store.transaction(async (repositories) => {
      if (changes.roles !== undefined) {
        // Under the project's lock: a custom role cannot be deleted while it is granted here.
        await repositories.projects.lock(groupId);
        checkUserRoles(updated.username, updated.roles, await repositories.customDbRoles.names(groupId));
      }
      // Re-read inside the transaction: the user may have been deleted meanwhile.
      await this.require(repositories, groupId, databaseName, username);
      await repositories.databaseUsers.update(updated);
      await this.audit.record(
        repositories,
        principal,
        'MONGODB_USER_UPDATED',
        projectScope(project),
        userTarget(updated),
      );
    });
    return publicView(updated);
  }

  /** Deletes the user and revokes every certificate it still has, in one transaction. */
  async delete(principal: Principal, groupId: string, databaseName: string, username: string): Promise<void> {
    const project = await this.access.project(this.store, principal, 'deleteDatabaseUser', groupId);
    const now = this.clock.now();
    await this.store.transaction(async (repositories) => {
      const user = await this.require(repositories, groupId, databaseName, username);
      // Held to the commit: an issuance to this user that holds the row ends first (and its
      // certificate is revoked below), one that comes later finds no user.
      if (!(await repositories.databaseUsers.lock(user.id))) throw new AtlasError('USERNAME_NOT_FOUND', username);
      const revoked = await repositories.certificates.revokeAllOfUser(user.id, now, USER_DELETED_REASON);
      await repositories.databaseUsers.delete(user.id);
      await this.audit.record(repositories, principal, 'MONGODB_USER_DELETED', projectScope(project), userTarget(user));
      for (const serial of revoked) {
        await this.audit.record(repositories, principal, 'MONGODB_USER_X509_CERT_REVOKED', projectScope(project), {
          ...userTarget(user),
          serial,
          reason: USER_DELETED_REASON,
        });
      }
    });
  }

  /** The user a path names; a customer X.509 DN is also found when typed in another spelling. */
  private async require(
    repositories: Repositories,
    groupId: string,
    databaseName: string,
    username: string,
  ): Promise<StoredDatabaseUser> {
    const now = this.clock.now();
    const names = databaseName === '$external' ? usernameLookups(username) : [username];
    for (const name of names) {
      const user = await repositories.databaseUsers.find(groupId, databaseName as AuthDatabase, name, now);
      if (user) return user;
    }
    throw new AtlasError('USERNAME_NOT_FOUND', username);
  }
}
