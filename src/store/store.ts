import type { Kysely } from 'kysely';
import type { UserCertificate } from '../domain/certificate.js';
import type { AuditEvent } from '../domain/events.js';
import {
  type DatabaseOptions,
  type Dialect,
  kyselyColumnReader,
  openDatabase,
  type PoolStats,
  type ColumnReader,
  SQLITE_BUSY_TIMEOUT_MS,
  type WalSync,
  whenUnlocked,
} from './database.js';
import { sql } from 'kysely';
import { migrateToLatest } from './migrator.js';
import { TurnBatch } from './turn-batch.js';
import { AccessListsRepository } from './repositories/access-lists.js';
import { AlertsRepository } from './repositories/alerts.js';
import { ApiKeysRepository } from './repositories/api-keys.js';
import {
  CertificateAuthoritiesRepository,
  CertificatesRepository,
  type IssuanceOutcome,
  type IssuanceRecord,
} from './repositories/certificates.js';
import { ConsoleSessionsRepository } from './repositories/console-sessions.js';
import { CustomDbRolesRepository } from './repositories/custom-db-roles.js';
import { DatabaseUsersRepository } from './repositories/database-users.js';
import {
  DigestNonceUsesRepository,
  InMemoryNonceUses,
  type NonceUseLedger,
  SharedFileNonceUses,
} from './repositories/digest-nonces.js';
import { EventsRepository, eventRow } from './repositories/events.js';
import { OrganizationsRepository, ProjectsRepository } from './repositories/organizations.js';
import { ProjectSettingsRepository } from './repositories/project-settings.js';
import { RateLimitBucketsRepository } from './repositories/rate-limits.js';
import { RevocationListsRepository } from './repositories/revocation-lists.js';
import { RevokedTokensRepository, ServiceAccountSecretsRepository } from './repositories/service-account-secrets.js';
import { SettingsRepository } from './repositories/settings.js';
import { UserSecurityRepository } from './repositories/user-security.js';
import type { Database } from './schema.js';

/** Every repository, bound to one connection or one transaction. */
export class Repositories {
  readonly settings: SettingsRepository;
  readonly organizations: OrganizationsRepository;
  readonly projects: ProjectsRepository;
  readonly apiKeys: ApiKeysRepository;
  readonly databaseUsers: DatabaseUsersRepository;
  readonly certificateAuthorities: CertificateAuthoritiesRepository;
  readonly certificates: CertificatesRepository;
  readonly digestNonceUses: NonceUseLedger;
  readonly accessLists: AccessListsRepository;
  readonly rateLimitBuckets: RateLimitBucketsRepository;
  readonly events: EventsRepository;
  readonly userSecurity: UserSecurityRepository;
  readonly revocationLists: RevocationListsRepository;
  readonly alerts: AlertsRepository;
  readonly serviceAccountSecrets: ServiceAccountSecretsRepository;
  readonly revokedTokens: RevokedTokensRepository;
  readonly consoleSessions: ConsoleSessionsRepository;
  readonly projectSettings: ProjectSettingsRepository;
  readonly customDbRoles: CustomDbRolesRepository;

  constructor(db: Kysely<Database>, dialect: Dialect, readColumn: ColumnReader = kyselyColumnReader(db)) {
    this.settings = new SettingsRepository(db);
    this.organizations = new OrganizationsRepository(db);
    this.projects = new ProjectsRepository(db, dialect === 'postgres');
    this.apiKeys = new ApiKeysRepository(db, readColumn);
    this.databaseUsers = new DatabaseUsersRepository(db, dialect === 'postgres');
    this.certificateAuthorities = new CertificateAuthoritiesRepository(db);
    this.certificates = new CertificatesRepository(db, dialect, readColumn);
    this.digestNonceUses = new DigestNonceUsesRepository(db);
    this.accessLists = new AccessListsRepository(db);
    this.rateLimitBuckets = new RateLimitBucketsRepository(db, dialect === 'postgres');
    this.events = new EventsRepository(db);
    this.userSecurity = new UserSecurityRepository(db);
    this.revocationLists = new RevocationListsRepository(db, dialect === 'postgres');
    this.alerts = new AlertsRepository(db);
    this.serviceAccountSecrets = new ServiceAccountSecretsRepository(db);
    this.revokedTokens = new RevokedTokensRepository(db);
    this.consoleSessions = new ConsoleSessionsRepository(db);
    this.projectSettings = new ProjectSettingsRepository(db);
    this.customDbRoles = new CustomDbRolesRepository(db);
  }
}

