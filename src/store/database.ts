import { closeSync, fdatasync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { type CompiledQuery, Kysely, PostgresDialect, SqliteDialect, type SqliteDialectConfig } from 'kysely';
import type pg from 'pg';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

/**
 * When the embedded store acknowledges a commit: `full` once the write-ahead log is on the
 * disk (fsync per commit; with group commit, one per group of concurrent writes);
 * `normal` as soon as it is in the OS's page cache, synced only at checkpoints, so an OS
 * crash or power cut can lose the last acknowledged writes (never corrupt the file).
 */
export const SQLITE_SYNCHRONOUS_MODES = ['full', 'normal'] as const;
export type SqliteSynchronous = (typeof SQLITE_SYNCHRONOUS_MODES)[number];

export function isSqliteSynchronous(value: string): value is SqliteSynchronous {
  return (SQLITE_SYNCHRONOUS_MODES as readonly string[]).includes(value);
}

export interface DatabaseOptions {
  /** `postgres://…` selects PostgreSQL; absent, the embedded SQLite file under `dataDir`. */
  databaseUrl?: string | undefined;
  dataDir: string;
  /** SQLite: when a commit counts as done (default `full`: on the disk). */
  sqliteSynchronous?: SqliteSynchronous;
  /** PostgreSQL: connections per instance (default 10). */
  poolSize?: number;
  /** PostgreSQL: how long to wait for a connection before giving up (ms, default 5000). */
  connectTimeoutMs?: number;
  /** PostgreSQL: prepare the statements sent repeatedly, once per connection (default true). */
  preparedStatements?: boolean;
  /** PostgreSQL: the longest a statement may run (ms, default 30000). */
  statementTimeoutMs?: number;
  /** Told about connection errors the pool recovers from by itself. */
  onPoolError?: (error: Error) => void;
  /**
   * The embedded store served by several processes: their Digest nonce uses go to this
   * scratch file, and their nonces carry this tag (4 hex digits). Absent: in memory.
   */
  nonceLedger?: { file: string; tag: string } | undefined;
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

/**
 * Runs a compiled select and answers the first column of its rows: a list page arrives
 * as its items' JSON text, written by the database, without an object or an array per
 * row. Reads committed data only, never a transaction's.
 */
export type ColumnReader = (query: CompiledQuery) => Promise<unknown[]>;

/** The same answer through Kysely (inside a transaction, or wherever no faster reader exists). */
export function kyselyColumnReader(db: Kysely<Database>): ColumnReader {
  return async (query) =>
    (await db.executeQuery<Record<string, unknown>>(query)).rows.map((row) => Object.values(row)[0]);
}

export interface OpenedDatabase {
  db: Kysely<Database>;
  readColumn: ColumnReader;
  dialect: Dialect;
  /** Where the data is, for messages (no password). */
  location: string;
  /** PostgreSQL connection pool usage (undefined for SQLite). */
  poolStats?: () => PoolStats;
  /** PostgreSQL: from now on, statements sent repeatedly are prepared once per connection. */
  reuseStatements?: () => void;
  /** SQLite with synchronous=full: syncs the write-ahead log off the event loop (see WalSync). */
  walSync?: WalSync;
}

const syncData = (descriptor: number) =>
  new Promise<void>((resolve, reject) => fdatasync(descriptor, (error) => (error ? reject(error) : resolve())));

/**
 * Makes the embedded store's group commits durable without stopping the process. With
 * synchronous=FULL SQLite syncs the write-ahead log inside COMMIT: the only thread of the
 * worker waits for the disk, and keeps the file's write lock meanwhile, so every other
 * worker's writer waits as well (asleep in SQLite's busy handler). A group commit instead
 * commits with synchronous=NORMAL, which hands the log's new frames to the OS, and then asks
 * this for an fdatasync of the log on libuv's thread pool, answering its callers once that
 * returns: an answered write is on the disk, as with FULL. Readers may see a commit up to
 * one sync before it is answered. Syncs are coalesced: commits that land while one runs
 * share the next.
 */
export class WalSync {
  #descriptor: number | undefined;
  #running: Promise<void> | undefined;
  #queued: Promise<void> | undefined;

  constructor(
    private readonly walFile: string,
    private readonly syncDescriptor: (descriptor: number) => Promise<void> = syncData,
  ) {}

  /** Resolves once everything this process wrote to the log before the call is on the disk. */
  sync(): Promise<void> {
    if (this.#queued) return this.#queued;
    if (!this.#running) return this.#run();
    // The running sync may have started before the caller's commit reached the log.
    const queued: Promise<void> = this.#running
      .catch(() => undefined)
      .then(() => {
        this.#queued = undefined;
        return this.#run();
      });
    this.#queued = queued;
    return queued;
  }

  #run(): Promise<void> {
    const running = new Promise<number>((resolve) => {
      // SQLite keeps the log while any connection is open (this process's is), so one
      // descriptor serves for the store's life.
      resolve((this.#descriptor ??= openSync(this.walFile, 'r')));
    })
      .then(this.syncDescriptor)
      .finally(() => {
        if (this.#running === running) this.#running = undefined;
      });
    this.#running = running;
    return running;
  }

  /** Closes the log's descriptor, once the syncs already asked for have returned. */
  close(): void {
    const finish = () => {
      if (this.#descriptor !== undefined) closeSync(this.#descriptor);
      this.#descriptor = undefined;
    };
    const pending = this.#queued ?? this.#running;
    if (pending) void pending.catch(() => undefined).then(finish);
    else finish();
  }
}

export const SQLITE_FILE_NAME = 'dbcerts.sqlite';

/** How long a writer waits for another process's write lock on the embedded store. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

/** The write found the file's lock held by another connection (SQLite's "database is locked"). */
function isLockedOut(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'SQLITE_BUSY';
}

/**
 * Runs `write` (on a connection whose busy timeout is 0) until it no longer finds another
 * process's lock, for up to SQLITE_BUSY_TIMEOUT_MS: the waits between tries yield to the
 * event loop, where SQLite's busy handler would sleep the whole process. `mayRetry` can
 * refuse a retry (when the failed try already did part of its work).
 */
export async function whenUnlocked<T>(write: () => T | Promise<T>, mayRetry: () => boolean = () => true): Promise<T> {
  const deadline = Date.now() + SQLITE_BUSY_TIMEOUT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!isLockedOut(error) || !mayRetry() || Date.now() >= deadline) throw error;
    }
    await new Promise((resolve) =>
      attempt < 8 ? setImmediate(resolve) : setTimeout(resolve, Math.min(attempt - 7, 4)),
    );
  }
}

const STATEMENT_CACHE_SIZE = 256;

const BOUND_PAGE_LIMITS = / limit \?( offset \?)?$/;

/**
 * The SQL SQLite is given for a statement Kysely wrote. SQLite's planner reads the value
 * bound to a statement's `limit ?` and so marks the statement stale whenever that
 * parameter is bound again, which better-sqlite3 does on every run: each list page was
 * prepared anew (a tenth of a list request's CPU). `limit (? + 0)` is the same limit to
 * the statement and no value to the planner, whose plan for dbcerts' lists (an index in
 * list order) does not depend on it.
 */
export function sqliteText(kyselySql: string): string {
  if (kyselySql === 'begin') {
    // Several processes may write the file: a transaction takes the write lock when it
    // begins (waiting up to the busy timeout) rather than failing when its first write
    // finds another process's commit after its snapshot.
    return 'begin immediate';
  }
  return kyselySql.replace(BOUND_PAGE_LIMITS, (_match, offset?: string) =>
    offset ? ' limit (? + 0) offset (? + 0)' : ' limit (? + 0)',
  );
}

/**
 * Kysely prepares every query anew; preparing costs more than running the short queries
 * dbcerts makes. Statements are reused per SQL text (the driver is synchronous, so one
 * statement never serves two queries at once); the least recently used is dropped.
 */
function preparedBySql<Statement>(prepare: (sqliteSql: string) => Statement): (sql: string) => Statement {
  const statements = new Map<string, Statement>();
  return (sql) => {
    let statement = statements.get(sql);
    if (statement) {
      statements.delete(sql);
    } else {
      statement = prepare(sqliteText(sql));
      if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
    }
    statements.set(sql, statement);
    return statement;
  };
}

function withStatementCache(sqlite: SqliteDatabase.Database, closeAlso: () => void): SqliteDialectConfig['database'] {
  const prepare = preparedBySql((sql) => sqlite.prepare(sql));
  return {
    close: () => {
      closeAlso();
      sqlite.close();
    },
    prepare,
  } as SqliteDialectConfig['database'];
}

/**
 * A second, read-only connection for first columns. In WAL mode it reads the last commit
 * without waiting for the writer's connection, which Kysely lends to one transaction at a
 * time, and it never sees a transaction's uncommitted rows.
 */
function sqliteColumnReader(file: string): { readColumn: ColumnReader; close(): void } {
  const reader = new SqliteDatabase(file, { readonly: true });
  reader.pragma('cache_size = -32768');
  reader.defaultSafeIntegers(true);
  const prepare = preparedBySql((sql) => reader.prepare<unknown[], unknown>(sql).pluck(true));
  return {
    readColumn: async ({ sql, parameters }) => prepare(sql).all(...parameters),
    close: () => reader.close(),
  };
}

function openSqlite(dataDir: string, synchronous: SqliteSynchronous): OpenedDatabase {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, SQLITE_FILE_NAME);
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  // A certificate handed out must outlive a power cut (else its key is in the wild and the
  // inventory, the CRL and revocation no longer know it): FULL syncs the WAL before each
  // commit returns. NORMAL only survives process crashes.
  sqlite.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  // 32 MiB of page cache (the default is 2): the list indexes of a million certificates stay in memory.
  sqlite.pragma('cache_size = -32768');
  // Serials are 64-bit: every INTEGER is read as a bigint so none loses digits.
  sqlite.defaultSafeIntegers(true);
  const reader = sqliteColumnReader(file);
  const walSync = synchronous === 'full' ? new WalSync(`${file}-wal`) : undefined;
  const closeAlso = () => {
    reader.close();
    walSync?.close();
  };
  return {
    db: new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite, closeAlso) }) }),
    readColumn: reader.readColumn,
    dialect: 'sqlite',
    location: file,
    ...(walSync ? { walSync } : {}),
  };
}

