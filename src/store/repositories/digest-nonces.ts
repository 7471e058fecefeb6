import SqliteDatabase from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { Database } from '../schema.js';
import { isUniqueViolation, SQLITE_BUSY_TIMEOUT_MS, whenUnlocked } from '../database.js';
import { CATALOG_GENERATION_ID } from '../migrations/0015_catalog_generation.js';
import { TurnBatch } from '../turn-batch.js';
import { IDENTITY_GENERATION_ID } from './api-keys.js';

/**
 * Replay protection for HTTP Digest: each (nonce, cnonce, nc) may authenticate one
 * request.
 */
export interface NonceUseLedger {
  /** Records a use; false when it was recorded before (a replay). */
  recordUse(nonce: string, cnonce: string, nc: string, expiresAt: Date): Promise<boolean>;
  /** Forgets uses of nonces that have expired (an expired nonce is refused anyway). */
  purgeExpired(now: Date): Promise<number>;
  /**
   * Set when uses are forgotten on restart: the nonces of one run carry this tag (4 hex
   * digits), and a nonce with another tag is stale, since its uses may have been forgotten.
   */
  readonly nonceTag: string | undefined;
  /**
   * Where the ledger is in the database: records a use and reads the identity and
   * catalog generations (`apiKeys.generations`) in one round trip.
   */
  recordUseReadingGenerations?(
    nonce: string,
    cnonce: string,
    nc: string,
    expiresAt: Date,
  ): Promise<{ firstUse: boolean; identity: bigint; catalog: bigint }>;
  close(): void;
}

/** In the database, so every instance of a deployment sees every use (PostgreSQL). */
export class DigestNonceUsesRepository implements NonceUseLedger {
  readonly nonceTag = undefined;

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

  /**
   * The uses that arrive in one turn of the event loop go in one statement (a round trip,
   * a commit and its log flush for all of them), each answered as if alone: a use repeated
   * within the turn is a replay after its first.
   */
  recordUseReadingGenerations(
    nonce: string,
    cnonce: string,
    nc: string,
    expiresAt: Date,
  ): Promise<{ firstUse: boolean; identity: bigint; catalog: bigint }> {
    return this.#folds.add({ nonce, cnonce, nc, expiresAt: expiresAt.toISOString() });
  }

  readonly #folds = new TurnBatch<NonceUse, { firstUse: boolean; identity: bigint; catalog: bigint }>(async (uses) => {
    // The generations are read by the same statement as the inserts, from the snapshot it
    // starts with: as fresh as a separate read made just before it.
    const { rows } = await sql<{ recorded: [string, string, string][] | null; identity: unknown; catalog: unknown }>`
      with use as (
        insert into digest_nonce_uses (nonce, cnonce, nc, expires_at)
        select * from unnest(
          ${uses.map((use) => use.nonce)}::text[],
          ${uses.map((use) => use.cnonce)}::text[],
          ${uses.map((use) => use.nc)}::text[],
          ${uses.map((use) => use.expiresAt)}::text[]
        )
        on conflict do nothing
        returning nonce, cnonce, nc
      )
      select
        (select json_agg(json_build_array(nonce, cnonce, nc)) from use) as recorded,
        (select generation from identity_generation where id = ${IDENTITY_GENERATION_ID}) as identity,
        (select generation from identity_generation where id = ${CATALOG_GENERATION_ID}) as catalog`.execute(this.db);
    const row = rows[0]!;
    const identity = BigInt(row.identity as bigint);
    const catalog = BigInt(row.catalog as bigint);
    const recorded = new Set((row.recorded ?? []).map((use) => JSON.stringify(use)));
    // Deleted once answered: the same use again in this batch was not inserted twice.
    return uses.map((use) => ({
      firstUse: recorded.delete(JSON.stringify([use.nonce, use.cnonce, use.nc])),
      identity,
      catalog,
    }));
  });

  async purgeExpired(now: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('digest_nonce_uses')
      .where('expires_at', '<=', now.toISOString())
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  close(): void {}
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
  readonly nonceTag = randomTag();
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

  close(): void {
    this.#nonces.clear();
  }
}

/**
 * For the embedded store served by several processes: every process records uses in one
 * scratch SQLite file beside the store (WAL, no fsync: the uses matter only while their
 * nonce lives, and the file is emptied whenever the server starts, together with a new
 * tag for its nonces). A use is kept as a 53-bit fingerprint of (nonce, cnonce, nc) under
 * its expiry second; as in memory, a fingerprint shared by two uses would only refuse
 * the second one (the client asks for a new nonce), never admit a replay.
 *
 * The uses that arrive in one turn of the event loop are written in one transaction at
 * the end of it: a transaction's locks and log frame cost a worker as much as its inserts
 * (5% of a GET's CPU when each use was its own).
 */
export class SharedFileNonceUses implements NonceUseLedger {
  readonly #db: SqliteDatabase.Database;
  readonly #insert: SqliteDatabase.Statement<[number, number]>;
  readonly #purge: SqliteDatabase.Statement<[number]>;
  readonly #uses: TurnBatch<FingerprintedUse, boolean>;

  constructor(
    file: string,
    readonly nonceTag: string,
  ) {
    this.#db = openLedger(file);
    // From here on a lock held by another worker is waited for in recordUse, where the
    // wait yields to the event loop; SQLite's busy handler would sleep the whole process.
    this.#db.pragma('busy_timeout = 0');
    this.#insert = this.#db.prepare('insert or ignore into digest_nonce_uses (expires_at, fingerprint) values (?, ?)');
    this.#purge = this.#db.prepare('delete from digest_nonce_uses where expires_at <= ?');
    const insertAll = this.#db.transaction((uses: readonly FingerprintedUse[]) =>
      uses.map((use) => this.#insert.run(use.expiry, use.fingerprint).changes === 1),
    );
    // A transaction that failed on another process's lock wrote nothing: tried again whole.
    this.#uses = new TurnBatch((uses) => whenUnlocked(() => insertAll.immediate(uses)));
  }

  /**
   * Empties the file and creates it anew, in WAL mode with its table: done by the process
   * that starts the others, before any nonce exists, so that workers starting together
   * never race to switch the journal mode (which takes the file's exclusive lock).
   */
  static reset(file: string): void {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    openLedger(file).close();
  }

  recordUse(nonce: string, cnonce: string, nc: string, expiresAt: Date): Promise<boolean> {
    return this.#uses.add({
      expiry: Math.floor(expiresAt.getTime() / 1000),
      fingerprint: useFingerprint(`${nonce}\u0000${cnonce}`, nc),
    });
  }

  async purgeExpired(now: Date): Promise<number> {
    const before = Math.floor(now.getTime() / 1000);
    return (await whenUnlocked(() => this.#purge.run(before))).changes;
  }

  close(): void {
    this.#db.close();
  }
}

interface NonceUse {
  nonce: string;
  cnonce: string;
  nc: string;
  expiresAt: string;
}

interface FingerprintedUse {
  expiry: number;
  fingerprint: number;
}

/**
 * The ledger file, opened with its busy timeout set first: every statement after it,
 * the journal-mode switch included, waits for a lock another process holds instead of
 * failing at once with "database is locked".
 */
function openLedger(file: string): SqliteDatabase.Database {
  const db = new SqliteDatabase(file, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.exec(
    'create table if not exists digest_nonce_uses (expires_at integer not null, fingerprint integer not null, ' +
      'primary key (expires_at, fingerprint)) without rowid',
  );
  return db;
}

export function randomTag(): string {
  return randomBytes(2).toString('hex');
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
