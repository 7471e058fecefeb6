import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { IDENTITY_GENERATION_ID } from '../../src/store/repositories/api-keys.js';
import { Store } from '../../src/store/store.js';
import { createPostgresDatabase, TEST_BACKEND } from '../helpers/backend.js';
import { scratchDirectory } from '../helpers/scratch.js';

/**
 * The Digest nonce ledger in PostgreSQL, shared by every instance: the uses one instance
 * records in a turn of its event loop go in one statement, and each is still answered on
 * its own, with the generations of the moment.
 */

const skip = TEST_BACKEND !== 'postgres' ? 'PostgreSQL only (the ledger is in memory or a file otherwise)' : false;

describe('the nonce ledger in the database', { skip }, () => {
  let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let first: Store;
  let second: Store;
  const expiresAt = new Date(Date.now() + 300_000);

  before(async () => {
    database = await createPostgresDatabase();
    const dataDir = scratchDirectory('nonce-ledger').dir;
    first = await Store.open({ dataDir, databaseUrl: database.url });
    second = await Store.open({ dataDir, databaseUrl: database.url });
  });

  after(async () => {
    await first?.close();
    await second?.close();
    await database?.drop();
  });

  const record = (store: Store, nonce: string, nc: string) =>
    store.digestNonceUses.recordUseReadingGenerations!(nonce, 'cnonce', nc, expiresAt);

  test('uses of one turn: each answered on its own, a repeat within the turn and a use seen before are replays', async () => {
    assert.equal((await record(second, 'seen', '00000001')).firstUse, true);
    const answers = await Promise.all([
      record(first, 'nonce', '00000001'),
      record(first, 'nonce', '00000002'),
      record(first, 'nonce', '00000001'),
      record(first, 'seen', '00000001'),
      record(first, 'other', '00000001'),
    ]);
    assert.deepEqual(
      answers.map((answer) => answer.firstUse),
      [true, true, false, false, true],
    );
    const { rows } = await sql<{ count: string }>`select count(*) as count from digest_nonce_uses`.execute(first.db);
    assert.equal(Number(rows[0]!.count), 4);
    assert.equal((await record(second, 'nonce', '00000002')).firstUse, false, 'a replay at the other instance');
  });

  test('every use of a turn reads the generations as they are when its statement runs', async () => {
    const before = await record(first, 'generations', '00000001');
    await sql`update identity_generation set generation = generation + 1 where id = ${IDENTITY_GENERATION_ID}`.execute(
      second.db,
    );
    const answers = await Promise.all([
      record(first, 'generations', '00000002'),
      record(first, 'generations', '00000003'),
    ]);
    for (const answer of answers) {
      assert.equal(answer.identity, before.identity + 1n);
      assert.equal(answer.catalog, before.catalog);
    }
  });

  test('a failed statement fails every use of its turn, and the next turn works', async () => {
    await sql`alter table digest_nonce_uses rename to digest_nonce_uses_away`.execute(second.db);
    try {
      const answers = await Promise.allSettled([record(first, 'away', '00000001'), record(first, 'away', '00000002')]);
      assert.deepEqual(
        answers.map((answer) => answer.status),
        ['rejected', 'rejected'],
      );
    } finally {
      await sql`alter table digest_nonce_uses_away rename to digest_nonce_uses`.execute(second.db);
    }
    assert.equal((await record(first, 'back', '00000001')).firstUse, true);
  });
});
