import { availableParallelism } from 'node:os';
import { ATLAS_RATE_LIMITS, type RateLimitSettings } from '../authority/rate-limits.js';
import type { EndpointSet } from '../authority/required-roles.js';
import type { BucketPolicy } from '../domain/rate-limit.js';
import { isKeyAlgorithm, type KeyAlgorithm, KEY_ALGORITHMS } from '../pki/key-algorithms.js';
import { isSqliteSynchronous, SQLITE_SYNCHRONOUS_MODES, type SqliteSynchronous } from '../store/database.js';

/** Settings, from command-line flags first, then environment variables, then defaults. */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  /** The embedded store: acknowledge a commit once it is on the disk (`full`) or in the page cache (`normal`). */
  sqliteSynchronous: SqliteSynchronous;
  keyAlgorithm: KeyAlgorithm;
  caKeyAlgorithm: KeyAlgorithm;
  publicUrl: string | undefined;
  logLevel: string;
  /** Proxies trusted to name the client in X-Forwarded-For: true, or addresses/CIDRs. */
  trustProxy: boolean | string[];
  rateLimits: RateLimitSettings;
  /** PostgreSQL pool: connections, connect timeout and statement timeout (ms). */
  poolSize: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  /** PostgreSQL: prepare repeated statements once per connection (off behind a pooler that cannot keep them). */
  preparedStatements: boolean;
  /** Ready user keys per algorithm (`rsa-4096:8,ec-p256:32`), and how many to generate at once. */
  keyPoolSizes: Partial<Record<KeyAlgorithm, number>> | undefined;
  keyPoolConcurrency: number | undefined;
  /** Processes serving requests (`serve`): 1 serves from this process alone. */
  workers: number;
  /** PEM files of the server's certificate chain and key: serve HTTPS. */
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Flags = Partial<Record<string, string | boolean | undefined>>;

function text(flags: Flags, flag: string, env: string, fallback?: string): string | undefined {
  const fromFlag = flags[flag];
  if (typeof fromFlag === 'string' && fromFlag !== '') return fromFlag;
  const fromEnv = process.env[env];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return fallback;
}

function keyAlgorithm(value: string, what: string): KeyAlgorithm {
  if (!isKeyAlgorithm(value))
    throw new ConfigError(`${what} must be one of ${KEY_ALGORITHMS.join(', ')} (got ${value})`);
  return value;
}

/** `rsa-4096:8,ec-p256:32`, or `off`; undefined keeps the default (50 of the user key algorithm). */
function keyPoolSizes(value: string | undefined): Partial<Record<KeyAlgorithm, number>> | undefined {
  if (value === undefined) return undefined;
  if (value === 'off') return {};
  const sizes: Partial<Record<KeyAlgorithm, number>> = {};
  for (const entry of value.split(',')) {
    const [algorithm, size] = entry.trim().split(':');
    if (!algorithm || !isKeyAlgorithm(algorithm) || size === undefined || !/^\d+$/.test(size)) {
      throw new ConfigError(`DBCERTS_KEY_POOL entries are <algorithm>:<size>, e.g. rsa-4096:8 (got ${entry})`);
    }
    sizes[algorithm] = Number(size);
  }
  return sizes;
}

function sqliteSynchronous(value: string): SqliteSynchronous {
  if (!isSqliteSynchronous(value)) {
    throw new ConfigError(
      `DBCERTS_SQLITE_SYNCHRONOUS (--sqlite-synchronous) must be ${SQLITE_SYNCHRONOUS_MODES.join(' or ')} (got ${value})`,
    );
  }
  return value;
}

function positiveInteger(value: string, what: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1)
    throw new ConfigError(`${what} must be a positive integer (got ${value})`);
  return number;
}

function onOrOff(value: string, what: string): boolean {
  if (value !== 'on' && value !== 'off') throw new ConfigError(`${what} must be on or off (got ${value})`);
  return value === 'on';
}

