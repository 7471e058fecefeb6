import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { isUniqueViolation } from '../database.js';

/** Small server-wide values (secrets sealed by the caller), written once and shared by every instance. */
export class SettingsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(name: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirst();
    return row?.value;
  }

  /** Fails with a unique violation when the setting exists. */
  async insert(name: string, value: string): Promise<void> {
    await this.db.insertInto('settings').values({ name, value }).execute();
  }

  /**
   * Stores `value` unless the setting exists, and returns the stored value: when two
   * instances start together, both end up with the first one's value.
   */
  async getOrCreate(name: string, create: () => string): Promise<string> {
    const existing = await this.get(name);
    if (existing !== undefined) return existing;
    try {
      const value = create();
      await this.db.insertInto('settings').values({ name, value }).execute();
      return value;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const winner = await this.get(name);
      if (winner === undefined) throw error;
      return winner;
    }
  }
}
