import { AtlasError } from '../domain/errors.js';
import type { Project, ProjectSettings } from '../domain/project.js';
import {
  checkLimitValue,
  DATABASE_USERS_LIMIT,
  PROJECT_LIMITS,
  type ProjectLimit,
  type ProjectLimitDefinition,
  projectLimitDefinition,
} from '../domain/project-limits.js';
import type { Repositories, Store } from '../store/store.js';
import type { AccessControl } from './access.js';
import { type AuditTrail, projectScope } from './audit.js';
import type { Clock } from './clock.js';
import type { Principal } from './identities/principal.js';

/** Setting a limit: `name`, when sent back, must be the path's. */
export interface ProjectLimitChange {
  name?: string;
  value: number;
}

/** The value of the database-users limit in a project: what creating a user is held to. */
export async function databaseUsersLimit(repositories: Repositories, groupId: string): Promise<number> {
  const definition = projectLimitDefinition(DATABASE_USERS_LIMIT)!;
  return (await repositories.projectSettings.limits(groupId)).get(DATABASE_USERS_LIMIT) ?? definition.defaultLimit;
}

/**
 * What Terraform's `mongodbatlas_project` reads besides the project: its settings, limits,
 * teams, IP addresses and managed slow operation threshold.
 */
export class ProjectSettingsService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly access: AccessControl,
    private readonly audit: AuditTrail,
  ) {}

  async settings(principal: Principal, groupId: string): Promise<ProjectSettings> {
    await this.access.project(this.store, principal, 'getProjectSettings', groupId);
    return (await this.store.projectSettings.find(groupId)).settings;
  }

  /** Changes the flags given; the others keep their values. */
  async updateSettings(
    principal: Principal,
    groupId: string,
    changes: Partial<ProjectSettings>,
  ): Promise<ProjectSettings> {
    const project = await this.access.project(this.store, principal, 'updateProjectSettings', groupId);
    return this.store.transaction(async (repositories) => {
      const stored = await repositories.projectSettings.find(groupId);
      const settings = { ...stored.settings, ...changes };
      if (JSON.stringify(settings) !== JSON.stringify(stored.settings)) {
        await repositories.projectSettings.save(groupId, { ...stored, settings }, this.clock.now());
        await this.audit.record(repositories, principal, 'DBCERTS_GROUP_SETTINGS_CHANGED', projectScope(project));
      }
      return settings;
    });
  }

  async managedSlowMs(principal: Principal, groupId: string): Promise<boolean> {
    await this.access.project(this.store, principal, 'getManagedSlowMs', groupId);
    return (await this.store.projectSettings.find(groupId)).managedSlowMs;
  }

  async setManagedSlowMs(principal: Principal, groupId: string, enabled: boolean): Promise<void> {
    const operation = enabled ? 'enableSlowOperationThresholding' : 'disableSlowOperationThresholding';
    const project = await this.access.project(this.store, principal, operation, groupId);
    await this.store.transaction(async (repositories) => {
      const stored = await repositories.projectSettings.find(groupId);
      if (stored.managedSlowMs === enabled) return;
      await repositories.projectSettings.save(groupId, { ...stored, managedSlowMs: enabled }, this.clock.now());
      await this.audit.record(repositories, principal, 'DBCERTS_GROUP_SETTINGS_CHANGED', projectScope(project));
    });
  }

  async limits(principal: Principal, groupId: string): Promise<ProjectLimit[]> {
    await this.access.project(this.store, principal, 'listProjectLimits', groupId);
    const values = await this.store.projectSettings.limits(groupId);
    return Promise.all(PROJECT_LIMITS.map((definition) => this.limitOf(this.store, groupId, definition, values)));
  }

  async limit(principal: Principal, groupId: string, definition: ProjectLimitDefinition): Promise<ProjectLimit> {
    await this.access.project(this.store, principal, 'getProjectLimit', groupId);
    return this.limitOf(this.store, groupId, definition, await this.store.projectSettings.limits(groupId));
  }

  async setLimit(
    principal: Principal,
    groupId: string,
    definition: ProjectLimitDefinition,
    change: ProjectLimitChange,
  ): Promise<ProjectLimit> {
    const project = await this.access.project(this.store, principal, 'setProjectLimit', groupId);
    const { name } = definition;
    if (change.name !== undefined && change.name !== name) throw new AtlasError('ATTRIBUTE_READ_ONLY', 'name');
    checkLimitValue(definition, change.value);
    return this.store.transaction(async (repositories) => {
      await repositories.projects.lock(groupId);
      const values = await repositories.projectSettings.limits(groupId);
      if ((values.get(name) ?? definition.defaultLimit) !== change.value) {
        await repositories.projectSettings.setLimit(groupId, name, change.value, this.clock.now());
        await this.audit.record(repositories, principal, 'DBCERTS_GROUP_LIMIT_CHANGED', projectScope(project));
        values.set(name, change.value);
      }
      return this.limitOf(repositories, groupId, definition, values);
    });
  }

  /** Puts a limit back to its default value. */
  async resetLimit(principal: Principal, groupId: string, definition: ProjectLimitDefinition): Promise<void> {
    const project = await this.access.project(this.store, principal, 'deleteProjectLimit', groupId);
    await this.store.transaction(async (repositories) => {
      await repositories.projects.lock(groupId);
      if (await repositories.projectSettings.resetLimit(groupId, definition.name)) {
        await this.audit.record(repositories, principal, 'DBCERTS_GROUP_LIMIT_CHANGED', projectScope(project));
      }
    });
  }

  /** dbcerts has no teams: every project's team list is empty, once the caller may read it. */
  async teams(principal: Principal, groupId: string): Promise<void> {
    await this.access.project(this.store, principal, 'listProjectTeams', groupId);
  }

  /** The project whose IP addresses are asked for; dbcerts runs no clusters, so it has none. */
  ipAddresses(principal: Principal, groupId: string): Promise<Project> {
    return this.access.project(this.store, principal, 'returnAllIpAddresses', groupId);
  }

  private async limitOf(
    repositories: Repositories,
    groupId: string,
    definition: ProjectLimitDefinition,
    values: ReadonlyMap<string, number>,
  ): Promise<ProjectLimit> {
    return {
      ...definition,
      value: values.get(definition.name) ?? definition.defaultLimit,
      currentUsage: await this.usage(repositories, groupId, definition.name),
    };
  }

  private usage(repositories: Repositories, groupId: string, name: string): Promise<number> {
    switch (name) {
      case DATABASE_USERS_LIMIT:
        return repositories.databaseUsers.count(groupId, this.clock.now());
      default:
        throw new Error(`no usage is counted for limit ${name}`);
    }
  }
}
