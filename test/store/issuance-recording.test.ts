import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import type { UserCertificate } from '../../src/domain/certificate.js';
import type { AuditEvent } from '../../src/domain/events.js';
import { newObjectId } from '../../src/domain/ids.js';
import { isUniqueViolation } from '../../src/store/database.js';
import type { Database } from '../../src/store/schema.js';
import { Repositories } from '../../src/store/store.js';
import { TEST_BACKEND } from '../helpers/backend.js';
import {
  certsPath,
  createManagedUser,
  startTestServer,
  storedDatabaseUser,
  type TestServer,
  V1,
} from '../helpers/server.js';

/**
 * An issued certificate is recorded with its audit event in one step (one statement on
 * PostgreSQL), and only while its user is live: never a certificate without its event,
 * never one for a user deleted or expired meanwhile, never one that a deletion racing it
 * leaves unrevoked.
 */

const skipUnlessPostgres = TEST_BACKEND !== 'postgres' ? 'PostgreSQL only (row locks)' : false;

describe(`recording an issued certificate (${TEST_BACKEND})`, () => {
  let server: TestServer;
  let template: UserCertificate;
  let nextSerial = 7_000_000_000_000_000_000n;

  before(async () => {
    server = await startTestServer();
    await createManagedUser(server, 'template');
    const issued = await server.client.post(certsPath(server, 'template'), { monthsUntilExpiration: 1 });
    assert.equal(issued.status, 201, issued.text);
    [template] = (await server.store.certificates.listInventory(
      { groupId: server.credentials.groupId, now: server.clock.now(), order: 'created' },
      0,
      1,
    )) as [UserCertificate];
  });

  after(() => server?.close());

  /** Creates an Atlas-managed X.509 user through the API; answers its stored id. */
  async function managedUserId(username: string): Promise<string> {
    await createManagedUser(server, username);
    const row = await storedDatabaseUser(server.store, server.credentials.groupId, '$external', username);
    assert.ok(row, `user ${username} is stored`);
    return row.id;
  }

  function certificateFor(holderId: string, serial = nextSerial++): UserCertificate {
    return { ...template, serial, userId: holderId };
  }

  function eventFor(certificate: UserCertificate): AuditEvent {
    const createdAt = server.clock.now();
    return {
      id: newObjectId(createdAt),
      eventTypeName: 'MONGODB_USER_X509_CERT_CREATED',
      orgId: server.credentials.orgId,
      groupId: server.credentials.groupId,
      createdAt,
      target: { targetUsername: 'somebody', database: '$external', serial: certificate.serial },
      outcome: 'SUCCESS',
    };
  }

  async function stored(serial: bigint) {
    const certificate = await server.store.certificates.find(serial);
    const events = await server.store.db
      .selectFrom('events')
      .select('id')
      .where('event_type_name', '=', 'MONGODB_USER_X509_CERT_CREATED')
      .where('target', 'like', `%"serial":"${serial}"%`)
      .execute();
    return { certificate, events: events.length };
  }

  const deleteUser = (username: string) =>
    server.client.delete(
      `${V1}/groups/${server.credentials.groupId}/databaseUsers/%24external/${encodeURIComponent(username)}`,
    );

  test('a live user: the certificate and its event, both', async () => {
    const certificate = certificateFor(await managedUserId('live'));
    assert.equal(
      await server.store.recordIssuedCertificate(certificate, eventFor(certificate), server.clock.now()),
      'recorded',
    );
    const { certificate: found, events } = await stored(certificate.serial);
    assert.equal(found?.serial, certificate.serial);
    assert.equal(found?.userId, certificate.userId);
    assert.deepEqual(Buffer.from(found!.der), Buffer.from(certificate.der));
    assert.equal(events, 1);
  });

  test('a deleted user: neither, and the answer says so', async () => {
    const holderId = await managedUserId('gone');
    assert.equal((await deleteUser('gone')).status, 204);
    const certificate = certificateFor(holderId);
    assert.equal(
      await server.store.recordIssuedCertificate(certificate, eventFor(certificate), server.clock.now()),
      'user-gone',
    );
    assert.deepEqual(await stored(certificate.serial), { certificate: undefined, events: 0 });
  });

  test('a temporary user past its deleteAfterDate: neither', async () => {
    const holderId = await managedUserId('temporary');
    const deleteAfter = new Date(server.clock.now().getTime() + 60_000);
    await server.store.db
      .updateTable('database_users')
      .set({ delete_after: deleteAfter.toISOString() })
      .where('id', '=', holderId)
      .execute();
    const before = certificateFor(holderId);
    const justBefore = new Date(deleteAfter.getTime() - 1);
    assert.equal(await server.store.recordIssuedCertificate(before, eventFor(before), justBefore), 'recorded');
    const after = certificateFor(holderId);
    assert.equal(await server.store.recordIssuedCertificate(after, eventFor(after), deleteAfter), 'user-gone');
    assert.deepEqual(await stored(after.serial), { certificate: undefined, events: 0 });
  });

  test('a serial already taken: said so, the first certificate kept, and no second event', async () => {
    const first = certificateFor(await managedUserId('twice'));
    assert.equal(await server.store.recordIssuedCertificate(first, eventFor(first), server.clock.now()), 'recorded');
    const twin = { ...first, createdAt: new Date(first.createdAt.getTime() + 1000) };
    assert.equal(await server.store.recordIssuedCertificate(twin, eventFor(twin), server.clock.now()), 'serial-taken');
    const { certificate, events } = await stored(first.serial);
    assert.equal(certificate?.createdAt.getTime(), first.createdAt.getTime());
    assert.equal(events, 1);
  });

  test('issuances of one turn: each answered on its own, a serial drawn twice in the turn goes in once', async () => {
    const live = await managedUserId('batched');
    const gone = await managedUserId('batched-gone');
    assert.equal((await deleteUser('batched-gone')).status, 204);
    const taken = certificateFor(live);
    assert.equal(await server.store.recordIssuedCertificate(taken, eventFor(taken), server.clock.now()), 'recorded');
    const first = certificateFor(live);
    const forGone = certificateFor(gone);
    const sameSerial = { ...certificateFor(live, first.serial), subject: 'CN=twin' };
    const again = { ...certificateFor(live, taken.serial), subject: 'CN=again' };
    const last = certificateFor(live);
    const now = server.clock.now();
    const outcomes = await Promise.all(
      [first, forGone, sameSerial, again, last].map((certificate) =>
        server.store.recordIssuedCertificate(certificate, eventFor(certificate), now),
      ),
    );
    assert.deepEqual(outcomes, ['recorded', 'user-gone', 'serial-taken', 'serial-taken', 'recorded']);
    for (const certificate of [first, last, taken]) {
      const { certificate: found, events } = await stored(certificate.serial);
      assert.equal(found?.subject, certificate.subject);
      assert.equal(events, 1);
    }
    assert.deepEqual(await stored(forGone.serial), { certificate: undefined, events: 0 });
  });

  test('subjects and events with quotes, backslashes, commas, braces, NULL and non-ASCII text arrive intact', async () => {
    const holderId = await managedUserId('awkward');
    const subjects = ['CN=a\\,b\\"c\\\\d', 'CN={x,y} "NULL"', 'NULL', 'CN=ünï ✓ 𝄞', "CN=it's \\+ ; = <tag>"];
    const certificates = subjects.map((subject) => ({ ...certificateFor(holderId), subject }));
    const outcomes = await Promise.all(
      certificates.map((certificate) => {
        const event = eventFor(certificate);
        event.target = { ...event.target, targetUsername: certificate.subject };
        return server.store.recordIssuedCertificate(certificate, event, server.clock.now());
      }),
    );
    assert.deepEqual(
      outcomes,
      subjects.map(() => 'recorded'),
    );
    for (const certificate of certificates) {
      const found = await server.store.certificates.find(certificate.serial);
      assert.equal(found?.subject, certificate.subject);
      const events = await server.store.db
        .selectFrom('events')
        .select('target')
        .where('target', 'like', `%"serial":"${certificate.serial}"%`)
        .execute();
      assert.equal(events.length, 1);
      assert.equal((JSON.parse(events[0]!.target) as { targetUsername: string }).targetUsername, certificate.subject);
    }
  });

  /**
   * Another transaction that locks the user's row (`for update`, as a deletion does, or
   * `for share`, as an issuance does), then waits until `release` to do `then` and commit.
   */
  async function holdUserRow(
    holderId: string,
    mode: 'update' | 'share',
    then: (trx: Kysely<Database>) => Promise<unknown>,
  ) {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const holding = new Promise<void>((resolve) => (locked = resolve));
    const committed = server.store.db.transaction().execute(async (trx) => {
      await sql`select id from database_users where id = ${holderId} for ${sql.raw(mode)}`.execute(trx);
      locked();
      await released;
      await then(trx);
    });
    await holding;
    return { release, committed };
  }

  /** Whether `work` is still waiting after 300 ms. */
  async function waits(work: Promise<unknown>): Promise<boolean> {
    let settled = false;
    void work.finally(() => (settled = true)).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    return !settled;
  }

  test(
    'while a deletion holds the user, an issuance waits for it and then finds no user',
    { skip: skipUnlessPostgres },
    async () => {
      const holderId = await managedUserId('deleting');
      const certificate = certificateFor(holderId);
      const deletion = await holdUserRow(holderId, 'update', (trx) =>
        trx.deleteFrom('database_users').where('id', '=', holderId).execute(),
      );
      const recording = server.store.recordIssuedCertificate(certificate, eventFor(certificate), server.clock.now());
      assert.equal(await waits(recording), true, 'the issuance waits for the deletion');
      deletion.release();
      await deletion.committed;
      assert.equal(await recording, 'user-gone');
      assert.deepEqual(await stored(certificate.serial), { certificate: undefined, events: 0 });
    },
  );

  test(
    'a deletion that starts while an issuance holds the user waits for it and revokes its certificate',
    { skip: skipUnlessPostgres },
    async () => {
      const holderId = await managedUserId('issuing');
      const certificate = certificateFor(holderId);
      // What the issuance statement holds between reading the user and its commit.
      const issuance = await holdUserRow(holderId, 'share', (trx) =>
        new Repositories(trx, 'postgres').certificates.insert(certificate),
      );
      const deletion = deleteUser('issuing');
      assert.equal(await waits(deletion), true, 'the deletion waits for the issuance');
      issuance.release();
      await issuance.committed;
      assert.equal((await deletion).status, 204);
      const revoked = await server.store.certificates.find(certificate.serial);
      assert.ok(revoked?.revokedAt, 'the certificate issued meanwhile is revoked with its user');
    },
  );
});
