import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { isUniqueViolation } from '../database.js';

/**
 * Replay protection for HTTP Digest: each (nonce, cnonce, nc) may authenticate one
 * request.
 */
export interface NonceUseLedger {
  /** Records a use; false when it was recorded before (a replay). */
  recordUse(nonce: string, cnonce: string, nc: string, expiresAt: Date): Promise<boolean>;
  /** Forgets uses of nonces that have expired (an expired nonce is refused anyway). */
  purgeExpired(now: Date): Promise<number>;
  /** False when uses are forgotten on restart: nonces issued before it must count as stale. */
  readonly sharedAcrossRestarts: boolean;
}

/** In the database, so every instance of a deployment sees every use (PostgreSQL). */
export class DigestNonceUsesRepository implements NonceUseLedger {
  readonly sharedAcrossRestarts = true;

  constructor(private readonly db: Kysely<Database>) {}

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

/**
 * In this process's memory, for the embedded store: one process serves it, so no other
 * instance needs to see the uses, and a request does not pay a database commit for them.
 * A use is kept as a 53-bit fingerprint of (cnonce, nc) under its nonce, about 40 bytes;
 * two different uses sharing a fingerprint would only refuse the second one (the client
 * asks for a new nonce), never admit a replay. Uses recorded before a restart are gone,
 * so nonces of an earlier process count as stale: clients fetch a fresh one.
 */
export class InMemoryNonceUses implements NonceUseLedger {
  readonly sharedAcrossRestarts = false;
  readonly #nonces = new Map<string, { expiresAt: number; uses: Set<number> }>();

  async recordUse(nonce: string, cnonce: string, nc: string, expiresAt: Date): Promise<boolean> {
    let entry = this.#nonces.get(nonce);
    if (!entry) {
      entry = { expiresAt: expiresAt.getTime(), uses: new Set() };
      this.#nonces.set(nonce, entry);
    }
    const fingerprint = useFingerprint(cnonce, nc);
    if (entry.uses.has(fingerprint)) return false;
    entry.uses.add(fingerprint);
    return true;
  }

  async purgeExpired(now: Date): Promise<number> {
    let purged = 0;
    for (const [nonce, entry] of this.#nonces) {
      if (entry.expiresAt <= now.getTime()) {
        purged += entry.uses.size;
        this.#nonces.delete(nonce);
      }
    }
    return purged;
  }
}

/** Two FNV-1a hashes of `cnonce \0 nc` (different offsets), joined into 53 bits. */
function useFingerprint(cnonce: string, nc: string): number {
  const text = `${cnonce}\u0000${nc}`;
  let high = 0x811c9dc5;
  let low = 0x050c5d1f;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    high = Math.imul(high ^ code, 0x01000193);
    low = Math.imul(low ^ code, 0x01000193);
  }
  return (high >>> 0) * 0x200000 + ((low >>> 0) & 0x1fffff);
}
