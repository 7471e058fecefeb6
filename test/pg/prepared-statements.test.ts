import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { Store } from '../../src/store/store.js';
import { createPostgresDatabase } from '../helpers/backend.js';

/**
 * On PostgreSQL the statements dbcerts repeats are prepared once per connection (named),
 * through Kysely and through the row reader of list pages alike, and not at all with
 * `preparedStatements: false` (for a pooler that cannot keep them). One connection, so
 * that pg_prepared_statements shows the session the store's queries ran on.
 */
describe('PostgreSQL prepared statements', () => {
  let database: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let dataDir: string;

  before(async () => {
    database = await createPostgresDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'dbcerts-prepared-'));
  });
  after(async () => {
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function preparedAfterUse(preparedStatements: boolean | undefined): Promise<string[]> {
    const store = await Store.open({
      dataDir,
      databaseUrl: database.url,
      poolSize: 1,
      ...(preparedStatements === undefined ? {} : { preparedStatements }),
    });
    try {
      await store.settings.insert(`key-${String(preparedStatements)}`, 'value');
      for (let round = 0; round < 3; round++) {
        assert.equal(await store.settings.get(`key-${String(preparedStatements)}`), 'value');
        assert.deepEqual(await store.certificates.listUnexpired('no-such-user', new Date(), 0, 101), []);
      }
      const { rows } = await sql<{
        statement: string;
      }>`select statement from pg_prepared_statements where name like 'dbcerts_%'`.execute(store.db);
      return rows.map((row) => row.statement);
    } finally {
      await store.close();
    }
  }

  test('by default: the repeated queries, from Kysely and from the list reader, are prepared on the connection', async () => {
    const statements = await preparedAfterUse(undefined);
    assert.ok(
      statements.some((text) => text.includes('from "settings"')),
      `a settings read among ${JSON.stringify(statements)}`,
    );
    assert.ok(
      statements.some((text) => text.includes('from "certificates"')),
      `the list query among ${JSON.stringify(statements)}`,
    );
  });

  test('preparedStatements: false prepares none', async () => {
    assert.deepEqual(await preparedAfterUse(false), []);
  });
});