export class Store extends Repositories {
  /** Digest nonce uses: in the database when instances share it, in memory for the embedded store. */
  override readonly digestNonceUses: NonceUseLedger;

  private constructor(
    readonly db: Kysely<Database>,
    readonly dialect: Dialect,
    readonly location: string,
    /** PostgreSQL connection pool usage; undefined for SQLite. */
    readonly poolStats: (() => PoolStats) | undefined,
    readColumn: ColumnReader,
    nonceLedger: DatabaseOptions['nonceLedger'],
    walSync: WalSync | undefined,
  ) {
    super(db, dialect, readColumn);
    this.#groupCommit = new GroupCommit(db, dialect, walSync);
    // Shared with every instance on PostgreSQL; on the embedded store, with the other
    // processes serving it, or kept in memory by the only one.
    this.digestNonceUses =
      dialect === 'postgres'
        ? new DigestNonceUsesRepository(db)
        : nonceLedger
          ? new SharedFileNonceUses(nonceLedger.file, nonceLedger.tag)
          : new InMemoryNonceUses();
  }

  /** Opens the database and brings its schema up to date. */
  static async open(options: DatabaseOptions): Promise<Store> {
    const opened = await openDatabase(options);
    try {
      await migrateToLatest(opened.db, opened.dialect);
    } catch (error) {
      await opened.db.destroy();
      throw error;
    }
    opened.reuseStatements?.();
    return new Store(
      opened.db,
      opened.dialect,
      opened.location,
      opened.poolStats,
      opened.readColumn,
      options.nonceLedger,
      opened.walSync,
    );
  }

  /** Answers when the database does (readiness). */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  /**
   * After a bulk load (`certificates.insertMany`), what autovacuum would do soon after on
   * PostgreSQL: statistics, and the visibility map without which it cannot skip a page of a
   * list (OFFSET) in the index alone. Nothing on SQLite, whose server finds its indexes
   * without statistics, as a fresh install does.
   */
  async settleAfterBulkLoad(): Promise<void> {
    if (this.dialect === 'postgres') await sql`vacuum (analyze) certificates`.execute(this.db);
  }

  /**
   * Records an issued certificate with its audit event, atomically, if the certificate's
   * user is still live at `now`. On PostgreSQL the issuances of one event-loop turn go in
   * one statement (instead of a transaction's five round trips each); on SQLite each is a
   * (group-committed) transaction.
   */
  recordIssuedCertificate(certificate: UserCertificate, event: AuditEvent, now: Date): Promise<IssuanceOutcome> {
    const issuance: IssuanceRecord = { certificate, event: eventRow(event), now };
    if (this.dialect === 'sqlite') {
      return this.transaction((repositories) => repositories.certificates.insertIssuedSqlite(issuance));
    }
    return this.#issuances.add(issuance);
  }

  readonly #issuances = new TurnBatch<IssuanceRecord, IssuanceOutcome>((issuances) =>
    this.certificates.insertIssuedPostgres(issuances),
  );

  /** Runs `work` atomically: every write in it lands, or none does. */
  transaction<T>(work: (repositories: Repositories) => Promise<T>): Promise<T> {
    if (this.dialect === 'sqlite') return this.#groupCommit.run(work);
    return this.db.transaction().execute((trx) => work(new Repositories(trx, this.dialect)));
  }

  readonly #groupCommit: GroupCommit;

  async close(): Promise<void> {
    this.digestNonceUses.close();
    await this.db.destroy();
  }
}

