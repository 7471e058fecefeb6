import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ReusableQuery, reusableBulkInsert, reusableInsert } from '../../src/store/repositories/reusable-query.js';
import { Store } from '../../src/store/store.js';
import { createTestDatabase, TEST_BACKEND, type TestDatabase } from '../helpers/backend.js';

/**
 * Queries built once and run with new values: each run must see its own arguments in
 * the right places, whatever order the dialect numbers its parameters in, inside and
 * outside transactions; a build that does not pass an argument as a value is refused.
 */

describe(`reusable queries (${TEST_BACKEND})`, () => {
  let store: Store;
  let dataDir: string;
  let database: TestDatabase;

  const insertSetting = reusableInsert('settings', ['name', 'value']);
  // Arguments used out of order, one of them twice, with literal parts around them.
  const settingsBetween = new ReusableQuery(3, (db, low: string, high: string, limit: number) =>
    db
      .selectFrom('settings')
      .select(['name', 'value'])
      .where('name', '>=', low)
      .where('name', '<=', high)
      .where('value', '!=', 'skipped')
      .orderBy('name')
      .limit(limit),
  );

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'dbcerts-reusable-'));
    database = await createTestDatabase();
    store = await Store.open({ dataDir, databaseUrl: database.url });
    for (const [name, value] of [
      ['k1', 'one'],
      ['k2', 'skipped'],
      ['k3', 'three'],
      ['k4', 'four'],
      ['k5', 'five'],
    ] as const) {
      await insertSetting(store.db, { name, value });
    }
  });
  after(async () => {
    await store?.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('every run sees its own arguments', async () => {
    assert.deepEqual(await settingsBetween.execute(store.db, 'k1', 'k3', 10), [
      { name: 'k1', value: 'one' },
      { name: 'k3', value: 'three' },
    ]);
    assert.deepEqual(await settingsBetween.execute(store.db, 'k3', 'k5', 2), [
      { name: 'k3', value: 'three' },
      { name: 'k4', value: 'four' },
    ]);
    assert.deepEqual(await settingsBetween.execute(store.db, 'k9', 'k9', 10), []);
    assert.equal(await settingsBetween.executeTakeFirst(store.db, 'k0', 'k0', 1), undefined);
  });

  test('runs concurrently with different arguments do not mix', async () => {
    const runs = await Promise.all(
      ['k1', 'k3', 'k4', 'k5'].map((name) => settingsBetween.executeTakeFirst(store.db, name, name, 1)),
    );
    assert.deepEqual(
      runs.map((row) => row?.name),
      ['k1', 'k3', 'k4', 'k5'],
    );
  });

  test('inside a transaction, on the transaction: a rolled-back insert leaves nothing', async () => {
    await assert.rejects(
      store.db.transaction().execute(async (transaction) => {
        await insertSetting(transaction, { name: 'k6', value: 'six' });
        assert.deepEqual(await settingsBetween.execute(transaction, 'k6', 'k6', 1), [{ name: 'k6', value: 'six' }]);
        throw new Error('roll back');
      }),
      /roll back/,
    );
    assert.deepEqual(await settingsBetween.execute(store.db, 'k6', 'k6', 1), []);
  });

  test('an argument the query does not use as a value is refused at its first run', async () => {
    const broken = new ReusableQuery(2, (db, name: string, _unused: string) =>
      db.selectFrom('settings').selectAll().where('name', '=', name),
    );
    await assert.rejects(broken.execute(store.db, 'k1', 'k2'), /argument 1 of a reusable query is not a parameter/);
  });

  test('a bulk insert runs in statements of its size, the last one shorter, and leaves out taken keys', async () => {
    const insertSettings = reusableBulkInsert('settings', ['name', 'value'], 'name', 2);
    const rows = ['b1', 'b2', 'k1', 'b3', 'b3', 'b4', 'b5'].map((name, index) => ({ name, value: `v${index}` }));
    // k1 is taken already, the second b3 by the first: 5 of 7 go in, over four statements.
    assert.equal(await insertSettings(store.db, rows), 5);
    assert.equal(await insertSettings(store.db, rows.slice(0, 2)), 0);
    assert.equal(await insertSettings(store.db, []), 0);
    assert.deepEqual(await settingsBetween.execute(store.db, 'b1', 'b9', 10), [
      { name: 'b1', value: 'v0' },
      { name: 'b2', value: 'v1' },
      { name: 'b3', value: 'v3' },
      { name: 'b4', value: 'v5' },
      { name: 'b5', value: 'v6' },
    ]);
    assert.deepEqual(await settingsBetween.execute(store.db, 'k1', 'k1', 1), [{ name: 'k1', value: 'one' }]);
  });
});
