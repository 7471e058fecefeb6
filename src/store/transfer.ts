import { type Kysely, sql } from 'kysely';
import type { Database } from './schema.js';
import type { Store } from './store.js';

/**
 * Moving a whole deployment's data: backups, restores, and the move from the embedded
 * SQLite file to PostgreSQL. Rows travel as they are stored — sealed secrets stay sealed,
 * so the master key must travel separately.
 */

/** Every table worth keeping, parents before children, with its primary key. */
const TRANSFERRED_TABLES: ReadonlyArray<{ name: keyof Database; key: readonly string[] }> = [
  { name: 'settings', key: ['name'] },
  { name: 'organizations', key: ['id'] },
  { name: 'projects', key: ['id'] },
  { name: 'api_keys', key: ['id'] },
  { name: 'api_key_project_roles', key: ['api_key_id', 'project_id'] },
  { name: 'api_key_access_list', key: ['api_key_id', 'cidr_block'] },
  { name: 'service_account_secrets', key: ['id'] },
  { name: 'revoked_access_tokens', key: ['jti'] },
  { name: 'database_users', key: ['id'] },
  { name: 'custom_db_roles', key: ['project_id', 'role_name'] },
  { name: 'certificate_authorities', key: ['id'] },
  { name: 'certificates', key: ['serial'] },
  { name: 'certificate_revocation_lists', key: ['ca_id'] },
  { name: 'user_security', key: ['project_id'] },
  { name: 'x509_alert_settings', key: ['project_id'] },
  { name: 'x509_expiry_alerts', key: ['user_id', 'alert_day'] },
  { name: 'webhook_deliveries', key: ['id'] },
  { name: 'events', key: ['id'] },
  { name: 'project_settings', key: ['project_id'] },
  { name: 'project_limits', key: ['project_id', 'name'] },
];
// Not transferred: Digest nonce uses and rate-limit buckets (short-lived bookkeeping).

export type Row = Record<string, unknown>;
export interface TableRows {
  table: string;
  rows: Row[];
}

const BATCH = 1000;

/**
 * Reads every row of every table, a batch at a time, inside `db` (which should be a
 * transaction with a consistent snapshot). Single-column keys page by key; composite keys
 * (small tables) by offset.
 */
export async function* readAll(db: Kysely<Database>): AsyncGenerator<TableRows> {
  for (const { name, key } of TRANSFERRED_TABLES) {
    let last: unknown;
    for (let offset = 0; ; offset += BATCH) {
      let query = db.selectFrom(name as 'settings').selectAll() as any;
      for (const column of key) query = query.orderBy(column);
      if (key.length === 1 && last !== undefined) query = query.where(key[0], '>', last);
      if (key.length > 1) query = query.offset(offset);
      const rows = (await query.limit(BATCH).execute()) as Row[];
      if (rows.length === 0) break;
      yield { table: name, rows };
      if (rows.length < BATCH) break;
      last = rows[rows.length - 1]![key[0]!];
    }
  }
}

/** True when the store holds no organization (nothing a restore or migration could overwrite). */
export async function isEmpty(db: Kysely<Database>): Promise<boolean> {
  const row = await db
    .selectFrom('organizations')
    .select((eb) => eb.fn.countAll().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count) === 0;
}

/** Deletes every row of every transferred table (children first) and the bookkeeping tables. */
export async function wipe(db: Kysely<Database>): Promise<void> {
  await db.deleteFrom('digest_nonce_uses').execute();
  await db.deleteFrom('rate_limit_buckets').execute();
  for (const { name } of [...TRANSFERRED_TABLES].reverse()) await db.deleteFrom(name as 'settings').execute();
}

/** Inserts rows read by `readAll` (in its order, so parents come first). */
export async function writeAll(
  db: Kysely<Database>,
  batches: AsyncIterable<TableRows>,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for await (const { table, rows } of batches) {
    if (!TRANSFERRED_TABLES.some((entry) => entry.name === table)) throw new Error(`unknown table ${table}`);
    for (let index = 0; index < rows.length; index += 100) {
      await db
        .insertInto(table as 'settings')
        .values(rows.slice(index, index + 100) as never)
        .execute();
    }
    counts[table] = (counts[table] ?? 0) + rows.length;
  }
  return counts;
}

/** Runs `work` in a transaction that sees one consistent snapshot of the store. */
export function inSnapshot<T>(store: Store, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  if (store.dialect === 'postgres') {
    return store.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (trx) => {
        await sql`set transaction read only`.execute(trx);
        return work(trx);
      });
  }
  return store.db.transaction().execute((trx) => work(trx));
}

// --- the backup file: JSON lines ------------------------------------------------------

export const BACKUP_FORMAT = 'dbcerts-backup';
export const BACKUP_VERSION = 1;

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  version: number;
  createdAt: string;
  source: string;
  /** The fingerprint of the master key the backup's secrets are sealed with. */
  masterKeyFingerprint?: string;
}

/** JSON for one value: bigints and bytes tagged, so they come back as they were. */
export function encodeValue(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return { $int64: value.toString() };
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer') {
    return { $bytes: Buffer.from((value as { data: number[] }).data).toString('base64') };
  }
  return value;
}

export function decodeValue(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const tagged = value as { $int64?: string; $bytes?: string };
    if (typeof tagged.$int64 === 'string') return BigInt(tagged.$int64);
    if (typeof tagged.$bytes === 'string') return new Uint8Array(Buffer.from(tagged.$bytes, 'base64'));
  }
  return value;
}
