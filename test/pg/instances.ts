import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { POSTGRES_ADMIN_URL } from '../helpers/backend.js';
import { type ApiResponse, authorizationHeader, parseChallenge, parseJsonExact } from '../helpers/digest-client.js';
import { BIN, dbcerts, environment, ROOT } from '../helpers/cli.js';

export { dbcerts, type Outcome } from '../helpers/cli.js';

/**
 * Real `dbcerts serve` processes over one PostgreSQL database of their own: what a
 * scaled-out deployment is. Each test file makes its deployments, and `close()` (called
 * from `after`, also when a test failed) kills every process it started and drops the
 * databases and roles it made.
 */

export const V1 = '/api/atlas/v1.0';

/** Atlas' 503, as dbcerts answers it while the database is away (with Retry-After: 5). */
export const SERVICE_UNAVAILABLE = {
  detail: 'The service is temporarily unavailable. Please retry later.',
  error: 503,
  errorCode: 'SERVICE_UNAVAILABLE',
  parameters: [],
  reason: 'Service Unavailable',
};

/** Atlas' 401 for credentials that do not authenticate (text, member order included). */
export const UNAUTHORIZED_TEXT =
  '{"error":401,"reason":"Unauthorized","detail":"You are not authorized for this resource."}';

export interface Credentials {
  orgId: string;
  groupId: string;
  publicKey: string;
  privateKey: string;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Runs one statement as the PostgreSQL administrator, against `url` (default: the admin database). */
export async function adminQuery<T = Record<string, unknown>>(
  text: string,
  params: unknown[] = [],
  url: string = POSTGRES_ADMIN_URL,
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** A URL of the cluster with another database and (optionally) another user. */
function withDatabase(database: string, user?: string): string {
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${database}`;
  if (user !== undefined) {
    url.username = user;
    url.password = '';
  }
  return url.toString();
}

// --- HTTP with deadlines ----------------------------------------------------------------

class RequestTimeout extends Error {
  override name = 'RequestTimeout';
}

/** A request that gives up (RequestTimeout) after `timeoutMs`: a hang is a failure, never a stuck test. */
export async function timedFetch(url: string, init: RequestInit = {}, timeoutMs = 10_000): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    if ((error as Error).name === 'TimeoutError')
      throw new RequestTimeout(`${init.method ?? 'GET'} ${url}: no answer in ${timeoutMs} ms`);
    throw error;
  }
}

function toApiResponse(response: Response, text: string): ApiResponse {
  return { status: response.status, headers: response.headers, text, json: () => parseJsonExact(text) };
}

export interface ApiRequest {
  method?: string;
  body?: unknown;
  timeoutMs?: number;
}

/**
 * A Digest-authenticated request: the challenge from `challengeOrigin` (default the
 * same origin), the signed request to `origin`. Both steps have a deadline.
 */
export async function api(
  origin: string,
  credentials: Pick<Credentials, 'publicKey' | 'privateKey'>,
  path: string,
  request: ApiRequest = {},
): Promise<ApiResponse> {
  const method = request.method ?? 'GET';
  const timeoutMs = request.timeoutMs ?? 10_000;
  const probe = await timedFetch(origin + path, { method }, timeoutMs);
  await probe.arrayBuffer();
  if (probe.status !== 401) throw new Error(`${method} ${path}: expected the 401 challenge, got ${probe.status}`);
  const challenge = parseChallenge(probe.headers.get('www-authenticate'));
  const headers: Record<string, string> = {
    authorization: authorizationHeader({
      username: credentials.publicKey,
      password: credentials.privateKey,
      method,
      uri: path,
      challenge,
    }),
  };
  let body: string | undefined;
  if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    headers['content-type'] = 'application/json';
  }
  const response = await timedFetch(origin + path, { method, headers, body }, timeoutMs);
  return toApiResponse(response, await response.text());
}

/** GET without credentials (health, readiness, metrics). */
export async function plainGet(url: string, timeoutMs = 10_000): Promise<ApiResponse> {
  const response = await timedFetch(url, {}, timeoutMs);
  return toApiResponse(response, await response.text());
}

/** The certificate (first PEM block) of a POST …/certs answer, and its serial. */
export function certificateOf(pem: string): { pem: string; serial: bigint } {
  const match = /-----BEGIN CERTIFICATE-----\n[\s\S]+?\n-----END CERTIFICATE-----\n/.exec(pem);
  if (!match) throw new Error(`no certificate in ${pem.slice(0, 100)}`);
  return { pem: match[0], serial: BigInt(`0x${new X509Certificate(match[0]).serialNumber}`) };
}

/** A managed X.509 user's creation body. */
export function managedUser(groupId: string, username: string) {
  return {
    databaseName: '$external',
    username,
    x509Type: 'MANAGED',
    roles: [{ roleName: 'readWrite', databaseName: 'app' }],
    groupId,
  };
}

// --- Prometheus text --------------------------------------------------------------------

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[label[1]!] = label[2]!;
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample named `name` whose labels include `labels` (0 when there is none). */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter(
    (sample) =>
      sample.name === name &&
      Object.entries(labels).every(([key, value]) => sample.labels[key] === value) &&
      Object.keys(sample.labels).length === Object.keys(labels).length,
  );
  if (found.length > 1) throw new Error(`${found.length} samples ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}

// --- server processes -------------------------------------------------------------------

export interface Instance {
  origin: string;
  port: number;
  dataDir: string;
  child: ChildProcess;
  /** What the process wrote to stderr so far (its warnings and errors). */
  stderr(): string;
  stdout(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  /** The data directory (credentials.json); default a new one holding the bootstrap credentials. */
  dataDir?: string;
  /** Extra environment (pool size, timeouts, …). */
  env?: Record<string, string>;
  /** Wait for /readyz (default true). */
  waitReady?: boolean;
}

const KEEP_OUTPUT = 256 * 1024;

export interface DeploymentOptions {
  /** Instances connect as a login role of their own (not a superuser), so CONNECT can be revoked from them. */
  ownRole?: boolean;
  /** The master key (hex or base64) instead of a new random one. */
  masterKey?: string;
}

/**
 * One deployment: a new database (and optionally a role), one master key, any number of
 * `serve` processes, scratch directories.
 */
export class Deployment {
  readonly masterKey: string;
  readonly scratch = mkdtempSync(join(tmpdir(), 'dbcerts-pg-'));
  readonly instances: Instance[] = [];
  credentials: Credentials | undefined;
  #dirs = 0;

  private constructor(
    readonly databaseName: string,
    /** What the instances use. */
    readonly url: string,
    /** The same database as the administrator (superuser). */
    readonly adminUrl: string,
    readonly role: string | undefined,
    masterKey: string | undefined,
  ) {
    this.masterKey = masterKey ?? randomBytes(32).toString('hex');
  }

  static async create(options: DeploymentOptions = {}): Promise<Deployment> {
    const name = `dbcerts_test_${randomBytes(6).toString('hex')}`;
    await adminQuery(`create database ${name}`);
    if (!options.ownRole)
      return new Deployment(name, withDatabase(name), withDatabase(name), undefined, options.masterKey);
    const role = `${name}_app`;
    await adminQuery(`create role ${role} login`);
    // PostgreSQL 15: only the database owner may create in schema public unless granted.
    await adminQuery(`grant usage, create on schema public to ${role}`, [], withDatabase(name));
    return new Deployment(name, withDatabase(name, role), withDatabase(name), role, options.masterKey);
  }

  /** The environment every command of this deployment runs with. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      DBCERTS_DATABASE_URL: this.url,
      DBCERTS_MASTER_KEY: this.masterKey,
      DBCERTS_KEY_ALGORITHM: 'ec-p256',
      DBCERTS_CA_KEY_ALGORITHM: 'ec-p256',
      DBCERTS_LOG_LEVEL: 'warn',
      DBCERTS_RATE_LIMITS: 'off',
      ...extra,
    };
  }

  newDataDir(): string {
    return join(this.scratch, `data-${++this.#dirs}`);
  }

  /** `dbcerts bootstrap --data DIR --json`, once per deployment; later instances get a copy of DIR. */
  async bootstrap(): Promise<Credentials> {
    const dir = join(this.scratch, 'bootstrap');
    const outcome = await dbcerts(['bootstrap', '--data', dir, '--json'], this.env());
    if (outcome.code !== 0) throw new Error(`bootstrap failed (${outcome.code}): ${outcome.stderr}`);
    this.credentials = JSON.parse(outcome.stdout) as Credentials;
    return this.credentials;
  }

  /** Starts `dbcerts serve` on a free port and (by default) waits until /readyz answers 200. */
  async start(options: StartOptions = {}): Promise<Instance> {
    let dataDir = options.dataDir;
    if (dataDir === undefined) {
      dataDir = this.newDataDir();
      if (this.credentials) cpSync(join(this.scratch, 'bootstrap'), dataDir, { recursive: true });
    }
    const instance = await spawnServe(dataDir, this.env(options.env));
    this.instances.push(instance);
    if (options.waitReady !== false) await waitReady(instance);
    return instance;
  }

  /** Drops the database and creates it again, empty (every instance must be stopped). */
  async recreateDatabase(): Promise<void> {
    await adminQuery(`drop database ${this.databaseName} with (force)`);
    await adminQuery(`create database ${this.databaseName}`);
    if (this.role) await adminQuery(`grant usage, create on schema public to ${this.role}`, [], this.adminUrl);
  }

  /** Runs SQL as the administrator in this deployment's database. */
  query<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    return adminQuery<T>(text, params, this.adminUrl);
  }

  /** Kills every instance still running, drops the database and the role, removes the scratch directory. */
  async close(): Promise<void> {
    await Promise.all(this.instances.map((instance) => instance.kill('SIGKILL')));
    try {
      await adminQuery(`drop database if exists ${this.databaseName} with (force)`);
      if (this.role) await adminQuery(`drop role if exists ${this.role}`);
    } finally {
      rmSync(this.scratch, { recursive: true, force: true });
    }
  }
}

/** Server processes not yet exited: killed if this test process exits without its `after` hooks. */
const running = new Set<ChildProcess>();
function killRunning(): void {
  for (const child of running) child.kill('SIGKILL');
}

/**
 * Starts `node bin/dbcerts.js serve --port <free> --host 127.0.0.1 --data DIR` with exactly
 * `env` (plus the inherited non-dbcerts environment). Its output is kept, and drained so
 * the process never blocks on a full pipe.
 */
export async function spawnServe(dataDir: string, env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  if (running.size === 0) process.once('exit', killRunning);
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--port', String(port), '--host', '127.0.0.1', '--data', dataDir],
    { cwd: ROOT, env: environment(env), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout = (stdout + chunk.toString('utf8')).slice(-KEEP_OUTPUT)));
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-KEEP_OUTPUT)));
  running.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      if (running.size === 0) process.removeListener('exit', killRunning);
      resolve({ code, signal });
    }),
  );
  const instance: Instance = {
    origin: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    child,
    stderr: () => stderr,
    stdout: () => stdout,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (instance.alive()) child.kill(signal);
      return exited;
    },
  };
  return instance;
}

