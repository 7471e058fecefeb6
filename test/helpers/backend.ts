import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import type { Store } from '../../src/store/store.js';

/**
 * Which store the API tests run against: the embedded SQLite file (default) or
 * PostgreSQL (`DBCERTS_TEST_BACKEND=postgres`), each test server in a database of its own.
 */
export const TEST_BACKEND: 'sqlite' | 'postgres' =
  process.env.DBCERTS_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite';

/** The PostgreSQL tests may create databases in (trust auth on CI and on these machines). */
export const POSTGRES_ADMIN_URL = process.env.DBCERTS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A new, empty PostgreSQL database; returns its URL and how to drop it. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `dbcerts_test_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`create database ${name}`));
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin((client) => client.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

/** The user tables of a store, whichever engine holds it. */
export async function tableNames(store: Store): Promise<string[]> {
  const query =
    store.dialect === 'postgres'
      ? sql<{
          name: string;
        }>`select table_name as name from information_schema.tables where table_schema = 'public' order by table_name`
      : sql<{
          name: string;
        }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`;
  return (await query.execute(store.db)).rows.map((row) => row.name);
}

/**
 * A database of the test backend for a test that opens its stores itself (several
 * instances over one store, the command line, a known master key): on SQLite nothing (the
 * file lives in the data directory), on PostgreSQL a new database. `url` goes to
 * `Store.open({ dataDir, databaseUrl: url })`; `cliArgs` to a `dbcerts` command.
 */
export interface TestDatabase {
  url: string | undefined;
  cliArgs: string[];
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  if (TEST_BACKEND === 'sqlite') return { url: undefined, cliArgs: [], drop: async () => undefined };
  const database = await createPostgresDatabase();
  return { url: database.url, cliArgs: ['--database-url', database.url], drop: database.drop };
}

/** One cell of a table, as the bytes a search for secrets must look at. */
export interface StoredCell {
  table: string;
  column: string;
  bytes: Buffer;
}

/**
 * Every non-null cell of every table of the store (the whole content of a PostgreSQL
 * database, where there is no file to read): bytes (BLOB/bytea) as they are, text as
 * UTF-8, numbers in decimal, anything else as JSON.
 */
export async function storedCells(store: Store): Promise<StoredCell[]> {
  const cells: StoredCell[] = [];
  for (const table of await tableNames(store)) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(store.db);
    for (const row of rows) {
      for (const [column, value] of Object.entries(row)) {
        if (value === null || value === undefined) continue;
        let bytes: Buffer;
        if (value instanceof Uint8Array) bytes = Buffer.from(value);
        else if (typeof value === 'string') bytes = Buffer.from(value, 'utf8');
        else if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
          bytes = Buffer.from(String(value), 'utf8');
        } else if (value instanceof Date) bytes = Buffer.from(value.toISOString(), 'utf8');
        else bytes = Buffer.from(JSON.stringify(value), 'utf8');
        cells.push({ table, column, bytes });
      }
    }
  }
  return cells;
}
