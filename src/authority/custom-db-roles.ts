import {
  checkCustomRole,
  checkCustomRoleName,
  type CustomDbRole,
  distinctInheritedRoles,
  type InheritedRole,
  MAX_CUSTOM_ROLES_PER_PROJECT,
  type NamespaceInput,
  type PrivilegeAction,
  privilegeGrants,
  withoutCustomRole,
} from '../domain/custom-db-role.js';
import { AtlasError } from '../domain/errors.js';
import type { Repositories, Store } from '../store/store.js';
import type { AccessControl } from './access.js';
import { type AuditTrail, projectScope } from './audit.js';
import type { Clock } from './clock.js';
import { userTarget } from './database-users.js';
import type { Principal } from './identities/principal.js';

/** Actions as a request sends them (resources may be left out, and are then refused). */
export interface PrivilegeActionRequest {
  action: PrivilegeAction;
  resources?: NamespaceInput[];
}

/** What PATCH may change: the actions, the inherited roles, each replaced as a whole. */
export interface CustomDbRoleChanges {
  actions?: PrivilegeActionRequest[];
  inheritedRoles?: InheritedRole[];
}

export interface NewCustomDbRole extends CustomDbRoleChanges {
  roleName: string;
}

/** A PATCH may name the role it changes (the v1 Go client always does), but not rename it. */
export interface CustomDbRolePatch extends CustomDbRoleChanges {
  roleName?: string;
}

const roleTarget = (roleName: string) => ({ customDbRoleName: roleName });

/** A project's roles by name, with `role` as it will be stored. */
function rolesWith(roles: readonly CustomDbRole[], role: CustomDbRole): Map<string, CustomDbRole> {
  const byName = new Map(roles.map((existing) => [existing.roleName, existing]));
  byName.set(role.roleName, role);
  return byName;
}

