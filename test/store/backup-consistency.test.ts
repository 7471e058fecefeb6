import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TEST_BACKEND } from '../helpers/backend.js';
import { monotonicMs } from '../helpers/disk-image.js';
import { scratchDirectory } from '../helpers/scratch.js';
import { createServedStore, type ServedStore } from '../helpers/served-store.js';
import {
  assertCrlLists,
  assertSqliteIntact,
  isStored,
  missingWrites,
  readStoredWrites,
  revokedIn,
  sampleCertificates,
  type StoredWrites,
  WriteLedger,
  writeWorker,
} from '../helpers/write-burst.js';
import { api, type Credentials, V1 } from '../pg/instances.js';

/**
 * `dbcerts backup` while a server answers a burst of concurrent writes, twice; each
 * backup restored into an empty store. A backup is one snapshot: what it holds is exactly
 * a prefix of the writes, with every write answered before the backup started, none sent
 * after it ended, none without a write answered before it was sent, and nothing
 * half-written; the restored store's CRL lists exactly its revocations.
 */

const WORKERS = 6;
const BACKUPS = 2;

interface Backup {
  file: string;
  /** When `dbcerts backup` was started and when it had exited (monotonicMs). */
  startedAt: number;
  endedAt: number;
}

describe(`dbcerts backup in the middle of a burst of writes (${TEST_BACKEND})`, { timeout: 240_000 }, () => {
  const scratch = scratchDirectory('backup-burst');
  const ledger = new WriteLedger();
  const backups: Array<Backup & { stored: StoredWrites }> = [];
  const stores: ServedStore[] = [];
  let credentials: Credentials;

  before(async () => {
    const served = await createServedStore();
    stores.push(served);
    credentials = await served.bootstrap();
    const instance = await served.start();
    // A project per worker: however fast the machine, none reaches Atlas' 100 users.
    const groups = [credentials.groupId];
    for (let index = 1; index < WORKERS; index++) {
      const project = await api(instance.origin, credentials, `${V1}/groups`, {
        method: 'POST',
        body: { name: `burst-${index}`, orgId: credentials.orgId },
      });
      assert.equal(project.status, 200, project.text);
      groups.push(project.json().id);
    }
    let answered = 0;
    let stopped = false;
    let ended = false;
    const answers = (count: number) =>
      new Promise<void>((resolve) => {
        const target = answered + count;
        const poll = () => (answered >= target || ended ? resolve() : setTimeout(poll, 5));
        poll();
      });
    const workers = Promise.all(
      groups.map((groupId, index) =>
        writeWorker({
          origin: () => instance.origin,
          credentials,
          groupId,
          name: `w${index}`,
          ledger,
          stop: () => stopped,
          onAcknowledged: () => answered++,
        }),
      ),
    ).finally(() => (ended = true));
    const taken: Backup[] = [];
    try {
      await answers(20);
      for (let index = 0; index < BACKUPS; index++) {
        const file = join(scratch.dir, `backup-${index}.jsonl`);
        const startedAt = monotonicMs();
        const outcome = await served.command(['backup', '--out', file]);
        const endedAt = monotonicMs();
        assert.equal(outcome.code, 0, outcome.stderr);
        taken.push({ file, startedAt, endedAt });
        await answers(20);
      }
    } finally {
      stopped = true;
      await workers;
    }
    assert.deepEqual(ledger.unexpected, []);
    for (const backup of taken) {
      const target = await createServedStore(served.masterKey);
      stores.push(target);
      const restored = await target.command(['restore', backup.file]);
      assert.equal(restored.code, 0, restored.stderr);
      const store = await target.open();
      let stored: StoredWrites;
      try {
        if (TEST_BACKEND === 'sqlite') await assertSqliteIntact(store);
        stored = await readStoredWrites(store);
      } finally {
        await store.close();
      }
      backups.push({ ...backup, stored });
      const [crl, ca] = [
        await target.command(['crl', '--group', credentials.groupId]),
        await target.command(['ca-cert', '--group', credentials.groupId]),
      ];
      assert.equal(crl.code, 0, crl.stderr);
      assert.equal(ca.code, 0, ca.stderr);
      await assertCrlLists(
        crl.stdout,
        ca.stdout,
        revokedIn(stored, credentials.groupId),
        sampleCertificates(stored, ledger.acknowledged(), credentials.groupId),
        scratch.write,
      );
    }
  });
  after(() => Promise.all(stores.map((store) => store.close())));

  test('the backups were taken while writes were being answered', () => {
    for (const backup of backups) {
      const during = ledger
        .acknowledged()
        .filter((write) => write.ackedAt! > backup.startedAt && write.ackedAt! < backup.endedAt);
      assert.ok(during.length > 0, 'writes answered while the backup ran');
    }
  });

  test('each restored backup holds every write answered before it started and none sent after it ended', () => {
    for (const backup of backups) {
      assert.deepEqual(missingWrites(backup.stored, ledger.acknowledged(backup.startedAt)), []);
      const late = ledger.writes.filter((write) => write.sentAt > backup.endedAt);
      assert.ok(late.length > 0);
      assert.deepEqual(
        late.filter((write) => isStored(backup.stored, write)),
        [],
      );
    }
  });

  test('each holds a prefix: with any write, every write answered before it was sent; nothing half-written', () => {
    for (const backup of backups) {
      const latestSent = Math.max(
        ...ledger.writes.filter((write) => isStored(backup.stored, write)).map((write) => write.sentAt),
      );
      assert.deepEqual(missingWrites(backup.stored, ledger.acknowledged(latestSent)), []);
      assert.deepEqual(backup.stored.halfWritten, []);
      const stored = ledger.writes.filter((write) => isStored(backup.stored, write)).length;
      assert.ok(stored > 0 && stored < ledger.writes.length);
    }
    assert.ok(
      ledger.writes.filter((write) => isStored(backups[0]!.stored, write)).length <
        ledger.writes.filter((write) => isStored(backups[1]!.stored, write)).length,
      'the second backup holds more',
    );
  });
});
