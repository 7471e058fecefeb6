import { AtlasError } from '../domain/errors.js';
import { type BucketPolicy, takeToken } from '../domain/rate-limit.js';
import type { Store } from '../store/store.js';
import type { Clock } from './clock.js';
import type { EndpointSet } from './required-roles.js';

/** Atlas' published limits per endpoint set (capacity, refill per period). */
export const ATLAS_RATE_LIMITS: Readonly<Record<EndpointSet, BucketPolicy>> = {
  x509: { capacity: 1200, refillRate: 500, refillSeconds: 60 },
  ldapConfiguration: { capacity: 1200, refillRate: 500, refillSeconds: 60 },
  databaseUsers: { capacity: 10000, refillRate: 5000, refillSeconds: 60 },
  projects: { capacity: 1200, refillRate: 500, refillSeconds: 60 },
  organizations: { capacity: 300, refillRate: 100, refillSeconds: 60 },
  teams: { capacity: 1200, refillRate: 500, refillSeconds: 60 },
  ipAddresses: { capacity: 1200, refillRate: 500, refillSeconds: 60 },
  performanceAdvisor: { capacity: 1200, refillRate: 500, refillSeconds: 60 },
  customDatabaseRoles: { capacity: 2000, refillRate: 1000, refillSeconds: 60 },
};

/** The bucket of endpoint set `set` for a project or a key. */
export function bucketKey(set: EndpointSet, scopeId: string): string {
  return `${set}:${scopeId}`;
}

export type RateLimitSettings = false | Partial<Record<EndpointSet, BucketPolicy>>;

/** A refused request: Atlas' 429 body, and when to come back. */
export class RateLimitedError extends AtlasError {
  constructor(
    readonly retryAfterSeconds: number,
    readonly policy: BucketPolicy,
    resource: string,
  ) {
    super(
      'RATE_LIMITED_TOKEN_BUCKET',
      resource,
      retryAfterSeconds,
      policy.capacity,
      policy.refillRate,
      policy.refillSeconds,
    );
  }
}

/**
 * Token buckets kept in the store, so the limits hold across every instance of a
 * deployment (PostgreSQL row locks serialise concurrent takes).
 */
export class RateLimiter {
  readonly #policies: Readonly<Record<EndpointSet, BucketPolicy>> | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    settings: RateLimitSettings = {},
  ) {
    this.#policies = settings === false ? undefined : { ...ATLAS_RATE_LIMITS, ...settings };
  }

  policy(set: EndpointSet): BucketPolicy | undefined {
    return this.#policies?.[set];
  }

  /**
   * Takes one token from the bucket of `set` for `scopeId`; throws RateLimitedError when
   * it is empty. `resource` names what was limited in the error.
   */
  async take(
    set: EndpointSet,
    scopeId: string,
    resource: string,
  ): Promise<{ limit: number; remaining: number } | undefined> {
    const policy = this.policy(set);
    if (!policy) return undefined;
    const key = bucketKey(set, scopeId);
    const now = this.clock.now().getTime();
    const result = await this.store.transaction(async (repositories) => {
      const taken = takeToken(policy, await repositories.rateLimitBuckets.find(key), now);
      await repositories.rateLimitBuckets.save(key, taken.state);
      return taken;
    });
    if (!result.allowed) throw new RateLimitedError(result.retryAfterSeconds, policy, resource);
    return { limit: policy.capacity, remaining: Math.floor(result.remaining) };
  }
}
