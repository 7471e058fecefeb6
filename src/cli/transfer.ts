import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { isAbsolute, resolve } from 'node:path';
import { SecretBox } from '../pki/secret-box.js';
import { Repositories, Store } from '../store/store.js';
import {
  BACKUP_FORMAT,
  BACKUP_VERSION,
  type BackupHeader,
  decodeValue,
  encodeValue,
  inSnapshot,
  isEmpty,
  readAll,
  type TableRows,
  wipe,
  writeAll,
} from '../store/transfer.js';
import { type Config, ConfigError } from './config.js';
import { loadMasterKey, syncToDisk } from './files.js';

function openStore(config: Config, databaseUrl = config.databaseUrl): Promise<Store> {
  return Store.open({
    databaseUrl,
    dataDir: config.dataDir,
    sqliteSynchronous: config.sqliteSynchronous,
    poolSize: config.poolSize,
    connectTimeoutMs: config.connectTimeoutMs,
    statementTimeoutMs: config.statementTimeoutMs,
    preparedStatements: config.preparedStatements,
  });
}

/** `dbcerts backup --out FILE`: one consistent snapshot, as JSON lines. Sealed secrets stay sealed. */
export async function backup(config: Config, out: string): Promise<Record<string, number>> {
  const store = await openStore(config);
  const file = createWriteStream(out, { flags: 'wx', mode: 0o600 });
  const counts: Record<string, number> = {};
  const write = async (line: string) => {
    if (!file.write(`${line}\n`)) await once(file, 'drain');
  };
  try {
    await inSnapshot(store, async (db) => {
      // Read inside the snapshot (on SQLite the transaction holds the only connection).
      const fingerprint = await new Repositories(db, store.dialect).settings.get('master_key_fingerprint');
      const header: BackupHeader = {
        format: BACKUP_FORMAT,
        version: BACKUP_VERSION,
        createdAt: new Date().toISOString(),
        source: store.dialect,
        ...(fingerprint !== undefined ? { masterKeyFingerprint: fingerprint } : {}),
      };
      await write(JSON.stringify(header));
      for await (const { table, rows } of readAll(db)) {
        for (const row of rows) await write(JSON.stringify({ table, row }, encodeValue));
        counts[table] = (counts[table] ?? 0) + rows.length;
      }
    });
  } finally {
    file.end();
    await once(file, 'close');
    await store.close();
  }
  // Reported as written only once it would survive a power cut.
  syncToDisk(out);
  return counts;
}

async function* backupRows(path: string): AsyncGenerator<TableRows> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let batch: TableRows | undefined;
  let header = true;
  for await (const line of lines) {
    if (header) {
      header = false;
      continue;
    }
    if (line.trim() === '') continue;
    const { table, row } = JSON.parse(line, decodeValue) as { table: string; row: Record<string, unknown> };
    if (batch && (batch.table !== table || batch.rows.length >= 500)) {
      yield batch;
      batch = undefined;
    }
    batch ??= { table, rows: [] };
    batch.rows.push(row);
  }
  if (batch) yield batch;
}

async function readHeader(path: string): Promise<BackupHeader> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) {
    lines.close();
    const header = JSON.parse(line) as Partial<BackupHeader>;
    if (header.format !== BACKUP_FORMAT || header.version !== BACKUP_VERSION) {
      throw new ConfigError(`${path} is not a dbcerts backup (version ${BACKUP_VERSION})`);
    }
    return header as BackupHeader;
  }
  throw new ConfigError(`${path} is empty`);
}

/**
 * `dbcerts restore FILE [--replace]`: the backup's rows into the store, all or nothing.
 * The store must be empty unless `--replace`, and the master key in use must be the one
 * the backup's secrets are sealed with.
 */
export async function restore(config: Config, path: string, replace: boolean): Promise<Record<string, number>> {
  const source = isAbsolute(path) ? path : resolve(path);
  if (!existsSync(source)) throw new ConfigError(`no such backup: ${path}`);
  const header = await readHeader(source);
  const { key } = loadMasterKey(config.dataDir);
  const fingerprint = new SecretBox(key).fingerprint();
  if (header.masterKeyFingerprint !== undefined && header.masterKeyFingerprint !== fingerprint) {
    throw new ConfigError(
      `the backup's secrets are sealed with master key ${header.masterKeyFingerprint}, not this one (${fingerprint}): ` +
        'set DBCERTS_MASTER_KEY (or DIR/master.key) to that key',
    );
  }
  const store = await openStore(config);
  try {
    return await store.db.transaction().execute(async (trx) => {
      if (!replace && !(await isEmpty(trx))) {
        throw new ConfigError('the store already holds data: restore into an empty one, or pass --replace');
      }
      await wipe(trx);
      return writeAll(trx, backupRows(source));
    });
  } finally {
    await store.close();
  }
}

/** `dbcerts migrate --from sqlite:PATH --to postgres://…`: copies an embedded deployment, all or nothing. */
export async function migrate(config: Config, from: string, to: string): Promise<Record<string, number>> {
  const match = /^sqlite:(.+)$/.exec(from);
  if (!match) throw new ConfigError('--from must be sqlite:PATH (the data directory of the embedded store)');
  if (!/^postgres(ql)?:\/\//.test(to)) throw new ConfigError('--to must be a postgres:// URL');
  const source = await Store.open({ dataDir: match[1]! });
  const target = await openStore(config, to);
  try {
    return await inSnapshot(source, (snapshot) =>
      target.db.transaction().execute(async (trx) => {
        if (!(await isEmpty(trx))) throw new ConfigError('the target database already holds data');
        await wipe(trx);
        return writeAll(trx, readAll(snapshot));
      }),
    );
  } finally {
    await source.close();
    await target.close();
  }
}
