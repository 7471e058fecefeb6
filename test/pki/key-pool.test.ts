import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { EncodedKeyPair as KeyPair, KeyAlgorithm } from '../../src/pki/key-algorithms.js';
import { KEY_GENERATION_NICE } from '../../src/pki/key-generator-threads.js';
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

/** A distinct object per generation; `label` tells which generation it came from. */
function fakeKey(algorithm: KeyAlgorithm, label: number): KeyPair & { label: number } {
  return { algorithm, spki: Buffer.from([label]), pkcs8Pem: `fake ${label}`, label };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

const backgroundOnly = () => undefined;

describe('key pool', () => {
  test('refill fills each algorithm to its size: RSA `concurrency` at once, EC one at a time', async () => {
    const generator = new ControlledGenerator();
    const pool = new KeyPool({
      sizes: { 'ec-p256': 5, 'rsa-2048': 3 },
      concurrency: 2,
      generate: generator.generate,
      generateNow: backgroundOnly,
    });
    pool.refill();
    assert.deepEqual(
      generator.pending.map((call) => call.algorithm),
      ['rsa-2048', 'rsa-2048', 'ec-p256'],
    );
    await generator.completeAll();
    assert.equal(pool.depth('ec-p256'), 5);
    assert.equal(pool.depth('rsa-2048'), 3);
    assert.equal(generator.maxRunning, 3);
    assert.equal(generator.made, 8);
    // Full: a second refill starts nothing.
    pool.refill();
    assert.equal(generator.running, 0);
    assert.deepEqual(pool.algorithms().sort(), ['ec-p256', 'rsa-2048']);
  });

  test('P-521 keys, costly, share the RSA lane and are never made on the request (default generateNow)', async () => {
    const generator = new ControlledGenerator();
    const pool = new KeyPool({ sizes: { 'ec-p521': 3, 'ec-p384': 2 }, concurrency: 2, generate: generator.generate });
    pool.refill();
    assert.deepEqual(
      generator.pending.map((call) => call.algorithm),
      ['ec-p521', 'ec-p521', 'ec-p384'],
    );
    // The lanes are full; an empty P-521 pool makes the request wait for the background lane.
    let served = false;
    const taken = pool.take('ec-p521').then((key) => {
      served = true;
      return key;
    });
    await settle();
    assert.equal(served, false);
    await generator.completeAll();
    assert.equal((await taken).algorithm, 'ec-p521');
    assert.equal(pool.depth('ec-p521'), 3);
    assert.equal(pool.depth('ec-p384'), 2);
    assert.equal(generator.maxRunning, 3);
    await pool.close();
  });

  test('a burst larger than the pool: ready keys first, then the rest in arrival order, each key once', async () => {
    const generator = new ControlledGenerator();
    const pool = new KeyPool({
      sizes: { 'rsa-4096': 3 },
      concurrency: 2,
      generate: generator.generate,
      generateNow: backgroundOnly,
    });
    pool.refill();
    await generator.completeAll();
    assert.equal(pool.depth('rsa-4096'), 3);

    const order: number[] = [];
    const burst = Array.from({ length: 7 }, (_unused, index) =>
      pool.take('rsa-4096').then((key) => {
        order.push(index);
        return key as KeyPair & { label: number };
      }),
    );
    assert.equal(pool.depth('rsa-4096'), 0);
    assert.equal(generator.running, 2, 'the waiting requests are served by the bounded background generation');
    await generator.completeAll();
    const keys = await Promise.all(burst);
    const labels = keys.map((key) => key.label);
    assert.deepEqual(labels.slice(0, 3), [1, 2, 3], 'the pooled keys, oldest first');
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6], 'first come, first served');
    assert.equal(new Set(labels).size, 7, 'no key handed out twice');
    assert.equal(generator.maxRunning, 2);
    // After the burst the pool is full again, with keys nobody has seen.
    assert.equal(pool.depth('rsa-4096'), 3);
    const next = (await pool.take('rsa-4096')) as KeyPair & { label: number };
    assert.ok(!labels.includes(next.label));
  });

  test('a cheap key is made at once when the pool is empty, and the pool still refills', async () => {
    const generator = new ControlledGenerator();
    let madeNow = 0;
    const pool = new KeyPool({
      sizes: { 'ec-p256': 2 },
      concurrency: 1,
      generate: generator.generate,
      generateNow: (algorithm) => Promise.resolve(fakeKey(algorithm, 1000 + ++madeNow)),
    });
    const key = (await pool.take('ec-p256')) as KeyPair & { label: number };
    assert.equal(key.label, 1001);
    assert.equal(generator.running, 1, 'the refill started');
    await generator.completeAll();
    assert.equal(pool.depth('ec-p256'), 2);
  });

  test('an algorithm the pool does not keep is generated for the request and not pooled', async () => {
    const generator = new ControlledGenerator();
    const pool = new KeyPool({ sizes: {}, concurrency: 2, generate: generator.generate, generateNow: backgroundOnly });
    const taken = pool.take('rsa-4096');
    assert.equal(generator.running, 1);
    await generator.completeAll();
    assert.equal((await taken).algorithm, 'rsa-4096');
    assert.equal(pool.depth('rsa-4096'), 0);
    assert.equal(generator.running, 0);
    assert.deepEqual(pool.algorithms(), []);
  });

  test('a failed generation fails the oldest waiting request, without a retry loop; the next take works', async () => {
    const generator = new ControlledGenerator();
    const pool = new KeyPool({
      sizes: { 'rsa-2048': 1 },
      concurrency: 1,
      generate: generator.generate,
      generateNow: backgroundOnly,
    });
    const first = assert.rejects(pool.take('rsa-2048'), /generation failed/);
    await generator.failAll();
    await first;
    assert.equal(generator.running, 0, 'a failure does not start another generation by itself');
    const second = pool.take('rsa-2048');
    await generator.completeAll();
    assert.ok(await second);
    assert.equal(pool.depth('rsa-2048'), 1);
  });

  test('close drops the ready keys, fails waiting requests, and discards keys finishing afterwards', async () => {
    const generator = new ControlledGenerator();
    const pool = new KeyPool({
      sizes: { 'rsa-2048': 2 },
      concurrency: 1,
      generate: generator.generate,
      generateNow: backgroundOnly,
    });
    pool.refill();
    await generator.completeAll();
    assert.equal(pool.depth('rsa-2048'), 2);
    await pool.take('rsa-2048');
    await pool.take('rsa-2048');
    const waiting = assert.rejects(pool.take('rsa-2048'), /closed/);
    assert.equal(generator.running, 1, 'a refill is under way');
    await pool.close();
    assert.equal(pool.depth('rsa-2048'), 0);
    await waiting;
    await generator.completeAll();
    assert.equal(pool.depth('rsa-2048'), 0, 'the late key is not kept');
    pool.refill();
    assert.equal(generator.running, 0, 'a closed pool does not refill');
    await assert.rejects(pool.take('rsa-2048'), /closed/);
  });

  test('background threads make distinct, usable keys; RSA threads at the lowest priority', async () => {
    const pool = new KeyPool({ sizes: { 'ec-p256': 4, 'rsa-2048': 1 }, concurrency: 2 });
    try {
      pool.refill();
      // Thread nice values, while the threads exist (Linux: per thread, in /proc).
      if (process.platform === 'linux') {
        const deadline = Date.now() + 10_000;
        let niceValues: number[] = [];
        while (niceValues.filter((nice) => nice === KEY_GENERATION_NICE).length < 1) {
          assert.ok(Date.now() < deadline, `thread nice values ${niceValues.join(',')}`);
          await new Promise((resolve) => setTimeout(resolve, 10));
          niceValues = threadNiceValues();
        }
        assert.equal(threadNiceValues().filter((nice) => nice !== KEY_GENERATION_NICE && nice !== 0).length, 0);
        assert.ok(
          niceValues.filter((nice) => nice === KEY_GENERATION_NICE).length <= 2,
          'at most `concurrency` threads',
        );
      }
      const keys = [
        ...(await Promise.all(Array.from({ length: 6 }, () => pool.take('ec-p256')))),
        await pool.take('rsa-2048'),
        await pool.take('rsa-2048'),
      ];
      assert.equal(new Set(keys.map((key) => key.spki.toString('hex'))).size, keys.length);
      for (const key of keys) {
        // The encoded halves are one key pair: the PKCS#8 PEM's public key is the SPKI.
        const privateKey = createPrivateKey(key.pkcs8Pem);
        const publicKey = createPublicKey({ key: key.spki, format: 'der', type: 'spki' });
        assert.ok(Buffer.isBuffer(key.spki));
        assert.match(key.pkcs8Pem, /^-----BEGIN PRIVATE KEY-----\n/);
        assert.deepEqual(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }), key.spki);
        const signature = sign('sha256', Buffer.from('x'), privateKey);
        assert.ok(verify('sha256', Buffer.from('x'), publicKey, signature));
      }
      for (const key of keys.slice(0, 6)) {
        assert.equal(key.algorithm, 'ec-p256');
        assert.equal(createPrivateKey(key.pkcs8Pem).asymmetricKeyDetails?.namedCurve, 'prime256v1');
      }
      for (const key of keys.slice(6)) {
        assert.equal(key.algorithm, 'rsa-2048');
        assert.equal(createPrivateKey(key.pkcs8Pem).asymmetricKeyDetails?.modulusLength, 2048);
      }
    } finally {
      await pool.close();
    }
  });
});

/** The nice value of each thread of this process (field 19 of /proc/self/task/<tid>/stat). */
function threadNiceValues(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // The command name may contain spaces; fields restart after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[16]);
  });
}
