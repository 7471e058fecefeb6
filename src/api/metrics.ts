import { Counter, Registry } from 'prom-client';

/** Why an authentication attempt failed (a missing header is the normal first step, not a failure). */
export type DigestFailure =
  | 'malformed'
  | 'realm'
  | 'uri_mismatch'
  | 'invalid_nonce'
  | 'unknown_key'
  | 'wrong_response'
  | 'replayed'
  | 'invalid_token'
  | 'invalid_client';

/**
 * The server's Prometheus metrics, in a registry of its own (several servers can share
 * a process, as in tests). Served at /metrics.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly digestFailures = new Counter({
    name: 'dbcerts_digest_failures_total',
    help: 'Authentication attempts (Digest, Bearer, client credentials) that carried credentials and failed, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly authenticationThrottled = new Counter({
    name: 'dbcerts_authentication_throttled_total',
    help: 'Failed authentication attempts answered 429 because their source failed too often',
    registers: [this.registry],
  });
}