/** Polls /readyz until it answers 200 (at most `timeoutMs`); fails early if the process exits. */
export async function waitReady(instance: Instance, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!instance.alive()) {
      const { code, signal } = await instance.exited;
      throw new Error(
        `serve exited (${code ?? signal}) before it was ready:\n${instance.stdout()}\n${instance.stderr()}`,
      );
    }
    try {
      const response = await timedFetch(`${instance.origin}/readyz`, {}, 2_000);
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`not ready within ${timeoutMs} ms:\n${instance.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every row of every table (bytes as hex, ordered), to compare whole stores. */
export async function tableContents(
  query: <T>(text: string) => Promise<T[]>,
  skip: readonly string[] = [
    'digest_nonce_uses',
    'rate_limit_buckets',
    'identity_generation',
    'kysely_migration',
    'kysely_migration_lock',
  ],
): Promise<Record<string, string[]>> {
  const tables = (
    await query<{ name: string }>(
      `select table_name as name from information_schema.tables where table_schema = 'public' order by table_name`,
    )
  )
    .map((row) => row.name)
    .filter((name) => !skip.includes(name));
  const contents: Record<string, string[]> = {};
  for (const table of tables) {
    const rows = await query<Record<string, unknown>>(`select * from ${table}`);
    contents[table] = rows
      .map((row) =>
        JSON.stringify(row, (_key, value) => {
          if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer') {
            return Buffer.from((value as { data: number[] }).data).toString('hex');
          }
          return value;
        }),
      )
      .sort();
  }
  return contents;
}
