import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildServer, type ServerOptions } from '../../src/api/server.js';
import { Authority, type AuthorityOptions } from '../../src/authority/authority.js';
import type { Clock } from '../../src/authority/clock.js';
import type { BootstrapCredentials } from '../../src/authority/bootstrap.js';
import type { WebhookSender } from '../../src/authority/expiry-alerts.js';
import type { RateLimitSettings } from '../../src/authority/rate-limits.js';
import type { BucketPolicy } from '../../src/domain/rate-limit.js';
import type { KeyAlgorithm } from '../../src/pki/key-algorithms.js';
import { newMasterKey, SecretBox } from '../../src/pki/secret-box.js';
import { Store } from '../../src/store/store.js';
import { TestClock } from './clock.js';
import { createPostgresDatabase, createTestDatabase, TEST_BACKEND, tableNames } from './backend.js';
import { DigestClient } from './digest-client.js';

export const V1 = '/api/atlas/v1.0';
export const V2 = '/api/atlas/v2';

export interface TestServerOptions {
  clock?: TestClock;
  /** User keys; P-256 by default so tests stay fast (RSA-4096 is tested on purpose where it matters). */
  keyAlgorithm?: KeyAlgorithm;
  caKeyAlgorithm?: KeyAlgorithm;
  serials?: () => bigint;
  /** Pre-generated keys (default: none). */
  keyPool?: { sizes?: Partial<Record<KeyAlgorithm, number>>; concurrency?: number };
  /** Receives expiry-alert webhooks instead of the network. */
  webhookSender?: WebhookSender;
  nonceLifetimeSeconds?: number;
  bodyLimit?: number;
  /** Overrides of Atlas' rate limits, or false (the default here) for none. */
  rateLimits?: RateLimitSettings;
  trustProxy?: boolean | string[];
  /** Where to listen; `::` accepts IPv4 and IPv6 clients. Default 127.0.0.1. */
  host?: string;
  /** Failed-authentication throttle; generous by default so protocol tests can fail freely. */
  failedAuthPolicy?: BucketPolicy;
  /** Receives every log line the server writes (JSON), for tests that inspect logs. */
  logLines?: string[];
}

export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  credentials: BootstrapCredentials;
  /** Digest client of the bootstrap org-owner key. */
  client: DigestClient;
  clock: TestClock;
  authority: Authority;
  store: Store;
  app: FastifyInstance;
  dataDir: string;
  /** `--data` (and `--database-url`): the command line's arguments to open this store. */
  cliArgs: string[];
  close(): Promise<void>;
}

/**
 * A store and an authority over a data directory and a database of the test backend
 * (`createTestDatabase().url`), for a test that opens its instances itself: several over
 * one store, or one beside the command line. P-256 keys, no rate limits and no key pool
 * unless `options` says otherwise.
 */
export async function openTestAuthority(
  dataDir: string,
  databaseUrl: string | undefined,
  masterKey: Buffer,
  clock: Clock,
  options: Partial<AuthorityOptions> = {},
): Promise<{ store: Store; authority: Authority }> {
  const store = await Store.open({ dataDir, databaseUrl });
  const authority = await Authority.open({
    store,
    secrets: new SecretBox(masterKey),
    clock,
    keyAlgorithm: 'ec-p256',
    caKeyAlgorithm: 'ec-p256',
    rateLimits: false,
    keyPool: { sizes: {} },
    ...options,
  });
  return { store, authority };
}

/** One server of a deployment of several over one store. */
export interface Instance {
  store: Store;
  authority: Authority;
  app: FastifyInstance;
  origin: string;
}

/**
 * `count` servers over one store (one data directory and one database of the test
 * backend), as the instances of one deployment are; the first bootstraps it.
 */
