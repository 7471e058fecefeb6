import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AtlasError } from '../../domain/errors.js';
import { newObjectId } from '../../domain/ids.js';
import {
  maskSecret,
  MAX_SECRET_HOURS,
  MIN_SECRET_HOURS,
  SECRET_PREFIX,
  type ServiceAccountSecret,
} from '../../domain/service-account.js';
import type { StoredServiceAccountSecret } from '../../store/repositories/service-account-secrets.js';
import type { Repositories, Store } from '../../store/store.js';
import type { Clock } from '../clock.js';
import type { IdentityRecord } from './principal.js';
import { withoutCredentials } from './roles-and-access.js';

/**
 * A service account's credential: its client id and one of its secrets, each with an
 * expiry. Only a secret's SHA-256 is kept (a secret is 256 random bits, so no slow hash
 * is needed to make a stolen copy of the database useless).
 */

export interface NewSecret {
  secret: ServiceAccountSecret;
  /** Shown once; only its SHA-256 is kept. */
  value: string;
}

function secretSha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** INVALID_SECRET_EXPIRATION unless a whole number of hours within Atlas' bounds. */
export function checkSecretHours(hours: number): void {
  if (!Number.isInteger(hours) || hours < MIN_SECRET_HOURS || hours > MAX_SECRET_HOURS) {
    throw new AtlasError('INVALID_SECRET_EXPIRATION', MIN_SECRET_HOURS, MAX_SECRET_HOURS);
  }
}

export function publicSecret({
  accountId: _account,
  secretSha256: _hash,
  ...secret
}: StoredServiceAccountSecret): ServiceAccountSecret {
  return secret;
}

export class ClientSecrets {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Adds a secret to an account (inside the caller's transaction), live for `hours`. */
  async issue(repositories: Repositories, accountId: string, hours: number): Promise<NewSecret> {
    const now = this.clock.now();
    const value = `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
    const stored: StoredServiceAccountSecret = {
      id: newObjectId(now),
      accountId,
      secretSha256: secretSha256(value),
      maskedSecretValue: maskSecret(value),
      createdAt: now,
      expiresAt: new Date(now.getTime() + hours * 3600 * 1000),
    };
    await repositories.serviceAccountSecrets.insert(stored);
    return { secret: publicSecret(stored), value };
  }

  /**
   * The account and secret a client authenticates with (at the token endpoint, or signing
   * in to the console), or undefined (unknown client, wrong or expired secret). Every
   * secret of the account is compared, in constant time.
   */
  async verify(clientId: string, secret: string): Promise<{ account: IdentityRecord; secretId: string } | undefined> {
    const account = await this.store.apiKeys.findByPublicKey(clientId, 'SERVICE_ACCOUNT');
    const presented = Buffer.from(secretSha256(secret), 'hex');
    const now = this.clock.now();
    const secrets = account ? await this.store.serviceAccountSecrets.ofAccount(account.id) : [];
    let match: StoredServiceAccountSecret | undefined;
    for (const candidate of secrets) {
      const equal = timingSafeEqual(Buffer.from(candidate.secretSha256, 'hex'), presented);
      if (equal && candidate.expiresAt > now) match = candidate;
    }
    if (!account || !match) return undefined;
    await this.store.serviceAccountSecrets.touch(match.id, now);
    return { account: withoutCredentials(account), secretId: match.id };
  }

  /**
   * The account a token or console session was granted to, while the account and the
   * secret it was granted with still exist and the secret is live.
   */
  async stillLive(clientId: string, secretId: string): Promise<IdentityRecord | undefined> {
    const account = await this.store.apiKeys.findByPublicKey(clientId, 'SERVICE_ACCOUNT');
    if (!account) return undefined;
    const secret = await this.store.serviceAccountSecrets.find(account.id, secretId);
    if (!secret || secret.expiresAt <= this.clock.now()) return undefined;
    return withoutCredentials(account);
  }
}
