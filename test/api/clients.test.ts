import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import dc from 'node:diagnostics_channel';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import atlasClientModule from 'mongodb-atlas-api-client';
import { UNAUTHORIZED_BODY, usernameNotFound } from '../helpers/atlas-assert.js';
import { TestClock } from '../helpers/clock.js';
import { curlDigest } from '../helpers/curl.js';
import { jsonSerial, parseJsonExact } from '../helpers/digest-client.js';
import { startTestServer, storeSnapshot, type TestServer, V1 } from '../helpers/server.js';

/**
 * Real Atlas clients against a live dbcerts: the system curl with `--digest`, and the npm
 * package `mongodb-atlas-api-client` (which authenticates through urllib's Digest).
 */

/**
 * `import x from 'mongodb-atlas-api-client'` is, at run time, the package's
 * `module.exports`, the factory function itself (Node's ESM default interop for
 * CommonJS). Its index.d.ts, however, declares `export default function`, which
 * TypeScript under NodeNext reads as the namespace `{ default: factory }`; the cast
 * states the run-time truth (checked in the first package test).
 */
const getClient = atlasClientModule as unknown as typeof atlasClientModule.default;

let server: TestServer;
let workDir: string;
const ISSUED_AT = '2024-05-10T08:30:00.400Z';

before(async () => {
  server = await startTestServer({ clock: new TestClock(ISSUED_AT) });
  workDir = mkdtempSync(join(tmpdir(), 'dbcerts-clients-'));
});

after(async () => {
  await server.close();
  rmSync(workDir, { recursive: true, force: true });
});

const groupPath = () => `${V1}/groups/${server.credentials.groupId}`;

/** The response every read of a database user should give (the Atlas CloudDatabaseUser view). */
function userView(databaseName: string, username: string, encodedName: string, roles: object[], x509Type = 'MANAGED') {
  return {
    awsIAMType: 'NONE',
    databaseName,
    groupId: server.credentials.groupId,
    labels: [],
    ldapAuthType: 'NONE',
    links: [{ href: `${server.origin}${groupPath()}/databaseUsers/${databaseName}/${encodedName}`, rel: 'self' }],
    oidcAuthType: 'NONE',
    roles,
    scopes: [],
    username,
    x509Type,
  };
}

