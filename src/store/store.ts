import type { Kysely } from 'kysely';
import { type DatabaseOptions, type Dialect, openDatabase, type PoolStats } from './database.js';
import { sql } from 'kysely';
import { migrateToLatest } from './migrations.js';
import { AccessListsRepository } from './repositories/access-lists.js';
import { AlertsRepository } from './repositories/alerts.js';
import { ApiKeysRepository } from './repositories/api-keys.js';
import { CertificateAuthoritiesRepository, CertificatesRepository } from './repositories/certificates.js';
import { DatabaseUsersRepository } from './repositories/database-users.js';
import { DigestNonceUsesRepository, InMemoryNonceUses, type NonceUseLedger } from './repositories/digest-nonces.js';
import { EventsRepository } from './repositories/events.js';
import { OrganizationsRepository, ProjectsRepository } from './repositories/organizations.js';
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

  constructor(db: Kysely<Database>, dialect: Dialect) {
    this.settings = new SettingsRepository(db);
    this.organizations = new OrganizationsRepository(db);
    this.projects = new ProjectsRepository(db, dialect === 'postgres');
    this.apiKeys = new ApiKeysRepository(db);
    this.databaseUsers = new DatabaseUsersRepository(db);
    this.certificateAuthorities = new CertificateAuthoritiesRepository(db);
    this.certificates = new CertificatesRepository(db);
    this.digestNonceUses = new DigestNonceUsesRepository(db);
    this.accessLists = new AccessListsRepository(db);
    this.rateLimitBuckets = new RateLimitBucketsRepository(db, dialect === 'postgres');
    this.events = new EventsRepository(db);
    this.userSecurity = new UserSecurityRepository(db);
    this.revocationLists = new RevocationListsRepository(db, dialect === 'postgres');
    this.alerts = new AlertsRepository(db);
    this.serviceAccountSecrets = new ServiceAccountSecretsRepository(db);
    this.revokedTokens = new RevokedTokensRepository(db);
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
  ) {
    super(db, dialect);
    this.digestNonceUses = dialect === 'sqlite' ? new InMemoryNonceUses() : new DigestNonceUsesRepository(db);
  }

  /** Opens the database and brings its schema up to date. */
  static async open(options: DatabaseOptions): Promise<Store> {
    const opened = openDatabase(options);
    try {
      await migrateToLatest(opened.db, opened.dialect);
    } catch (error) {
      await opened.db.destroy();
      throw error;
    }
    return new Store(opened.db, opened.dialect, opened.location, opened.poolStats);
  }

  /** Answers when the database does (readiness). */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  /** Runs `work` atomically: every write in it lands, or none does. */
  transaction<T>(work: (repositories: Repositories) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => work(new Repositories(trx, this.dialect)));
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
