import type { Kysely } from 'kysely';
import type { BucketState } from '../../domain/rate-limit.js';
import type { Database } from '../schema.js';

/**
 * Token buckets in the database, so every instance draws from the same bucket. Callers
 * read and write a bucket inside one transaction; `forUpdate` locks the row on
 * PostgreSQL (SQLite serialises writers anyway).
 */
export class RateLimitBucketsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly lockRows: boolean,
  ) {}

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db.deleteFrom('rate_limit_buckets').where('bucket_key', 'in', keys).execute();
  }

  async find(key: string): Promise<BucketState | undefined> {
    let query = this.db
      .selectFrom('rate_limit_buckets')
      .select(['tokens', 'period_start'])
      .where('bucket_key', '=', key);
    if (this.lockRows) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row && { tokens: Number(row.tokens), periodStart: Number(row.period_start) };
  }

  async save(key: string, state: BucketState): Promise<void> {
    await this.db
      .insertInto('rate_limit_buckets')
      .values({ bucket_key: key, tokens: state.tokens, period_start: state.periodStart })
      .onConflict((oc) =>
        oc.column('bucket_key').doUpdateSet({ tokens: state.tokens, period_start: state.periodStart }),
      )
      .execute();
  }
}
