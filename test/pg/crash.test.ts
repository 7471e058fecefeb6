import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { TEST_BACKEND } from '../helpers/backend.js';
import {
  api,
  certificateOf,
  type Credentials,
  Deployment,
  type Instance,
  managedUser,
  plainGet,
  V1,
} from './instances.js';

/**
 * An instance killed (SIGKILL) in the middle of a burst of writes: whatever it answered
 * 2xx is in the store, nothing is half-written (every change lands with its audit event,
 * in one transaction), and the other instance keeps serving.
 */

const run = promisify(execFile);
const skip = TEST_BACKEND !== 'postgres' ? 'PostgreSQL only (DBCERTS_TEST_BACKEND=postgres)' : false;

/** How many 2xx answers A gives in the burst before it is killed. */
const KILL_AFTER_SUCCESSES = 25;
const WORKERS_ON_A = 12;
const WORKERS_ON_B = 4;

interface Created {
  users: string[];
  certificates: Array<{ username: string; serial: bigint; pem: string }>;
}

describe('SIGKILL of an instance in the middle of a burst of writes', { skip, timeout: 120_000 }, () => {
  let deployment: Deployment;
  let credentials: Credentials;
  let a: Instance;
  let b: Instance;
  let groupId: string;
  const onA: Created = { users: [], certificates: [] };
  const onB: Created = { users: [], certificates: [] };
  const unexpected: string[] = [];
  let networkErrorsOnA = 0;
  /** Requests to A cut off mid-way (the connection closed), rather than refused after its death. */
  let cutOffOnA = 0;
  let killedAt = -1;

  before(async () => {
    deployment = await Deployment.create();
    credentials = await deployment.bootstrap();
    [a, b] = await Promise.all([deployment.start(), deployment.start()]);
    const project = await api(b.origin, credentials, `${V1}/groups`, {
      method: 'POST',
      body: { name: 'crash-project', orgId: credentials.orgId },
    });
    assert.equal(project.status, 200, project.text);
    groupId = project.json().id;

    let successesOnA = 0;
    let killed: Promise<unknown> | undefined;
    const succeededOnA = () => {
      successesOnA++;
      if (successesOnA === KILL_AFTER_SUCCESSES) {
        killedAt = successesOnA;
        killed = a.kill('SIGKILL');
      }
    };

    /** One worker: create a user, then a certificate for it, again and again, until its instance dies. */
    const worker = async (instance: Instance, name: string, created: Created, onSuccess: () => void) => {
      for (let round = 0; round < 200; round++) {
        if (instance === b && !a.alive() && round > 0 && created.users.length >= 20) return;
        const username = `${name}-${round}`;
        try {
          const user = await api(instance.origin, credentials, `${V1}/groups/${groupId}/databaseUsers`, {
            method: 'POST',
            body: managedUser(groupId, username),
          });
          if (user.status !== 201) unexpected.push(`${name} user ${user.status} ${user.text}`);
          if (user.status !== 201) return;
          created.users.push(username);
          onSuccess();
          const cert = await api(
            instance.origin,
            credentials,
            `${V1}/groups/${groupId}/databaseUsers/${username}/certs`,
            {
              method: 'POST',
              body: { monthsUntilExpiration: 1 },
            },
          );
          if (cert.status !== 201) unexpected.push(`${name} cert ${cert.status} ${cert.text}`);
          if (cert.status !== 201) return;
          created.certificates.push({ username, ...certificateOf(cert.text) });
          onSuccess();
        } catch (error) {
          if (instance === a && killed) {
            // Killed (perhaps not reported yet): the request was refused or cut off.
            await killed;
            networkErrorsOnA++;
            const code = ((error as Error).cause as { code?: string } | undefined)?.code;
            if (code !== 'ECONNREFUSED') cutOffOnA++;
            return;
          }
          unexpected.push(`${name}: ${(error as Error).message} ${String((error as Error).cause ?? '')}`);
          return;
        }
      }
    };
    await Promise.all([
      ...Array.from({ length: WORKERS_ON_A }, (_, index) => worker(a, `a${index}`, onA, succeededOnA)),
      ...Array.from({ length: WORKERS_ON_B }, (_, index) => worker(b, `b${index}`, onB, () => undefined)),
    ]);
    await killed;
  });

  after(() => deployment?.close());

  test('A was killed in the middle of the burst, with requests in flight; B answered every one of its requests', async () => {
    assert.equal(killedAt, KILL_AFTER_SUCCESSES);
    assert.deepEqual(await a.exited, { code: null, signal: 'SIGKILL' });
    assert.deepEqual(unexpected, []);
    assert.ok(networkErrorsOnA >= WORKERS_ON_A, 'every worker on A ended on a request that got no answer');
    assert.ok(cutOffOnA > 0, 'some requests were in flight when A died');
    assert.ok(onA.users.length + onA.certificates.length >= KILL_AFTER_SUCCESSES);
    assert.ok(onB.users.length >= 20);
  });

  test('every user A or B created (2xx) exists, on B and in the table', async () => {
    const created = [...onA.users, ...onB.users];
    const response = await api(b.origin, credentials, `${V1}/groups/${groupId}/databaseUsers?itemsPerPage=500`);
    assert.equal(response.status, 200, response.text);
    const listed = new Set(response.json().results.map((user: { username: string }) => user.username));
    const rows = await deployment.query<{ username: string }>(
      `select username from database_users where project_id = $1`,
      [groupId],
    );
    const stored = new Set(rows.map((row) => row.username));
    for (const username of created) {
      assert.ok(listed.has(username), `${username} listed`);
      assert.ok(stored.has(username), `${username} stored`);
    }
    for (const username of onA.users) {
      const one = await api(b.origin, credentials, `${V1}/groups/${groupId}/databaseUsers/$external/${username}`);
      assert.equal(one.status, 200, `${username}: ${one.text}`);
      assert.equal(one.json().x509Type, 'MANAGED');
    }
  });

  test('every certificate A or B issued (2xx) is listed, and stored as issued', async () => {
    const inventory = await api(
      b.origin,
      credentials,
      `${V1}/groups/${groupId}/userSecurity/managedX509/certs?itemsPerPage=500`,
    );
    assert.equal(inventory.status, 200, inventory.text);
    const inInventory = new Set(inventory.json().results.map((result: { _id: number | bigint }) => String(result._id)));
    const rows = await deployment.query<{ serial: string; der: Buffer }>(
      `select serial::text as serial, certificate_der as der from certificates where project_id = $1`,
      [groupId],
    );
    const stored = new Map(rows.map((row) => [row.serial, row.der]));
    for (const { serial, pem } of [...onA.certificates, ...onB.certificates]) {
      assert.ok(inInventory.has(serial.toString()), `${serial} in the inventory`);
      const der = stored.get(serial.toString());
      assert.ok(der, `certificate ${serial} stored`);
      assert.equal(new X509Certificate(der).toString(), new X509Certificate(pem).toString());
    }
    for (const { username, serial } of onA.certificates) {
      const response = await api(b.origin, credentials, `${V1}/groups/${groupId}/databaseUsers/${username}/certs`);
      assert.equal(response.status, 200, response.text);
      const listed = response.json().results.map((result: { _id: number | bigint }) => BigInt(result._id));
      assert.ok(listed.includes(serial), `${username}: ${serial} not in ${listed}`);
    }
  });

  test('nothing is half-written: no certificate without its user, no change without its event, none the other way', async () => {
    const orphanCertificates = await deployment.query(
      `select c.serial from certificates c left join database_users u on u.id = c.user_id where u.id is null`,
    );
    assert.deepEqual(orphanCertificates, []);
    const userEventsWithoutUser = await deployment.query(
      `select e.id from events e where e.event_type_name = 'MONGODB_USER_ADDED' and e.group_id = $1
         and not exists (select 1 from database_users u where u.project_id = e.group_id
                         and u.username = (e.target::json ->> 'targetUsername'))`,
      [groupId],
    );
    assert.deepEqual(userEventsWithoutUser, []);
    const usersWithoutEvent = await deployment.query(
      `select u.username from database_users u where u.project_id = $1
         and not exists (select 1 from events e where e.event_type_name = 'MONGODB_USER_ADDED'
                         and e.group_id = u.project_id and e.target::json ->> 'targetUsername' = u.username)`,
      [groupId],
    );
    assert.deepEqual(usersWithoutEvent, []);
    const certificateEventsWithoutCertificate = await deployment.query(
      `select e.id from events e where e.event_type_name = 'MONGODB_USER_X509_CERT_CREATED' and e.group_id = $1
         and not exists (select 1 from certificates c where c.serial::text = e.target::json ->> 'serial')`,
      [groupId],
    );
    assert.deepEqual(certificateEventsWithoutCertificate, []);
    const certificatesWithoutEvent = await deployment.query(
      `select c.serial from certificates c where c.project_id = $1
         and not exists (select 1 from events e where e.event_type_name = 'MONGODB_USER_X509_CERT_CREATED'
                         and e.target::json ->> 'serial' = c.serial::text)`,
      [groupId],
    );
    assert.deepEqual(certificatesWithoutEvent, []);
    const [counts] = await deployment.query<{ users: number; certificates: number }>(
      `select (select count(*)::int from database_users where project_id = $1) as users,
              (select count(*)::int from certificates where project_id = $1) as certificates`,
      [groupId],
    );
    const answered = onA.users.length + onB.users.length;
    assert.ok(counts!.users >= answered && counts!.users <= answered + WORKERS_ON_A, `users ${counts!.users}`);
  });

  test('the project has one complete CA, and every stored certificate verifies against it', async () => {
    const cas = await deployment.query<{
      id: string;
      serial: string;
      certificate_der: Buffer;
      private_key_sealed: string;
      not_before: string;
      not_after: string;
      retired_at: string | null;
    }>(`select * from certificate_authorities where project_id = $1`, [groupId]);
    assert.equal(cas.length, 1);
    const ca = cas[0]!;
    assert.equal(ca.retired_at, null);
    assert.ok(ca.private_key_sealed.length > 0);
    const caCertificate = new X509Certificate(ca.certificate_der);
    assert.equal(BigInt(`0x${caCertificate.serialNumber}`), BigInt(ca.serial));
    assert.equal(new Date(caCertificate.validFrom).toISOString(), ca.not_before);
    assert.equal(new Date(caCertificate.validTo).toISOString(), ca.not_after);
    const served = await api(b.origin, credentials, `${V1}/groups/${groupId}/userSecurity/managedX509/ca`);
    assert.equal(served.status, 200);
    assert.equal(new X509Certificate(served.text).fingerprint256, caCertificate.fingerprint256);

    const rows = await deployment.query<{ serial: string; ca_id: string; certificate_der: Buffer }>(
      `select serial, ca_id, certificate_der from certificates where project_id = $1`,
      [groupId],
    );
    assert.ok(rows.length > 0);
    const dir = join(deployment.scratch, 'verify');
    mkdirSync(dir, { recursive: true });
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, caCertificate.toString());
    const files = rows.map((row) => {
      assert.equal(row.ca_id, ca.id);
      const certificate = new X509Certificate(row.certificate_der);
      assert.equal(BigInt(`0x${certificate.serialNumber}`), BigInt(row.serial));
      const file = join(dir, `${row.serial}.pem`);
      writeFileSync(file, certificate.toString());
      return file;
    });
    for (let start = 0; start < files.length; start += 50) {
      const batch = files.slice(start, start + 50);
      const { stdout } = await run('openssl', ['verify', '-CAfile', caFile, '-purpose', 'sslclient', ...batch], {
        encoding: 'utf8',
      });
      assert.equal(stdout, batch.map((file) => `${file}: OK\n`).join(''));
    }
  });

  test('the surviving instance keeps serving: ready, and a new burst of writes all succeeds', async () => {
    const ready = await plainGet(`${b.origin}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(ready.text, '{"status":"OK"}');
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, index) => {
        const username = `after-${index}`;
        const user = await api(b.origin, credentials, `${V1}/groups/${groupId}/databaseUsers`, {
          method: 'POST',
          body: managedUser(groupId, username),
        });
        const cert = await api(b.origin, credentials, `${V1}/groups/${groupId}/databaseUsers/${username}/certs`, {
          method: 'POST',
          body: {},
        });
        return [user.status, cert.status];
      }),
    );
    assert.deepEqual(
      results,
      Array.from({ length: 20 }, () => [201, 201]),
    );
    const list = await api(b.origin, credentials, `${V1}/groups/${groupId}/databaseUsers?itemsPerPage=500`);
    assert.equal(list.status, 200);
    assert.ok(list.json().totalCount >= onA.users.length + onB.users.length + 20);
  });
});
