import { createHash, timingSafeEqual } from 'node:crypto';
import { type ApiKey, type DigestSecrets, type OrgRole } from '../domain/api-key.js';
import { newObjectId, newPrivateApiKey, newPublicApiKey } from '../domain/ids.js';
import type { SecretBox } from '../pki/secret-box.js';
import type { StoredApiKey } from '../store/repositories/api-keys.js';
import type { Repositories, Store } from '../store/store.js';
import type { Clock } from './clock.js';
import type { Principal } from './principal.js';

/** The realm Atlas names in its Digest challenge; it is part of every stored HA1. */
export const DIGEST_REALM = 'MMS Public API';

export function digestHa1(algorithm: 'md5' | 'sha256', publicKey: string, privateKey: string): string {
  return createHash(algorithm).update(`${publicKey}:${DIGEST_REALM}:${privateKey}`).digest('hex');
}

function sealContext(keyId: string, algorithm: string): string {
  return `api_keys.digest_ha1_${algorithm}:${keyId}`;
}

export interface NewApiKey {
  key: ApiKey;
  /** Shown once, to whoever created the key; only its Digest HA1 is kept (sealed). */
  privateKey: string;
}

export interface DigestIdentity {
  principal: Principal;
  secrets: DigestSecrets;
}

export class ApiKeyService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly secrets: SecretBox,
  ) {}

  /** Creates an organization API key (inside the caller's transaction when given one). */
  async create(
    orgId: string,
    description: string,
    roles: OrgRole[],
    repositories: Repositories = this.store,
  ): Promise<NewApiKey> {
    const now = this.clock.now();
    const privateKey = newPrivateApiKey();
    const publicKey = newPublicApiKey();
    const id = newObjectId(now);
    const stored: StoredApiKey = {
      id,
      orgId,
      publicKey,
      description,
      roles,
      privateKeyTail: privateKey.slice(-12),
      createdAt: now,
      sealedDigestHa1Md5: this.secrets.seal(
        Buffer.from(digestHa1('md5', publicKey, privateKey)),
        sealContext(id, 'md5'),
      ),
      sealedDigestHa1Sha256: this.secrets.seal(
        Buffer.from(digestHa1('sha256', publicKey, privateKey)),
        sealContext(id, 'sha256'),
      ),
    };
    await repositories.apiKeys.insert(stored);
    const { sealedDigestHa1Md5: _md5, sealedDigestHa1Sha256: _sha256, ...key } = stored;
    return { key, privateKey };
  }

  /** What Digest needs to check a request signed with this public key. */
  async digestIdentity(publicKey: string): Promise<DigestIdentity | undefined> {
    const key = await this.store.apiKeys.findByPublicKey(publicKey);
    if (!key) return undefined;
    return {
      principal: { kind: 'apiKey', apiKeyId: key.id, publicKey: key.publicKey, orgId: key.orgId, orgRoles: key.roles },
      secrets: {
        md5: this.secrets.open(key.sealedDigestHa1Md5, sealContext(key.id, 'md5')).toString(),
        sha256: this.secrets.open(key.sealedDigestHa1Sha256, sealContext(key.id, 'sha256')).toString(),
      },
    };
  }

  /** True when the pair is a live key (constant-time in the private key). */
  async verify(publicKey: string, privateKey: string): Promise<boolean> {
    const identity = await this.digestIdentity(publicKey);
    if (!identity) return false;
    const expected = Buffer.from(identity.secrets.md5);
    const actual = Buffer.from(digestHa1('md5', publicKey, privateKey));
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}
