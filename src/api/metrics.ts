import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Authority } from '../authority/authority.js';

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

  readonly requests = new Histogram({
    name: 'dbcerts_http_request_duration_seconds',
    help: 'HTTP requests by method, route (pattern) and status, and how long they took',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

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

/**
 * Gauges read when Prometheus scrapes: the connection pool, and the deployment's
 * certificates (from the store, so every instance reports the same totals).
 */
export function registerStoreMetrics(metrics: Metrics, authority: Authority): void {
  const { store } = authority;
  new Gauge({
    name: 'dbcerts_db_pool_connections',
    help: 'PostgreSQL pool connections by state (total, idle, waiting clients, max)',
    labelNames: ['state'] as const,
    registers: [metrics.registry],
    collect() {
      const stats = store.poolStats?.();
      if (!stats) return;
      for (const [state, value] of Object.entries(stats)) this.set({ state }, value);
    },
  });
  new Gauge({
    name: 'dbcerts_key_pool_depth',
    help: 'Pre-generated user key pairs ready in this instance (all its processes), by algorithm',
    labelNames: ['algorithm'] as const,
    registers: [metrics.registry],
    // Every worker reports the one pool of its server.
    aggregator: 'first',
    async collect() {
      for (const [algorithm, depth] of Object.entries(await authority.keyPool.depths())) this.set({ algorithm }, depth);
    },
  });
  new Gauge({
    name: 'dbcerts_certificates',
    help: 'Certificates the deployment has issued, and how many of them are revoked',
    labelNames: ['state'] as const,
    registers: [metrics.registry],
    // Read from the store: every worker reports the same totals.
    aggregator: 'first',
    async collect() {
      try {
        const counts = await store.certificates.counts();
        this.set({ state: 'issued' }, counts.issued);
        this.set({ state: 'revoked' }, counts.revoked);
      } catch {
        // The database is away: the scrape still answers, without these numbers.
      }
    },
  });
}