export async function startInstances(
  count: number,
  clock: Clock,
  serverOptions: Partial<ServerOptions> = {},
): Promise<{ instances: Instance[]; credentials: BootstrapCredentials; close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dbcerts-instances-'));
  const database = await createTestDatabase();
  const masterKey = newMasterKey();
  const instances: Instance[] = [];
  let credentials: BootstrapCredentials | undefined;
  for (let index = 0; index < count; index++) {
    const { store, authority } = await openTestAuthority(dataDir, database.url, masterKey, clock);
    credentials ??= (await authority.bootstrap.bootstrap()).credentials;
    const app = await buildServer({ authority, nonceLifetimeSeconds: 300, backgroundJobs: false, ...serverOptions });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    instances.push({ store, authority, app, origin: `http://127.0.0.1:${port}` });
  }
  return {
    instances,
    credentials: credentials!,
    async close() {
      for (const instance of instances) {
        await instance.app.close();
        await instance.store.close();
      }
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A real server on a random loopback port, over a fresh store (the embedded SQLite file,
 * or a new PostgreSQL database when DBCERTS_TEST_BACKEND=postgres), bootstrapped. Its
 * master key is in `<data>/master.key`, so the command line opens the same store with
 * `cliArgs`.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dbcerts-test-'));
  const clock = options.clock ?? new TestClock();
  const database = TEST_BACKEND === 'postgres' ? await createPostgresDatabase() : undefined;
  const masterKey = newMasterKey();
  writeFileSync(join(dataDir, 'master.key'), `${masterKey.toString('base64')}\n`, { mode: 0o600 });
  const store = await Store.open({ dataDir, databaseUrl: database?.url });
  const authority = await Authority.open({
    store,
    secrets: new SecretBox(masterKey),
    clock,
    keyAlgorithm: options.keyAlgorithm ?? 'ec-p256',
    caKeyAlgorithm: options.caKeyAlgorithm ?? 'ec-p256',
    ...(options.serials ? { serials: options.serials } : {}),
    rateLimits: options.rateLimits ?? false,
    // No background key generation unless a test asks for it: it would only slow the suite.
    keyPool: options.keyPool ?? { sizes: {} },
    ...(options.webhookSender ? { webhookSender: options.webhookSender } : {}),
  });
  const { credentials } = await authority.bootstrap.bootstrap();
  const logLines = options.logLines;
  const app = await buildServer({
    authority,
    nonceLifetimeSeconds: options.nonceLifetimeSeconds ?? 300,
    ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}),
    ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
    backgroundJobs: false,
    failedAuthPolicy: options.failedAuthPolicy ?? { capacity: 1_000_000, refillRate: 1_000_000, refillSeconds: 60 },
    ...(logLines ? { logger: { level: 'trace', stream: { write: (line: string) => logLines.push(line) } } } : {}),
  });
  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: 0, host });
  const { port } = app.server.address() as { port: number };
  const origin = `http://${host === '::' ? '127.0.0.1' : host}:${port}`;
  return {
    origin,
    credentials,
    client: new DigestClient(origin, credentials.publicKey, credentials.privateKey),
    clock,
    authority,
    store,
    app,
    dataDir,
    cliArgs: ['--data', dataDir, ...(database ? ['--database-url', database.url] : [])],
    async close() {
      await app.close();
      await store.close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Every row of every table, to prove a refused request changed nothing. Left out: the
 * bookkeeping of admitting a request (Digest nonce uses, rate-limit buckets, access-list
 * usage counters), the audit trail (a refused request records its refusal there, by
 * design; tests check events themselves), and Kysely's migration tables.
 */
export async function storeSnapshot(store: Store): Promise<string> {
  const skipped = new Set([
    'digest_nonce_uses',
    'rate_limit_buckets',
    'events',
    'kysely_migration',
    'kysely_migration_lock',
  ]);
  const usageColumns = new Set(['last_used_at', 'last_used_address', 'use_count']);
  const tables = (await tableNames(store)).filter((name) => !skipped.has(name));
  const snapshot: Record<string, string[]> = {};
  for (const table of tables) {
    const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(store.db)).rows;
    snapshot[table] = rows
      .map((row) =>
        JSON.stringify(row, (key, value) => {
          if (table === 'api_key_access_list' && usageColumns.has(key)) return undefined;
          if (typeof value === 'bigint') return value.toString();
          if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
          if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer') {
            return Buffer.from((value as { data: number[] }).data).toString('hex');
          }
          return value;
        }),
      )
      .sort();
  }
  return JSON.stringify(snapshot);
}

/** A database user's row, by project, database and the name it is matched by (its `username` column). */
export async function storedDatabaseUser(store: Store, groupId: string, databaseName: string, matchedBy: string) {
  return store.db
    .selectFrom('database_users')
    .selectAll()
    .where('project_id', '=', groupId)
    .where('database_name', '=', databaseName)
    .where('username', '=', matchedBy)
    .executeTakeFirst();
}

/** Creates an Atlas-managed X.509 user through the API. */
export async function createManagedUser(server: TestServer, username: string): Promise<void> {
  const response = await server.client.post(`${V1}/groups/${server.credentials.groupId}/databaseUsers`, {
    databaseName: '$external',
    username,
    x509Type: 'MANAGED',
    roles: [{ roleName: 'readWrite', databaseName: 'app' }],
    groupId: server.credentials.groupId,
  });
  if (response.status !== 201) throw new Error(`creating ${username}: ${response.status} ${response.text}`);
}

export function certsPath(server: TestServer, username: string, query = ''): string {
  return `${V1}/groups/${server.credentials.groupId}/databaseUsers/${encodeURIComponent(username)}/certs${query}`;
}
