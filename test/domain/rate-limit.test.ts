import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type BucketPolicy, type BucketState, takeToken } from '../../src/domain/rate-limit.js';

/**
 * src/domain/rate-limit.ts: Atlas' token bucket. One token per request; every
 * `refillSeconds` (whole periods, counted from the bucket's first use) the bucket gains
 * `refillRate` tokens, never above `capacity`; a refused request learns in how many whole
 * seconds the next token comes.
 */

const T = Date.parse('2026-03-01T12:00:00Z');
const SMALL: BucketPolicy = { capacity: 3, refillRate: 2, refillSeconds: 60 };

/** Takes `count` tokens at `now`, threading the state; returns every result. */
function takeMany(policy: BucketPolicy, state: BucketState | undefined, now: number, count: number) {
  const results = [];
  let current = state;
  for (let index = 0; index < count; index++) {
    const result = takeToken(policy, current, now);
    results.push(result);
    current = result.state;
  }
  return { results, state: current! };
}

function drained(policy: BucketPolicy = SMALL, at = T): BucketState {
  const { results, state } = takeMany(policy, undefined, at, policy.capacity);
  assert.ok(results.every((result) => result.allowed));
  assert.equal(state.tokens, 0);
  return state;
}

describe('takeToken', () => {
  test('a missing bucket starts full, its period starting now', () => {
    assert.deepEqual(takeToken(SMALL, undefined, T), {
      allowed: true,
      state: { tokens: 2, periodStart: T },
      remaining: 2,
      retryAfterSeconds: 0,
    });
  });

  test('each request costs one token until none is left; then refused, nothing changed', () => {
    const { results, state } = takeMany(SMALL, undefined, T, 4);
    assert.deepEqual(
      results.map((result) => [result.allowed, result.remaining]),
      [
        [true, 2],
        [true, 1],
        [true, 0],
        [false, 0],
      ],
    );
    assert.deepEqual(results[3], {
      allowed: false,
      state: { tokens: 0, periodStart: T },
      remaining: 0,
      retryAfterSeconds: 60,
    });
    assert.deepEqual(state, { tokens: 0, periodStart: T });
  });

  test('refusals keep refusing until the period ends, with whole seconds rounded up', () => {
    const state = drained();
    const retryAt = (offset: number) => {
      const result = takeToken(SMALL, state, T + offset);
      assert.equal(result.allowed, false, `at +${offset} ms`);
      assert.equal(result.remaining, 0);
      assert.deepEqual(result.state, state, 'a refusal changes nothing');
      return result.retryAfterSeconds;
    };
    assert.equal(retryAt(0), 60);
    assert.equal(retryAt(1), 60); // 59.999 s
    assert.equal(retryAt(500), 60); // 59.5 s
    assert.equal(retryAt(999), 60);
    assert.equal(retryAt(1000), 59);
    assert.equal(retryAt(1001), 59);
    assert.equal(retryAt(29_999), 31);
    assert.equal(retryAt(30_000), 30);
    assert.equal(retryAt(30_001), 30);
    assert.equal(retryAt(58_999), 2);
    assert.equal(retryAt(59_000), 1);
    assert.equal(retryAt(59_001), 1);
    assert.equal(retryAt(59_999), 1); // 1 ms left: still 1 second, never 0
  });

  test("Atlas' example: capacity 10, 5 per 60 s, drained, 5 s later: retry after 55 seconds", () => {
    const policy = { capacity: 10, refillRate: 5, refillSeconds: 60 };
    const result = takeToken(policy, drained(policy), T + 5000);
    assert.equal(result.allowed, false);
    assert.equal(result.retryAfterSeconds, 55);
  });

  test('one whole period refills exactly refillRate tokens, and the period moves on', () => {
    const state = drained();
    const { results, state: after } = takeMany(SMALL, state, T + 60_000, 3);
    assert.deepEqual(
      results.map((result) => [result.allowed, result.remaining]),
      [
        [true, 1],
        [true, 0],
        [false, 0],
      ],
    );
    assert.deepEqual(after, { tokens: 0, periodStart: T + 60_000 });
    assert.equal(results[2]!.retryAfterSeconds, 60);
  });

  test("periods count from the bucket's first use, not from the refusal or the refill", () => {
    // Drained at T; 90 s later one period has passed (T+60 s); the next ends at T+120 s.
    const { results } = takeMany(SMALL, drained(), T + 90_000, 3);
    assert.deepEqual(
      results.map((result) => result.allowed),
      [true, true, false],
    );
    assert.deepEqual(results[2]!.state, { tokens: 0, periodStart: T + 60_000 });
    assert.equal(results[2]!.retryAfterSeconds, 30);
    // Requests refused in between do not move the period either.
    const late = takeToken(SMALL, results[2]!.state, T + 119_000);
    assert.equal(late.retryAfterSeconds, 1);
    assert.equal(takeToken(SMALL, late.state, T + 120_000).remaining, 1);
  });

  test('several periods refill several times, never above capacity', () => {
    const state = drained();
    // 1 period: 2 tokens (below capacity 3)
    assert.equal(takeToken(SMALL, state, T + 119_999).remaining, 1);
    // 2 periods: 4 tokens, capped at 3
    const two = takeToken(SMALL, state, T + 120_000);
    assert.equal(two.remaining, 2);
    assert.deepEqual(two.state, { tokens: 2, periodStart: T + 120_000 });
    // A year later: still only capacity
    const year = 365 * 24 * 3600 * 1000;
    const later = takeToken(SMALL, state, T + year);
    assert.equal(later.allowed, true);
    assert.equal(later.remaining, 2);
    assert.equal(later.state.periodStart, T + Math.floor(year / 60_000) * 60_000);
    // A bucket that was not empty is capped too: 2 left + 2 refilled = 3, not 4.
    const partial = takeToken(SMALL, { tokens: 2, periodStart: T }, T + 60_000);
    assert.equal(partial.remaining, 2);
    // A full bucket stays full across periods.
    const full = takeToken(SMALL, { tokens: 3, periodStart: T }, T + 600_000);
    assert.deepEqual(full.state, { tokens: 2, periodStart: T + 600_000 });
  });

  test('a clock that goes backwards starts a new period then, and gives no tokens', () => {
    const state = drained();
    const back = takeToken(SMALL, state, T - 10_000);
    assert.deepEqual(back, {
      allowed: false,
      state: { tokens: 0, periodStart: T - 10_000 },
      remaining: 0,
      retryAfterSeconds: 60,
    });
    // The new period ends a full period after the earlier instant.
    assert.equal(takeToken(SMALL, back.state, T + 49_999).allowed, false);
    assert.equal(takeToken(SMALL, back.state, T + 50_000).remaining, 1);
    // With tokens left, a request from the past is served and restarts the period.
    const served = takeToken(SMALL, { tokens: 2, periodStart: T }, T - 1);
    assert.deepEqual(served.state, { tokens: 1, periodStart: T - 1 });
    assert.equal(served.allowed, true);
  });

  test('short periods: Retry-After is at least one second', () => {
    const policy = { capacity: 1, refillRate: 1, refillSeconds: 1 };
    const state = drained(policy);
    assert.equal(takeToken(policy, state, T).retryAfterSeconds, 1);
    assert.equal(takeToken(policy, state, T + 999).retryAfterSeconds, 1);
    assert.equal(takeToken(policy, state, T + 1000).allowed, true);
  });

  test('the state passed in is not modified', () => {
    const state: BucketState = { tokens: 1, periodStart: T };
    const frozen = Object.freeze({ ...state });
    takeToken(SMALL, frozen, T + 120_000);
    takeToken(SMALL, frozen, T - 1);
    assert.deepEqual(frozen, state);
  });

  test("Atlas' default limits: 1200 then 500 per minute", () => {
    const policy = { capacity: 1200, refillRate: 500, refillSeconds: 60 };
    const { results, state } = takeMany(policy, undefined, T, 1201);
    assert.equal(results[0]!.remaining, 1199);
    assert.equal(results[1199]!.remaining, 0);
    assert.equal(results[1200]!.allowed, false);
    const { results: next } = takeMany(policy, state, T + 60_000, 501);
    assert.equal(next[0]!.remaining, 499);
    assert.equal(next[499]!.remaining, 0);
    assert.equal(next[500]!.allowed, false);
  });
});
