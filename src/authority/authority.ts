import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { KeyPool, type KeySource } from '../pki/key-pool.js';
import { randomSerial } from '../domain/serial.js';
import type { KeyAlgorithm } from '../pki/key-algorithms.js';
import type { SecretBox } from '../pki/secret-box.js';
import type { Store } from '../store/store.js';
import { AccessControl } from './access.js';
import { CatalogCache } from './catalog-cache.js';
import { ApiKeyService } from './api-keys.js';
import { AuditTrail } from './audit.js';
import { BootstrapService } from './bootstrap.js';
import { CertificateAuthorityService } from './certificate-authorities.js';
import { CertificateService } from './certificates.js';
import { type Clock, systemClock } from './clock.js';
import { type ConsoleSessionSettings, ConsoleSessionService } from './console-sessions.js';
import { CustomDbRoleService } from './custom-db-roles.js';
import { DatabaseUserService } from './database-users.js';
import { EventService } from './events.js';
import { ExpiryAlertService, type WebhookSender } from './expiry-alerts.js';
import { OAuthService } from './oauth.js';
import { OrganizationService } from './organizations.js';
import { ProjectService } from './projects.js';
import { ProjectSettingsService } from './project-settings.js';
import { RateLimiter, type RateLimitSettings } from './rate-limits.js';
import { RevocationListService } from './revocation-lists.js';
import { ServiceAccountService } from './service-accounts.js';
import { Admission } from './identities/admission.js';
import { ClientSecrets } from './identities/client-secrets.js';
import { DigestKeys } from './identities/digest-keys.js';
import { RolesAndAccess } from './identities/roles-and-access.js';
import { UserSecurityService } from './user-security.js';

export interface AuthorityOptions {
  store: Store;
  secrets: SecretBox;
  clock?: Clock;
  /** Key type of generated user keys (Atlas: RSA-4096). */
  keyAlgorithm?: KeyAlgorithm;
  /** Key type of new project CAs (Atlas: RSA-4096). */
  caKeyAlgorithm?: KeyAlgorithm;
  /** Draws certificate serials; random 63-bit by default (tests pin them). */
  serials?: () => bigint;
  /** Per endpoint set overrides of Atlas' rate limits, or false for none. */
  rateLimits?: RateLimitSettings;
  /** Sends expiry-alert webhooks (tests replace it). */
  webhookSender?: WebhookSender;
  /** Ready user keys to keep per algorithm (default: 50 of the configured kind) and refill concurrency. */
  keyPool?: { sizes?: Partial<Record<KeyAlgorithm, number>>; concurrency?: number };
  /** Take user keys from here instead of a pool of this process's own (a worker process's). */
  keySource?: KeySource;
  /** Web console session timeouts (default: 15 minutes idle, 8 hours in all). */
  consoleSessions?: Partial<ConsoleSessionSettings>;
}

/** True when a failure means the store is unreachable right now (the API answers 503). */
export { isDatabaseUnavailable as isStoreUnavailable } from '../store/database.js';

/** Ready user keys kept by default: a burst of 50 is served from memory while RSA keys take ~0.1–1.5 s each to make. */
export const DEFAULT_KEY_POOL_SIZE = 50;

export class MasterKeyMismatchError extends Error {
  override name = 'MasterKeyMismatchError';
}

/** The use cases of dbcerts, composed over one store, one master key and one clock. */
export class Authority {
  readonly store: Store;
  readonly clock: Clock;
  readonly projects: ProjectService;
  readonly projectSettings: ProjectSettingsService;
  readonly databaseUsers: DatabaseUserService;
  readonly customDbRoles: CustomDbRoleService;
  readonly certificateAuthorities: CertificateAuthorityService;
  readonly certificates: CertificateService;
  readonly apiKeys: ApiKeyService;
  /** Checks a Digest key's credential (the API keys' routes are `apiKeys`). */
  readonly digestKeys: DigestKeys;
  /** Turns an authenticated identity into the request's Principal, or refuses it (access lists). */
  readonly admission: Admission;
  readonly bootstrap: BootstrapService;
  readonly organizations: OrganizationService;
  readonly events: EventService;
  readonly rateLimiter: RateLimiter;
  readonly keyPool: KeySource;
  readonly revocationLists: RevocationListService;
  readonly userSecurity: UserSecurityService;
  readonly expiryAlerts: ExpiryAlertService;
  readonly serviceAccounts: ServiceAccountService;
  readonly oauth: OAuthService;
  readonly consoleSessions: ConsoleSessionService;
  readonly #secrets: SecretBox;

