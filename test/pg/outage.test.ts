import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { TEST_BACKEND } from '../helpers/backend.js';
import type { ApiResponse } from '../helpers/digest-client.js';
import {
  adminQuery,
  api,
  certificateOf,
  type Credentials,
  Deployment,
  type Instance,
  managedUser,
  plainGet,
  SERVICE_UNAVAILABLE,
  V1,
} from './instances.js';

/**
 * PostgreSQL going away under load, without stopping the shared cluster: first its
 * connections are terminated again and again, then connections are refused outright
 * (CONNECT revoked from the instances' role) and granted back. Throughout, every answer
 * is a success or Atlas' 503 with Retry-After — never a 500, never a hang — /readyz
 * says 503 while the database refuses, and service resumes by itself afterwards with
 * nothing lost that was answered 2xx.
 */

const skip = TEST_BACKEND !== 'postgres' ? 'PostgreSQL only (DBCERTS_TEST_BACKEND=postgres)' : false;

const FLAPPING_MS = 2_000;
const WORKERS = 6;

describe('PostgreSQL connections lost under load', { skip, timeout: 120_000 }, () => {
  let deployment: Deployment;
  let credentials: Credentials;
  let server: Instance;
  const createdUsers: string[] = [];
  const issued: Array<{ username: string; serial: bigint }> = [];
  /** Answers that are neither a success nor Atlas' 503 (or no answer at all). */
  const violations: string[] = [];
  const statuses = new Map<number, number>();

  const usersPath = () => `${V1}/groups/${credentials.groupId}/databaseUsers`;
  const certsPath = (username: string) => `${usersPath()}/${username}/certs`;

  function checkUnavailable(response: ApiResponse, what: string): void {
    try {
      assert.deepEqual(response.json(), SERVICE_UNAVAILABLE);
      assert.equal(response.headers.get('retry-after'), '5');
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    } catch {
      violations.push(`${what}: 503 ${JSON.stringify(Object.fromEntries(response.headers))} ${response.text}`);
    }
  }

  /** One request of the load; records what it got. */
  async function attempt(
    what: string,
    send: () => Promise<ApiResponse>,
    success: number,
  ): Promise<ApiResponse | undefined> {
    let response: ApiResponse;
    try {
      response = await send();
    } catch (error) {
      violations.push(`${what}: ${(error as Error).name} ${(error as Error).message}`);
      return undefined;
    }
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    if (response.status === 503) checkUnavailable(response, what);
    else if (response.status !== success) violations.push(`${what}: ${response.status} ${response.text}`);
    return response;
  }

  async function worker(name: string, running: () => boolean): Promise<void> {
    for (let round = 0; running(); round++) {
      const username = `${name}-${round}`;
      const user = await attempt(
        `POST user ${username}`,
        () =>
          api(server.origin, credentials, usersPath(), {
            method: 'POST',
            body: managedUser(credentials.groupId, username),
          }),
        201,
      );
      if (user?.status === 201) {
        createdUsers.push(username);
        const cert = await attempt(
          `POST cert ${username}`,
          () => api(server.origin, credentials, certsPath(username), { method: 'POST', body: {} }),
          201,
        );
        if (cert?.status === 201) issued.push({ username, serial: certificateOf(cert.text).serial });
      }
      await attempt(`GET users`, () => api(server.origin, credentials, `${usersPath()}?itemsPerPage=5`), 200);
    }
  }

  /** Terminates the instances' connections to the deployment's database; how many. */
  async function terminateConnections(): Promise<number> {
    const rows = await adminQuery<{ terminated: number }>(
      `select count(*)::int as terminated from (select pg_terminate_backend(pid) from pg_stat_activity
         where datname = $1 and usename = $2 and pid <> pg_backend_pid()) as t`,
      [deployment.databaseName, deployment.role],
    );
    return rows[0]!.terminated;
  }

  const SERVER_ENV = {
    DBCERTS_DB_POOL_SIZE: '5',
    DBCERTS_DB_CONNECT_TIMEOUT_MS: '2000',
    DBCERTS_DB_STATEMENT_TIMEOUT_MS: '10000',
  };

  /**
   * A server process, started again if an earlier test brought it down (that test fails
   * on its own; the later phases still test what they are about).
   */
  async function ensureServer(): Promise<void> {
    if (!server.alive()) server = await deployment.start({ env: SERVER_ENV });
  }

  before(async () => {
    deployment = await Deployment.create({ ownRole: true });
    credentials = await deployment.bootstrap();
    server = await deployment.start({ env: SERVER_ENV });
  });

  after(async () => {
    if (deployment) await adminQuery(`grant connect on database ${deployment.databaseName} to public`).catch(() => {});
    await deployment?.close();
  });

  test('while its connections are terminated again and again, every answer is a success or 503 + Retry-After', async (t) => {
    let terminating = true;
    const load = Array.from({ length: WORKERS }, (_, index) => worker(`w${index}`, () => terminating));
    let terminated = 0;
    const deadline = Date.now() + FLAPPING_MS;
    while (Date.now() < deadline) {
      terminated += await terminateConnections();
      await delay(25);
    }
    terminating = false;
    await Promise.all(load);
    t.diagnostic(`${terminated} connections terminated; answers by status: ${JSON.stringify([...statuses])}`);
    assert.ok(server.alive(), `the server process died:\n${server.stderr().slice(-4000)}`);
    assert.deepEqual(violations, []);
    assert.ok(terminated > 0, 'connections were terminated');
    assert.ok((statuses.get(503) ?? 0) > 0, `some requests met a lost connection: ${JSON.stringify([...statuses])}`);
    assert.ok(createdUsers.length > 0, `some requests succeeded: ${JSON.stringify([...statuses])}`);
  });

  describe('while the database refuses connections (CONNECT revoked, connections terminated)', () => {
    before(async () => {
      await ensureServer();
      if (createdUsers.length === 0) {
        const user = await api(server.origin, credentials, usersPath(), {
          method: 'POST',
          body: managedUser(credentials.groupId, 'before-refusal'),
        });
        assert.equal(user.status, 201, user.text);
        createdUsers.push('before-refusal');
      }
      await adminQuery(`revoke connect on database ${deployment.databaseName} from public`);
      // Until none is left: the pool may have opened one between the revoke and the terminate.
      for (let round = 0; (await terminateConnections()) > 0 || round === 0; round++) await delay(50);
      for (;;) {
        const [{ left }] = (await adminQuery<{ left: number }>(
          `select count(*)::int as left from pg_stat_activity where datname = $1 and usename = $2`,
          [deployment.databaseName, deployment.role],
        )) as [{ left: number }];
        if (left === 0) break;
        await delay(20);
      }
    });

    test('/readyz answers 503 {"status":"UNAVAILABLE"}, and /healthz still 200', async () => {
      const ready = await plainGet(`${server.origin}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal(ready.text, '{"status":"UNAVAILABLE"}');
      assert.match(ready.headers.get('content-type') ?? '', /^application\/json/);
      const healthy = await plainGet(`${server.origin}/healthz`);
      assert.equal(healthy.status, 200);
      assert.equal(healthy.text, '{"status":"OK"}');
    });

    test('reads and writes answer Atlas’ 503 with Retry-After: 5, promptly', async () => {
      const requests: Array<[string, () => Promise<ApiResponse>]> = [
        ['GET users', () => api(server.origin, credentials, usersPath())],
        [
          'POST user',
          () =>
            api(server.origin, credentials, usersPath(), {
              method: 'POST',
              body: managedUser(credentials.groupId, 'refused-user'),
            }),
        ],
        ['POST cert', () => api(server.origin, credentials, certsPath(createdUsers[0]!), { method: 'POST', body: {} })],
        ['GET project', () => api(server.origin, credentials, `${V1}/groups/${credentials.groupId}`)],
      ];
      for (const [what, send] of requests) {
        const response = await send();
        assert.equal(response.status, 503, `${what}: ${response.status} ${response.text}`);
        assert.deepEqual(response.json(), SERVICE_UNAVAILABLE);
        assert.equal(response.headers.get('retry-after'), '5');
      }
    });

    test('/metrics still answers, with the pool gauge', async () => {
      const response = await plainGet(`${server.origin}/metrics`);
      assert.equal(response.status, 200);
      assert.match(response.text, /^dbcerts_db_pool_connections\{state="max"\} 5$/m);
    });
  });

  describe('after connections are allowed again', () => {
    before(async () => {
      await adminQuery(`grant connect on database ${deployment.databaseName} to public`);
      await ensureServer();
    });

    test('/readyz returns to 200 by itself, and new writes succeed', async () => {
      const deadline = Date.now() + 15_000;
      let ready = await plainGet(`${server.origin}/readyz`);
      while (ready.status !== 200 && Date.now() < deadline) {
        await delay(100);
        ready = await plainGet(`${server.origin}/readyz`);
      }
      assert.equal(ready.status, 200);
      assert.equal(ready.text, '{"status":"OK"}');
      const user = await api(server.origin, credentials, usersPath(), {
        method: 'POST',
        body: managedUser(credentials.groupId, 'after-outage'),
      });
      assert.equal(user.status, 201, user.text);
      const cert = await api(server.origin, credentials, certsPath('after-outage'), { method: 'POST', body: {} });
      assert.equal(cert.status, 201, cert.text);
      const refused = await api(server.origin, credentials, `${usersPath()}/$external/refused-user`);
      assert.equal(refused.status, 404, 'the write refused with 503 did not happen');
    });

    test('nothing that was answered 2xx is lost', async () => {
      const list = await api(server.origin, credentials, `${usersPath()}?itemsPerPage=500`);
      assert.equal(list.status, 200);
      const listed = new Set(list.json().results.map((user: { username: string }) => user.username));
      for (const username of createdUsers) assert.ok(listed.has(username), username);
      const inventory = await api(
        server.origin,
        credentials,
        `${V1}/groups/${credentials.groupId}/userSecurity/managedX509/certs?itemsPerPage=500`,
      );
      assert.equal(inventory.status, 200);
      const serials = new Set(inventory.json().results.map((result: { _id: number | bigint }) => BigInt(result._id)));
      for (const { username, serial } of issued) assert.ok(serials.has(serial), `${username}: ${serial}`);
      for (const { username, serial } of issued.slice(0, 10)) {
        const response = await api(server.origin, credentials, certsPath(username));
        assert.equal(response.status, 200);
        assert.deepEqual(
          response.json().results.map((result: { _id: number | bigint }) => BigInt(result._id)),
          [serial],
        );
      }
    });

    test('the process logged the outage as warnings, never as an unexpected error', () => {
      const lines = `${server.stdout()}\n${server.stderr()}`
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level: number; msg: string });
      assert.ok(lines.length > 0);
      assert.deepEqual(
        lines.filter((line) => line.level >= 50),
        [],
      );
    });
  });
});
