import { Worker } from 'node:worker_threads';
import type { EncodedKeyPair, KeyAlgorithm } from './key-algorithms.js';
import type { GenerateRequest } from './key-generator-thread.js';

/** The nice value of costly (RSA, P-521) key-generation threads: the lowest priority, so requests come first. */
export const KEY_GENERATION_NICE = 19;

interface Thread {
  worker: Worker;
  /** The request it is working on. */
  job: number | undefined;
}

interface Reply {
  id: number;
  spki?: Uint8Array;
  pkcs8Pem?: string;
  error?: string;
}

/**
 * Worker threads that generate key pairs, one key at a time each.
 * Threads start on first use and do not keep the process alive.
 */
export class KeyGeneratorThreads {
  readonly #threads: Thread[] = [];
  readonly #queue: Array<{
    request: GenerateRequest;
    resolve: (key: EncodedKeyPair) => void;
    reject: (e: Error) => void;
  }> = [];
  readonly #pending = new Map<
    number,
    { algorithm: KeyAlgorithm; resolve: (key: EncodedKeyPair) => void; reject: (e: Error) => void }
  >();
  #nextId = 0;
  #closed = false;

  /**
   * `nice`: the threads' priority (Linux; 0 is the requests' own). An unprivileged process
   * can lower a thread's priority but never raise it back, so each group keeps one.
   */
  constructor(
    private readonly size: number,
    private readonly nice = KEY_GENERATION_NICE,
  ) {}

  generate(algorithm: KeyAlgorithm): Promise<EncodedKeyPair> {
    if (this.#closed) return Promise.reject(new Error('key generation threads are closed'));
    return new Promise<EncodedKeyPair>((resolve, reject) => {
      this.#queue.push({ request: { id: ++this.#nextId, algorithm }, resolve, reject });
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      const thread = this.#threads.find((candidate) => candidate.job === undefined) ?? this.#start();
      if (!thread) return;
      const job = this.#queue.shift()!;
      thread.job = job.request.id;
      this.#pending.set(job.request.id, { algorithm: job.request.algorithm, resolve: job.resolve, reject: job.reject });
      thread.worker.postMessage(job.request);
    }
  }

  #start(): Thread | undefined {
    if (this.#threads.length >= this.size) return undefined;
    const worker = new Worker(new URL('./key-generator-thread.js', import.meta.url), {
      workerData: { nice: this.nice },
    });
    worker.unref();
    const thread: Thread = { worker, job: undefined };
    worker.on('message', (reply: Reply) => {
      thread.job = undefined;
      const job = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (job) {
        if (reply.spki && reply.pkcs8Pem) {
          // Structured cloning delivers a Uint8Array; the certificate writer wants a Buffer.
          const spki = Buffer.from(reply.spki.buffer, reply.spki.byteOffset, reply.spki.byteLength);
          job.resolve({ algorithm: job.algorithm, spki, pkcs8Pem: reply.pkcs8Pem });
        } else {
          job.reject(new Error(`key generation failed: ${reply.error ?? 'no key'}`));
        }
      }
      this.#dispatch();
    });
    worker.on('error', (error) => {
      // A thread that died takes its job with it; the next dispatch starts a new one.
      this.#threads.splice(this.#threads.indexOf(thread), 1);
      const job = thread.job === undefined ? undefined : this.#pending.get(thread.job);
      if (job) {
        this.#pending.delete(thread.job!);
        job.reject(error);
      }
      this.#dispatch();
    });
    this.#threads.push(thread);
    return thread;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new Error('key generation threads are closed'));
    for (const [id, job] of this.#pending) {
      this.#pending.delete(id);
      job.reject(new Error('key generation threads are closed'));
    }
    await Promise.all(this.#threads.splice(0).map(({ worker }) => worker.terminate()));
  }
}
