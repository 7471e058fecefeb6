import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { Store } from '../../src/store/store.js';
import { TEST_BACKEND } from '../helpers/backend.js';
import { scratchDirectory } from '../helpers/scratch.js';
import { createServedStore, type ServedStore } from '../helpers/served-store.js';
import {
  assertCrlLists,
  assertSqliteIntact,
  missingWrites,
  readStoredWrites,
  revokedIn,
  sampleCertificates,
  type Write,
  WriteLedger,
  writeWorker,
} from '../helpers/write-burst.js';
import { api, type Credentials, type Instance, plainGet, V1 } from '../pg/instances.js';

/**
 * `kill -9` of a server in the middle of a burst of concurrent user creations,
 * issuances and revocations, five times. After each restart every write that was
 * answered 2xx is in the store as answered, nothing is half-written (a change without its
 * audit event, a certificate without its user), no serial was answered twice, and the
 * CRL lists every revocation. On the embedded store one server is killed and started
 * again on its data directory; on PostgreSQL instance A dies while B keeps serving.
 *
 * A process kill leaves the OS's page cache in place: this proves that nothing answered
 * lives only in the server's memory and that every write is one transaction. What a power
 * cut leaves is power-loss.test.ts.
 */

const run = promisify(execFile);
const ROUNDS = 5;
/** How many 2xx answers A gives in round `r` (1-based) before it is killed: different points of the burst. */
const killAfter = (round: number) => 6 + 9 * round;
const WORKERS_ON_A = 10;
/** PostgreSQL only: the instance that survives. */
const WORKERS_ON_B = 3;
const postgres = TEST_BACKEND === 'postgres';

