import { type EncodedKeyPair, generateEncodedKey, type KeyAlgorithm, keyAlgorithmSpec } from './key-algorithms.js';
import { KeyGeneratorThreads } from './key-generator-threads.js';

export interface KeyPoolOptions {
  /** How many ready keys to keep per algorithm (0 or absent: none). */
  sizes: Partial<Record<KeyAlgorithm, number>>;
  /** How many costly (RSA, P-521) keys are generated at once in the background (threads). */
  concurrency: number;
  /** Background generation (default: worker threads, costly keys at the lowest priority). */
  generate?: (algorithm: KeyAlgorithm) => Promise<EncodedKeyPair>;
  /**
   * Generation for a request that finds no ready key, when it is cheap enough to do at
   * once (default: the table's cheap keys, P-256 and P-384); undefined: wait for the
   * background threads (RSA, hundreds of milliseconds; P-521, a few).
   */
  generateNow?: (algorithm: KeyAlgorithm) => Promise<EncodedKeyPair> | undefined;
}

/**
 * Cheap keys (P-256, P-384: a few ms at most) need one thread at normal priority to keep up;
 * costly ones (RSA, P-521) get `concurrency`.
 */
const CHEAP_CONCURRENCY = 1;
type Lane = 'costly' | 'cheap';
const laneOf = (algorithm: KeyAlgorithm): Lane => (keyAlgorithmSpec(algorithm).cheap ? 'cheap' : 'costly');

interface Waiter {
  resolve: (key: EncodedKeyPair) => void;
  reject: (error: Error) => void;
}

const generateCheapNow = (algorithm: KeyAlgorithm) =>
  keyAlgorithmSpec(algorithm).cheap ? generateEncodedKey(algorithm) : undefined;

/** Where requests take user keys from: this process's pool, or one another process keeps. */
export interface KeySource {
  /** A fresh key pair, never handed out before. */
  take(algorithm: KeyAlgorithm): Promise<EncodedKeyPair>;
  /** Ready keys of each algorithm kept (a metric). */
  depths(): Promise<Partial<Record<KeyAlgorithm, number>>>;
  /** Starts filling (once the server is up). */
  refill(): void;
  close(): Promise<void>;
}

/**
 * Pre-generated key pairs, in memory only. A request takes a ready key when there is one;
 * otherwise a cheap (P-256, P-384) key is made at once, and a costly (RSA, P-521) one
 * comes from the background threads, first come first served. The threads run at the
 * lowest priority: they use every core the requests leave idle, and never slow the
 * requests down. Each key is handed out once and never written anywhere; `close` drops
 * what is left.
 */
export class KeyPool implements KeySource {
  readonly #ready = new Map<KeyAlgorithm, EncodedKeyPair[]>();
  readonly #waiters = new Map<KeyAlgorithm, Waiter[]>();
  readonly #inFlight = new Map<KeyAlgorithm, number>();
  readonly #sizes: Partial<Record<KeyAlgorithm, number>>;
  readonly #threads: KeyGeneratorThreads[] = [];
  readonly #generate: (algorithm: KeyAlgorithm) => Promise<EncodedKeyPair>;
  readonly #generateNow: (algorithm: KeyAlgorithm) => Promise<EncodedKeyPair> | undefined;
  readonly #running: Record<Lane, number> = { costly: 0, cheap: 0 };
  #closed = false;

  constructor(private readonly options: KeyPoolOptions) {
    this.#sizes = options.sizes;
    if (options.generate) {
      this.#generate = options.generate;
    } else {
      // Costly keys at the lowest priority (they would otherwise take every core from the
      // requests); cheap ones at normal priority, or under full load they would never refill.
      const costly = new KeyGeneratorThreads(options.concurrency);
      const cheap = new KeyGeneratorThreads(CHEAP_CONCURRENCY, 0);
      this.#threads.push(costly, cheap);
      this.#generate = (algorithm) => (laneOf(algorithm) === 'costly' ? costly : cheap).generate(algorithm);
    }
    this.#generateNow = options.generateNow ?? generateCheapNow;
    for (const algorithm of Object.keys(options.sizes) as KeyAlgorithm[]) {
      if ((options.sizes[algorithm] ?? 0) > 0) this.#ready.set(algorithm, []);
    }
  }

