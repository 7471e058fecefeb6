import { createHash, timingSafeEqual } from 'node:crypto';
import type { DigestSecrets } from '../../domain/api-key.js';
import { newObjectId, newPrivateApiKey, newPublicApiKey } from '../../domain/ids.js';
import type { OrgRole } from '../../domain/roles.js';
import type { SecretBox } from '../../pki/secret-box.js';
import type { StoredApiKey } from '../../store/repositories/api-keys.js';
import type { Repositories, Store } from '../../store/store.js';
import type { Clock } from '../clock.js';
import type { IdentityRecord } from './principal.js';
import { type AccessRules, type RolesAndAccess, withoutCredentials } from './roles-and-access.js';

/**
 * An API key's credential: a public key and a private key, of which only the Digest HA1
 * (MD5 and SHA-256) is kept, sealed with the master key.
 */

/** Authenticated identities kept in memory. */
const IDENTITY_CACHE_SIZE = 10_000;

/** The realm Atlas names in its Digest challenge; it is part of every stored HA1. */
const DIGEST_REALM = 'MMS Public API';

function digestHa1(algorithm: 'md5' | 'sha256', publicKey: string, privateKey: string): string {
  return createHash(algorithm).update(`${publicKey}:${DIGEST_REALM}:${privateKey}`).digest('hex');
}

function sealContext(keyId: string, algorithm: string): string {
  return `api_keys.digest_ha1_${algorithm}:${keyId}`;
}

export interface NewApiKey {
  key: IdentityRecord;
  /** Shown once, to whoever created the key; only its Digest HA1 is kept (sealed). */
  privateKey: string;
}

/** A key as Digest authentication needs it: the key, its opened HA1s, and what admits its requests. */
export interface DigestIdentity {
  record: IdentityRecord;
  secrets: DigestSecrets;
  access: AccessRules;
}

export class DigestKeys {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly secrets: SecretBox,
    private readonly rolesAndAccess: RolesAndAccess,
  ) {}

  /** Mints a key of an organization (inside the caller's transaction when given one). */
  async mint(
    orgId: string,
    description: string,
    roles: OrgRole[],
    repositories: Repositories = this.store,
  ): Promise<NewApiKey> {
    const now = this.clock.now();
    const privateKey = newPrivateApiKey();
    const publicKey = newPublicApiKey();
    const id = newObjectId(now);
    const seal = (algorithm: 'md5' | 'sha256') =>
      this.secrets.seal(Buffer.from(digestHa1(algorithm, publicKey, privateKey)), sealContext(id, algorithm));
    const stored: StoredApiKey = {
      id,
      orgId,
      publicKey,
      description,
      roles: [...new Set(roles)],
      projectRoles: [],
      privateKeyTail: privateKey.slice(-12),
      createdAt: now,
      sealedDigestHa1Md5: seal('md5'),
      sealedDigestHa1Sha256: seal('sha256'),
    };
    await repositories.apiKeys.insert(stored, 'API_KEY');
    return { key: withoutCredentials(stored), privateKey };
  }

  /**
   * Identities by public key, each as read at one identity generation. The generation is
   * read on every request (one indexed row) and moves with any change to a key, its
   * secrets, roles or access list, on any process or instance: a cached identity is used
   * only while nothing it was built from has changed, and a deleted key stops working at
   * once. The generation is read before the identity, so an identity is never filed under
   * a generation newer than what it was read from.
   */
  readonly #identities = new Map<string, { generation: bigint; identity: DigestIdentity }>();

  /**
   * The key, the secrets Digest needs to check a request signed with `publicKey`, and what
   * admits it; with the catalog generation read in the same statement, for the request's
   * use of cached projects and users (CatalogCache).
   */
  async identity(publicKey: string): Promise<(DigestIdentity & { catalogGeneration: bigint }) | undefined> {
    return this.identityAt(publicKey, await this.store.apiKeys.generations());
  }

  /** The same, with the generations already read (along with something else). */
  async identityAt(
    publicKey: string,
    generations: { identity: bigint; catalog: bigint },
  ): Promise<(DigestIdentity & { catalogGeneration: bigint }) | undefined> {
    const { identity: generation, catalog: catalogGeneration } = generations;
    const cached = this.#identities.get(publicKey);
    if (cached?.generation === generation) return { ...cached.identity, catalogGeneration };
    this.#identities.delete(publicKey);
    const key = await this.store.apiKeys.findByPublicKey(publicKey, 'API_KEY');
    if (!key) return undefined;
    const identity: DigestIdentity = {
      record: withoutCredentials(key),
      secrets: {
        md5: this.secrets.open(key.sealedDigestHa1Md5, sealContext(key.id, 'md5')).toString(),
        sha256: this.secrets.open(key.sealedDigestHa1Sha256, sealContext(key.id, 'sha256')).toString(),
      },
      access: await this.rolesAndAccess.accessRules(key),
    };
    if (this.#identities.size >= IDENTITY_CACHE_SIZE) this.#identities.delete(this.#identities.keys().next().value!);
    this.#identities.set(publicKey, { generation, identity });
    return { ...identity, catalogGeneration };
  }

  /**
   * The identity last read for the key, whatever may have changed since: enough to check
   * a response before the generations are read, never to admit one.
   */
  lastRead(publicKey: string): DigestIdentity | undefined {
    return this.#identities.get(publicKey)?.identity;
  }

  /**
   * The live API key a public and private key pair names, or undefined: the private key
   * is checked against the key's sealed Digest HA1 (MD5), in constant time, and an
   * unknown public key costs the same comparison.
   */
  async verify(publicKey: string, privateKey: string): Promise<IdentityRecord | undefined> {
    const identity = await this.identity(publicKey);
    const actual = Buffer.from(digestHa1('md5', publicKey, privateKey));
    const expected = Buffer.from(identity?.secrets.md5 ?? '0'.repeat(actual.length));
    const equal = expected.length === actual.length && timingSafeEqual(expected, actual);
    return identity && equal ? identity.record : undefined;
  }
}