/** Custom database roles: `/groups/{groupId}/customDBRoles/roles[/{roleName}]`. */
export class CustomDbRoleService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
  ) {}

  async list(principal: Principal, groupId: string): Promise<CustomDbRole[]> {
    await this.access.project(this.store, principal, 'listCustomDatabaseRoles', groupId);
    return this.store.customDbRoles.list(groupId);
  }

  async get(principal: Principal, groupId: string, roleName: string): Promise<CustomDbRole> {
    await this.access.project(this.store, principal, 'getCustomDatabaseRole', groupId);
    return this.require(this.store, groupId, roleName);
  }

  async create(principal: Principal, groupId: string, request: NewCustomDbRole): Promise<CustomDbRole> {
    const project = await this.access.project(this.store, principal, 'createCustomDatabaseRole', groupId);
    checkCustomRoleName(request.roleName);
    const now = this.clock.now();
    const role: CustomDbRole = {
      groupId,
      roleName: request.roleName,
      actions: privilegeGrants(request.actions ?? []),
      inheritedRoles: distinctInheritedRoles(request.inheritedRoles ?? []),
      createdAt: now,
      updatedAt: now,
    };
    await this.store.transaction(async (repositories) => {
      await repositories.projects.lock(groupId);
      const roles = await repositories.customDbRoles.list(groupId);
      if (roles.some((existing) => existing.roleName === role.roleName)) {
        throw new AtlasError('ATLAS_CUSTOM_ROLE_NAME_ALREADY_EXISTS', role.roleName);
      }
      if (roles.length >= MAX_CUSTOM_ROLES_PER_PROJECT) throw new AtlasError('CUSTOM_ROLES_LIMIT_EXCEEDED');
      checkCustomRole(role, rolesWith(roles, role));
      await repositories.customDbRoles.insert(role);
      await this.audit.record(
        repositories,
        principal,
        'MONGODB_ROLE_ADDED',
        projectScope(project),
        roleTarget(role.roleName),
      );
    });
    return role;
  }

  /** Replaces the members sent; the others keep their values. */
  async update(
    principal: Principal,
    groupId: string,
    roleName: string,
    patch: CustomDbRolePatch,
  ): Promise<CustomDbRole> {
    const project = await this.access.project(this.store, principal, 'updateCustomDatabaseRole', groupId);
    if (patch.roleName !== undefined && patch.roleName !== roleName) {
      throw new AtlasError('INVALID_ATTRIBUTE', 'roleName');
    }
    const actions = patch.actions && privilegeGrants(patch.actions);
    const inheritedRoles = patch.inheritedRoles && distinctInheritedRoles(patch.inheritedRoles);
    return this.store.transaction(async (repositories) => {
      await repositories.projects.lock(groupId);
      const existing = await this.require(repositories, groupId, roleName);
      const updated: CustomDbRole = {
        ...existing,
        ...(actions ? { actions } : {}),
        ...(inheritedRoles ? { inheritedRoles } : {}),
        updatedAt: this.clock.now(),
      };
      checkCustomRole(updated, rolesWith(await repositories.customDbRoles.list(groupId), updated));
      await repositories.customDbRoles.update(updated);
      await this.audit.record(
        repositories,
        principal,
        'MONGODB_ROLE_UPDATED',
        projectScope(project),
        roleTarget(roleName),
      );
      return updated;
    });
  }

  /**
   * Deletes the role and takes it away from the users granted it and the roles
   * inheriting it, in one transaction; refused (409) while that would leave a user
   * without a role, or a role with nothing to grant.
   */
  async delete(principal: Principal, groupId: string, roleName: string): Promise<void> {
    const project = await this.access.project(this.store, principal, 'deleteCustomDatabaseRole', groupId);
    await this.store.transaction(async (repositories) => {
      await repositories.projects.lock(groupId);
      await this.require(repositories, groupId, roleName);
      const now = this.clock.now();
      const users = (await repositories.databaseUsers.listAll(groupId, now))
        .map((user) => ({ user, roles: withoutCustomRole(user.roles, roleName) }))
        .filter(({ user, roles }) => roles.length < user.roles.length);
      const strandedUsers = users.filter(({ roles }) => roles.length === 0).map(({ user }) => user.username);
      if (strandedUsers.length > 0) throw new AtlasError('ATLAS_CUSTOM_ROLE_IN_USE_BY_USERS', strandedUsers.join(', '));
      const heirs = (await repositories.customDbRoles.list(groupId))
        .map((role) => ({
          role,
          inheritedRoles: role.inheritedRoles.filter((inherited) => inherited.role !== roleName),
        }))
        .filter(({ role, inheritedRoles }) => inheritedRoles.length < role.inheritedRoles.length);
      const strandedRoles = heirs
        .filter(({ role, inheritedRoles }) => role.actions.length === 0 && inheritedRoles.length === 0)
        .map(({ role }) => role.roleName);
      if (strandedRoles.length > 0) throw new AtlasError('ATLAS_CUSTOM_ROLE_IN_USE_BY_ROLES', strandedRoles.join(', '));

      const scope = projectScope(project);
      for (const { user, roles } of users) {
        await repositories.databaseUsers.update({ ...user, roles, updatedAt: now });
        await this.audit.record(repositories, principal, 'MONGODB_USER_UPDATED', scope, userTarget(user));
      }
      for (const { role, inheritedRoles } of heirs) {
        await repositories.customDbRoles.update({ ...role, inheritedRoles, updatedAt: now });
        await this.audit.record(repositories, principal, 'MONGODB_ROLE_UPDATED', scope, roleTarget(role.roleName));
      }
      await repositories.customDbRoles.delete(groupId, roleName);
      await this.audit.record(repositories, principal, 'MONGODB_ROLE_DELETED', scope, roleTarget(roleName));
    });
  }

  private async require(repositories: Repositories, groupId: string, roleName: string): Promise<CustomDbRole> {
    const role = await repositories.customDbRoles.find(groupId, roleName);
    if (!role) throw new AtlasError('ATLAS_CUSTOM_ROLE_NOT_FOUND', roleName);
    return role;
  }
}
