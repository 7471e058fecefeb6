/**
 * `npm run bench`: dbcerts against its references in one run, on loopback only, with
 * bounded request counts. The server runs as `dbcerts serve` in its own process on the
 * embedded store; load comes from separate load-generator processes speaking Digest the
 * way Python `requests` does. Prints a Markdown section; `--write` appends it to
 * docs/benchmarks.md.
 *
 * P-256 issuance and the list pages are measured twice on the same server: cold, the first
 * requests after start (V8 is still optimising the hot code; they cost up to twice as
 * much), then warm, the same load again. The targets are judged on the warm figures;
 * cfssl gets as many requests before its measured ones.
 *
 * `--only=references,issuance,durability,listing` runs a subset (for working on one part).
 * `--database-url=postgres://…` (a role that may create databases) also runs issuance and
 * listing on PostgreSQL, each server on a database of its own, after the embedded store.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  fdatasyncSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import SqliteDatabase from 'better-sqlite3';
import type { KeyAlgorithm } from '../src/pki/key-algorithms.js';
import type { SqliteSynchronous } from '../src/store/database.js';
import { type RunningServer, startDbcerts } from './dbcerts-server.js';
import { DigestConnection, type LoadResult, type LoadSpec } from './load-generator.js';
import { loadFromOtherProcess } from './process.js';
import * as references from './reference-summary.js';
import { certificateCount, p256Csr, type SeedPlan, seedCertificates } from './seed.js';

const V1 = '/api/atlas/v1.0';
const only = new Set(
  (process.argv.find((arg) => arg.startsWith('--only='))?.slice(7) ?? 'references,issuance,durability,listing').split(
    ',',
  ),
);
const POSTGRES_ADMIN_URL = process.argv.find((arg) => arg.startsWith('--database-url='))?.slice(15);
const lines: string[] = [];
const say = (line = '') => {
  lines.push(line);
  process.stdout.write(`${line}\n`);
};
const progress = (text: string) => process.stderr.write(`bench: ${text}\n`);

const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const ratio = (value: number | undefined, reference: number | undefined) =>
  value !== undefined && reference ? `${fixed(value / reference, 2)}×` : 'n/a';

function loadRow(scenario: string, result: LoadResult, extra = ''): string {
  const failures = result.failures ? ` (${result.failures} failed: ${result.firstFailure})` : '';
  return `| ${scenario} | ${result.requests} | ${fixed(result.perSecond, result.perSecond < 20 ? 1 : 0)} | ${fixed(result.p50, 1)} | ${fixed(result.p99, 1)} | ${extra}${failures} |`;
}

// ---------------------------------------------------------------------------------------------
// dbcerts setup through its own API

class Admin {
  readonly connection: DigestConnection;
  constructor(readonly server: RunningServer) {
    this.connection = new DigestConnection(server.origin, {
      username: server.credentials.publicKey,
      password: server.credentials.privateKey,
    });
  }

  async call(method: 'GET' | 'POST', path: string, body?: unknown, expect = [200, 201]): Promise<string> {
    const response = await this.connection.send(method, path, body === undefined ? undefined : JSON.stringify(body));
    if (!expect.includes(response.status)) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
    return response.text;
  }

  async createProject(name: string): Promise<string> {
    const text = await this.call('POST', `${V1}/groups`, { name, orgId: this.server.credentials.orgId });
    return (JSON.parse(text) as { id: string }).id;
  }

  async createUser(groupId: string, username: string): Promise<void> {
    await this.call('POST', `${V1}/groups/${groupId}/databaseUsers`, {
      databaseName: '$external',
      username,
      x509Type: 'MANAGED',
      roles: [{ roleName: 'readWrite', databaseName: 'app' }],
    });
  }

  certsPath(groupId: string, username: string, query = ''): string {
    return `${V1}/groups/${groupId}/databaseUsers/${encodeURIComponent(username)}/certs${query}`;
  }

  async issue(groupId: string, username: string): Promise<void> {
    await this.call('POST', this.certsPath(groupId, username), { monthsUntilExpiration: 12 });
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

/** Where the servers of a run keep their store. */
interface Backend {
  name: string;
  /** The environment that points a server at the store of `dataDir`. */
  env(dataDir: string): Promise<Record<string, string>>;
  seed(dataDir: string, groupId: string, plan: SeedPlan): Promise<void>;
  count(dataDir: string): Promise<number>;
  close(): Promise<void>;
}

