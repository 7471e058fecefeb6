import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { OrgRole } from '../../src/domain/roles.js';
import { assertAtlasError, atlasError, type AtlasErrorBody, UNAUTHORIZED_BODY } from '../helpers/atlas-assert.js';
import { TestClock } from '../helpers/clock.js';
import { type ApiResponse, DigestClient } from '../helpers/digest-client.js';
import { raw } from '../helpers/raw-http.js';
import { startTestServer, storeSnapshot, type TestServer, V1 } from '../helpers/server.js';

/**
 * Atlas' token-bucket rate limits (shared/spec/atlas-api.md §9): one token per
 * authorised request, whole-period refills up to the capacity, buckets per endpoint set
 * and project (or per API key for `/groups` listing and creation and the organization
 * endpoints). RateLimit-Limit / RateLimit-Remaining on every 2xx; a 429 carries those
 * and Retry-After, with Atlas' RATE_LIMITED_TOKEN_BUCKET body. The TestClock drives time.
 */

const START = '2026-05-04T08:00:00.000Z';

/** Atlas' 429 body for `resource` (the path without its leading slash and query). */
function rateLimited(
  resource: string,
  retryAfter: number,
  policy: { capacity: number; refillRate: number; refillSeconds: number },
): AtlasErrorBody {
  return {
    detail:
      `Rate limit exceeded for ${resource}. Please retry after ${retryAfter} seconds. ` +
      `Request capacity: ${policy.capacity}. Refill rate: ${policy.refillRate} per ${policy.refillSeconds} seconds.`,
    error: 429,
    errorCode: 'RATE_LIMITED_TOKEN_BUCKET',
    parameters: [resource, retryAfter, policy.capacity, policy.refillRate, policy.refillSeconds],
    reason: 'Too Many Requests',
  };
}

/** A 429, exactly: body, Retry-After, RateLimit-Limit and RateLimit-Remaining: 0, no challenge. */
function assertRateLimited(
  response: ApiResponse,
  resource: string,
  retryAfter: number,
  policy: { capacity: number; refillRate: number; refillSeconds: number },
  message?: string,
): void {
  assertAtlasError(response, rateLimited(resource, retryAfter, policy), message);
  assert.equal(response.headers.get('retry-after'), String(retryAfter), message);
  assert.equal(response.headers.get('ratelimit-limit'), String(policy.capacity), message);
  assert.equal(response.headers.get('ratelimit-remaining'), '0', message);
  assert.equal(response.headers.get('www-authenticate'), null, message);
}

/** A 2xx with its RateLimit headers. */
function assertServed(response: ApiResponse, status: number, limit: number, remaining: number, message?: string): void {
  assert.equal(response.status, status, `${message ?? ''} ${response.text}`);
  assert.equal(response.headers.get('ratelimit-limit'), String(limit), `${message ?? ''} RateLimit-Limit`);
  assert.equal(response.headers.get('ratelimit-remaining'), String(remaining), `${message ?? ''} RateLimit-Remaining`);
  assert.equal(response.headers.get('retry-after'), null, message);
}

