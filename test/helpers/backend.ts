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