const EMBEDDED: Backend = {
  name: 'embedded SQLite',
  env: async () => ({}),
  seed: async (dataDir, groupId, plan) => void (await seedCertificates({ dataDir }, groupId, plan)),
  count: (dataDir) => certificateCount({ dataDir }),
  close: async () => undefined,
};

/** A database of its own on the server of `adminUrl` for each data directory. */
function postgresBackend(adminUrl: string): Backend {
  const databases = new Map<string, string>();
  const admin = async (statement: string) => {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  const urlOf = async (dataDir: string) => {
    let url = databases.get(dataDir);
    if (!url) {
      const name = `dbcerts_bench_${process.pid}_${databases.size}`;
      await admin(`create database ${name}`);
      const target = new URL(adminUrl);
      target.pathname = `/${name}`;
      url = target.toString();
      databases.set(dataDir, url);
    }
    return url;
  };
  return {
    name: 'PostgreSQL',
    env: async (dataDir) => ({ DBCERTS_DATABASE_URL: await urlOf(dataDir) }),
    seed: async (dataDir, groupId, plan) =>
      void (await seedCertificates({ dataDir, databaseUrl: await urlOf(dataDir) }, groupId, plan)),
    count: async (dataDir) => certificateCount({ dataDir, databaseUrl: await urlOf(dataDir) }),
    async close() {
      for (const url of databases.values())
        await admin(`drop database if exists ${new URL(url).pathname.slice(1)} with (force)`);
      databases.clear();
    },
  };
}

let backend: Backend = EMBEDDED;

function digestOf(server: RunningServer) {
  return { username: server.credentials.publicKey, password: server.credentials.privateKey };
}

async function withServer<T>(
  env: Record<string, string>,
  work: (server: RunningServer, admin: Admin) => Promise<T>,
  dataDir = mkdtempSync(join(tmpdir(), 'dbcerts-bench-')),
): Promise<T> {
  const server = await startDbcerts(dataDir, { ...env, ...(await backend.env(dataDir)) });
  const admin = new Admin(server);
  try {
    return await work(server, admin);
  } finally {
    await admin.close();
    await server.stop();
  }
}

function keyEnv(user: KeyAlgorithm, ca: KeyAlgorithm, pool?: string): Record<string, string> {
  return {
    DBCERTS_KEY_ALGORITHM: user,
    DBCERTS_CA_KEY_ALGORITHM: ca,
    ...(pool === undefined ? {} : { DBCERTS_KEY_POOL: pool }),
  };
}

async function waitForPool(server: RunningServer, algorithm: KeyAlgorithm, depth: number): Promise<number> {
  const started = performance.now();
  while ((await server.poolDepth(algorithm)) < depth) await new Promise((resolve) => setTimeout(resolve, 100));
  return performance.now() - started;
}

// ---------------------------------------------------------------------------------------------
// Issuance

interface IssuanceResults {
  /** The first requests after start: V8 has not optimised the server's hot code yet. */
  p256Cold?: LoadResult;
  /** The same load again on the same server, warm: the figure a running server gives. */
  p256?: LoadResult;
  p256UnderRsa?: LoadResult;
  rsa2048?: LoadResult;
  rsa4096?: LoadResult;
  burst?: { result: LoadResult; fillSeconds: number };
  burstP256Ca?: { result: LoadResult; fillSeconds: number };
  csr?: LoadResult;
  readyMs?: number;
}

async function postCerts(
  server: RunningServer,
  admin: Admin,
  username: string,
  requests: number,
  concurrency: number,
  body: unknown = { monthsUntilExpiration: 3 },
): Promise<LoadResult> {
  await admin.createUser(server.credentials.groupId, username);
  const spec: LoadSpec = {
    origin: server.origin,
    method: 'POST',
    paths: [admin.certsPath(server.credentials.groupId, username)],
    body: JSON.stringify(body),
    digest: digestOf(server),
    concurrency,
    requests,
    // Connections and nonces are set up with a cheap GET, so no pooled key is spent before the clock starts.
    warmupPath: `${V1}/groups/${server.credentials.groupId}`,
    warmupRequests: 3,
    expectStatus: 201,
  };
  return loadFromOtherProcess(spec);
}

async function issuance(): Promise<IssuanceResults> {
  const results: IssuanceResults = {};
  progress('issuance: P-256 keys under a P-256 CA');
  await withServer(keyEnv('ec-p256', 'ec-p256'), async (server, admin) => {
    results.readyMs = server.readyMs;
    await admin.createUser(server.credentials.groupId, 'first');
    await admin.issue(server.credentials.groupId, 'first'); // creates the project CA
    results.p256Cold = await postCerts(server, admin, 'p256-cold', 6000, 16);
    results.p256 = await postCerts(server, admin, 'p256', 6000, 16);
    progress('issuance: CSR signing (P-256 CSR under a P-256 CA)');
    const csr = p256Csr();
    results.csr = await postCerts(server, admin, 'csr', 4000, 16, { csr, monthsUntilExpiration: 3 });
  });

  progress('issuance: P-256 keys under an RSA-4096 CA');
  await withServer(keyEnv('ec-p256', 'rsa-4096'), async (server, admin) => {
    await admin.createUser(server.credentials.groupId, 'first');
    await admin.issue(server.credentials.groupId, 'first');
    results.p256UnderRsa = await postCerts(server, admin, 'p256', 1500, 16);
  });

  progress('issuance: RSA-2048 keys under an RSA-4096 CA, sustained (no pool)');
  await withServer(keyEnv('rsa-2048', 'rsa-4096', 'off'), async (server, admin) => {
    await admin.createUser(server.credentials.groupId, 'first');
    await admin.issue(server.credentials.groupId, 'first');
    results.rsa2048 = await postCerts(server, admin, 'rsa2048', 120, 4);
  });

  progress('issuance: RSA-4096 keys under an RSA-4096 CA, sustained (no pool)');
  await withServer(keyEnv('rsa-4096', 'rsa-4096', 'off'), async (server, admin) => {
    await admin.createUser(server.credentials.groupId, 'first');
    await admin.issue(server.credentials.groupId, 'first');
    // A key takes 0.5–4 s: 8 requests (as before) put the rate anywhere from 60% to 19x
    // of the raw reference; 48 bring its spread to about a tenth, for half a minute.
    results.rsa4096 = await postCerts(server, admin, 'rsa4096', 48, 2);
  });

  for (const ca of ['rsa-4096', 'ec-p256'] as const) {
    progress(`issuance: burst of 50 RSA-4096 keys from a warm pool, ${ca} CA (filling the pool first)`);
    await withServer(keyEnv('rsa-4096', ca, 'rsa-4096:50'), async (server, admin) => {
      await admin.createUser(server.credentials.groupId, 'first');
      await admin.issue(server.credentials.groupId, 'first');
      const fillMs = await waitForPool(server, 'rsa-4096', 50);
      const result = await postCerts(server, admin, 'burst', 50, 50);
      const entry = { result, fillSeconds: fillMs / 1000 };
      if (ca === 'rsa-4096') results.burst = entry;
      else results.burstP256Ca = entry;
    });
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Durability: what syncing every commit (synchronous=full, the default) costs against normal

interface DurabilityRun {
  mode: SqliteSynchronous;
  concurrency: number;
  result: LoadResult;
}

/** Rounds of both modes, in alternating order, so a noisy machine weighs on both alike. */
const DURABILITY_ROUNDS = 5;
const DURABILITY_LOADS = [
  { concurrency: 16, requests: 3000 },
  { concurrency: 1, requests: 600 },
];

async function durability(): Promise<DurabilityRun[]> {
  const runs: DurabilityRun[] = [];
  for (let round = 0; round < DURABILITY_ROUNDS; round++) {
    const modes: SqliteSynchronous[] = round % 2 === 0 ? ['full', 'normal'] : ['normal', 'full'];
    for (const mode of modes) {
      progress(`durability: round ${round + 1} of ${DURABILITY_ROUNDS}, synchronous=${mode}`);
      await withServer({ ...keyEnv('ec-p256', 'ec-p256'), DBCERTS_SQLITE_SYNCHRONOUS: mode }, async (server, admin) => {
        await admin.createUser(server.credentials.groupId, 'first');
        await admin.issue(server.credentials.groupId, 'first');
        for (const { concurrency, requests } of DURABILITY_LOADS) {
          const result = await postCerts(server, admin, `c${concurrency}`, requests, concurrency);
          runs.push({ mode, concurrency, result });
        }
      });
    }
  }
  return runs;
}

/** The latency of one 4 KiB write + fdatasync in a fresh file of the temporary directory (ms). */
function fdatasyncMs(): number {
  const dir = mkdtempSync(join(tmpdir(), 'dbcerts-bench-sync-'));
  try {
    const fd = openSync(join(dir, 'probe'), 'w');
    const page = Buffer.alloc(4096, 1);
    const count = 200;
    const started = performance.now();
    for (let index = 0; index < count; index++) {
      writeSync(fd, page, 0, page.length, index * page.length);
      fdatasyncSync(fd);
    }
    const elapsed = performance.now() - started;
    closeSync(fd);
    return elapsed / count;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function describeDurability(runs: DurabilityRun[]): void {
  say('| scenario | synchronous | certs/s per round | median certs/s | median p50 ms | median p99 ms |');
  say('|---|---|---|---|---|---|');
  const ratios: string[] = [];
  for (const { concurrency } of DURABILITY_LOADS) {
    const of = (mode: SqliteSynchronous) =>
      runs.filter((run) => run.mode === mode && run.concurrency === concurrency).map((run) => run.result);
    for (const mode of ['full', 'normal'] as const) {
      const results = of(mode);
      const failures = results.reduce((sum, result) => sum + result.failures, 0);
      say(
        `| P-256 key, P-256 CA, ${concurrency} concurrent | ${mode}${mode === 'full' ? ' (default)' : ''} | ` +
          `${results.map((result) => fixed(result.perSecond)).join(', ')} | ${fixed(median(results.map((result) => result.perSecond)))} | ` +
          `${fixed(median(results.map((result) => result.p50)), 1)} | ${fixed(median(results.map((result) => result.p99)), 1)} |` +
          (failures ? ` ${failures} failed: ${results.find((result) => result.failures)?.firstFailure}` : ''),
      );
    }
    // Paired by round (the two modes ran back to back), so drift of the machine cancels out.
    const normal = of('normal');
    const perRound = of('full').map((result, index) => result.perSecond / normal[index]!.perSecond);
    ratios.push(
      `${concurrency} concurrent ${fixed(median(perRound), 2)} (per round: ${perRound.map((ratio) => fixed(ratio, 2)).join(', ')})`,
    );
  }
  say();
  say(
    `Throughput full ÷ normal, median of the rounds: ${ratios.join('; ')}. ` +
      `One 4 KiB write + fdatasync in the temporary directory: ${fixed(fdatasyncMs(), 2)} ms; ` +
      `load average ${loadavg()
        .map((load) => fixed(load, 1))
        .join(', ')}. With 16 concurrent requests group commit shares one sync among the commits that arrive ` +
      "together; one at a time, every commit waits for its own. better-sqlite3 is synchronous: the sync holds the server's one thread.",
  );
  say();
}

// ---------------------------------------------------------------------------------------------
// Listing

interface ListingStage {
  size: number;
  readyMs: number;
  /** The first pages after start, which also warm the server up for the others. */
  listedCold: LoadResult;
  listed: LoadResult;
  big?: LoadResult;
  duringRsa?: LoadResult;
  rsaIssued?: number;
  peakRssMb: number;
}

const LISTED_USER = 'listed';
const LISTED_CERTIFICATES = 200;
const BIG_USER = 'big';
const BIG_CERTIFICATES = 10_000;
const PROJECTS = 20;
const USERS_PER_PROJECT = 50;
const LIST_CONCURRENCY = 8;
const LIST_REQUESTS = 8000;

function listSpec(server: RunningServer, admin: Admin, username: string, pageNum: number): LoadSpec {
  return {
    origin: server.origin,
    method: 'GET',
    paths: [admin.certsPath(server.credentials.groupId, username, `?itemsPerPage=100&pageNum=${pageNum}`)],
    digest: digestOf(server),
    concurrency: LIST_CONCURRENCY,
    requests: LIST_REQUESTS,
    warmupRequests: 50,
    expectStatus: 200,
  };
}

/** A POST load of RSA-4096 keys (no pool: every request waits for a key) until stopped. */
function rsaIssuanceInBackground(server: RunningServer, admin: Admin): { stop(): Promise<number> } {
  const spec: LoadSpec = {
    origin: server.origin,
    method: 'POST',
    paths: [admin.certsPath(server.credentials.groupId, 'rsa-background')],
    body: JSON.stringify({ monthsUntilExpiration: 3 }),
    digest: digestOf(server),
    concurrency: 4,
    requests: 1000,
    warmupPath: `${V1}/groups/${server.credentials.groupId}`,
    expectStatus: 201,
  };
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL('./load-generator.js', import.meta.url)), JSON.stringify(spec)],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
      return 0;
    },
  };
}

async function listing(): Promise<ListingStage[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dbcerts-bench-list-'));
  const stages: ListingStage[] = [];
  try {
    progress(`listing: ${PROJECTS} projects × ${USERS_PER_PROJECT} users through the API`);
    let groupId = '';
    await withServer(
      keyEnv('ec-p256', 'ec-p256', 'off'),
      async (server, admin) => {
        groupId = server.credentials.groupId;
        const projects = [groupId];
        for (let index = 1; index < PROJECTS; index++) projects.push(await admin.createProject(`bench-${index}`));
        for (const [index, project] of projects.entries()) {
          for (let user = 0; user < USERS_PER_PROJECT; user++) await admin.createUser(project, `user-${index}-${user}`);
          await admin.issue(project, `user-${index}-0`); // the project CA, and a real certificate to copy
        }
        await admin.createUser(groupId, LISTED_USER);
        await admin.createUser(groupId, BIG_USER);
        await admin.createUser(groupId, 'rsa-background');
        for (let index = 0; index < LISTED_CERTIFICATES; index++) await admin.issue(groupId, LISTED_USER);
      },
      dataDir,
    );

    const exclude = [LISTED_USER, BIG_USER, 'rsa-background'];
    for (const size of [1_000, 100_000, 1_000_000]) {
      const current = await backend.count(dataDir);
      const bigRows = size >= 100_000 && current < BIG_CERTIFICATES ? BIG_CERTIFICATES : 0;
      progress(`listing: filling the store to ${size} certificates`);
      await backend.seed(dataDir, groupId, {
        ...(bigRows ? { forUser: { username: BIG_USER, count: bigRows } } : {}),
        spread: Math.max(0, size - current - bigRows),
        exclude,
      });
      const atSize = await backend.count(dataDir);
      progress(`listing: ${atSize} certificates; GET pages`);
      // User keys are RSA-4096 here (Atlas' default), so the RSA phase below makes real RSA work.
      stages.push(
        await withServer(
          keyEnv('rsa-4096', 'ec-p256', 'off'),
          async (server, admin) => {
            const listedCold = await loadFromOtherProcess(listSpec(server, admin, LISTED_USER, 2));
            const listed = await loadFromOtherProcess(listSpec(server, admin, LISTED_USER, 2));
            const big = size >= 100_000 ? await loadFromOtherProcess(listSpec(server, admin, BIG_USER, 50)) : undefined;
            let duringRsa: LoadResult | undefined;
            if (size === 1_000_000) {
              const background = rsaIssuanceInBackground(server, admin);
              // Let key generation get going on every core first.
              await new Promise((resolve) => setTimeout(resolve, 2000));
              duringRsa = await loadFromOtherProcess(listSpec(server, admin, LISTED_USER, 2));
              await background.stop();
            }
            return {
              size: atSize,
              readyMs: server.readyMs,
              listedCold,
              listed,
              ...(big ? { big } : {}),
              ...(duringRsa ? { duringRsa } : {}),
              peakRssMb: server.peakRssMb(),
            };
          },
          dataDir,
        ),
      );
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  return stages;
}

// ---------------------------------------------------------------------------------------------

function versions(): string {
  const openssl = execFileSync('openssl', ['version']).toString().trim();
  const memory = new SqliteDatabase(':memory:');
  const sqlite = (memory.prepare('select sqlite_version() as v').get() as { v: string }).v;
  memory.close();
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `dbcerts ${pkg.version}, Node ${process.version}, ${openssl}, SQLite ${sqlite}`;
}

/** The targets of issue 12, met or missed in this run (ratios against references measured in it). */
function targets(
  refs: references.ReferenceResults | undefined,
  issued: IssuanceResults | undefined,
  stages: ListingStage[],
): string {
  const rows: string[] = [`Targets on ${backend.name} (this run):`, '', '| target | measured | |', '|---|---|---|'];
  const verdict = (ok: boolean | undefined) => (ok === undefined ? 'n/a' : ok ? 'met' : 'missed');
  const p256 = issued?.p256;
  const cfssl = references.cfsslRate(refs, 'ec-p256', 'ec-p256');
  if (p256) {
    rows.push(
      `| P-256 under a P-256 CA ≥ 1,500 certs/s, ≥ 1.5× cfssl, p99 < 50 ms (16 concurrent) | ${fixed(p256.perSecond)}/s, ${ratio(p256.perSecond, cfssl)} cfssl, p99 ${fixed(p256.p99, 1)} ms | ${verdict(p256.perSecond >= 1500 && cfssl !== undefined && p256.perSecond >= 1.5 * cfssl && p256.p99 < 50)} |`,
    );
  }
  const first = stages[0];
  const last = stages.at(-1);
  if (first && last && last.size >= 1_000_000) {
    const cost = first.listed.perSecond / last.listed.perSecond;
    rows.push(
      `| GET certs (100 per page) at 1,000,000 ≥ 3,000 req/s, p99 < 20 ms; 1M ÷ 1k ≤ 1.5 | ${fixed(last.listed.perSecond)} req/s, p99 ${fixed(last.listed.p99, 1)} ms; ${fixed(cost, 2)} | ${verdict(last.listed.perSecond >= 3000 && last.listed.p99 < 20 && cost <= 1.5)} |`,
    );
  }
  for (const [name, result, algorithm] of [
    ['RSA-2048', issued?.rsa2048, 'rsa-2048'],
    ['RSA-4096', issued?.rsa4096, 'rsa-4096'],
  ] as const) {
    const raw = references.rawKeyRate(refs, algorithm);
    if (result && raw) {
      rows.push(
        `| ${name} sustained ≥ 90% of raw key generation | ${fixed((100 * result.perSecond) / raw)}% | ${verdict(result.perSecond >= 0.9 * raw)} |`,
      );
    }
  }
  if (issued?.burstP256Ca) {
    rows.push(
      `| burst of 50 from a warm pool, P-256 CA: p99 < 150 ms | p99 ${fixed(issued.burstP256Ca.result.p99, 1)} ms | ${verdict(issued.burstP256Ca.result.p99 < 150)} |`,
    );
  }
  return rows.join('\n');
}

/** Issuance and listing on the current backend, reported against the references and the targets. */
async function measureOnBackend(refs: references.ReferenceResults | undefined): Promise<void> {
  let issued: IssuanceResults | undefined;
  if (only.has('issuance')) {
    issued = await issuance();
    say(`### Issuance on ${backend.name}: \`POST …/databaseUsers/{user}/certs\` over HTTP + Digest + store`);
    say();
    say('| scenario | requests | certs/s | p50 ms | p99 ms | vs reference |');
    say('|---|---|---|---|---|---|');
    const cfssl = (user: KeyAlgorithm, ca: KeyAlgorithm) => references.cfsslRate(refs, user, ca);
    const rawKeys = (algorithm: KeyAlgorithm) => references.rawKeyRate(refs, algorithm);
    const caSigns = (algorithm: KeyAlgorithm) => references.signRate(refs, algorithm);
    const p256Rows = [
      ['cold: the first requests after start', issued.p256Cold],
      ['warm: the same load again', issued.p256],
    ] as const;
    for (const [when, result] of p256Rows) {
      if (!result) continue;
      say(
        loadRow(
          `P-256 key, P-256 CA, 16 concurrent, ${when}`,
          result,
          `${ratio(result.perSecond, cfssl('ec-p256', 'ec-p256'))} cfssl newcert`,
        ),
      );
    }
    if (issued.p256UnderRsa) {
      say(
        loadRow(
          'P-256 key, RSA-4096 CA, 16 concurrent',
          issued.p256UnderRsa,
          `${ratio(issued.p256UnderRsa.perSecond, caSigns('rsa-4096'))} of RSA-4096 signing (all cores)`,
        ),
      );
    }
    if (issued.rsa2048) {
      say(
        loadRow(
          'RSA-2048 key, RSA-4096 CA, sustained (no pool), 4 concurrent',
          issued.rsa2048,
          `${ratio(issued.rsa2048.perSecond, rawKeys('rsa-2048'))} of RSA-2048 key generation (all cores); ` +
            `${ratio(issued.rsa2048.perSecond, cfssl('rsa-2048', 'rsa-4096'))} cfssl`,
        ),
      );
    }
    if (issued.rsa4096) {
      say(
        loadRow(
          'RSA-4096 key, RSA-4096 CA (Atlas), sustained (no pool), 2 concurrent',
          issued.rsa4096,
          `${ratio(issued.rsa4096.perSecond, rawKeys('rsa-4096'))} of RSA-4096 key generation (all cores); ` +
            `${ratio(issued.rsa4096.perSecond, cfssl('rsa-4096', 'rsa-4096'))} cfssl`,
        ),
      );
    }
    for (const [name, burst] of [
      ['RSA-4096 CA', issued.burst],
      ['P-256 CA', issued.burstP256Ca],
    ] as const) {
      if (burst) {
        say(
          loadRow(
            `burst of 50 RSA-4096 keys from a warm pool, ${name}`,
            burst.result,
            `pool of 50 filled in ${fixed(burst.fillSeconds, 1)} s`,
          ),
        );
      }
    }
    if (issued.csr) say(loadRow('CSR (P-256) signed by a P-256 CA, 16 concurrent', issued.csr));
    say();
  }

  if (only.has('durability') && backend === EMBEDDED) {
    const runs = await durability();
    say(
      '### Durability: `POST …/certs` with every commit synced (`--sqlite-synchronous full`, the default) and not (`normal`)',
    );
    say();
    describeDurability(runs);
  }

  let stages: ListingStage[] = [];
  if (only.has('listing')) {
    stages = await listing();
    say(
      `### Listing on ${backend.name}: \`GET …/certs?itemsPerPage=100\`, ${LIST_CONCURRENCY} concurrent, over HTTP + Digest + store`,
    );
    say();
    say('| certificates in the store | user (certificates) | page | requests | req/s | p50 ms | p99 ms | |');
    say('|---|---|---|---|---|---|---|---|');
    for (const stage of stages) {
      const row = (user: string, count: number, page: number, result: LoadResult, note = '') =>
        say(
          `| ${stage.size.toLocaleString('en')} | ${user} (${count.toLocaleString('en')}) | ${page} | ${result.requests} | ${fixed(result.perSecond)} | ${fixed(result.p50, 1)} | ${fixed(result.p99, 1)} | ${note}${result.failures ? ` ${result.failures} failed: ${result.firstFailure}` : ''} |`,
        );
      row(LISTED_USER, LISTED_CERTIFICATES, 2, stage.listedCold, 'cold: the first requests after start');
      row(LISTED_USER, LISTED_CERTIFICATES, 2, stage.listed, 'warm: the same load again');
      if (stage.big) row(BIG_USER, BIG_CERTIFICATES, 50, stage.big);
      if (stage.duringRsa)
        row(LISTED_USER, LISTED_CERTIFICATES, 2, stage.duringRsa, 'while RSA-4096 keys are generated');
    }
    say();
    const first = stages[0];
    const last = stages.at(-1);
    if (first && last) {
      // Cost per request = 1 / throughput at the same concurrency.
      say(
        `List cost at ${last.size.toLocaleString('en')} ÷ at ${first.size.toLocaleString('en')} certificates: ` +
          `${fixed(first.listed.perSecond / last.listed.perSecond, 2)} (throughput), ` +
          `${fixed(last.listed.p50 / first.listed.p50, 2)} (p50 latency).` +
          (last.duringRsa
            ? ` While RSA-4096 keys are generated: ${fixed((100 * last.duringRsa.perSecond) / last.listed.perSecond)}% of the throughput.`
            : ''),
      );
      say(
        `Server peak RSS during the list loads: ${stages.map((stage) => `${fixed(stage.peakRssMb)} MB at ${stage.size.toLocaleString('en')}`).join(', ')}. ` +
          `Start-up to ready: ${issued?.readyMs ? `${fixed(issued.readyMs)} ms on an empty store, ` : ''}` +
          stages
            .map((stage) => `${fixed(stage.readyMs)} ms with ${stage.size.toLocaleString('en')} certificates`)
            .join(', ') +
          ' (spawning `dbcerts serve` to its banner).',
      );
      say();
    }
  }

  say(targets(refs, issued, stages));
  say();
}

async function main(): Promise<void> {
  const started = performance.now();
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  say(`## ${new Date().toISOString().slice(0, 10)} — \`npm run bench\``);
  say();
  say(
    `Machine: ${availableParallelism()} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB. ${versions()}. ` +
      `Server: \`dbcerts serve\` (its own processes: ${availableParallelism()} workers by default), on the embedded store${POSTGRES_ADMIN_URL ? ', then on PostgreSQL' : ''}, Atlas rate limits off, access log on. ` +
      'Load: separate processes, keep-alive, Digest with one nonce per connection and nc counting up.',
  );
  say();

  let refs: references.ReferenceResults | undefined;
  if (only.has('references')) {
    progress('references: openssl speed, raw key generation, cfssl');
    refs = await references.measureReferences();
    say('### References');
    say();
    for (const line of references.describe(refs)) say(line);
    say();
  }

  const backends = [EMBEDDED, ...(POSTGRES_ADMIN_URL ? [postgresBackend(POSTGRES_ADMIN_URL)] : [])];
  for (const current of backends) {
    backend = current;
    try {
      await measureOnBackend(refs);
    } finally {
      await current.close();
    }
  }

  say(`Bench duration: ${fixed((performance.now() - started) / 60_000, 1)} min.`);
  say();
  if (process.argv.includes('--write')) {
    appendFileSync(new URL('../../docs/benchmarks.md', import.meta.url), `\n${lines.join('\n')}`);
  }
}

await main();
