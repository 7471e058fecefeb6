/**
 * Atlas' token buckets: each request costs one token; every `refillSeconds` the bucket
 * gains `refillRate` tokens, up to `capacity`. Refills come in whole periods, so a
 * client told "retry after 55 seconds" gets a token exactly then.
 */

export interface BucketPolicy {
  capacity: number;
  refillRate: number;
  refillSeconds: number;
}

export interface BucketState {
  tokens: number;
  /** Start (ms since the epoch) of the refill period the tokens were counted at. */
  periodStart: number;
}

export interface TakeResult {
  allowed: boolean;
  state: BucketState;
  remaining: number;
  /** Seconds until the next refill, when refused. */
  retryAfterSeconds: number;
}

/** Takes one token at `now` (ms); a missing bucket starts full. */
export function takeToken(policy: BucketPolicy, state: BucketState | undefined, now: number): TakeResult {
  const periodMs = policy.refillSeconds * 1000;
  let { tokens, periodStart } = state ?? { tokens: policy.capacity, periodStart: now };
  if (now < periodStart) periodStart = now; // a clock that went back: start a new period now
  const periods = Math.floor((now - periodStart) / periodMs);
  if (periods > 0) {
    tokens = Math.min(policy.capacity, tokens + periods * policy.refillRate);
    periodStart += periods * periodMs;
  }
  if (tokens >= 1) {
    return { allowed: true, state: { tokens: tokens - 1, periodStart }, remaining: tokens - 1, retryAfterSeconds: 0 };
  }
  const retryAfterSeconds = Math.max(1, Math.ceil((periodStart + periodMs - now) / 1000));
  return { allowed: false, state: { tokens, periodStart }, remaining: 0, retryAfterSeconds };
}
