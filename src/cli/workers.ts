import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { AggregatorRegistry } from 'prom-client';
import { type EncodedKeyPair, generateEncodedKey, type KeyAlgorithm, keyAlgorithmSpec } from '../pki/key-algorithms.js';
import { KeyPool, type KeySource } from '../pki/key-pool.js';
import { DEFAULT_KEY_POOL_SIZE } from '../authority/authority.js';
import { randomTag, SharedFileNonceUses } from '../store/repositories/digest-nonces.js';
import type { Config } from './config.js';
import type { WorkerRuntimeOptions } from './runtime.js';

/**
 * `dbcerts serve` on several processes: this process (the primary) migrates and
 * bootstraps the store, keeps the one pool of user keys and forks the workers, which
 * share the listening socket and each open the store. A worker that dies is started
 * again; the primary itself serves no request. Everything the workers must agree on is
 * in the store (rate limits, identities, serials) or, for the embedded store's Digest
 * nonce uses, in a scratch file beside it.
 */

/** Set by the primary for its workers: the tag of this run's Digest nonces (embedded store). */
const NONCE_TAG_ENV = 'DBCERTS_NONCE_TAG';
const NONCE_LEDGER_FILE = 'digest-nonces.sqlite';
/** Set by the primary for each worker: its share of the instance's PostgreSQL connections. */
const POOL_SHARE_ENV = 'DBCERTS_WORKER_DB_POOL_SIZE';

type ToPrimary =
  | { dbcerts: 'take-key'; id: number; algorithm: KeyAlgorithm }
  | { dbcerts: 'key-depths'; id: number }
  | { dbcerts: 'metrics'; id: number }
  | { dbcerts: 'listening'; address: string };

type ToWorker =
  | { dbcerts: 'key'; id: number; key?: { algorithm: KeyAlgorithm; spki: string; pkcs8Pem: string }; error?: string }
  | { dbcerts: 'key-depths'; id: number; depths: Partial<Record<KeyAlgorithm, number>> }
  | { dbcerts: 'metrics'; id: number; text?: string; error?: string }
  | { dbcerts: 'started' };