describe('curl --digest', () => {
  const curl = (args: string[], privateKey = server.credentials.privateKey) =>
    curlDigest({ publicKey: server.credentials.publicKey, privateKey }, args);

  let pemFile: string;
  let serial: bigint;

  test('the walk-through, step 1: curl creates myX509User on $external; its empty-body probe gets the 401', async () => {
    const body = JSON.stringify({
      databaseName: '$external',
      username: 'myX509User',
      x509Type: 'MANAGED',
      roles: [{ databaseName: 'app', roleName: 'readWrite' }],
      groupId: server.credentials.groupId,
    });
    const result = await curl([
      '--verbose',
      '-H',
      'Content-Type: application/json',
      '-d',
      body,
      `${server.origin}${groupPath()}/databaseUsers`,
    ]);
    assert.equal(result.status, 201, result.body);
    assert.deepEqual(
      JSON.parse(result.body),
      userView('$external', 'myX509User', 'myX509User', [{ databaseName: 'app', roleName: 'readWrite' }]),
    );

    // What curl put on the wire: an unauthenticated POST with Content-Length: 0, answered
    // 401 (not 400 for the missing body), then the signed POST with the body.
    const lines = result.stderr.split(/\r?\n/);
    const sent = lines.filter((line) => line.startsWith('> '));
    const received = lines.filter((line) => line.startsWith('< HTTP/'));
    const posts = sent.flatMap((line, index) => (line.startsWith('> POST ') ? [index] : []));
    assert.equal(posts.length, 2, result.stderr);
    const first = sent.slice(posts[0], posts[1]);
    const second = sent.slice(posts[1]);
    assert.ok(first.includes('> Content-Length: 0'), result.stderr);
    assert.ok(!first.some((line) => /^> authorization:/i.test(line)), result.stderr);
    assert.ok(second.includes(`> Content-Length: ${Buffer.byteLength(body)}`), result.stderr);
    assert.ok(
      second.some((line) => /^> Authorization: Digest /.test(line)),
      result.stderr,
    );
    assert.deepEqual(
      received.map((line) => line.split(' ')[2]),
      ['401', '201'],
    );
    const challenge = lines.find((line) => /^< www-authenticate:/i.test(line)) ?? '';
    assert.match(
      challenge,
      /^< www-authenticate: Digest realm="MMS Public API", domain="", nonce="[0-9a-f]+", algorithm=MD5, qop="auth", stale=false$/i,
    );
  });

  test('the walk-through, step 2: curl -d \'{"monthsUntilExpiration":6}\' writes the PEM to a file, status 201', async () => {
    pemFile = join(workDir, 'myX509User.pem');
    const result = await curl([
      '-H',
      'Content-Type: application/json',
      '-d',
      '{"monthsUntilExpiration":6}',
      '--output',
      pemFile,
      `${server.origin}${groupPath()}/databaseUsers/myX509User/certs`,
    ]);
    assert.equal(result.status, 201);
    assert.equal(result.body, '');
    const pem = readFileSync(pemFile, 'utf8');
    assert.ok(pem.startsWith('-----BEGIN CERTIFICATE-----\n'), pem);
    assert.ok(pem.includes('\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n'), pem);
    assert.ok(pem.endsWith('-----END PRIVATE KEY-----\n'), pem);
    assert.ok(!pem.includes('\r'));

    const certificate = new X509Certificate(pem);
    assert.ok(certificate.checkPrivateKey(createPrivateKey(pem)), 'the key in the file belongs to the certificate');
    assert.equal(certificate.subject, 'CN=myX509User');
    assert.equal(new Date(certificate.validFrom).toISOString(), '2024-05-10T08:30:00.000Z');
    assert.equal(new Date(certificate.validTo).toISOString(), '2024-11-10T08:30:00.000Z');
    serial = BigInt(`0x${certificate.serialNumber}`);
  });

  test('the walk-through, step 3: curl lists the certificates with ?pretty=true (Jackson layout, exact serial)', async () => {
    const result = await curl([`${server.origin}${groupPath()}/databaseUsers/myX509User/certs?pretty=true`]);
    assert.equal(result.status, 200);
    const groupId = server.credentials.groupId;
    assert.equal(
      result.body,
      `{
  "links" : [ {
    "href" : "${server.origin}${V1}/groups/${groupId}/databaseUsers/myX509User/certs?pretty=true&pageNum=1&itemsPerPage=100",
    "rel" : "self"
  } ],
  "results" : [ {
    "_id" : ${serial},
    "createdAt" : "2024-05-10T08:30:00Z",
    "groupId" : "${groupId}",
    "notAfter" : "2024-11-10T08:30:00Z",
    "subject" : "CN=myX509User"
  } ],
  "totalCount" : 1
}`,
    );
  });

  test('curl -X PATCH changes the roles; curl -X DELETE answers 204 with no body', async () => {
    const userUrl = `${server.origin}${groupPath()}/databaseUsers/$external/myX509User`;
    const roles = [
      { databaseName: 'app', roleName: 'read' },
      { collectionName: 'events', databaseName: 'audit', roleName: 'readWrite' },
    ];
    const patched = await curl([
      '-X',
      'PATCH',
      '-H',
      'Content-Type: application/json',
      '-d',
      JSON.stringify({ roles }),
      userUrl,
    ]);
    assert.equal(patched.status, 200, patched.body);
    assert.deepEqual(JSON.parse(patched.body), userView('$external', 'myX509User', 'myX509User', roles));

    const read = await curl([userUrl]);
    assert.equal(read.status, 200);
    assert.deepEqual(JSON.parse(read.body), userView('$external', 'myX509User', 'myX509User', roles));

    const deleted = await curl(['-X', 'DELETE', '--dump-header', '-', userUrl]);
    assert.equal(deleted.status, 204);
    // stdout holds the 401's headers, the 204's headers, then the (empty) body.
    const blocks = deleted.body.split('\r\n\r\n');
    assert.equal(blocks.length, 3, deleted.body);
    assert.match(blocks[0]!, /^HTTP\/1\.1 401 /);
    assert.match(blocks[1]!, /^HTTP\/1\.1 204 /);
    assert.doesNotMatch(blocks[1]!, /^content-type:/im);
    assert.equal(blocks[2], '', 'a 204 has no body');

    const gone = await curl([userUrl]);
    assert.equal(gone.status, 404);
    assert.deepEqual(JSON.parse(gone.body), usernameNotFound('myX509User'));
  });

  test('curl with a username holding spaces and a comma, percent-encoded in the path', async () => {
    const username = 'Jane Doe, Ops';
    const encoded = 'Jane%20Doe%2C%20Ops';
    const roles = [{ databaseName: 'app', roleName: 'read' }];
    const created = await curl([
      '-H',
      'Content-Type: application/json',
      '-d',
      JSON.stringify({ databaseName: '$external', username, x509Type: 'MANAGED', roles }),
      `${server.origin}${groupPath()}/databaseUsers`,
    ]);
    assert.equal(created.status, 201, created.body);
    // Entity links keep `$` and `,` readable (sub-delimiters), spaces are %20.
    assert.deepEqual(JSON.parse(created.body), userView('$external', username, 'Jane%20Doe,%20Ops', roles));

    // Both spellings of the database segment reach the same user.
    for (const database of ['$external', '%24external']) {
      const read = await curl([`${server.origin}${groupPath()}/databaseUsers/${database}/${encoded}`]);
      assert.equal(read.status, 200, `${database}: ${read.body}`);
      assert.deepEqual(JSON.parse(read.body), userView('$external', username, 'Jane%20Doe,%20Ops', roles));
    }

    const pemPath = join(workDir, 'jane.pem');
    const issued = await curl([
      '-H',
      'Content-Type: application/json',
      '-d',
      '{"monthsUntilExpiration":1}',
      '--output',
      pemPath,
      `${server.origin}${groupPath()}/databaseUsers/${encoded}/certs`,
    ]);
    assert.equal(issued.status, 201);
    const certificate = new X509Certificate(readFileSync(pemPath));
    const serial = BigInt(`0x${certificate.serialNumber}`);

    const listed = await curl([`${server.origin}${groupPath()}/databaseUsers/${encoded}/certs`]);
    assert.equal(listed.status, 200);
    assert.deepEqual(parseJsonExact(listed.body), {
      links: [
        {
          href: `${server.origin}${groupPath()}/databaseUsers/${encoded}/certs?pageNum=1&itemsPerPage=100`,
          rel: 'self',
        },
      ],
      results: [
        {
          _id: jsonSerial(serial),
          createdAt: '2024-05-10T08:30:00Z',
          groupId: server.credentials.groupId,
          notAfter: '2024-06-10T08:30:00Z',
          subject: 'CN=Jane Doe\\, Ops',
        },
      ],
      totalCount: 1,
    });

    const deleted = await curl(['-X', 'DELETE', `${server.origin}${groupPath()}/databaseUsers/%24external/${encoded}`]);
    assert.equal(deleted.status, 204);
    assert.equal(deleted.body, '');
  });

  test('curl with a wrong private key: 401 with the challenge, the Atlas body, nothing created', async () => {
    const before = await storeSnapshot(server.store);
    const result = await curl(
      [
        '-H',
        'Content-Type: application/json',
        '-d',
        JSON.stringify({
          databaseName: 'admin',
          username: 'intruder',
          password: 'intruder-password',
          roles: [{ databaseName: 'admin', roleName: 'atlasAdmin' }],
        }),
        `${server.origin}${groupPath()}/databaseUsers`,
      ],
      '00000000-0000-0000-0000-000000000000',
    );
    assert.equal(result.status, 401);
    assert.equal(result.body, UNAUTHORIZED_BODY);
    assert.equal(await storeSnapshot(server.store), before);
  });
});

