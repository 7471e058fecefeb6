import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { BootstrapCredentials } from '../authority/bootstrap.js';
import { newMasterKey, parseMasterKey } from '../pki/secret-box.js';

/** Files the embedded deployment keeps in its data directory, all private to the owner. */

const MASTER_KEY_FILE = 'master.key';
export const CREDENTIALS_FILE = 'credentials.json';

/**
 * Makes a file's content, and its name in its directory, survive an OS crash or power cut:
 * without it a file written just before a cut can come back empty.
 */
export function syncToDisk(path: string): void {
  for (const target of [path, dirname(path)]) {
    const fd = openSync(target, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

function writePrivateFile(path: string, content: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  // On the disk before it takes the name: a cut never leaves an empty file under it.
  syncToDisk(temporary);
  renameSync(temporary, path);
  syncToDisk(path);
}

function ensureDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
}

/**
 * The master key: DBCERTS_MASTER_KEY when set, else `<data>/master.key`, generated on
 * the first start. Losing it makes every sealed secret (CA keys, API key HA1s) unreadable.
 */
export function loadMasterKey(dataDir: string): { key: Buffer; source: string } {
  const fromEnv = process.env.DBCERTS_MASTER_KEY;
  if (fromEnv) return { key: parseMasterKey(fromEnv), source: 'DBCERTS_MASTER_KEY' };
  const path = join(dataDir, MASTER_KEY_FILE);
  if (existsSync(path)) return { key: parseMasterKey(readFileSync(path, 'utf8')), source: path };
  ensureDataDir(dataDir);
  const key = newMasterKey();
  try {
    writeFileSync(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadMasterKey(dataDir);
    throw error;
  }
  // Secrets sealed with this key reach the disk at every commit: the key must be there first.
  syncToDisk(path);
  return { key, source: path };
}

export function readCredentials(dataDir: string): BootstrapCredentials | undefined {
  const path = join(dataDir, CREDENTIALS_FILE);
  if (!existsSync(path)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<BootstrapCredentials>;
    const { orgId, groupId, publicKey, privateKey } = parsed;
    if ([orgId, groupId, publicKey, privateKey].every((value) => typeof value === 'string')) {
      return { orgId, groupId, publicKey, privateKey } as BootstrapCredentials;
    }
  } catch {
    // Unreadable credentials are treated as lost; bootstrap issues new ones.
  }
  return undefined;
}

export function writeCredentials(dataDir: string, credentials: BootstrapCredentials): string {
  ensureDataDir(dataDir);
  const path = join(dataDir, CREDENTIALS_FILE);
  writePrivateFile(path, `${JSON.stringify(credentials, null, 2)}\n`);
  return path;
}