interface QueuedWork {
  work: (repositories: Repositories) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for the embedded store. SQLite has one writer, and most of a small write
 * transaction's cost is its commit (an fsync, with synchronous=FULL); so transactions that
 * arrive while another one runs are run together in the next database transaction, each
 * inside its own savepoint, and committed once. A work that fails rolls back to its
 * savepoint alone; a failed commit fails all of them. Each caller is answered only after
 * the commit, and with synchronous=full only after the log's sync that follows it (WalSync).
 *
 * better-sqlite3 is synchronous: a transaction, its commit included, runs to its end
 * without letting another request take a step. Each batch therefore starts one turn of the
 * event loop after it is due (setImmediate), so that the requests whose I/O completed in
 * that turn join it; started at once, nearly every batch held one work, and each paid its
 * own fsync.
 */
class GroupCommit {
  #queue: QueuedWork[] = [];
  #draining = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
    /** Present with synchronous=full: commits are synced by it, off the event loop. */
    private readonly walSync: WalSync | undefined,
  ) {}

  run<T>(work: (repositories: Repositories) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#draining) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#queue.length > 0) {
        await new Promise((resolve) => setImmediate(resolve));
        const batch = this.#queue;
        this.#queue = [];
        const outcomes: Outcome[] = [];
        try {
          await this.#commit(batch, outcomes);
        } catch (error) {
          // The commit failed (or the lone work did): nothing of the batch landed.
          for (const item of batch) item.reject(error);
          continue;
        }
        const answer = () =>
          batch.forEach((item, index) => {
            const outcome = outcomes[index]!;
            if (outcome.ok) item.resolve(outcome.value);
            else item.reject(outcome.error);
          });
        // The next batch may commit while this one's sync runs; this one is answered after it.
        if (this.walSync)
          this.walSync.sync().then(answer, (error: unknown) => {
            for (const item of batch) item.reject(error);
          });
        else answer();
      }
    } finally {
      this.#draining = false;
    }
  }

  /** The batch in one transaction; with a WalSync, committed without waiting for the disk. */
  async #commit(batch: QueuedWork[], outcomes: Outcome[]): Promise<void> {
    // Another worker holding the write lock makes BEGIN IMMEDIATE fail; the connection
    // serves other statements until the next try. A batch is tried again only if none of
    // its works ran.
    await whenUnlocked(
      () => this.#commitUnsynced(batch, outcomes),
      () => outcomes.length === 0,
    );
  }

  async #commitUnsynced(batch: QueuedWork[], outcomes: Outcome[]): Promise<void> {
    // The connection is held from the first pragma to the last, so no other statement runs
    // without a busy timeout (or commits with synchronous=NORMAL).
    await this.db.connection().execute(async (connection) => {
      await sql`pragma busy_timeout = 0`.execute(connection);
      if (this.walSync) await sql`pragma synchronous = normal`.execute(connection);
      try {
        await this.#transaction(connection, batch, outcomes);
      } finally {
        if (this.walSync) await sql`pragma synchronous = full`.execute(connection);
        await sql`pragma busy_timeout = ${sql.lit(SQLITE_BUSY_TIMEOUT_MS)}`.execute(connection);
      }
    });
  }

  async #transaction(db: Kysely<Database>, batch: QueuedWork[], outcomes: Outcome[]): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const repositories = new Repositories(trx, this.dialect);
      if (batch.length === 1) {
        // Alone: no savepoint needed; a failure rolls the transaction back.
        outcomes.push({ ok: true, value: await batch[0]!.work(repositories) });
        return;
      }
      for (const item of batch) {
        await sql`savepoint grouped_work`.execute(trx);
        try {
          const value = await item.work(repositories);
          await sql`release savepoint grouped_work`.execute(trx);
          outcomes.push({ ok: true, value });
        } catch (error) {
          await sql`rollback to savepoint grouped_work`.execute(trx);
          await sql`release savepoint grouped_work`.execute(trx);
          outcomes.push({ ok: false, error });
        }
      }
    });
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };
