import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { SQLITE_FILE_NAME, WalSync } from '../../src/store/database.js';
import { Store } from '../../src/store/store.js';
import { createPostgresDatabase, TEST_BACKEND } from '../helpers/backend.js';

/**
 * Store.transaction under concurrency. On the embedded store, transactions that arrive
 * together share one commit (group commit); each must still be atomic on its own: its
 * writes land together or not at all, a failing one takes nothing of the others with it,
 * and every caller gets its own result or error.
 */

describe(`concurrent transactions (${TEST_BACKEND})`, () => {
  let store: Store;
  let dataDir: string;
  let database: Awaited<ReturnType<typeof createPostgresDatabase>> | undefined;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'dbcerts-transactions-'));
    database = TEST_BACKEND === 'postgres' ? await createPostgresDatabase() : undefined;
    store = await Store.open({ dataDir, databaseUrl: database?.url });
  });
  after(async () => {
    await store?.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('60 at once, every third failing after its first write: the others land whole, the failures leave nothing', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 60 }, (_unused, index) =>
        store.transaction(async (repositories) => {
          await repositories.settings.insert(`a-${index}`, String(index));
          // Let other transactions queue up behind this one.
          await new Promise((resolve) => setImmediate(resolve));
          if (index % 3 === 0) throw new Error(`work ${index} fails`);
          await repositories.settings.insert(`b-${index}`, String(index));
          return index * 2;
        }),
      ),
    );
    for (const [index, outcome] of outcomes.entries()) {
      if (index % 3 === 0) {
        assert.equal(outcome.status, 'rejected');
        assert.equal((outcome as PromiseRejectedResult).reason.message, `work ${index} fails`);
        assert.equal(await store.settings.get(`a-${index}`), undefined, `a-${index} survived its rollback`);
      } else {
        assert.deepEqual(outcome, { status: 'fulfilled', value: index * 2 });
        assert.equal(await store.settings.get(`a-${index}`), String(index));
        assert.equal(await store.settings.get(`b-${index}`), String(index));
      }
    }
  });

  test('a database error in one work (a unique violation) fails that work alone', async () => {
    await store.settings.insert('taken', 'first');
    const outcomes = await Promise.allSettled([
      store.transaction((repositories) => repositories.settings.insert('free-1', 'x')),
      store.transaction(async (repositories) => {
        await repositories.settings.insert('half', 'x');
        await repositories.settings.insert('taken', 'second');
      }),
      store.transaction((repositories) => repositories.settings.insert('free-2', 'x')),
    ]);
    assert.deepEqual(
      outcomes.map((outcome) => outcome.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal(await store.settings.get('taken'), 'first');
    assert.equal(await store.settings.get('half'), undefined);
    assert.equal(await store.settings.get('free-1'), 'x');
    assert.equal(await store.settings.get('free-2'), 'x');
  });

  // The embedded store has one writer, so transactions run in arrival order; PostgreSQL runs them side by side.
  const oneWriter = TEST_BACKEND === 'sqlite';
  test(
    'one writer: a later transaction sees what an earlier one wrote, in arrival order',
    { skip: !oneWriter },
    async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_unused, index) =>
          store.transaction(async (repositories) => {
            const previous = index === 0 ? undefined : await repositories.settings.get(`chain-${index - 1}`);
            await repositories.settings.insert(`chain-${index}`, String(index));
            return previous;
          }),
        ),
      );
      assert.deepEqual(results, [undefined, ...Array.from({ length: 19 }, (_unused, index) => String(index))]);
    },
  );

  test(
    'group commit: transactions asked for in one turn of the event loop, from separate callbacks, share one commit',
    { skip: !oneWriter },
    async () => {
      // A second connection sees a write only once it is committed: inside one group, the
      // later works still find the earlier ones' rows uncommitted.
      const other = await Store.open({ dataDir });
      try {
        const seen = await Promise.all(
          Array.from(
            { length: 5 },
            (_unused, index) =>
              new Promise<string | undefined>((resolve, reject) =>
                setImmediate(() =>
                  store
                    .transaction(async (repositories) => {
                      await repositories.settings.insert(`turn-${index}`, String(index));
                      return index === 0 ? undefined : other.settings.get('turn-0');
                    })
                    .then(resolve, reject),
                ),
              ),
          ),
        );
        assert.deepEqual(seen, [undefined, undefined, undefined, undefined, undefined]);
        assert.equal(await other.settings.get('turn-4'), '4');
      } finally {
        await other.close();
      }
    },
  );
});

describe('the embedded store commits without stopping the process', { skip: TEST_BACKEND !== 'sqlite' }, () => {
  test('WalSync: the calls made while a sync runs share the next one, which starts when it ends', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbcerts-walsync-'));
    writeFileSync(join(dir, 'log'), '');
    const started: Array<() => void> = [];
    const walSync = new WalSync(join(dir, 'log'), () => new Promise<void>((resolve) => started.push(resolve)));
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    try {
      const settled: string[] = [];
      const first = walSync.sync().then(() => settled.push('first'));
      // Made while the first runs: its sync may have begun before their commits reached the log.
      const later = [walSync.sync(), walSync.sync(), walSync.sync()].map((done) =>
        done.then(() => settled.push('later')),
      );
      await turn();
      assert.equal(started.length, 1, 'the next sync waits for the running one');
      started[0]!();
      await first;
      await turn();
      assert.deepEqual(settled, ['first']);
      assert.equal(started.length, 2, 'one more sync for the three later calls');
      started[1]!();
      await Promise.all(later);
      assert.deepEqual(settled, ['first', 'later', 'later', 'later']);
      const next = walSync.sync();
      await turn();
      assert.equal(started.length, 3, 'a call after every sync ended starts its own');
      started[2]!();
      await next;
    } finally {
      walSync.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('WalSync: a failed sync fails its callers, and the next call tries again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbcerts-walsync-'));
    writeFileSync(join(dir, 'log'), '');
    let calls = 0;
    const walSync = new WalSync(join(dir, 'log'), async () => {
      calls++;
      if (calls === 1) throw Object.assign(new Error('I/O error'), { code: 'EIO' });
    });
    try {
      await assert.rejects(walSync.sync(), { code: 'EIO' });
      await walSync.sync();
      assert.equal(calls, 2);
    } finally {
      walSync.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("another process's write lock: the group commit waits for it with the event loop free, then lands; the connection is back to FULL and a 5 s busy timeout", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'dbcerts-lock-wait-'));
    const store = await Store.open({ dataDir });
    const holder = new SqliteDatabase(join(dataDir, SQLITE_FILE_NAME));
    try {
      holder.exec('begin immediate');
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 5);
      const written = store.transaction((repositories) => repositories.settings.insert('after-the-lock', 'yes'));
      await new Promise((resolve) => setTimeout(resolve, 150));
      clearInterval(ticker);
      // SQLite's own busy handler would have slept the whole 150 ms in one call.
      assert.ok(ticks >= 10, `the event loop ran while the commit waited (${ticks} ticks of 5 ms in 150 ms)`);
      assert.equal(await store.settings.get('after-the-lock'), undefined);
      holder.exec('commit');
      await written;
      assert.equal(await store.settings.get('after-the-lock'), 'yes');
      assert.deepEqual((await sql`pragma synchronous`.execute(store.db)).rows, [{ synchronous: 2n }]);
      assert.deepEqual((await sql`pragma busy_timeout`.execute(store.db)).rows, [{ timeout: 5000n }]);
    } finally {
      holder.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