describe(
  `kill -9 of a server in the middle of a burst of writes, ${ROUNDS} rounds (${TEST_BACKEND})`,
  { timeout: 300_000 },
  () => {
    const scratch = scratchDirectory('crash');
    const ledger = new WriteLedger();
    const groups: string[] = [];
    let served: ServedStore;
    let credentials: Credentials;
    let a: Instance;
    let b: Instance | undefined;
    /** The instance that answers between rounds: B on PostgreSQL, A (restarted) on the embedded store. */
    const survivor = () => b ?? a;

    before(async () => {
      served = await createServedStore();
      credentials = await served.bootstrap();
      a = await served.start();
      if (postgres) b = await served.start();
    });
    after(() => served?.close());

    async function burstUntilKilled(round: number, groupId: string): Promise<void> {
      let answeredByA = 0;
      let killed: Promise<unknown> | undefined;
      const victim = a;
      const onA = () => {
        if (++answeredByA === killAfter(round)) killed = victim.kill('SIGKILL');
      };
      const workers = Array.from({ length: WORKERS_ON_A }, (_, index) =>
        writeWorker({
          origin: () => victim.origin,
          credentials,
          groupId,
          name: `r${round}a${index}`,
          ledger,
          stop: () => false,
          onAcknowledged: onA,
          serverDied: async () => {
            if (!killed) return false;
            await killed;
            return true;
          },
        }),
      );
      if (b) {
        const survivorB = b;
        let answeredByB = 0;
        workers.push(
          ...Array.from({ length: WORKERS_ON_B }, (_, index) =>
            writeWorker({
              origin: () => survivorB.origin,
              credentials,
              groupId,
              name: `r${round}b${index}`,
              ledger,
              // B goes on past A's death.
              stop: () => !victim.alive() && answeredByB > 3 * killAfter(round),
              onAcknowledged: () => answeredByB++,
            }),
          ),
        );
      }
      await Promise.all(workers);
      if (!killed)
        throw new Error(`the burst ended before ${killAfter(round)} answers: ${ledger.unexpected.join('; ')}`);
      await killed;
    }

    async function checkStore(check: (store: Store) => Promise<void>): Promise<void> {
      const store = await served.open();
      try {
        await check(store);
      } finally {
        await store.close();
      }
    }

    for (let round = 1; round <= ROUNDS; round++) {
      test(`round ${round}: killed after ${killAfter(round)} answers; after the restart every answered write is there, whole`, async () => {
        const project = await api(survivor().origin, credentials, `${V1}/groups`, {
          method: 'POST',
          body: { name: `crash-${round}`, orgId: credentials.orgId },
        });
        assert.equal(project.status, 200, project.text);
        const groupId: string = project.json().id;
        groups.push(groupId);
        const before = ledger.acknowledged().length;

        await burstUntilKilled(round, groupId);
        assert.deepEqual(await a.exited, { code: null, signal: 'SIGKILL' });
        assert.deepEqual(ledger.unexpected, []);
        assert.ok(ledger.acknowledged().length - before >= killAfter(round));
        a = await served.start();

        const acknowledged = ledger.acknowledged();
        assert.deepEqual(ledger.duplicateSerials(), [], 'a serial answered twice');
        await checkStore(async (store) => {
          if (!postgres) await assertSqliteIntact(store);
          const stored = await readStoredWrites(store);
          assert.deepEqual(missingWrites(stored, acknowledged), []);
          assert.deepEqual(stored.halfWritten, []);
          // The restarted server answers with what the store holds, CRLs included.
          for (const each of groups) {
            const users = await api(a.origin, credentials, `${V1}/groups/${each}/databaseUsers?itemsPerPage=500`);
            assert.equal(users.status, 200, users.text);
            const listed = new Set(
              users.json().results.map((user: { username: string }) => `${each}/${user.username}`),
            );
            assert.deepEqual(
              [...stored.users].filter((user) => user.startsWith(`${each}/`)).sort(),
              [...listed].sort(),
            );
            const inventory = await api(
              a.origin,
              credentials,
              `${V1}/groups/${each}/userSecurity/managedX509/certs?itemsPerPage=500`,
            );
            assert.equal(inventory.status, 200, inventory.text);
            const statuses = new Map(
              inventory
                .json()
                .results.map((entry: { _id: number | bigint; status: string }) => [BigInt(entry._id), entry.status]),
            );
            for (const write of acknowledged.filter((entry) => entry.groupId === each && entry.kind !== 'user')) {
              const status = statuses.get(write.serial!);
              if (write.kind === 'revocation') assert.equal(status, 'revoked', `${write.serial}`);
              else assert.ok(status, `${write.serial} in the inventory`);
            }
            const [crl, ca] = await Promise.all(
              ['crl.pem', 'ca'].map((file) =>
                api(a.origin, credentials, `${V1}/groups/${each}/userSecurity/managedX509/${file}`),
              ),
            );
            assert.equal(crl!.status, 200, crl!.text);
            assert.equal(ca!.status, 200, ca!.text);
            await assertCrlLists(
              crl!.text,
              ca!.text,
              revokedIn(stored, each),
              sampleCertificates(stored, acknowledged, each),
              scratch.write,
            );
          }
        });
      });
    }

    test('over the rounds: requests were cut off in flight, and every kind of write was answered', () => {
      assert.ok(ledger.cutOff > 0, 'some requests were in flight when a server died');
      const kinds = new Set(ledger.acknowledged().map((write: Write) => write.kind));
      assert.deepEqual([...kinds].sort(), ['certificate', 'revocation', 'user']);
    });

    test('every stored certificate verifies against its project CA (openssl verify -purpose sslclient)', async () => {
      const store = await served.open();
      const stored = await readStoredWrites(store).finally(() => store.close());
      for (const groupId of groups) {
        const ca = await api(a.origin, credentials, `${V1}/groups/${groupId}/userSecurity/managedX509/ca`);
        assert.equal(ca.status, 200, ca.text);
        const caFile = scratch.write(ca.text, 'ca.pem');
        const files = [...stored.certificates.values()]
          .filter((certificate) => certificate.groupId === groupId)
          .map((certificate) => scratch.write(new X509Certificate(certificate.der).toString(), 'certificate.pem'));
        assert.ok(files.length > 0);
        for (let start = 0; start < files.length; start += 50) {
          const batch = files.slice(start, start + 50);
          const { stdout } = await run('openssl', ['verify', '-CAfile', caFile, '-purpose', 'sslclient', ...batch], {
            encoding: 'utf8',
          });
          assert.equal(stdout, batch.map((file) => `${file}: OK\n`).join(''));
        }
      }
    });

    test('the servers serve on: ready, and a new burst of writes all succeeds', async () => {
      for (const instance of [a, ...(b ? [b] : [])]) {
        const ready = await plainGet(`${instance.origin}/readyz`);
        assert.equal(ready.status, 200);
      }
      let answered = 0;
      await Promise.all(
        Array.from({ length: 4 }, (_, index) =>
          writeWorker({
            origin: () => survivor().origin,
            credentials,
            groupId: groups.at(-1)!,
            name: `after${index}`,
            ledger,
            stop: () => answered >= 20,
            onAcknowledged: () => answered++,
          }),
        ),
      );
      assert.deepEqual(ledger.unexpected, []);
      assert.ok(answered >= 20);
    });
  },
);
