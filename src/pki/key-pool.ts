import { generateKey, type KeyAlgorithm, type KeyPair } from './key-algorithms.js';

export interface KeyPoolOptions {
  /** How many ready keys to keep per algorithm (0 or absent: none, generate on demand). */
  sizes: Partial<Record<KeyAlgorithm, number>>;
  /** How many keys the pool generates at once while refilling (libuv threads). */
  concurrency: number;
  generate?: (algorithm: KeyAlgorithm) => Promise<KeyPair>;
}

/**
 * Pre-generated key pairs, in memory only. A request takes a ready key when there is one
 * (RSA generation takes hundreds of milliseconds), else generates its own; either way the
 * pool refills in the background, a bounded number at a time on libuv's thread pool, so
 * the event loop and at least one core stay free for requests. Each key is handed out
 * once and never written anywhere; `close` drops what is left.
 */
export class KeyPool {
  readonly #ready = new Map<KeyAlgorithm, KeyPair[]>();
  readonly #sizes: Partial<Record<KeyAlgorithm, number>>;
  readonly #generate: (algorithm: KeyAlgorithm) => Promise<KeyPair>;
  readonly #inFlight = new Map<KeyAlgorithm, number>();
  #running = 0;
  #closed = false;

  constructor(private readonly options: KeyPoolOptions) {
    this.#sizes = options.sizes;
    this.#generate = options.generate ?? generateKey;
    for (const algorithm of Object.keys(options.sizes) as KeyAlgorithm[]) this.#ready.set(algorithm, []);
  }

  /** Ready keys of an algorithm (a metric). */
  depth(algorithm: KeyAlgorithm): number {
    return this.#ready.get(algorithm)?.length ?? 0;
  }

  algorithms(): KeyAlgorithm[] {
    return [...this.#ready.keys()];
  }

  /** A fresh key pair, never handed out before. */
  async take(algorithm: KeyAlgorithm): Promise<KeyPair> {
    const ready = this.#ready.get(algorithm)?.shift();
    this.refill();
    return ready ?? this.#generate(algorithm);
  }

  /** Starts filling the pool (called by take too; cheap when full). */
  refill(): void {
    while (!this.#closed && this.#running < this.options.concurrency) {
      const algorithm = this.#mostNeeded();
      if (!algorithm) return;
      this.#running++;
      this.#inFlight.set(algorithm, (this.#inFlight.get(algorithm) ?? 0) + 1);
      this.#generate(algorithm).then(
        (key) => {
          this.#finished(algorithm);
          if (this.#closed) return;
          this.#ready.get(algorithm)!.push(key);
          this.refill();
        },
        () => {
          // Not retried here, so a broken generator cannot spin: the next take tries again.
          this.#finished(algorithm);
        },
      );
    }
  }

  #finished(algorithm: KeyAlgorithm): void {
    this.#running--;
    this.#inFlight.set(algorithm, this.#inFlight.get(algorithm)! - 1);
  }

  /** The algorithm furthest below its target, counting keys being generated as on their way. */
  #mostNeeded(): KeyAlgorithm | undefined {
    let best: { algorithm: KeyAlgorithm; missing: number } | undefined;
    for (const [algorithm, keys] of this.#ready) {
      const missing = (this.#sizes[algorithm] ?? 0) - keys.length - (this.#inFlight.get(algorithm) ?? 0);
      if (missing > 0 && (!best || missing > best.missing)) best = { algorithm, missing };
    }
    return best?.algorithm;
  }

  /** Discards every ready key and stops refilling. */
  close(): void {
    this.#closed = true;
    for (const keys of this.#ready.values()) keys.length = 0;
  }
}