describe('mongodb-atlas-api-client (urllib Digest)', () => {
  interface UrllibResponse {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    data: any;
  }
  interface Urllib {
    request(url: string, options: Record<string, unknown>): Promise<UrllibResponse>;
  }
  interface PackageHttpClient {
    fetch(url: string, options?: Record<string, unknown>): Promise<any>;
  }

  // The package's own urllib (the same CommonJS module instance, hence the same
  // process-wide nc counter), and its HttpClient.
  const packageRequire = createRequire(createRequire(import.meta.url).resolve('mongodb-atlas-api-client'));
  const urllib = packageRequire('urllib') as Urllib;
  const HttpClient = packageRequire('./httpClient.js') as new (
    client: Urllib,
    publicKey: string,
    privateKey: string,
  ) => PackageHttpClient;

  /** Every Authorization header urllib sent (its undici publishes each request it creates). */
  const authorizations: string[] = [];
  const onRequest = (message: unknown) => {
    const headers = (message as { request: { headers: string[] | string } }).request.headers;
    const list = Array.isArray(headers) ? headers : headers.split('\r\n').flatMap((line) => line.split(/:\s*/, 2));
    const header = (name: string) => {
      for (let i = 0; i + 1 < list.length; i += 2) if (list[i]!.toLowerCase() === name) return list[i + 1];
      return undefined;
    };
    // Node's own fetch publishes on the same channel; keep urllib's requests only.
    const authorization = header('authorization');
    if (authorization && header('user-agent')?.startsWith('node-urllib/')) authorizations.push(authorization);
  };
  before(() => dc.subscribe('undici:request:create', onRequest));
  after(() => dc.unsubscribe('undici:request:create', onRequest));

  function atlas() {
    const { publicKey, privateKey, groupId } = server.credentials;
    return getClient({ publicKey, privateKey, baseUrl: `${server.origin}/api/atlas/v1.0`, projectId: groupId });
  }

  const rawRequest = (path: string, options: Record<string, unknown>) =>
    urllib.request(`${server.origin}${path}`, {
      digestAuth: `${server.credentials.publicKey}:${server.credentials.privateKey}`,
      ...options,
    });

  const scramRoles = [{ databaseName: 'app', roleName: 'read' }];

  test('the CommonJS package loads through the ESM default import', () => {
    assert.equal(typeof atlasClientModule, 'function');
    assert.equal((atlasClientModule as unknown as Record<string, unknown>).default, undefined);
    assert.equal(getClient, createRequire(import.meta.url)('mongodb-atlas-api-client'));
    const client = atlas();
    for (const method of ['create', 'get', 'getAll', 'update', 'delete']) {
      assert.equal(typeof (client.user as unknown as Record<string, unknown>)[method], 'function', method);
    }
    assert.equal(typeof client.project.getById, 'function');
  });

  test('user.create, user.get, user.getAll and user.update on a SCRAM user on admin', async () => {
    const client = atlas();
    const created = await client.user.create({
      username: 'appUser',
      password: 'correct-horse-battery',
      databaseName: 'admin',
      roles: scramRoles,
      groupId: server.credentials.groupId,
    });
    assert.deepEqual(created, userView('admin', 'appUser', 'appUser', scramRoles, 'NONE'));
    assert.deepEqual(await client.user.get('appUser'), userView('admin', 'appUser', 'appUser', scramRoles, 'NONE'));

    const all = (await client.user.getAll()) as any;
    assert.deepEqual(all.links, [
      { href: `${server.origin}${groupPath()}/databaseUsers?pageNum=1&itemsPerPage=100`, rel: 'self' },
    ]);
    assert.equal(all.totalCount, all.results.length);
    assert.deepEqual(
      all.results.filter((user: { username: string }) => user.username === 'appUser'),
      [userView('admin', 'appUser', 'appUser', scramRoles, 'NONE')],
    );

    const newRoles = [{ databaseName: 'app', roleName: 'readWrite' }];
    assert.deepEqual(
      await client.user.update('appUser', { roles: newRoles }),
      userView('admin', 'appUser', 'appUser', newRoles, 'NONE'),
    );
    assert.deepEqual(await client.user.get('appUser'), userView('admin', 'appUser', 'appUser', newRoles, 'NONE'));

    // Errors come back as the Atlas body (urllib does not throw on 4xx).
    assert.deepEqual(await client.user.get('nobody'), usernameNotFound('nobody'));
  });

  test("user.delete: the 204 has no body, so urllib's dataType json yields null and the package returns true", async () => {
    const client = atlas();
    assert.equal(await client.user.delete('appUser'), true);
    assert.deepEqual(await client.user.get('appUser'), usernameNotFound('appUser'));

    // The same DELETE, seen raw: 204, zero bytes, no JSON content type.
    const again = await client.user.create({
      username: 'appUser',
      password: 'correct-horse-battery',
      databaseName: 'admin',
      roles: scramRoles,
      groupId: server.credentials.groupId,
    });
    assert.equal((again as { username: string }).username, 'appUser');
    const asJson = await rawRequest(`${groupPath()}/databaseUsers/admin/appUser`, {
      method: 'DELETE',
      dataType: 'json',
    });
    assert.equal(asJson.status, 204);
    assert.equal(asJson.data, null);
    assert.ok(asJson.headers['content-length'] === undefined || asJson.headers['content-length'] === '0');
    assert.equal(asJson.headers['content-type'], undefined);

    const deletedAgain = await rawRequest(`${groupPath()}/databaseUsers/admin/appUser`, {
      method: 'DELETE',
      dataType: 'text',
    });
    assert.equal(deletedAgain.status, 404);
    assert.deepEqual(JSON.parse(deletedAgain.data), usernameNotFound('appUser'));
  });

  test('project.getById and project.getAll', async () => {
    const client = atlas();
    const { groupId, orgId } = server.credentials;
    const project = (await client.project.getById(groupId)) as any;
    assert.deepEqual(Object.keys(project), ['clusterCount', 'created', 'id', 'links', 'name', 'orgId', 'tags']);
    assert.equal(project.clusterCount, 0);
    assert.match(project.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(project.id, groupId);
    assert.deepEqual(project.links, [{ href: `${server.origin}${V1}/groups/${groupId}`, rel: 'self' }]);
    assert.equal(typeof project.name, 'string');
    assert.equal(project.orgId, orgId);
    assert.deepEqual(project.tags, []);

    assert.deepEqual(await client.project.getAll(), {
      links: [{ href: `${server.origin}${V1}/groups?pageNum=1&itemsPerPage=100`, rel: 'self' }],
      results: [project],
      totalCount: 1,
    });
    assert.deepEqual(await client.project.getAll({ itemsPerPage: 1, pretty: true }), {
      links: [{ href: `${server.origin}${V1}/groups?pretty=true&pageNum=1&itemsPerPage=1`, rel: 'self' }],
      results: [project],
      totalCount: 1,
    });
  });

  test("the package's Digest HttpClient issues a certificate (dataType text) and lists it (dataType json)", async () => {
    const { publicKey, privateKey, groupId } = server.credentials;
    const http = new HttpClient(urllib, publicKey, privateKey);
    const client = atlas();
    const created = await client.user.create({
      username: 'urllibUser',
      databaseName: '$external',
      x509Type: 'MANAGED',
      roles: scramRoles,
      groupId,
    } as unknown as Parameters<typeof client.user.create>[0]);
    assert.deepEqual(created, userView('$external', 'urllibUser', 'urllibUser', scramRoles));

    server.clock.set('2024-05-11T09:00:00Z');
    const certsUrl = `${server.origin}${groupPath()}/databaseUsers/urllibUser/certs`;
    const pem = await http.fetch(certsUrl, {
      method: 'POST',
      data: { monthsUntilExpiration: 2 },
      headers: { 'Content-Type': 'application/json' },
      dataType: 'text',
    });
    assert.equal(typeof pem, 'string');
    assert.ok(pem.startsWith('-----BEGIN CERTIFICATE-----\n'), pem);
    assert.ok(pem.includes('-----BEGIN PRIVATE KEY-----\n'), pem);
    const certificate = new X509Certificate(pem);
    assert.equal(certificate.subject, 'CN=urllibUser');
    assert.ok(certificate.checkPrivateKey(createPrivateKey(pem)));
    const serial = BigInt(`0x${certificate.serialNumber}`);

    // The raw exchange: 201, declared application/json, the PEM itself.
    server.clock.set('2024-05-11T09:00:05Z');
    const raw = await rawRequest(`${groupPath()}/databaseUsers/urllibUser/certs`, {
      method: 'POST',
      data: {},
      headers: { 'Content-Type': 'application/json' },
      dataType: 'text',
    });
    assert.equal(raw.status, 201);
    assert.match(String(raw.headers['content-type']), /^application\/json/);
    assert.match(raw.data, /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
    const secondSerial = BigInt(`0x${new X509Certificate(raw.data).serialNumber}`);

    // urllib parses JSON with JSON.parse, so serials above 2^53 round in the client; every
    // other field is exact, and the text form carries the exact serials.
    const list = await http.fetch(certsUrl, { dataType: 'json' });
    const expectedResults = [
      { _id: jsonSerial(serial), createdAt: '2024-05-11T09:00:00Z', notAfter: '2024-07-11T09:00:00Z' },
      { _id: jsonSerial(secondSerial), createdAt: '2024-05-11T09:00:05Z', notAfter: '2024-08-11T09:00:05Z' },
    ].map(({ _id, createdAt, notAfter }) => ({ _id, createdAt, groupId, notAfter, subject: 'CN=urllibUser' }));
    assert.deepEqual(list, {
      links: [{ href: `${certsUrl}?pageNum=1&itemsPerPage=100`, rel: 'self' }],
      results: expectedResults.map((result) => ({ ...result, _id: Number(result._id) })),
      totalCount: 2,
    });
    const text = await http.fetch(certsUrl, { dataType: 'text' });
    assert.deepEqual(parseJsonExact(text), {
      links: [{ href: `${certsUrl}?pageNum=1&itemsPerPage=100`, rel: 'self' }],
      results: expectedResults,
      totalCount: 2,
    });
  });

  test("urllib's process-wide nc counter (decimal, never reset per nonce) is accepted on every fresh nonce", async () => {
    // Make sure the counter has gone past 9 (urllib writes it in decimal: …09, …10).
    const client = atlas();
    for (let i = 0; i < 10; i++) {
      const project = (await client.project.getById(server.credentials.groupId)) as { id?: string };
      assert.equal(project.id, server.credentials.groupId);
    }
    const ncs = authorizations.map((header) => /\bnc=([0-9a-fA-F]{8})\b/.exec(header)?.[1]);
    assert.ok(ncs.length >= 20, `saw ${ncs.length} signed requests`);
    assert.ok(ncs.every((nc) => nc !== undefined));
    const values = ncs.map((nc) => Number(nc));
    for (let i = 1; i < values.length; i++) assert.ok(values[i]! > values[i - 1]!, `nc ${ncs[i]} after ${ncs[i - 1]}`);
    assert.ok(values.at(-1)! >= 10, `last nc ${ncs.at(-1)}`);
    // Every signed request carried its own nonce (urllib never reuses one).
    const nonces = authorizations.map((header) => /\bnonce="([^"]+)"/.exec(header)?.[1]);
    assert.equal(new Set(nonces).size, nonces.length);
  });
});
