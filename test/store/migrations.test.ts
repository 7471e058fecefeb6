import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import { openDatabase, SQLITE_FILE_NAME } from '../../src/store/database.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { migrateTo, migrateToLatest } from '../../src/store/migrator.js';
import { Store } from '../../src/store/store.js';
import { createTestDatabase, TEST_BACKEND, type TestDatabase } from '../helpers/backend.js';

/**
 * The migration list and its runner. Stores in the field record the names of the
 * migrations they ran; the list must keep every one of them, under the same name, in the
 * same order, or those stores no longer open.
 */

/** Every migration a released dbcerts may have recorded, in order. */
const SHIPPED = [
  '0001_foundation',
  '0002_guard_rails',
  '0003_certificate_lifecycle',
  '0004_service_accounts',
  '0005_console_sessions',
  '0006_username_as_sent',
  '0007_project_settings',
  '0009_custom_db_roles',
  '0011_identity_generation',
  '0015_catalog_generation',
  '0016_catalog_covers_authorities',
  '0017_list_index_covers_items',
];

describe('the migration list', () => {
  const names = MIGRATIONS.map((migration) => migration.name);

  test('keeps every shipped migration, by its recorded name, in order, and adds only later ones', () => {
    assert.deepEqual(names.slice(0, SHIPPED.length), SHIPPED);
    assert.deepEqual([...names].sort(), names);
    assert.equal(new Set(names.map((name) => name.slice(0, 4))).size, names.length, 'one migration per number');
  });

  test('lists every module of the folder, each under its file name', () => {
    const folder = new URL('../../src/store/migrations/', import.meta.url);
    const modules = readdirSync(folder)
      .filter((file) => /^\d{4}_\w+\.js$/.test(file))
      .map((file) => file.slice(0, -'.js'.length))
      .sort();
    assert.deepEqual(modules, names);
  });
});

/** The schema as text: tables, columns, indexes, constraints and triggers (not the migration records). */
async function schemaOf(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<string[]> {
  const query =
    dialect === 'postgres'
      ? sql<{ line: string }>`
          select table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' ||
                 coalesce(column_default, '') as line
            from information_schema.columns where table_schema = 'public'
          union all select indexdef from pg_indexes where schemaname = 'public'
          union all select pg_get_triggerdef(oid) from pg_trigger where not tgisinternal
          union all select conname || ' ' || pg_get_constraintdef(oid) from pg_constraint
            where connamespace = 'public'::regnamespace
          union all select proname || ' ' || prosrc from pg_proc where pronamespace = 'public'::regnamespace
          order by 1`
      : sql<{ line: string }>`select type || ' ' || name || ' ' || coalesce(sql, '') as line from sqlite_master
          where name not like 'kysely_%' and name not like 'sqlite_autoindex_kysely_%' order by type, name`;
  return (await query.execute(db)).rows.map((row) => row.line).filter((line) => !line.includes('kysely_migration'));
}

async function recorded(db: Kysely<any>): Promise<string[]> {
  const rows = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  return rows.rows.map((row) => row.name);
}

describe(`migrating (${TEST_BACKEND})`, () => {
  const opened: Array<{ dataDir: string; database: TestDatabase }> = [];
  const fresh = async () => {
    const place = { dataDir: mkdtempSync(join(tmpdir(), 'dbcerts-migrations-')), database: await createTestDatabase() };
    opened.push(place);
    return place;
  };

  after(async () => {
    for (const { dataDir, database } of opened) {
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  let atOnce: string[];
  before(async () => {
    const { dataDir, database } = await fresh();
    const store = await Store.open({ dataDir, databaseUrl: database.url });
    atOnce = await schemaOf(store.db, store.dialect);
    assert.deepEqual(
      await recorded(store.db),
      MIGRATIONS.map((migration) => migration.name),
    );
    await store.close();
  });

  test('one migration at a time, each over the store the one before left, ends in the same schema as all at once', async () => {
    const { dataDir, database } = await fresh();
    for (const [index, migration] of MIGRATIONS.entries()) {
      const legacy = await openDatabase({ dataDir, databaseUrl: database.url });
      await migrateTo(legacy.db, legacy.dialect, migration.name);
      assert.deepEqual(
        await recorded(legacy.db),
        MIGRATIONS.slice(0, index + 1).map((step) => step.name),
      );
      await legacy.db.destroy();
    }
    const store = await Store.open({ dataDir, databaseUrl: database.url });
    assert.deepEqual(await schemaOf(store.db, store.dialect), atOnce);
    await store.close();
  });

  test('opening an up-to-date store again changes nothing', async () => {
    const { dataDir, database } = await fresh();
    await (await Store.open({ dataDir, databaseUrl: database.url })).close();
    const before = await openDatabase({ dataDir, databaseUrl: database.url });
    const stamps = await sql`select name, timestamp from kysely_migration order by name`.execute(before.db);
    await before.db.destroy();
    const store = await Store.open({ dataDir, databaseUrl: database.url });
    assert.deepEqual(
      (await sql`select name, timestamp from kysely_migration order by name`.execute(store.db)).rows,
      stamps.rows,
    );
    await migrateToLatest(store.db, store.dialect);
    assert.deepEqual(await schemaOf(store.db, store.dialect), atOnce);
    await store.close();
  });

  test(
    'SQLite: an up-to-date store opens while another process holds the write lock (none is taken)',
    { skip: TEST_BACKEND === 'sqlite' ? false : 'the embedded store only' },
    async () => {
      const { dataDir, database } = await fresh();
      await (await Store.open({ dataDir, databaseUrl: database.url })).close();
      const writer = new SqliteDatabase(join(dataDir, SQLITE_FILE_NAME));
      try {
        writer.exec('begin immediate');
        const started = Date.now();
        const store = await Store.open({ dataDir });
        // Taking the lock would have waited out the busy timeout (5 s) and failed.
        assert.ok(Date.now() - started < 2000);
        await store.close();
      } finally {
        writer.exec('rollback');
        writer.close();
      }
    },
  );

  test(
    'SQLite: pending migrations run in one transaction: a store caught mid-way keeps its earlier state whole',
    { skip: TEST_BACKEND === 'sqlite' ? false : 'the embedded store only' },
    async () => {
      const { dataDir } = await fresh();
      const legacy = await openDatabase({ dataDir });
      await migrateTo(legacy.db, legacy.dialect, '0005_console_sessions');
      await legacy.db.destroy();
      // A table that 0007 is about to create, made in the way: 0006 runs, then 0007 fails.
      const file = new SqliteDatabase(join(dataDir, SQLITE_FILE_NAME));
      file.exec('create table project_settings (x text)');
      file.close();
      await assert.rejects(Store.open({ dataDir }), /database migration failed/);
      const after = await openDatabase({ dataDir });
      assert.deepEqual(await recorded(after.db), SHIPPED.slice(0, 5));
      const columns = await sql<{ name: string }>`select name from pragma_table_info('database_users')`.execute(
        after.db,
      );
      assert.ok(!columns.rows.some((column) => column.name === 'username_as_sent'), '0006 was rolled back with 0007');
      await after.db.destroy();
    },
  );
});
