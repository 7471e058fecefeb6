import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import type { KeyAlgorithm, KeyPair } from '../../src/pki/key-algorithms.js';
import { KeyPool } from '../../src/pki/key-pool.js';

/** A generator whose calls the test completes by hand, counting how many run at once. */
class ControlledGenerator {
  readonly pending: Array<{ algorithm: KeyAlgorithm; resolve: (key: KeyPair) => void; reject: (e: Error) => void }> =
    [];
  running = 0;
  maxRunning = 0;
  made = 0;

  readonly generate = (algorithm: KeyAlgorithm): Promise<KeyPair> => {
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    return new Promise<KeyPair>((resolve, reject) => {
      this.pending.push({
        algorithm,
        resolve: (key) => {
          this.running--;
          resolve(key);
        },
        reject: (error) => {
          this.running--;
          reject(error);
        },
      });
    });
  };

  /** Completes every generation started so far, with distinct (labelled) keys. */
  async completeAll(): Promise<void> {
    while (this.pending.length > 0) {
      for (const call of this.pending.splice(0)) call.resolve(fakeKey(call.algorithm, ++this.made));
      await settle();
    }
  }

  async failAll(): Promise<void> {
    for (const call of this.pending.splice(0)) call.reject(new Error('generation failed'));
    await settle();
  }
}

const realKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });

/** A distinct object per generation; `label` tells which generation it came from. */
function fakeKey(algorithm: KeyAlgorithm, label: number): KeyPair & { label: number } {
  return { algorithm, privateKey: realKey.privateKey, publicKey: realKey.publicKey, label };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('key pool', () => {
  test('refill fills each algorithm to its size, never more than `concurrency` at once', async () => {
    const generator = new ControlledGenerator();
    const pool = new KeyPool({ sizes: { 'ec-p256': 5, 'rsa-2048': 3 }, concurrency: 2, generate: generator.generate });
    pool.refill();
    assert.equal(generator.running, 2);
    await generator.completeAll();
    assert.equal(pool.depth('ec-p256'), 5);
    assert.equal(pool.depth('rsa-2048'), 3);
    assert.equal(generator.maxRunning, 2);
    assert.equal(generator.made, 8);
    // Full: a second refill starts nothing.
    pool.refill();
    assert.equal(generator.running, 0);
    assert.deepEqual(pool.algorithms().sort(), ['ec-p256', 'rsa-2048']);
  });

  test('take hands out ready keys first, each once, then generates on demand during a burst', async () => {
    const generator = new ControlledGenerator();
    const pool = new KeyPool({ sizes: { 'ec-p256': 3 }, concurrency: 1, generate: generator.generate });
    pool.refill();
    await generator.completeAll();
    assert.equal(pool.depth('ec-p256'), 3);

    const burst = Array.from({ length: 6 }, () => pool.take('ec-p256'));
    assert.equal(pool.depth('ec-p256'), 0);
    await generator.completeAll();
    const keys = (await Promise.all(burst)) as Array<KeyPair & { label: number }>;
    const labels = keys.map((key) => key.label);
    assert.deepEqual(labels.slice(0, 3), [1, 2, 3], 'the pooled keys, oldest first');
    assert.equal(new Set(labels).size, 6, 'no key handed out twice');
    // After the burst the pool is full again, with keys nobody has seen.
    assert.equal(pool.depth('ec-p256'), 3);
    const next = (await pool.take('ec-p256')) as KeyPair & { label: number };
    assert.ok(!labels.includes(next.label));
  });

  test('an algorithm the pool does not keep is generated on demand and not pooled', async () => {
    const generator = new ControlledGenerator();
    const pool = new KeyPool({ sizes: {}, concurrency: 2, generate: generator.generate });
    const taken = pool.take('rsa-4096');
    assert.equal(generator.running, 1);
    await generator.completeAll();
    assert.equal((await taken).algorithm, 'rsa-4096');
    assert.equal(pool.depth('rsa-4096'), 0);
    assert.equal(generator.running, 0);
  });

  test('a failed generation is not fatal: the next take retries and the pool fills', async () => {
    const generator = new ControlledGenerator();
    const pool = new KeyPool({ sizes: { 'ec-p256': 2 }, concurrency: 2, generate: generator.generate });
    pool.refill();
    await generator.failAll();
    assert.equal(pool.depth('ec-p256'), 0);
    // Failures stop the refill loop (no hot retry loop on a broken generator) until demand returns.
    assert.equal(generator.running, 0);
    const taken = pool.take('ec-p256');
    await generator.completeAll();
    assert.ok(await taken);
    assert.equal(pool.depth('ec-p256'), 2);
  });

  test('close drops the ready keys, and keys finishing afterwards are discarded', async () => {
    const generator = new ControlledGenerator();
    const pool = new KeyPool({ sizes: { 'ec-p256': 4 }, concurrency: 2, generate: generator.generate });
    pool.refill();
    await generator.completeAll();
    assert.equal(pool.depth('ec-p256'), 4);
    await pool.take('ec-p256');
    assert.equal(generator.running, 1, 'a refill is under way');
    pool.close();
    assert.equal(pool.depth('ec-p256'), 0);
    await generator.completeAll();
    assert.equal(pool.depth('ec-p256'), 0, 'the late key is not kept');
    pool.refill();
    assert.equal(generator.running, 0, 'a closed pool does not refill');
  });

  test('with real key generation, pooled keys are distinct usable keys of the algorithm', async () => {
    const pool = new KeyPool({ sizes: { 'ec-p256': 4 }, concurrency: 2 });
    pool.refill();
    const keys = await Promise.all(Array.from({ length: 6 }, () => pool.take('ec-p256')));
    const publicKeys = keys.map((key) => key.publicKey.export({ type: 'spki', format: 'der' }).toString('hex'));
    assert.equal(new Set(publicKeys).size, 6);
    for (const key of keys) {
      assert.equal(key.algorithm, 'ec-p256');
      assert.equal(key.privateKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    }
    pool.close();
  });
});
