import type { Kysely } from 'kysely';
import { DEFAULT_MANAGED_SLOW_MS, DEFAULT_PROJECT_SETTINGS, type ProjectSettings } from '../../domain/project.js';
import type { Database } from '../schema.js';

export interface StoredProjectSettings {
  settings: ProjectSettings;
  managedSlowMs: boolean;
}

/** Project settings and limits; a project with no row has Atlas' defaults. */
export class ProjectSettingsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async find(groupId: string): Promise<StoredProjectSettings> {
    const row = await this.db
      .selectFrom('project_settings')
      .select(['settings', 'managed_slow_ms'])
      .where('project_id', '=', groupId)
      .executeTakeFirst();
    if (!row) return { settings: { ...DEFAULT_PROJECT_SETTINGS }, managedSlowMs: DEFAULT_MANAGED_SLOW_MS };
    return {
      // Stored documents hold every flag of their time; a flag added later starts at its default.
      settings: { ...DEFAULT_PROJECT_SETTINGS, ...(JSON.parse(row.settings) as Partial<ProjectSettings>) },
      managedSlowMs: Number(row.managed_slow_ms) === 1,
    };
  }

  async save(groupId: string, stored: StoredProjectSettings, at: Date): Promise<void> {
    const values = {
      settings: JSON.stringify(stored.settings),
      managed_slow_ms: stored.managedSlowMs ? 1 : 0,
      updated_at: at.toISOString(),
    };
    await this.db
      .insertInto('project_settings')
      .values({ project_id: groupId, ...values })
      .onConflict((oc) => oc.column('project_id').doUpdateSet(values))
      .execute();
  }

  /** The limits of the project set away from their default, by name. */
  async limits(groupId: string): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('project_limits')
      .select(['name', 'value'])
      .where('project_id', '=', groupId)
      .execute();
    return new Map(rows.map((row) => [row.name, Number(row.value)]));
  }

  async setLimit(groupId: string, name: string, value: number, at: Date): Promise<void> {
    const values = { value: BigInt(value), updated_at: at.toISOString() };
    await this.db
      .insertInto('project_limits')
      .values({ project_id: groupId, name, ...values })
      .onConflict((oc) => oc.columns(['project_id', 'name']).doUpdateSet(values))
      .execute();
  }

  /** Back to the default value: true when the limit had been set. */
  async resetLimit(groupId: string, name: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('project_limits')
      .where('project_id', '=', groupId)
      .where('name', '=', name)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
