/**
 * A closed-loop HTTP load generator, run as its own process so it never shares an event
 * loop with the server it measures. Each worker owns one keep-alive connection and, when
 * Digest credentials are given, one Digest session the way Python `requests` keeps it:
 * a single server nonce, reused with nc counting up, a fresh cnonce per request.
 *
 * Usage: node dist/bench/load-generator.js '<LoadSpec JSON>'  → prints a LoadResult JSON line.
 */
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client } from 'undici';

export interface LoadSpec {
  origin: string;
  method: 'GET' | 'POST';
  /** Request paths, used round-robin across requests. */
  paths: string[];
  body?: string;
  contentType?: string;
  digest?: { username: string; password: string };
  concurrency: number;
  /** Measured requests (bounded), shared by all workers. */
  requests: number;
  /** Unmeasured requests per worker before the clock starts (connection, nonce, JIT). */
  warmupPath?: string;
  warmupRequests?: number;
  /** Status every measured response must have. */
  expectStatus: number;
}

export interface LoadResult {
  requests: number;
  failures: number;
  firstFailure?: string;
  seconds: number;
  perSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/** One keep-alive connection with its own Digest session (nonce reused, nc counting up). */
export class DigestConnection {
  readonly #client: Client;
  #nonce = '';
  #opaque = '';
  #nc = 0;
  readonly #ha1: string | undefined;

  constructor(
    origin: string,
    private readonly digest?: { username: string; password: string },
    private readonly contentType = 'application/json',
  ) {
    this.#client = new Client(origin, { pipelining: 1, keepAliveTimeout: 60_000 });
    this.#ha1 = digest && md5(`${digest.username}:MMS Public API:${digest.password}`);
  }

  #authorization(method: string, path: string): string | undefined {
    if (!this.digest || !this.#nonce) return undefined;
    const nc = (++this.#nc).toString(16).padStart(8, '0');
    const cnonce = randomBytes(8).toString('hex');
    const response = md5(`${this.#ha1}:${this.#nonce}:${nc}:${cnonce}:auth:${md5(`${method}:${path}`)}`);
    return (
      `Digest username="${this.digest.username}", realm="MMS Public API", nonce="${this.#nonce}", ` +
      `uri="${path}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}", response="${response}"` +
      (this.#opaque ? `, opaque="${this.#opaque}"` : '')
    );
  }

  /** One request; a 401 with a new challenge (first contact, stale nonce) is answered once. */
  async send(method: string, path: string, body: string | undefined): Promise<{ status: number; text: string }> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const headers: Record<string, string> = {};
      if (body !== undefined) headers['content-type'] = this.contentType;
      const authorization = this.#authorization(method, path);
      if (authorization) headers.authorization = authorization;
      const response = await this.#client.request({ method: method as 'GET', path, headers, body });
      const text = await response.body.text();
      if (response.statusCode === 401 && this.digest && attempt === 0) {
        const challenge = String(response.headers['www-authenticate'] ?? '');
        this.#nonce = /nonce="([^"]+)"/.exec(challenge)?.[1] ?? '';
        this.#opaque = /opaque="([^"]*)"/.exec(challenge)?.[1] ?? '';
        this.#nc = 0;
        continue;
      }
      return { status: response.statusCode, text };
    }
    throw new Error(`${method} ${path}: still 401 after answering the challenge`);
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const workers = Array.from(
    { length: spec.concurrency },
    () => new DigestConnection(spec.origin, spec.digest, spec.contentType),
  );
  try {
    // Warm-up: connect, get a nonce, let both sides' JIT settle. Not measured.
    await Promise.all(
      workers.map(async (worker) => {
        for (let index = 0; index < (spec.warmupRequests ?? 1); index++) {
          const path = spec.warmupPath ?? spec.paths[0]!;
          await worker.send(spec.warmupPath ? 'GET' : spec.method, path, spec.warmupPath ? undefined : spec.body);
        }
      }),
    );
    const latencies: number[] = [];
    let failures = 0;
    let firstFailure: string | undefined;
    let next = 0;
    const started = performance.now();
    await Promise.all(
      workers.map(async (worker) => {
        while (next < spec.requests) {
          const path = spec.paths[next % spec.paths.length]!;
          next++;
          const t0 = performance.now();
          const response = await worker.send(spec.method, path, spec.body);
          latencies.push(performance.now() - t0);
          if (response.status !== spec.expectStatus) {
            failures++;
            firstFailure ??= `${response.status} ${response.text.slice(0, 300)}`;
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
    return {
      requests: latencies.length,
      failures,
      ...(firstFailure ? { firstFailure } : {}),
      seconds,
      perSecond: latencies.length / seconds,
      p50: at(0.5),
      p90: at(0.9),
      p99: at(0.99),
      max: latencies.at(-1) ?? NaN,
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.close()));
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!) && process.argv[2]) {
  const result = await runLoad(JSON.parse(process.argv[2]) as LoadSpec);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