  /** Ready keys of an algorithm (a metric). */
  depth(algorithm: KeyAlgorithm): number {
    return this.#ready.get(algorithm)?.length ?? 0;
  }

  async depths(): Promise<Partial<Record<KeyAlgorithm, number>>> {
    return Object.fromEntries(this.algorithms().map((algorithm) => [algorithm, this.depth(algorithm)]));
  }

  /** The algorithms the pool keeps ready keys of. */
  algorithms(): KeyAlgorithm[] {
    return [...this.#ready.keys()];
  }

  /** A fresh key pair, never handed out before. */
  take(algorithm: KeyAlgorithm): Promise<EncodedKeyPair> {
    if (this.#closed) return Promise.reject(new Error('the key pool is closed'));
    const ready = this.#ready.get(algorithm)?.shift();
    if (ready) {
      this.refill();
      return Promise.resolve(ready);
    }
    const now = this.#generateNow(algorithm);
    if (now) {
      this.refill();
      return now;
    }
    return new Promise<EncodedKeyPair>((resolve, reject) => {
      const waiters = this.#waiters.get(algorithm) ?? [];
      waiters.push({ resolve, reject });
      this.#waiters.set(algorithm, waiters);
      this.refill();
    });
  }

  /** Starts background generation up to the lanes' concurrency (called by take too; cheap when full). */
  refill(): void {
    for (const lane of ['costly', 'cheap'] as const) {
      const limit =
        lane === 'costly' ? this.options.concurrency : Math.min(CHEAP_CONCURRENCY, this.options.concurrency);
      while (!this.#closed && this.#running[lane] < limit) {
        const algorithm = this.#mostNeeded(lane);
        if (!algorithm) break;
        this.#start(algorithm);
      }
    }
  }

  #start(algorithm: KeyAlgorithm): void {
    this.#running[laneOf(algorithm)]++;
    this.#inFlight.set(algorithm, (this.#inFlight.get(algorithm) ?? 0) + 1);
    this.#generate(algorithm).then(
      (key) => {
        this.#finished(algorithm);
        if (this.#closed) return;
        const waiter = this.#waiters.get(algorithm)?.shift();
        if (waiter) waiter.resolve(key);
        else this.#ready.get(algorithm)?.push(key);
        this.refill();
      },
      (error: unknown) => {
        this.#finished(algorithm);
        // The oldest waiting request gets the failure instead of waiting forever; the pool
        // itself does not retry at once, so a broken generator cannot spin.
        this.#waiters
          .get(algorithm)
          ?.shift()
          ?.reject(error instanceof Error ? error : new Error(String(error)));
        if (this.#waiters.get(algorithm)?.length) this.refill();
      },
    );
  }

  #finished(algorithm: KeyAlgorithm): void {
    this.#running[laneOf(algorithm)]--;
    this.#inFlight.set(algorithm, this.#inFlight.get(algorithm)! - 1);
  }

  /** The lane's algorithm furthest below what is wanted: its pool size plus the requests waiting. */
  #mostNeeded(lane: Lane): KeyAlgorithm | undefined {
    let best: { algorithm: KeyAlgorithm; missing: number } | undefined;
    const algorithms = new Set([...this.#ready.keys(), ...this.#waiters.keys()]);
    for (const algorithm of algorithms) {
      if (laneOf(algorithm) !== lane) continue;
      const wanted = (this.#sizes[algorithm] ?? 0) + (this.#waiters.get(algorithm)?.length ?? 0);
      const missing = wanted - this.depth(algorithm) - (this.#inFlight.get(algorithm) ?? 0);
      if (missing > 0 && (!best || missing > best.missing)) best = { algorithm, missing };
    }
    return best?.algorithm;
  }

  /** Discards every ready key, fails waiting requests and stops the threads. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const keys of this.#ready.values()) keys.length = 0;
    for (const waiters of this.#waiters.values()) {
      for (const waiter of waiters.splice(0)) waiter.reject(new Error('the key pool is closed'));
    }
    await Promise.all(this.#threads.map((threads) => threads.close()));
  }
}
