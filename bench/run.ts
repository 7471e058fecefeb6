/**
 * `npm run bench`: issuance and listing over HTTP + Digest on the embedded store, on
 * loopback, with bounded request counts. Prints a Markdown section and, with --write,
 * appends it to docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildServer } from '../src/api/server.js';
import { Authority } from '../src/authority/authority.js';
import type { KeyAlgorithm } from '../src/pki/key-algorithms.js';
import { newMasterKey, SecretBox } from '../src/pki/secret-box.js';
import { Store } from '../src/store/store.js';

const V1 = '/api/atlas/v1.0';

/** A Digest session the way Python `requests` keeps one: one nonce, nc counting up. */
class DigestSession {
  private nonce = '';
  private nc = 0;
  constructor(
    private readonly origin: string,
    private readonly user: string,
    private readonly password: string,
  ) {}

  private header(method: string, uri: string): string {
    const nc = (++this.nc).toString(16).padStart(8, '0');
    const cnonce = randomBytes(8).toString('hex');
    const md5 = (text: string) => createHash('md5').update(text).digest('hex');
    const ha1 = md5(`${this.user}:MMS Public API:${this.password}`);
    const response = md5(`${ha1}:${this.nonce}:${nc}:${cnonce}:auth:${md5(`${method}:${uri}`)}`);
    return `Digest username="${this.user}", realm="MMS Public API", nonce="${this.nonce}", uri="${uri}", qop=auth, nc=${nc}, cnonce="${cnonce}", response="${response}"`;
  }

  async request(method: string, uri: string, body?: string): Promise<{ status: number; text: string }> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (this.nonce) headers.authorization = this.header(method, uri);
      const response = await fetch(this.origin + uri, { method, headers, body });
      const text = await response.text();
      if (response.status !== 401) return { status: response.status, text };
      this.nonce = /nonce="([0-9a-f]+)"/.exec(response.headers.get('www-authenticate') ?? '')?.[1] ?? '';
      this.nc = 0;
    }
    throw new Error(`${method} ${uri}: not authenticated`);
  }
}

interface Measurement {
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
}

async function measure(
  total: number,
  concurrency: number,
  call: (worker: number) => Promise<void>,
): Promise<Measurement> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_unused, worker) => {
      while (next < total) {
        next++;
        const t0 = performance.now();
        await call(worker);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { requests: total, seconds, p50: at(0.5), p99: at(0.99) };
}

async function startServer(keyAlgorithm: KeyAlgorithm, caKeyAlgorithm: KeyAlgorithm) {
  const dataDir = mkdtempSync(join(tmpdir(), 'dbcerts-bench-'));
  const started = performance.now();
  const store = await Store.open({ dataDir });
  const authority = await Authority.open({
    store,
    secrets: new SecretBox(newMasterKey()),
    keyAlgorithm,
    caKeyAlgorithm,
  });
  const { credentials } = await authority.bootstrap.bootstrap();
  const app = await buildServer({ authority });
  const origin = await app.listen({ port: 0, host: '127.0.0.1' });
  const readyMs = performance.now() - started;
  const sessions = Array.from(
    { length: 16 },
    () => new DigestSession(origin, credentials.publicKey, credentials.privateKey),
  );
  const users = `${V1}/groups/${credentials.groupId}/databaseUsers`;
  const createUser = async (username: string) => {
    const body = JSON.stringify({
      databaseName: '$external',
      username,
      x509Type: 'MANAGED',
      roles: [{ roleName: 'readWrite', databaseName: 'app' }],
    });
    const response = await sessions[0]!.request('POST', users, body);
    if (response.status !== 201) throw new Error(response.text);
  };
  return {
    readyMs,
    sessions,
    createUser,
    certs: (username: string, query = '') => `${users}/${username}/certs${query}`,
    async close() {
      await app.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const row = (name: string, m: Measurement) =>
  `| ${name} | ${m.requests} | ${(m.requests / m.seconds).toFixed(0)} | ${m.p50.toFixed(1)} | ${m.p99.toFixed(1)} |`;

async function issuance(keyAlgorithm: KeyAlgorithm, caKeyAlgorithm: KeyAlgorithm, total: number, concurrency: number) {
  const server = await startServer(keyAlgorithm, caKeyAlgorithm);
  try {
    await server.createUser('bench');
    const body = JSON.stringify({ monthsUntilExpiration: 3 });
    await server.sessions[0]!.request('POST', server.certs('bench'), body); // creates the CA
    const result = await measure(total, concurrency, async (worker) => {
      const response = await server.sessions[worker]!.request('POST', server.certs('bench'), body);
      if (response.status !== 201) throw new Error(response.text);
    });
    return { result, readyMs: server.readyMs };
  } finally {
    await server.close();
  }
}

async function listing(certificates: number, total: number, concurrency: number) {
  const server = await startServer('ec-p256', 'ec-p256');
  try {
    await server.createUser('lister');
    const body = JSON.stringify({ monthsUntilExpiration: 12 });
    await measure(certificates, 16, async (worker) => {
      const response = await server.sessions[worker]!.request('POST', server.certs('lister'), body);
      if (response.status !== 201) throw new Error(response.text);
    });
    const rssBefore = process.memoryUsage().rss;
    const result = await measure(total, concurrency, async (worker) => {
      const response = await server.sessions[worker]!.request(
        'GET',
        server.certs('lister', '?itemsPerPage=100&pageNum=3'),
      );
      if (response.status !== 200) throw new Error(response.text);
    });
    return { result, rssMb: Math.max(rssBefore, process.memoryUsage().rss) / 2 ** 20 };
  } finally {
    await server.close();
  }
}

async function main(): Promise<void> {
  const lines: string[] = [];
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const openssl = execFileSync('openssl', ['version']).toString().trim();
  lines.push(`## ${new Date().toISOString().slice(0, 10)} — issuance and listing (in-process server, loopback)`);
  lines.push('');
  lines.push(
    `Machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; ${openssl}. ` +
      'Digest as Python requests does it (one nonce, nc counting up); embedded SQLite store.',
  );
  lines.push('');
  lines.push('| scenario | requests | req/s | p50 ms | p99 ms |');
  lines.push('|---|---|---|---|---|');
  const p256 = await issuance('ec-p256', 'ec-p256', 400, 8);
  lines.push(row('POST certs, P-256 key under a P-256 CA, 8 concurrent', p256.result));
  lines.push(
    row(
      'POST certs, RSA-2048 key under an RSA-4096 CA, 4 concurrent',
      (await issuance('rsa-2048', 'rsa-4096', 16, 4)).result,
    ),
  );
  lines.push(
    row(
      "POST certs, RSA-4096 key under an RSA-4096 CA (Atlas' choice), 2 concurrent",
      (await issuance('rsa-4096', 'rsa-4096', 6, 2)).result,
    ),
  );
  const list = await listing(1000, 3000, 8);
  lines.push(row('GET certs, page 3 of 100 out of 1,000 certificates, 8 concurrent', list.result));
  lines.push('');
  lines.push(
    `Start-up to ready (open store, migrate, bootstrap, listen): ${p256.readyMs.toFixed(0)} ms. ` +
      `Peak RSS of the process (server and load generator together) during the list load: ${list.rssMb.toFixed(0)} MB.`,
  );
  lines.push('');
  const section = lines.join('\n');
  process.stdout.write(`${section}\n`);
  if (process.argv.includes('--write'))
    appendFileSync(new URL('../../docs/benchmarks.md', import.meta.url), `\n${section}`);
}

await main();