const resourceOf = (path: string) => path.split('?')[0]!.replace(/^\//, '');

async function createProject(server: TestServer, name: string, client = server.client): Promise<string> {
  const response = await client.post(`${V1}/groups`, { name, orgId: server.credentials.orgId });
  assert.equal(response.status, 200, response.text);
  return response.json().id;
}

async function createUser(server: TestServer, groupId: string, username: string): Promise<ApiResponse> {
  const response = await server.client.post(`${V1}/groups/${groupId}/databaseUsers`, {
    databaseName: '$external',
    username,
    x509Type: 'MANAGED',
    roles: [{ roleName: 'readWrite', databaseName: 'app' }],
  });
  assert.equal(response.status, 201, response.text);
  return response;
}

const certs = (groupId: string, username: string, query = '') =>
  `${V1}/groups/${groupId}/databaseUsers/${encodeURIComponent(username)}/certs${query}`;

async function mintClient(server: TestServer, description: string, roles: OrgRole[]) {
  const { key, privateKey } = await server.authority.apiKeys.mint(server.credentials.orgId, description, roles);
  return { key, client: new DigestClient(server.origin, key.publicKey, privateKey) };
}

async function eventIds(server: TestServer): Promise<Set<string>> {
  const rows = await server.store.db.selectFrom('events').select('id').execute();
  return new Set(rows.map((row) => row.id));
}

// =============================================================================================

describe('x509 bucket: capacity 3, refill 2 per 60 s', () => {
  const X509 = { capacity: 3, refillRate: 2, refillSeconds: 60 };
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ clock: new TestClock(START), rateLimits: { x509: X509 } });
  });
  after(() => server.close());

  test('the bucket drains, then 429 with Retry-After until the period ends; one period refills exactly 2', async () => {
    const groupId = await createProject(server, 'Drain');
    await createUser(server, groupId, 'alice');
    const list = certs(groupId, 'alice');
    const resource = resourceOf(list);

    assertServed(await server.client.get(list), 200, 3, 2, 'first');
    assertServed(await server.client.post(list, { monthsUntilExpiration: 1 }), 201, 3, 1, 'second');
    assertServed(await server.client.get(`${list}?itemsPerPage=5`), 200, 3, 0, 'third');
    // The fourth: the resource is the path as requested, without query and leading slash.
    assertRateLimited(await server.client.get(`${list}?itemsPerPage=5&pageNum=1`), resource, 60, X509, 'fourth');
    assertRateLimited(await server.client.post(list, { monthsUntilExpiration: 1 }), resource, 60, X509, 'a write');

    // Less than a period later: still refused, with the time left.
    server.clock.advance(20_000);
    assertRateLimited(await server.client.get(list), resource, 40, X509, 'at +20 s');
    server.clock.advance(19_500);
    assertRateLimited(await server.client.get(list), resource, 21, X509, 'at +39.5 s (20.5 s left, rounded up)');
    server.clock.advance(20_499);
    assertRateLimited(await server.client.get(list), resource, 1, X509, 'at +59.999 s');

    // Exactly one period after the bucket's first use: exactly refillRate (2) tokens.
    server.clock.advance(1);
    assertServed(await server.client.get(list), 200, 3, 1, 'after one period');
    assertServed(await server.client.get(list), 200, 3, 0, 'the second refilled token');
    assertRateLimited(await server.client.get(list), resource, 60, X509, 'the next period ends in 60 s');

    // Ten periods later the bucket holds its capacity (3), not 20 tokens.
    server.clock.advance(10 * 60_000);
    assertServed(await server.client.get(list), 200, 3, 2, 'refilled to capacity');
    assertServed(await server.client.get(list), 200, 3, 1);
    assertServed(await server.client.get(list), 200, 3, 0);
    assertRateLimited(await server.client.get(list), resource, 60, X509, 'capacity, not more');
  });

  test('buckets are separate per project and per endpoint set', async () => {
    const drained = await createProject(server, 'Drained');
    const other = await createProject(server, 'Other');
    await createUser(server, drained, 'bob');
    await createUser(server, other, 'carol');
    for (let index = 0; index < 3; index++) await server.client.get(certs(drained, 'bob'));
    assertRateLimited(await server.client.get(certs(drained, 'bob')), resourceOf(certs(drained, 'bob')), 60, X509);

    // Another project still has all its tokens.
    assertServed(await server.client.get(certs(other, 'carol')), 200, 3, 2, 'another project');
    // The drained project's other endpoint sets are not affected (Atlas' defaults here).
    assertServed(await server.client.get(`${V1}/groups/${drained}/databaseUsers`), 200, 10000, 9998, 'database users');
    assertServed(await server.client.get(`${V1}/groups/${drained}`), 200, 1200, 1199, 'the project');
    // Nor does a user's bucket exist: the project's is shared by all its users.
    await createUser(server, drained, 'bob2');
    assertRateLimited(await server.client.get(certs(drained, 'bob2')), resourceOf(certs(drained, 'bob2')), 60, X509);
  });

  test('unauthenticated probes and bad credentials take no token (every Digest request starts with one)', async () => {
    const groupId = await createProject(server, 'Probes');
    await createUser(server, groupId, 'dave');
    const path = certs(groupId, 'dave');
    for (let index = 0; index < 10; index++) {
      const probe = await raw(server.origin, 'GET', path);
      assert.equal(probe.status, 401);
      assert.equal(probe.text, UNAUTHORIZED_BODY);
      assert.equal(probe.headers['ratelimit-limit'], undefined);
      assert.equal(probe.headers['ratelimit-remaining'], undefined);
    }
    const impostor = new DigestClient(server.origin, server.credentials.publicKey, 'not-the-private-key');
    for (let index = 0; index < 5; index++) {
      const response = await impostor.get(path);
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('ratelimit-remaining'), null);
    }
    // Three authenticated requests, each after its own probe: all served.
    assertServed(await server.client.get(path), 200, 3, 2);
    assertServed(await server.client.get(path), 200, 3, 1);
    assertServed(await server.client.get(path), 200, 3, 0);
  });

  test('concurrent requests cannot overdraw the bucket', async () => {
    const groupId = await createProject(server, 'Concurrent');
    await createUser(server, groupId, 'ivy');
    const path = certs(groupId, 'ivy');
    const responses = await Promise.all(Array.from({ length: 12 }, () => server.client.get(path)));
    const served = responses.filter((response) => response.status === 200);
    const refused = responses.filter((response) => response.status === 429);
    assert.equal(served.length, 3, responses.map((response) => response.status).join());
    assert.equal(refused.length, 9);
    assert.deepEqual(served.map((response) => response.headers.get('ratelimit-remaining')).sort(), ['0', '1', '2']);
    for (const response of refused) assertRateLimited(response, resourceOf(path), 60, X509);
  });

  test('requests refused by role (or for another reason before the operation) take no token', async () => {
    const groupId = await createProject(server, 'Roles');
    await createUser(server, groupId, 'erin');
    const path = certs(groupId, 'erin');
    const readOnly = await mintClient(server, 'read only', ['ORG_MEMBER']);
    await server.store.apiKeys.setProjectRoles(readOnly.key.id, groupId, ['GROUP_READ_ONLY']);
    const outsider = await mintClient(server, 'outsider', ['ORG_MEMBER']);

    for (let index = 0; index < 4; index++) {
      const response = await readOnly.client.post(path, { monthsUntilExpiration: 1 });
      assertAtlasError(
        response,
        atlasError(401, 'USER_UNAUTHORIZED', 'Current user is not authorized to perform this action.'),
      );
      assert.equal(response.headers.get('www-authenticate'), null);
      assert.equal(response.headers.get('ratelimit-remaining'), null);
      const stranger = await outsider.client.get(path);
      assertAtlasError(
        stranger,
        atlasError(401, 'NOT_IN_GROUP', 'The current user is not in the group, or the group does not exist.'),
      );
      assert.equal(stranger.headers.get('ratelimit-remaining'), null);
    }
    // Invalid bodies are refused before the operation too.
    const invalid = await server.client.post(path, { monthsUntilExpiration: 'six' });
    assert.equal(invalid.status, 400, invalid.text);
    assertServed(await server.client.get(path), 200, 3, 2, 'the bucket is untouched');
    // The bucket is the project's: a read by the read-only key draws from the same one.
    assertServed(await readOnly.client.get(path), 200, 3, 1, 'another key, same project');
  });

  test('a 429 on a write is recorded as DBCERTS_REQUEST_REFUSED and changes nothing; a 429 on a read is not recorded', async () => {
    const groupId = await createProject(server, 'Audit');
    await createUser(server, groupId, 'fay');
    const path = certs(groupId, 'fay');
    for (let index = 0; index < 3; index++) assert.equal((await server.client.get(path)).status, 200);

    const eventsBefore = await eventIds(server);
    assertRateLimited(await server.client.get(path), resourceOf(path), 60, X509);
    assert.equal((await eventIds(server)).size, eventsBefore.size, 'a refused read is not an event');

    server.clock.advance(2_000);
    const before = await storeSnapshot(server.store);
    assertRateLimited(await server.client.post(path, { monthsUntilExpiration: 1 }), resourceOf(path), 58, X509);
    assert.equal(await storeSnapshot(server.store), before, 'no certificate was issued');
    const added = [...(await eventIds(server))].filter((id) => !eventsBefore.has(id));
    assert.equal(added.length, 1);

    const response = await server.client.get(
      `${V1}/groups/${groupId}/events?eventType=DBCERTS_REQUEST_REFUSED&itemsPerPage=1`,
    );
    assert.equal(response.status, 200, response.text);
    const [event] = response.json().results;
    const apiKey = await server.store.apiKeys.findByPublicKey(server.credentials.publicKey);
    assert.deepEqual(event, {
      apiKeyId: apiKey!.id,
      created: server.clock.now().toISOString().slice(0, 19) + 'Z',
      errorCode: 'RATE_LIMITED_TOKEN_BUCKET',
      eventTypeName: 'DBCERTS_REQUEST_REFUSED',
      groupId,
      id: added[0],
      isGlobalAdmin: false,
      links: [{ href: `${server.origin}${V1}/groups/${groupId}/events/${added[0]}`, rel: 'self' }],
      method: 'POST',
      orgId: server.credentials.orgId,
      outcome: 'FAILURE',
      path,
      publicKey: server.credentials.publicKey,
      remoteAddress: '127.0.0.1',
      status: 429,
    });
  });
});

