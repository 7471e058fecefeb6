import { type Kysely, sql } from 'kysely';
import type { BucketState } from '../../domain/rate-limit.js';
import type { Database } from '../schema.js';

/**
 * Token buckets in the database, so every instance draws from the same bucket. Callers
 * read and write a bucket inside one transaction; on PostgreSQL `find` takes a
 * transaction lock on the bucket's key first (SQLite serialises writers anyway). A row
 * lock alone would not do: a bucket's first draws find no row to lock, each would see a
 * full bucket, and their upserts would overwrite one another.
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
    if (this.lockRows) await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(this.db);
    const row = await this.db
      .selectFrom('rate_limit_buckets')
      .select(['tokens', 'period_start'])
      .where('bucket_key', '=', key)
      .executeTakeFirst();
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