const INT8_OID = 20;

const REUSING = Symbol('dbcerts.reusingStatements');
const MAX_NAMED_STATEMENTS = 256;

/**
 * Names for the PostgreSQL statements dbcerts sends again and again. Sent unnamed, each
 * query is parsed and planned anew by the server: on a list request that was most of
 * PostgreSQL's CPU. A named one is prepared once per connection and then only bound and
 * executed. Only the first MAX_NAMED_STATEMENTS texts get names (a backend keeps each
 * until its connection closes), and none before the schema is migrated: a prepared
 * statement over a table a migration changes would fail once with "cached plan must
 * not change result type".
 */
class NamedStatements {
  readonly #names = new Map<string, string>();
  #enabled = false;

  enable(): void {
    this.#enabled = true;
  }

  nameOf(text: string): string | undefined {
    if (!this.#enabled) return undefined;
    let name = this.#names.get(text);
    if (name === undefined && this.#names.size < MAX_NAMED_STATEMENTS) {
      name = `dbcerts_${this.#names.size + 1}`;
      this.#names.set(text, name);
    }
    return name;
  }
}

/** No connection could be had from the pool; `cause` says why. */
class DatabaseConnectError extends Error {
  override name = 'DatabaseConnectError';
  readonly code = 'DBCERTS_DB_CONNECT';
  constructor(cause: unknown) {
    super(`could not connect to the database: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

async function openPostgres(url: string, options: DatabaseOptions): Promise<OpenedDatabase> {
  // Loaded only when PostgreSQL is used: the embedded store starts faster without it.
  const { default: pg } = await import('pg');
  const max = options.poolSize ?? 10;
  const types = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === INT8_OID && format !== 'binary') return (value: string) => BigInt(value);
      return pg.types.getTypeParser(oid, format);
    },
  };
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    types,
  } as pg.PoolConfig);
  // An idle connection the server dropped (restart, pg_terminate_backend) is an event, not
  // a crash: the pool discards it and opens a new one when the database is back.
  pool.on('error', (error) => options.onPoolError?.(error));
  // pg-pool stops listening for errors on a connection while it is checked out; a backend
  // ended then (between two statements) would be an unhandled 'error' event and kill the
  // process. Listened to here, the connection's next query fails (503) and the pool drops it.
  pool.on('connect', (client) => client.on('error', (error) => options.onPoolError?.(error)));
  const statements = new NamedStatements();
  const reusing = (client: pg.PoolClient): pg.PoolClient => {
    if (!(client as { [REUSING]?: true })[REUSING]) {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      Object.assign(client, {
        [REUSING]: true,
        // Kysely's form, query(text, values); any other (pool.query's, with a callback) as it was.
        query: (...args: unknown[]) => {
          const [text, values] = args;
          const name =
            args.length === 2 && typeof text === 'string' && Array.isArray(values) && values.length > 0
              ? statements.nameOf(text)
              : undefined;
          return name ? query({ name, text, values }) : query(...args);
        },
      });
    }
    return client;
  };
  const redacted = new URL(url);
  if (redacted.password) redacted.password = '***';
  return {
    db: new Kysely<Database>({
      dialect: new PostgresDialect({
        pool: {
          // Any failure to get a connection (refused, no such database, role disabled,
          // connections not allowed) means the database is unavailable, not a bug.
          connect: () =>
            pool.connect().then(reusing, (error: unknown) => {
              throw new DatabaseConnectError(error);
            }),
          end: () => pool.end(),
        },
      }),
    }),
    readColumn: async ({ sql, parameters }) => {
      const name = statements.nameOf(sql);
      const values = parameters as unknown[];
      const result = await pool.query<unknown[]>({ ...(name ? { name } : {}), text: sql, values, rowMode: 'array' });
      return result.rows.map((row) => row[0]);
    },
    reuseStatements: () => {
      if (options.preparedStatements !== false) statements.enable();
    },
    dialect: 'postgres',
    location: redacted.toString(),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max }),
  };
}

export async function openDatabase(options: DatabaseOptions): Promise<OpenedDatabase> {
  const url = options.databaseUrl;
  if (url && /^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options);
  if (url) throw new Error(`unsupported database URL (expected postgres://…): ${url.split(':')[0]}:…`);
  return openSqlite(options.dataDir, options.sqliteSynchronous ?? 'full');
}

/** True for a unique or primary-key violation, on either engine. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

const UNAVAILABLE_CODES = new Set([
  // PostgreSQL: the server is shutting down, restarting, refusing connections, or the link broke.
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '53300',
  // dbcerts: no connection could be had at all.
  'DBCERTS_DB_CONNECT',
  // Node: the socket failed.
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  // SQLite: locked for longer than the busy timeout, disk or I/O failure.
  'SQLITE_BUSY',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  // The disk, when the write-ahead log is synced.
  'EIO',
  'ENOSPC',
]);

/**
 * True when a failure means "the database is unreachable right now" (answered 503, and
 * the pool reconnects by itself) rather than a bug.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined; current;) {
    if (typeof current.code === 'string' && UNAVAILABLE_CODES.has(current.code)) return true;
    const message = typeof current.message === 'string' ? current.message : '';
    if (
      /Connection terminated|timeout exceeded when trying to connect|connection error|Client was closed/i.test(message)
    ) {
      return true;
    }
    current =
      typeof current.cause === 'object' && current.cause !== null ? (current.cause as typeof current) : undefined;
  }
  return false;
}