function trustProxy(value: string | undefined): boolean | string[] {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** `off`, or JSON overrides per endpoint set: `{"x509":{"capacity":100,"refillRate":50,"refillSeconds":60}}`. */
function rateLimits(value: string | undefined): RateLimitSettings {
  if (value === undefined) return {};
  if (value === 'off') return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError('DBCERTS_RATE_LIMITS must be "off" or a JSON object');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('DBCERTS_RATE_LIMITS must be "off" or a JSON object');
  }
  const settings: Partial<Record<EndpointSet, BucketPolicy>> = {};
  for (const [set, policy] of Object.entries(parsed)) {
    if (!(set in ATLAS_RATE_LIMITS)) {
      throw new ConfigError(
        `DBCERTS_RATE_LIMITS: unknown endpoint set ${set} (${Object.keys(ATLAS_RATE_LIMITS).join(', ')})`,
      );
    }
    const { capacity, refillRate, refillSeconds } = (policy ?? {}) as Partial<BucketPolicy>;
    if (![capacity, refillRate, refillSeconds].every((n) => Number.isInteger(n) && (n as number) > 0)) {
      throw new ConfigError(`DBCERTS_RATE_LIMITS: ${set} needs positive integers capacity, refillRate, refillSeconds`);
    }
    settings[set as EndpointSet] = { capacity: capacity!, refillRate: refillRate!, refillSeconds: refillSeconds! };
  }
  return settings;
}

export function loadConfig(flags: Flags): Config {
  const port = Number(text(flags, 'port', 'PORT', '8080'));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`invalid port: ${text(flags, 'port', 'PORT')}`);
  }
  const config: Config = {
    host: text(flags, 'host', 'HOST', '127.0.0.1')!,
    port,
    dataDir: text(flags, 'data', 'DBCERTS_DATA_DIR', './data')!,
    databaseUrl: text(flags, 'database-url', 'DBCERTS_DATABASE_URL'),
    sqliteSynchronous: sqliteSynchronous(text(flags, 'sqlite-synchronous', 'DBCERTS_SQLITE_SYNCHRONOUS', 'full')!),
    keyAlgorithm: keyAlgorithm(text(flags, 'key-algorithm', 'DBCERTS_KEY_ALGORITHM', 'rsa-4096')!, 'the key algorithm'),
    caKeyAlgorithm: keyAlgorithm(
      text(flags, 'ca-key-algorithm', 'DBCERTS_CA_KEY_ALGORITHM', 'rsa-4096')!,
      'the CA key algorithm',
    ),
    publicUrl: text(flags, 'public-url', 'DBCERTS_PUBLIC_URL'),
    logLevel: text(flags, 'log-level', 'DBCERTS_LOG_LEVEL', 'info')!,
    trustProxy: trustProxy(text(flags, 'trust-proxy', 'DBCERTS_TRUST_PROXY')),
    rateLimits: rateLimits(text(flags, 'rate-limits', 'DBCERTS_RATE_LIMITS')),
    poolSize: positiveInteger(text(flags, 'db-pool-size', 'DBCERTS_DB_POOL_SIZE', '10')!, 'the pool size'),
    connectTimeoutMs: positiveInteger(
      text(flags, 'db-connect-timeout-ms', 'DBCERTS_DB_CONNECT_TIMEOUT_MS', '5000')!,
      'the connect timeout',
    ),
    statementTimeoutMs: positiveInteger(
      text(flags, 'db-statement-timeout-ms', 'DBCERTS_DB_STATEMENT_TIMEOUT_MS', '30000')!,
      'the statement timeout',
    ),
    preparedStatements: onOrOff(
      text(flags, 'db-prepared-statements', 'DBCERTS_DB_PREPARED_STATEMENTS', 'on')!,
      'DBCERTS_DB_PREPARED_STATEMENTS (--db-prepared-statements)',
    ),
    keyPoolSizes: keyPoolSizes(text(flags, 'key-pool', 'DBCERTS_KEY_POOL')),
    keyPoolConcurrency:
      text(flags, 'key-pool-concurrency', 'DBCERTS_KEY_POOL_CONCURRENCY') === undefined
        ? undefined
        : positiveInteger(
            text(flags, 'key-pool-concurrency', 'DBCERTS_KEY_POOL_CONCURRENCY')!,
            'the key pool concurrency',
          ),
    workers: positiveInteger(
      text(flags, 'workers', 'DBCERTS_WORKERS', String(availableParallelism()))!,
      'the number of workers',
    ),
    tlsCertFile: text(flags, 'tls-cert', 'DBCERTS_TLS_CERT'),
    tlsKeyFile: text(flags, 'tls-key', 'DBCERTS_TLS_KEY'),
  };
  if ((config.tlsCertFile === undefined) !== (config.tlsKeyFile === undefined)) {
    throw new ConfigError('--tls-cert and --tls-key go together');
  }
  return config;
}
