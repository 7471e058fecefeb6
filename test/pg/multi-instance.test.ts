import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { TEST_BACKEND } from '../helpers/backend.js';
import { authorizationHeader, parseChallenge } from '../helpers/digest-client.js';
import {
  api,
  certificateOf,
  type Credentials,
  Deployment,
  type Instance,
  managedUser,
  parseMetrics,
  plainGet,
  sampleValue,
  timedFetch,
  UNAUTHORIZED_TEXT,
  V1,
} from './instances.js';

/**
 * Several `dbcerts serve` processes on one PostgreSQL database: what they share through
 * the store (Digest nonces and their replay records, the one CA of a project, serial
 * uniqueness, migrations), and what each reports on /healthz, /readyz and /metrics.
 */

const run = promisify(execFile);
const skip = TEST_BACKEND !== 'postgres' ? 'PostgreSQL only (DBCERTS_TEST_BACKEND=postgres)' : false;

describe('two instances on one database', { skip, timeout: 120_000 }, () => {
  let deployment: Deployment;
  let credentials: Credentials;
  let a: Instance;
  let b: Instance;
  const POOL_A = 8;
  const POOL_B = 6;

  before(async () => {
    deployment = await Deployment.create();
    credentials = await deployment.bootstrap();
    [a, b] = await Promise.all([
      deployment.start({ env: { DBCERTS_DB_POOL_SIZE: String(POOL_A) } }),
      deployment.start({ env: { DBCERTS_DB_POOL_SIZE: String(POOL_B) } }),
    ]);
  });

  after(() => deployment?.close());

  const usersPath = () => `${V1}/groups/${credentials.groupId}/databaseUsers`;

  test('a Digest nonce obtained from instance A is accepted by instance B, and the other way round', async () => {
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      const path = usersPath();
      const probe = await timedFetch(from.origin + path);
      await probe.arrayBuffer();
      assert.equal(probe.status, 401);
      const challenge = parseChallenge(probe.headers.get('www-authenticate'));
      const authorization = authorizationHeader({
        username: credentials.publicKey,
        password: credentials.privateKey,
        method: 'GET',
        uri: path,
        challenge,
      });
      const response = await timedFetch(to.origin + path, { headers: { authorization } });
      const text = await response.text();
      assert.equal(response.status, 200, text);
      assert.equal(JSON.parse(text).totalCount, 0);
    }
  });

  test('a request made on A and replayed on B (same nonce, cnonce, nc) is refused with 401', async () => {
    const path = usersPath();
    const probe = await timedFetch(a.origin + path);
    await probe.arrayBuffer();
    const challenge = parseChallenge(probe.headers.get('www-authenticate'));
    const authorization = authorizationHeader({
      username: credentials.publicKey,
      password: credentials.privateKey,
      method: 'GET',
      uri: path,
      challenge,
      nc: 1,
      cnonce: 'replayed-cnonce',
    });
    const replaysBefore = sampleValue(
      parseMetrics((await plainGet(`${b.origin}/metrics`)).text),
      'dbcerts_digest_failures_total',
      { reason: 'replayed' },
    );

    const first = await timedFetch(a.origin + path, { headers: { authorization } });
    await first.arrayBuffer();
    assert.equal(first.status, 200);

    const replay = await timedFetch(b.origin + path, { headers: { authorization } });
    assert.equal(replay.status, 401);
    assert.equal(await replay.text(), UNAUTHORIZED_TEXT);
    const fresh = parseChallenge(replay.headers.get('www-authenticate'));
    assert.equal(fresh.realm, challenge.realm);
    assert.notEqual(fresh.nonce, challenge.nonce);
    assert.equal(fresh.stale, 'false', 'a replay is not a stale nonce');

    const again = await timedFetch(a.origin + path, { headers: { authorization } });
    await again.arrayBuffer();
    assert.equal(again.status, 401, 'nor is it accepted again on A');

    const replaysAfter = sampleValue(
      parseMetrics((await plainGet(`${b.origin}/metrics`)).text),
      'dbcerts_digest_failures_total',
      { reason: 'replayed' },
    );
    assert.equal(replaysAfter - replaysBefore, 1, 'B counted the replay');
  });

  describe('2 × 50 concurrent certificate issuances on a fresh project', () => {
    let groupId: string;
    const username = 'burst-user';
    const issued: Array<{ serial: bigint; pem: string; instance: 'A' | 'B' }> = [];
    let metricsBefore: { a: string; b: string };

    before(async () => {
      const project = await api(a.origin, credentials, `${V1}/groups`, {
        method: 'POST',
        body: { name: 'burst-project', orgId: credentials.orgId },
      });
      assert.equal(project.status, 200, project.text);
      groupId = project.json().id;
      const user = await api(b.origin, credentials, `${V1}/groups/${groupId}/databaseUsers`, {
        method: 'POST',
        body: managedUser(groupId, username),
      });
      assert.equal(user.status, 201, user.text);
      assert.equal(
        (
          await deployment.query(`select count(*)::int as n from certificate_authorities where project_id = $1`, [
            groupId,
          ])
        )[0]!.n,
        0,
        'no CA before the first certificate',
      );
      metricsBefore = {
        a: (await plainGet(`${a.origin}/metrics`)).text,
        b: (await plainGet(`${b.origin}/metrics`)).text,
      };

      const path = `${V1}/groups/${groupId}/databaseUsers/${username}/certs`;
      const issue = async (instance: Instance, name: 'A' | 'B') => {
        const response = await api(instance.origin, credentials, path, {
          method: 'POST',
          body: { monthsUntilExpiration: 3 },
          timeoutMs: 30_000,
        });
        assert.equal(response.status, 201, `${name}: ${response.text}`);
        issued.push({ ...certificateOf(response.text), instance: name });
      };
      await Promise.all([
        ...Array.from({ length: 50 }, () => issue(a, 'A')),
        ...Array.from({ length: 50 }, () => issue(b, 'B')),
      ]);
    });

    test('every one of the 100 requests got a certificate with a distinct serial', () => {
      assert.equal(issued.length, 100);
      assert.equal(issued.filter((entry) => entry.instance === 'A').length, 50);
      assert.equal(new Set(issued.map((entry) => entry.serial)).size, 100);
    });

    test('the project has exactly one CA: in the API (from either instance) and in the table', async () => {
      for (const instance of [a, b]) {
        const response = await api(
          instance.origin,
          credentials,
          `${V1}/groups/${groupId}/userSecurity/managedX509/cas`,
        );
        assert.equal(response.status, 200, response.text);
        const body = response.json();
        assert.equal(body.totalCount, 1);
        assert.equal(body.results.length, 1);
        assert.equal(body.results[0].status, 'ACTIVE');
      }
      const rows = await deployment.query<{ id: string; retired_at: string | null }>(
        `select id, retired_at from certificate_authorities where project_id = $1`,
        [groupId],
      );
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.retired_at, null);
      const caIds = await deployment.query<{ ca_id: string }>(
        `select distinct ca_id from certificates where project_id = $1`,
        [groupId],
      );
      assert.deepEqual(
        caIds.map((row) => row.ca_id),
        [rows[0]!.id],
        'every certificate was signed by that CA',
      );
    });

    test('GET …/certs lists all 100 (totalCount 100 on every page), from both instances', async () => {
      const expected = issued.map((entry) => entry.serial).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      for (const instance of [a, b]) {
        const listed: bigint[] = [];
        const sizes: number[] = [];
        for (let pageNum = 1; pageNum <= 4; pageNum++) {
          const response = await api(
            instance.origin,
            credentials,
            `${V1}/groups/${groupId}/databaseUsers/${username}/certs?itemsPerPage=30&pageNum=${pageNum}`,
          );
          assert.equal(response.status, 200, response.text);
          const body = response.json();
          assert.equal(body.totalCount, 100);
          sizes.push(body.results.length);
          for (const result of body.results) {
            assert.equal(result.groupId, groupId);
            assert.equal(result.subject, `CN=${username}`);
            listed.push(BigInt(result._id));
          }
        }
        assert.deepEqual(sizes, [30, 30, 30, 10]);
        assert.equal(new Set(listed).size, 100, 'no serial on two pages');
        assert.deepEqual(
          listed.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)),
          expected,
        );
      }
    });

    test('all 100 verify with openssl against the project CA, for client authentication', async () => {
      const caResponse = await api(a.origin, credentials, `${V1}/groups/${groupId}/userSecurity/managedX509/ca`);
      assert.equal(caResponse.status, 200);
      const caFromB = await api(b.origin, credentials, `${V1}/groups/${groupId}/userSecurity/managedX509/ca`);
      assert.equal(caFromB.text, caResponse.text, 'both instances serve the same CA');
      const dir = join(deployment.scratch, 'verify');
      mkdirSync(dir, { recursive: true });
      const caFile = join(dir, 'ca.pem');
      writeFileSync(caFile, caResponse.text);
      const files = issued.map((entry, index) => {
        const file = join(dir, `cert-${index}.pem`);
        writeFileSync(file, entry.pem);
        return file;
      });
      for (let start = 0; start < files.length; start += 50) {
        const batch = files.slice(start, start + 50);
        const { stdout } = await run('openssl', ['verify', '-CAfile', caFile, '-purpose', 'sslclient', ...batch], {
          encoding: 'utf8',
        });
        assert.equal(stdout, batch.map((file) => `${file}: OK\n`).join(''));
      }
      const issuer = new X509Certificate(caResponse.text).subject;
      for (const entry of issued) assert.equal(new X509Certificate(entry.pem).issuer, issuer);
    });

    test('/metrics: each instance counted its own 50 POSTs under the route pattern', async () => {
      const route = '/api/atlas/v1.0/groups/:groupId/databaseUsers/:username/certs';
      for (const [instance, before] of [
        [a, metricsBefore.a],
        [b, metricsBefore.b],
      ] as const) {
        const previous = parseMetrics(before);
        const now = parseMetrics((await plainGet(`${instance.origin}/metrics`)).text);
        const count = (samples: typeof now, status: string) =>
          sampleValue(samples, 'dbcerts_http_request_duration_seconds_count', { method: 'POST', route, status });
        assert.equal(count(now, '201') - count(previous, '201'), 50);
        assert.equal(count(now, '401') - count(previous, '401'), 50, 'and the 50 challenges before them');
        const infinity = sampleValue(now, 'dbcerts_http_request_duration_seconds_bucket', {
          method: 'POST',
          route,
          status: '201',
          le: '+Inf',
        });
        assert.equal(infinity, count(now, '201'));
        assert.ok(
          sampleValue(now, 'dbcerts_http_request_duration_seconds_sum', { method: 'POST', route, status: '201' }) > 0,
        );
      }
    });
  });

  describe('health, readiness and metrics', () => {
    test('/healthz and /readyz answer 200 {"status":"OK"} (JSON) on both instances', async () => {
      for (const instance of [a, b]) {
        for (const path of ['/healthz', '/readyz']) {
          const response = await plainGet(instance.origin + path);
          assert.equal(response.status, 200, `${path}: ${response.text}`);
          assert.equal(response.text, '{"status":"OK"}');
          assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
        }
      }
    });

    test('/metrics is Prometheus text with the pool gauge by state, at each instance’s pool size', async () => {
      for (const [instance, size] of [
        [a, POOL_A],
        [b, POOL_B],
      ] as const) {
        const response = await plainGet(`${instance.origin}/metrics`);
        assert.equal(response.status, 200);
        assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
        assert.match(response.text, /^# HELP dbcerts_db_pool_connections /m);
        assert.match(response.text, /^# TYPE dbcerts_db_pool_connections gauge$/m);
        assert.match(response.text, /^# TYPE dbcerts_http_request_duration_seconds histogram$/m);
        const samples = parseMetrics(response.text);
        const pool = samples.filter((sample) => sample.name === 'dbcerts_db_pool_connections');
        assert.deepEqual(pool.map((sample) => sample.labels.state).sort(), ['idle', 'max', 'total', 'waiting']);
        const state = (name: string) => sampleValue(samples, 'dbcerts_db_pool_connections', { state: name });
        assert.equal(state('max'), size);
        assert.ok(state('total') >= 1 && state('total') <= size, `total ${state('total')}`);
        assert.ok(state('idle') >= 0 && state('idle') <= state('total'), `idle ${state('idle')}`);
        assert.equal(state('waiting'), 0);
      }
    });

    test('the request histogram labels routes by pattern, and unmatched paths as "unmatched"', async () => {
      const samplesOf = async () => parseMetrics((await plainGet(`${a.origin}/metrics`)).text);
      const before = await samplesOf();
      const notFound = await plainGet(`${a.origin}/no/such/path`);
      assert.equal(notFound.status, 404);
      const listed = await api(a.origin, credentials, `${V1}/groups/${credentials.groupId}/databaseUsers?pageNum=1`);
      assert.equal(listed.status, 200);
      const after = await samplesOf();
      const count = (samples: typeof after, labels: Record<string, string>) =>
        sampleValue(samples, 'dbcerts_http_request_duration_seconds_count', labels);
      const unmatched = { method: 'GET', route: 'unmatched', status: '404' };
      assert.equal(count(after, unmatched) - count(before, unmatched), 1);
      const users = { method: 'GET', route: '/api/atlas/v1.0/groups/:groupId/databaseUsers', status: '200' };
      assert.equal(count(after, users) - count(before, users), 1);
      assert.ok(
        !after.some((sample) => sample.labels.route?.includes(credentials.groupId)),
        'no label holds a concrete id',
      );
    });

    test('the certificates gauge matches the store on every instance, revocations included', async () => {
      const user = await api(b.origin, credentials, `${V1}/groups/${credentials.groupId}/databaseUsers`, {
        method: 'POST',
        body: managedUser(credentials.groupId, 'gauge-user'),
      });
      assert.equal(user.status, 201, user.text);
      const certsPath = `${V1}/groups/${credentials.groupId}/databaseUsers/gauge-user/certs`;
      const serials: bigint[] = [];
      for (let index = 0; index < 3; index++) {
        const response = await api(a.origin, credentials, certsPath, { method: 'POST', body: {} });
        assert.equal(response.status, 201, response.text);
        serials.push(certificateOf(response.text).serial);
      }
      const revoked = await api(
        b.origin,
        credentials,
        `${V1}/groups/${credentials.groupId}/userSecurity/managedX509/certs/${serials[0]}/revoke`,
        { method: 'POST', body: { reason: 'superseded' } },
      );
      assert.equal(revoked.status, 200, revoked.text);

      const [counts] = await deployment.query<{ issued: number; revoked: number }>(
        `select count(*)::int as issued, count(revoked_at)::int as revoked from certificates`,
      );
      assert.ok(counts!.issued >= 103, `issued ${counts!.issued}`);
      assert.equal(counts!.revoked, 1);
      for (const instance of [a, b]) {
        const samples = parseMetrics((await plainGet(`${instance.origin}/metrics`)).text);
        assert.equal(sampleValue(samples, 'dbcerts_certificates', { state: 'issued' }), counts!.issued);
        assert.equal(sampleValue(samples, 'dbcerts_certificates', { state: 'revoked' }), counts!.revoked);
      }
    });
  });

  describe('three instances started at the same moment on an empty database', () => {
    let empty: Deployment;
    let trio: Instance[];

    before(async () => {
      empty = await Deployment.create();
    });
    after(() => empty?.close());

    test('all three become ready', async () => {
      trio = await Promise.all([empty.start(), empty.start(), empty.start()]);
      for (const instance of trio) {
        const response = await plainGet(`${instance.origin}/readyz`);
        assert.equal(response.status, 200);
      }
    });

    test('the migration table holds each migration once, the same ones as a single start, and the schemas agree', async () => {
      const names = (await empty.query<{ name: string }>(`select name from kysely_migration order by name`)).map(
        (row) => row.name,
      );
      const reference = (
        await deployment.query<{ name: string }>(`select name from kysely_migration order by name`)
      ).map((row) => row.name);
      assert.ok(names.length > 0);
      assert.equal(new Set(names).size, names.length);
      assert.deepEqual(names, reference);
      const columns = `select table_name, column_name, data_type, is_nullable from information_schema.columns
        where table_schema = 'public' order by table_name, column_name`;
      assert.deepEqual(await empty.query(columns), await deployment.query(columns));
      const indexes = `select indexname, indexdef from pg_indexes where schemaname = 'public' order by indexname`;
      assert.deepEqual(await empty.query(indexes), await deployment.query(indexes));
    });

    test('they bootstrapped one organization and project, and every instance’s key works on every instance', async () => {
      assert.deepEqual(await empty.query(`select count(*)::int as n from organizations`), [{ n: 1 }]);
      assert.deepEqual(await empty.query(`select count(*)::int as n from projects`), [{ n: 1 }]);
      assert.deepEqual(await empty.query(`select count(*)::int as n from settings where name = 'bootstrap'`), [
        { n: 1 },
      ]);
      const keys = trio.map(
        (instance) => JSON.parse(readFileSync(join(instance.dataDir, 'credentials.json'), 'utf8')) as Credentials,
      );
      assert.equal(new Set(keys.map((key) => key.groupId)).size, 1);
      for (const key of keys) {
        for (const instance of trio) {
          const response = await api(instance.origin, key, `${V1}/groups/${key.groupId}`);
          assert.equal(response.status, 200, response.text);
        }
      }
    });
  });
});