  private constructor(options: AuthorityOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.#secrets = options.secrets;
    this.rateLimiter = new RateLimiter(this.store, this.clock, options.rateLimits);
    this.keyPool =
      options.keySource ??
      new KeyPool({
        sizes: options.keyPool?.sizes ?? { [options.keyAlgorithm ?? 'rsa-4096']: DEFAULT_KEY_POOL_SIZE },
        // Every core: the threads run at the lowest priority, so requests still come first.
        concurrency: options.keyPool?.concurrency ?? availableParallelism(),
      });
    const access = new AccessControl(this.rateLimiter, new CatalogCache(this.store));
    const audit = new AuditTrail(this.clock);
    this.organizations = new OrganizationService(this.store, access, audit);
    this.projects = new ProjectService(this.store, this.clock, access, audit);
    this.projectSettings = new ProjectSettingsService(this.store, this.clock, access, audit);
    this.databaseUsers = new DatabaseUserService(this.store, this.clock, access, audit);
    this.customDbRoles = new CustomDbRoleService(this.store, this.clock, access, audit);
    this.certificateAuthorities = new CertificateAuthorityService(
      this.store,
      this.clock,
      this.#secrets,
      options.caKeyAlgorithm ?? 'rsa-4096',
      audit,
      access,
    );
    this.revocationLists = new RevocationListService(this.store, this.clock, this.certificateAuthorities, access);
    this.certificates = new CertificateService(
      this.store,
      this.clock,
      this.certificateAuthorities,
      this.revocationLists,
      options.keyAlgorithm ?? 'rsa-4096',
      this.keyPool,
      options.serials ?? randomSerial,
      access,
      audit,
    );
    const rolesAndAccess = new RolesAndAccess(this.store, this.clock, access, audit);
    const clientSecrets = new ClientSecrets(this.store, this.clock);
    this.digestKeys = new DigestKeys(this.store, this.clock, this.#secrets, rolesAndAccess);
    this.admission = new Admission(this.store, this.clock, audit, rolesAndAccess);
    this.apiKeys = new ApiKeyService(this.store, access, audit, this.digestKeys, rolesAndAccess);
    this.events = new EventService(this.store, access, audit);
    this.serviceAccounts = new ServiceAccountService(
      this.store,
      this.clock,
      access,
      audit,
      rolesAndAccess,
      clientSecrets,
    );
    this.oauth = new OAuthService(this.store, this.clock, this.#secrets, clientSecrets);
    this.consoleSessions = new ConsoleSessionService(
      this.store,
      this.clock,
      this.digestKeys,
      clientSecrets,
      options.consoleSessions,
    );
    this.userSecurity = new UserSecurityService(this.store, this.clock, access, audit);
    this.expiryAlerts = new ExpiryAlertService(
      this.store,
      this.clock,
      this.#secrets,
      access,
      audit,
      options.webhookSender,
    );
    this.bootstrap = new BootstrapService(this.store, this.clock, this.digestKeys);
  }

  /**
   * Checks that the master key is the one this store's secrets were sealed with (the
   * first start records its fingerprint), so a wrong key fails at start-up, not on the
   * first request that needs a CA key.
   */
  static async open(options: AuthorityOptions): Promise<Authority> {
    const fingerprint = options.secrets.fingerprint();
    const recorded = await options.store.settings.getOrCreate('master_key_fingerprint', () => fingerprint);
    if (recorded !== fingerprint) {
      throw new MasterKeyMismatchError(
        `the master key (fingerprint ${fingerprint}) is not the one this store was created with (${recorded})`,
      );
    }
    const authority = new Authority(options);
    await authority.oauth.signingKey();
    return authority;
  }

  /** The secret that signs Digest nonces; shared through the store by every instance. */
  async digestNonceSecret(): Promise<Buffer> {
    const context = 'settings.digest_nonce_secret';
    const sealed = await this.store.settings.getOrCreate('digest_nonce_secret', () =>
      this.#secrets.seal(randomBytes(32), context),
    );
    return this.#secrets.open(sealed, context);
  }
}