describe('database users and their 204s carry the headers too', () => {
  const USERS = { capacity: 4, refillRate: 1, refillSeconds: 30 };
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ clock: new TestClock(START), rateLimits: { databaseUsers: USERS } });
  });
  after(() => server.close());

  test('create, update, delete (204), then 429 with a 30 s period', async () => {
    const groupId = server.credentials.groupId;
    const users = `${V1}/groups/${groupId}/databaseUsers`;
    assertServed(await createUser(server, groupId, 'gus'), 201, 4, 3, 'create');
    const user = `${users}/$external/gus`;
    assertServed(
      await server.client.patch(user, { roles: [{ roleName: 'read', databaseName: 'app' }] }),
      200,
      4,
      2,
      'update',
    );
    const deleted = await server.client.delete(user);
    assertServed(deleted, 204, 4, 1, 'delete');
    assert.equal(deleted.text, '');
    assertServed(await server.client.get(users), 200, 4, 0, 'list');
    assertRateLimited(await server.client.get(users), resourceOf(users), 30, USERS);
    server.clock.advance(30_000);
    assertServed(await server.client.get(users), 200, 4, 0, 'one token after 30 s');
  });
});

describe('per-key buckets: /groups listing and creation', () => {
  const PROJECTS = { capacity: 2, refillRate: 1, refillSeconds: 60 };
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ clock: new TestClock(START), rateLimits: { projects: PROJECTS } });
  });
  after(() => server.close());

  test("GET /groups draws from the calling key's bucket, POST /groups from the same one", async () => {
    const other = await mintClient(server, 'second owner', ['ORG_OWNER']);
    const groups = `${V1}/groups`;
    assertServed(await server.client.get(groups), 200, 2, 1);
    assertServed(await server.client.get(`${groups}?pageNum=1`), 200, 2, 0);
    assertRateLimited(await server.client.get(groups), 'api/atlas/v1.0/groups', 60, PROJECTS, 'listing');
    const eventsBefore = (await eventIds(server)).size;
    const before = await storeSnapshot(server.store);
    assertRateLimited(
      await server.client.post(groups, { name: 'TooMany', orgId: server.credentials.orgId }),
      'api/atlas/v1.0/groups',
      60,
      PROJECTS,
      'creation',
    );
    assert.equal(await storeSnapshot(server.store), before, 'no project was created');
    assert.equal((await eventIds(server)).size, eventsBefore + 1, 'the refused write is on record');

    // Another key has its own bucket.
    assertServed(await other.client.get(groups), 200, 2, 1, 'another key');
    // A project's own endpoints draw from the project's bucket, not the key's.
    assertServed(await server.client.get(`${groups}/${server.credentials.groupId}`), 200, 2, 1, 'the project');
    assertServed(await other.client.get(`${groups}/${server.credentials.groupId}`), 200, 2, 0, 'same project');

    server.clock.advance(60_000);
    assertServed(await server.client.get(groups), 200, 2, 0, 'one refilled token');
    assertRateLimited(await server.client.get(groups), 'api/atlas/v1.0/groups', 60, PROJECTS);
  });
});

