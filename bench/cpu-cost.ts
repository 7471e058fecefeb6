/**
 * CPU cost of one request, for working on the server on a busy machine: wall-clock
 * throughput moves with whatever else runs, the CPU time the server spends per request
 * does not (much). Starts `dbcerts serve` (every process it forks counted), sends a
 * bounded load from another process and reads utime + stime of the server's processes
 * from /proc before and after.
 *
 * node dist/bench/cpu-cost.js [--requests=N] [--warmup=N] [--workers=N] [--million=DIR] [--database-url=URL [--database-pid=PID]] [--profile=DIR] [--only=get|post|csr] [--concurrency=N]
 *
 * Prints CPU ms per request for POST …/certs (P-256 key, P-256 CA; with `--only=csr`, a
 * P-256 CSR the server signs instead) and GET …/certs
 * (100 per page, page 2 of 200) at about 1,000 certificates and, with `--million=DIR`,
 * at 1,000,000 (the store is seeded once in DIR and reused). `--profile=DIR` writes the
 * server's `--cpu-prof` profiles there. Each load is preceded by `--warmup` unmeasured
 * requests (default 6,000): V8 needs a few thousand requests per process before the hot
 * code is optimised, and until then a request costs up to twice as much. `--database-pid` (PostgreSQL's postmaster, on this
 * machine) adds the database server's CPU per request.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, startDbcerts } from './dbcerts-server.js';
import { DigestConnection, type LoadSpec } from './load-generator.js';
import { endedChildrenCpuMs, loadFromOtherProcess, serverTreeCpuMs, treeCpuMs } from './process.js';
import { certificateCount, p256Csr, seedCertificates } from './seed.js';

const V1 = '/api/atlas/v1.0';
const argument = (name: string) =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? undefined;
const REQUESTS = Number(argument('requests') ?? 3000);
const WARMUP = Number(argument('warmup') ?? 6000);
const WORKERS = argument('workers');
const MILLION_DIR = argument('million');
const DATABASE_URL = argument('database-url');
const PROFILE_DIR = argument('profile');
const ONLY = argument('only'); // get | post | csr
const DATABASE_PID = argument('database-pid');
const CONCURRENCY = Number(argument('concurrency') ?? 16);

async function call(connection: DigestConnection, method: 'GET' | 'POST', path: string, body?: unknown) {
  const response = await connection.send(method, path, body === undefined ? undefined : JSON.stringify(body));
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
  return response.text;
}

async function measure(server: RunningServer, spec: LoadSpec): Promise<string> {
  if (WARMUP > 0) await loadFromOtherProcess({ ...spec, requests: WARMUP });
  const databaseCpuMs = () => (DATABASE_PID ? serverTreeCpuMs(Number(DATABASE_PID)) : 0);
  const before = treeCpuMs(server.pid);
  const databaseBefore = databaseCpuMs();
  const loadBefore = endedChildrenCpuMs();
  const result = await loadFromOtherProcess(spec);
  const cpuMs = treeCpuMs(server.pid) - before;
  const databaseMs = databaseCpuMs() - databaseBefore;
  const loadCpuMs = endedChildrenCpuMs() - loadBefore;
  if (result.failures) throw new Error(`${result.failures} failed: ${result.firstFailure}`);
  const database = DATABASE_PID ? `; database server ${(databaseMs / result.requests).toFixed(3)} CPU ms/request` : '';
  return `${(cpuMs / result.requests).toFixed(3)} CPU ms/request (${result.requests} requests, ${result.perSecond.toFixed(0)}/s, p99 ${result.p99.toFixed(1)} ms; load generator ${(loadCpuMs / result.requests).toFixed(3)} CPU ms/request${database})`;
}

function env(): Record<string, string> {
  return {
    DBCERTS_KEY_ALGORITHM: 'ec-p256',
    DBCERTS_CA_KEY_ALGORITHM: 'ec-p256',
    DBCERTS_KEY_POOL: 'off',
    ...(WORKERS ? { DBCERTS_WORKERS: WORKERS } : {}),
    ...(DATABASE_URL ? { DBCERTS_DATABASE_URL: DATABASE_URL } : {}),
  };
}

async function run(dataDir: string, label: string, prepare: boolean): Promise<void> {
  const server = await startDbcerts(dataDir, env(), PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []);
  const digest = { username: server.credentials.publicKey, password: server.credentials.privateKey };
  const admin = new DigestConnection(server.origin, digest);
  const { groupId } = server.credentials;
  const certs = (user: string, query = '') => `${V1}/groups/${groupId}/databaseUsers/${user}/certs${query}`;
  try {
    if (prepare) {
      for (const username of ['listed', 'posted']) {
        await call(admin, 'POST', `${V1}/groups/${groupId}/databaseUsers`, {
          databaseName: '$external',
          username,
          x509Type: 'MANAGED',
          roles: [{ roleName: 'readWrite', databaseName: 'app' }],
        });
      }
      for (let index = 0; index < 200; index++) await call(admin, 'POST', certs('listed'), {});
    }
    const common = { origin: server.origin, digest, concurrency: CONCURRENCY, requests: REQUESTS, warmupRequests: 20 };
    if (ONLY !== 'post' && ONLY !== 'csr') {
      const get = await measure(server, {
        ...common,
        method: 'GET',
        paths: [certs('listed', '?itemsPerPage=100&pageNum=2')],
        expectStatus: 200,
      });
      process.stdout.write(`${label} GET 100-row page: ${get}\n`);
    }
    if (prepare && ONLY !== 'get') {
      const csr = ONLY === 'csr' ? p256Csr() : undefined;
      const post = await measure(server, {
        ...common,
        method: 'POST',
        paths: [certs('posted')],
        body: JSON.stringify({ monthsUntilExpiration: 3, ...(csr ? { csr } : {}) }),
        warmupPath: `${V1}/groups/${groupId}`,
        expectStatus: 201,
      });
      process.stdout.write(`${label} POST ${csr ? 'P-256 CSR' : 'P-256'}: ${post}\n`);
    }
  } finally {
    await admin.close();
    await server.stop();
  }
}

const small = mkdtempSync(join(tmpdir(), 'dbcerts-cpu-'));
try {
  await run(small, '1k', true);
  if (MILLION_DIR && !DATABASE_URL) {
    if (!existsSync(join(MILLION_DIR, 'dbcerts.sqlite'))) {
      await run(MILLION_DIR, 'seeding', true);
      const { groupId } = JSON.parse(readFileSync(join(MILLION_DIR, 'credentials.json'), 'utf8')) as {
        groupId: string;
      };
      await seedCertificates({ dataDir: MILLION_DIR }, groupId, { spread: 1_000_000, exclude: ['listed'] });
    }
    process.stdout.write(`(${await certificateCount({ dataDir: MILLION_DIR })} certificates)\n`);
    await run(MILLION_DIR, '1M', false);
  }
} finally {
  rmSync(small, { recursive: true, force: true });
}
