import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import SqliteDatabase from 'better-sqlite3';
import { SharedFileNonceUses } from '../../src/store/repositories/digest-nonces.js';
import { scratchDirectory } from '../helpers/scratch.js';

/**
 * The Digest nonce ledger the workers of one embedded store share: a use recorded by one
 * process is a replay for every other. Workers start together: two processes that both
 * switch a new file to WAL both hold a shared lock and want the exclusive one, and SQLite
 * answers one of them "database is locked" at once, without waiting (a deadlock its busy
 * handler cannot resolve; seen by `npm run bench` as a worker that never started). So the
 * primary's reset leaves the file already in WAL, with its table: a worker only opens it.
 */

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const expiresAt = () => new Date(Date.now() + 60_000);
const ledgerFile = () => join(scratchDirectory('nonce-ledger').dir, 'digest-nonces.sqlite');

/**
 * Another process that holds the file's exclusive lock for `ms`, then lets go. Answers once
 * the lock is held, with the process's exit (a bare promise would be awaited through).
 */
async function holdExclusiveLock(file: string, ms: number): Promise<{ released: Promise<unknown> }> {
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `const db = new (require('better-sqlite3'))(process.argv[1]);
       db.exec('begin exclusive');
       process.stdout.write('locked\\n');
       setTimeout(() => { db.exec('commit'); db.close(); }, Number(process.argv[2]));`,
      file,
      String(ms),
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const released = once(holder, 'exit');
  await once(holder.stdout, 'data');
  return { released };
}

/** A file reset as the primary leaves it, and the ledgers two workers open on it. */
function twoWorkers() {
  const file = ledgerFile();
  SharedFileNonceUses.reset(file);
  return { file, first: new SharedFileNonceUses(file, 'abcd'), second: new SharedFileNonceUses(file, 'abcd') };
}

test('reset leaves the file in WAL mode with its table, so starting workers never switch the journal mode', () => {
  const file = ledgerFile();
  SharedFileNonceUses.reset(file);
  const db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  try {
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    const table = db.prepare("select name from sqlite_master where type = 'table' and name = 'digest_nonce_uses'");
    assert.ok(table.get(), 'the table is there');
  } finally {
    db.close();
  }
});

test('a ledger opened while another process holds the lock waits for it, then works', async () => {
  const file = ledgerFile();
  const { released } = await holdExclusiveLock(file, 300);
  const started = Date.now();
  const ledger = new SharedFileNonceUses(file, 'abcd');
  try {
    assert.ok(Date.now() - started >= 100, 'opening waited for the lock');
    assert.equal(await ledger.recordUse('n', 'c', '00000001', expiresAt()), true);
  } finally {
    ledger.close();
    await released;
  }
});

test('a use recorded by one process is a replay for another; reset forgets every use', async () => {
  const { file, first, second } = twoWorkers();
  const expiry = expiresAt();
  try {
    assert.equal(await first.recordUse('nonce', 'cnonce', '00000001', expiry), true);
    assert.equal(await second.recordUse('nonce', 'cnonce', '00000001', expiry), false, 'a replay');
    assert.equal(await second.recordUse('nonce', 'cnonce', '00000002', expiry), true, 'the next nc');
  } finally {
    first.close();
    second.close();
  }
  SharedFileNonceUses.reset(file);
  const after = new SharedFileNonceUses(file, 'ef01');
  try {
    assert.equal(await after.recordUse('nonce', 'cnonce', '00000001', expiry), true);
  } finally {
    after.close();
  }
});

test('uses recorded in one turn are written together: each answered on its own, a repeat within the turn a replay', async () => {
  const { file, first, second } = twoWorkers();
  const expiry = expiresAt();
  try {
    assert.equal(await second.recordUse('seen', 'cnonce', '00000001', expiry), true);
    const answers = await Promise.all([
      first.recordUse('nonce', 'cnonce', '00000001', expiry),
      first.recordUse('nonce', 'cnonce', '00000002', expiry),
      first.recordUse('nonce', 'cnonce', '00000001', expiry),
      first.recordUse('seen', 'cnonce', '00000001', expiry),
      first.recordUse('other', 'cnonce', '00000001', expiry),
    ]);
    assert.deepEqual(answers, [true, true, false, false, true]);
    const stored = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
    try {
      assert.equal(stored.prepare('select count(*) from digest_nonce_uses').pluck().get(), 4);
    } finally {
      stored.close();
    }
  } finally {
    first.close();
    second.close();
  }
});

test("a turn's uses wait for another process's lock, then all land", async () => {
  const file = ledgerFile();
  SharedFileNonceUses.reset(file);
  const ledger = new SharedFileNonceUses(file, 'abcd');
  try {
    // A nonce's uses share its expiry (the ledger keys them under it).
    const expiry = expiresAt();
    const { released } = await holdExclusiveLock(file, 300);
    let settled = false;
    const answers = Promise.all(
      ['00000001', '00000002', '00000003'].map((nc) => ledger.recordUse('nonce', 'cnonce', nc, expiry)),
    ).finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(settled, false, 'waiting for the lock');
    assert.deepEqual(await answers, [true, true, true]);
    await released;
    assert.equal(await ledger.recordUse('nonce', 'cnonce', '00000002', expiry), false, 'a replay');
  } finally {
    ledger.close();
  }
});