function log(level: number, msg: string, extra: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ level, time: Date.now(), pid: process.pid, msg, ...extra })}\n`);
}

/** Requests from a worker to its primary, each answered once. */
class PrimaryChannel {
  /** The primary has announced the server (its banner): every worker listens. */
  started = false;
  #next = 0;
  readonly #pending = new Map<number, { resolve: (reply: ToWorker) => void; reject: (error: Error) => void }>();

  constructor() {
    process.on('message', (message: ToWorker) => {
      if (typeof message !== 'object' || message === null || !('dbcerts' in message)) return;
      if (message.dbcerts === 'started') {
        this.started = true;
        return;
      }
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      pending?.resolve(message);
    });
  }

  ask(message: DistributiveOmit<Exclude<ToPrimary, { dbcerts: 'listening' }>, 'id'>): Promise<ToWorker> {
    return new Promise<ToWorker>((resolve, reject) => {
      const id = ++this.#next;
      this.#pending.set(id, { resolve, reject });
      process.send!({ ...message, id });
    });
  }

  close(): void {
    for (const pending of this.#pending.values()) pending.reject(new Error('the server is closing'));
    this.#pending.clear();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

let channel: PrimaryChannel | undefined;
const primary = () => (channel ??= new PrimaryChannel());

/** What a worker opens its runtime with. */
export function workerRuntimeOptions(config: Config): WorkerRuntimeOptions {
  const tag = process.env[NONCE_TAG_ENV];
  const poolShare = process.env[POOL_SHARE_ENV];
  return {
    keySource: new PrimaryKeySource(),
    ...(poolShare ? { poolSize: Number(poolShare) } : {}),
    ...(config.databaseUrl === undefined && tag
      ? { nonceLedger: { file: join(config.dataDir, NONCE_LEDGER_FILE), tag } }
      : {}),
  };
}

/** Tells the primary this worker serves requests. */
export function announceListening(address: string): void {
  primary();
  process.send?.({ dbcerts: 'listening', address } satisfies ToPrimary);
}

/** A worker is ready (/readyz) once the primary has announced the whole server. */
export function serverStarted(): boolean {
  return primary().started;
}

/** /metrics of a worker: every worker's metrics, added up by the primary. */
export async function clusterMetrics(): Promise<string> {
  const reply = await primary().ask({ dbcerts: 'metrics' });
  if (reply.dbcerts !== 'metrics' || reply.text === undefined) throw new Error(`no metrics: ${JSON.stringify(reply)}`);
  return reply.text;
}

/**
 * A worker's RSA keys come from the primary's pool: one pool for the whole server, so a
 * burst finds every ready key wherever its connections landed, and the threads that
 * generate costly keys (RSA, P-521) run once, not once per worker. Cheap keys (P-256, P-384)
 * are made by the worker itself:
 * one costs less than asking the primary for it (about 0.03 ms against two IPC messages,
 * their JSON and the primary's turn).
 */
class PrimaryKeySource implements KeySource {
  async take(algorithm: KeyAlgorithm): Promise<EncodedKeyPair> {
    if (keyAlgorithmSpec(algorithm).cheap) return generateEncodedKey(algorithm);
    const reply = await primary().ask({ dbcerts: 'take-key', algorithm });
    if (reply.dbcerts !== 'key' || !reply.key) throw new Error(`no key: ${reply.dbcerts === 'key' ? reply.error : ''}`);
    return { ...reply.key, spki: Buffer.from(reply.key.spki, 'base64') };
  }

  async depths(): Promise<Partial<Record<KeyAlgorithm, number>>> {
    const reply = await primary().ask({ dbcerts: 'key-depths' });
    return reply.dbcerts === 'key-depths' ? reply.depths : {};
  }

  refill(): void {}

  async close(): Promise<void> {
    channel?.close();
  }
}

/**
 * Runs the primary: forks `config.workers` workers, answers their key requests from one
 * pool, starts a worker again when one dies, and resolves with the address once every
 * worker listens; `announced` (after the banner) makes the workers ready (/readyz). SIGTERM or SIGINT stops the workers (each finishes its requests) and
 * then this process.
 */
export async function runPrimary(config: Config): Promise<{ address: string; announced(): void }> {
  const keys = new KeyPool({
    sizes: config.keyPoolSizes ?? { [config.keyAlgorithm]: DEFAULT_KEY_POOL_SIZE },
    // Every core: the threads run at the lowest priority, so requests still come first.
    concurrency: config.keyPoolConcurrency ?? availableParallelism(),
  });
  const env: Record<string, string> = {};
  if (config.databaseUrl === undefined) {
    // A new run: uses recorded by an earlier one are dropped, and its nonces are stale.
    SharedFileNonceUses.reset(join(config.dataDir, NONCE_LEDGER_FILE));
    env[NONCE_TAG_ENV] = randomTag();
  }
  let closing = false;
  let started = false;
  const aggregator = new AggregatorRegistry();

  const answer = (worker: Worker, message: ToPrimary) => {
    if (message.dbcerts === 'take-key') {
      keys.take(message.algorithm).then(
        (key) =>
          worker.isConnected() &&
          worker.send({
            dbcerts: 'key',
            id: message.id,
            key: { algorithm: key.algorithm, spki: key.spki.toString('base64'), pkcs8Pem: key.pkcs8Pem },
          } satisfies ToWorker),
        (error: Error) =>
          worker.isConnected() &&
          worker.send({ dbcerts: 'key', id: message.id, error: error.message } satisfies ToWorker),
      );
    } else if (message.dbcerts === 'metrics') {
      aggregator.clusterMetrics().then(
        (text) => worker.isConnected() && worker.send({ dbcerts: 'metrics', id: message.id, text } satisfies ToWorker),
        (error: Error) =>
          worker.isConnected() &&
          worker.send({ dbcerts: 'metrics', id: message.id, error: error.message } satisfies ToWorker),
      );
    } else if (message.dbcerts === 'key-depths') {
      void keys
        .depths()
        .then((depths) => worker.isConnected() && worker.send({ dbcerts: 'key-depths', id: message.id, depths }));
    }
  };

  // `--db-pool-size` stays the instance's number of PostgreSQL connections: the workers
  // share it (and there are never more workers than connections).
  const workers = config.databaseUrl === undefined ? config.workers : Math.min(config.workers, config.poolSize);
  const poolShare = (slot: number) =>
    Math.floor(config.poolSize / workers) + (slot < config.poolSize % workers ? 1 : 0);
  const fork = (slot: number) => {
    const worker = cluster.fork({
      ...env,
      ...(config.databaseUrl === undefined ? {} : { [POOL_SHARE_ENV]: String(poolShare(slot)) }),
    });
    worker.on('message', (message: ToPrimary) => answer(worker, message));
    worker.once('exit', (code, signal) => {
      if (closing || !started) return;
      log(50, 'worker exited; starting another', { worker: worker.process.pid, code, signal });
      fork(slot);
    });
    return worker;
  };

  const address = await new Promise<string>((resolve, reject) => {
    let listening = 0;
    cluster.on('message', (worker, message: ToPrimary) => {
      if (message.dbcerts !== 'listening') return;
      if (started) {
        worker.send({ dbcerts: 'started' } satisfies ToWorker);
        return;
      }
      if (++listening === workers) {
        started = true;
        resolve(message.address);
      }
    });
    cluster.on('exit', (_worker, code, signal) => {
      if (closing || started) return;
      closing = true;
      for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGTERM');
      reject(new Error(`a worker exited while starting (${signal ?? `code ${code}`})`));
    });
    for (let slot = 0; slot < workers; slot++) fork(slot);
  });
  keys.refill();
  const announced = () => {
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (worker?.isConnected()) worker.send({ dbcerts: 'started' } satisfies ToWorker);
    }
  };

  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log(30, 'shutting down', { signal });
    const workers = Object.values(cluster.workers ?? {}).filter((worker) => worker !== undefined);
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            worker.once('exit', () => resolve());
            worker.process.kill('SIGTERM');
          }),
      ),
    );
    await keys.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  return { address, announced };
}