describe("Atlas' default limits (rateLimits: {})", () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ clock: new TestClock(START), rateLimits: {} });
  });
  after(() => server.close());

  test("the headers show Atlas' capacities: 1200 for certificates and projects, 10000 for database users, 300 for organizations", async () => {
    const groupId = server.credentials.groupId;
    assertServed(await createUser(server, groupId, 'hal'), 201, 10000, 9999, 'create a database user');
    assertServed(await server.client.get(`${V1}/groups/${groupId}/databaseUsers`), 200, 10000, 9998, 'list users');
    assertServed(await server.client.get(certs(groupId, 'hal')), 200, 1200, 1199, 'list certificates');
    assertServed(await server.client.post(certs(groupId, 'hal'), {}), 201, 1200, 1198, 'create a certificate');
    assertServed(await server.client.get(`${V1}/groups`), 200, 1200, 1199, 'list projects');
    assertServed(await server.client.get(`${V1}/groups/${groupId}`), 200, 1200, 1199, 'get the project');
    assertServed(await server.client.get(`${V1}/orgs`), 200, 300, 299, 'list organizations');
    assertServed(
      await server.client.get(`${V1}/orgs/${server.credentials.orgId}`),
      200,
      300,
      298,
      'get the organization',
    );
  });
});

describe("rate limits off (startTestServer's default)", () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
  });
  after(() => server.close());

  test('no RateLimit headers, and no bucket is kept', async () => {
    const response = await server.client.get(`${V1}/groups/${server.credentials.groupId}/databaseUsers`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('ratelimit-limit'), null);
    assert.equal(response.headers.get('ratelimit-remaining'), null);
    assert.deepEqual(await server.store.db.selectFrom('rate_limit_buckets').selectAll().execute(), []);
  });
});
