import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { isUniqueViolation } from '../database.js';

/**
 * Replay protection for HTTP Digest: each (nonce, cnonce, nc) may authenticate one
 * request. Kept in the database so every instance sees every use.
 */
export class DigestNonceUsesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Records a use; false when it was recorded before (a replay). */
  async recordUse(nonce: string, cnonce: string, nc: string, expiresAt: Date): Promise<boolean> {
    try {
      await this.db
        .insertInto('digest_nonce_uses')
        .values({ nonce, cnonce, nc, expires_at: expiresAt.toISOString() })
        .execute();
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async purgeExpired(now: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('digest_nonce_uses')
      .where('expires_at', '<=', now.toISOString())
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
