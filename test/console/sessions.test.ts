import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { REQUIRED_ROLES } from '../../src/authority/required-roles.js';
import { storedCells, TEST_BACKEND } from '../helpers/backend.js';
import { TestClock } from '../helpers/clock.js';
import { DigestClient } from '../helpers/digest-client.js';
import {
  type Instance,
  startInstances,
  startTestServer,
  storeSnapshot,
  type TestServer,
  V1,
  V2,
} from '../helpers/server.js';
import {
  createOrgKey,
  createProjectKey,
  createServiceAccount,
  CSRF_REFUSAL,
  http,
  SERVICE_ACCOUNT_ACCEPT,
  SESSION_COOKIE_SHAPE,
  signIn,
  UNAUTHORIZED,
  withSession,
} from './helpers.js';

/**
 * Web console sessions (docs/extensions.md, "Web console"): signing in with an API key or
 * a service account, the cookie, the session as a third way to authenticate the Atlas
 * routes, CSRF protection of its writes, idle and absolute expiry on the authority's
 * clock, sign-out, and the end of a session when its key, account or secret goes.
 */

const START = '2025-06-01T10:00:00.000Z';
const MINUTE = 60_000;
const V2_ACCEPT = 'application/vnd.atlas.2023-01-01+json';

const allOperations = Object.keys(REQUIRED_ROLES) as Array<keyof typeof REQUIRED_ROLES>;
const orgOperations = allOperations.filter((operation) => REQUIRED_ROLES[operation].scope === 'organization');
const projectOperations = allOperations.filter((operation) => REQUIRED_ROLES[operation].scope === 'project');
/** What a Project Read Only holds, read straight from the table. */
const readOnlyOperations = projectOperations.filter((operation) =>
  (REQUIRED_ROLES[operation].anyOf as readonly string[]).includes('GROUP_READ_ONLY'),
);

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function assertChallenge(response: { status: number; headers: Record<string, unknown>; text: string }, what: string) {
  assert.equal(response.status, 401, what);
  assert.match(String(response.headers['www-authenticate']), /^Digest realm="MMS Public API", /, what);
  assert.equal(response.text, UNAUTHORIZED, what);
}

/** A session cookie that opens nothing: Atlas' 401 body, but no Digest prompt for the browser. */
function assertSessionRefused(
  response: { status: number; headers: Record<string, unknown>; text: string },
  what: string,
) {
  assert.equal(response.status, 401, what);
  assert.equal(response.headers['www-authenticate'], undefined, what);
  assert.equal(response.text, UNAUTHORIZED, what);
}

describe('console sessions', () => {
  let server: TestServer;
  let clock: TestClock;
  let origin: string;
  let owner: { publicKey: string; privateKey: string };
  let groupId: string;
  const usersPath = () => `${V1}/groups/${groupId}/databaseUsers`;
  const newUser = (username: string) => ({
    databaseName: 'admin',
    username,
    password: 'correct horse battery',
    roles: [{ roleName: 'read', databaseName: 'app' }],
  });
  const sessionRow = (sessionId: string) => server.store.consoleSessions.find(sha256(sessionId));

  before(async () => {
    clock = new TestClock(START);
    server = await startTestServer({ clock });
    origin = server.origin;
    owner = { publicKey: server.credentials.publicKey, privateKey: server.credentials.privateKey };
    groupId = server.credentials.groupId;
  });
  after(() => server?.close());

  describe('signing in with an API key', () => {
    test('201: the exact cookie, no-store, and who is signed in with what it may do', async () => {
      const response = await http(origin, 'POST', '/console/session', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(owner),
      });
      assert.equal(response.status, 201, response.text);
      const cookies = [response.headers['set-cookie'] ?? []].flat();
      assert.equal(cookies.length, 1);
      const match = SESSION_COOKIE_SHAPE.exec(cookies[0]!);
      assert.ok(match, cookies[0]);
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(response.headers['www-authenticate'], undefined);
      const body = response.json();
      assert.match(body.csrfToken, /^[A-Za-z0-9_-]{43}$/);
      assert.notEqual(body.csrfToken, match[1]);
      const keyId = (await server.client.get(`${V1}/orgs/${server.credentials.orgId}/apiKeys`)).json().results[0].id;
      assert.deepEqual(body, {
        csrfToken: body.csrfToken,
        expiresAt: '2025-06-01T18:00:00.000Z',
        idleTimeoutSeconds: 900,
        identity: { kind: 'API_KEY', id: keyId, publicKey: owner.publicKey, description: body.identity.description },
        now: START,
        operations: { organization: orgOperations, everyProject: projectOperations, projects: {} },
        orgId: server.credentials.orgId,
        orgRoles: ['ORG_OWNER'],
        projectRoles: [],
        requiredRoles: Object.fromEntries(
          allOperations.map((operation) => [operation, [...REQUIRED_ROLES[operation].anyOf]]),
        ),
      });
    });

    test('the store keeps only the SHA-256 of the session id, and neither the id nor the CSRF token', async () => {
      const session = await signIn(origin, owner);
      const stored = await sessionRow(session.sessionId);
      assert.ok(stored, 'the session is stored under the hash of its id');
      assert.equal(stored.idSha256, sha256(session.sessionId));
      assert.equal(stored.createdAt.toISOString(), START);
      assert.equal(stored.expiresAt.toISOString(), '2025-06-01T18:00:00.000Z');
      for (const cell of await storedCells(server.store)) {
        for (const secret of [session.sessionId, session.csrfToken]) {
          assert.ok(!cell.bytes.includes(secret), `${cell.table}.${cell.column} holds a session secret`);
        }
      }
    });

    test('GET /console/session describes the session, with the same CSRF token; without a cookie 401 and no challenge', async () => {
      const session = await signIn(origin, owner);
      const response = await withSession(origin, session, 'GET', '/console/session');
      assert.equal(response.status, 200);
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.deepEqual(response.json(), session.response.json());
      const anonymous = await http(origin, 'GET', '/console/session');
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.text, UNAUTHORIZED);
      assert.equal(anonymous.headers['www-authenticate'], undefined, 'no Digest prompt in the browser');
      const garbage = await http(origin, 'GET', '/console/session', { headers: { cookie: 'dbcerts_session=nope' } });
      assert.equal(garbage.status, 401);
      assert.equal(garbage.text, UNAUTHORIZED);
    });

    test('the cookie authenticates the Atlas routes, v1.0 and v2, exactly as the key', async () => {
      const session = await signIn(origin, owner);
      const v1 = await withSession(origin, session, 'GET', `${V1}/groups/${groupId}`);
      assert.equal(v1.status, 200, v1.text);
      assert.equal(v1.json().id, groupId);
      assert.equal(v1.text, (await server.client.get(`${V1}/groups/${groupId}`)).text);
      const v2 = await withSession(origin, session, 'GET', `/api/atlas/v2/groups/${groupId}`, {
        headers: { accept: V2_ACCEPT },
      });
      assert.equal(v2.status, 200, v2.text);
      assert.equal(v2.headers['content-type'], V2_ACCEPT);
      // v2's version negotiation still applies after the session authenticated the request.
      const noVersion = await withSession(origin, session, 'GET', `/api/atlas/v2/groups/${groupId}`);
      assert.equal(noVersion.status, 406);
      assert.equal(noVersion.json().errorCode, 'INVALID_VERSION_DATE');
    });

    test('wrong private key, unknown public key: 401 Atlas body, no cookie, no challenge, nothing stored', async () => {
      const before = await storeSnapshot(server.store);
      for (const credentials of [
        {
          publicKey: owner.publicKey,
          privateKey: `${owner.privateKey.slice(0, -1)}${owner.privateKey.endsWith('0') ? '1' : '0'}`,
        },
        { publicKey: owner.publicKey, privateKey: '' },
        { publicKey: 'nosuchkey', privateKey: owner.privateKey },
      ]) {
        const response = await http(origin, 'POST', '/console/session', {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(credentials),
        });
        assert.equal(response.status, 401, JSON.stringify(credentials));
        assert.equal(response.text, UNAUTHORIZED);
        assert.equal(response.headers['set-cookie'], undefined);
        assert.equal(response.headers['www-authenticate'], undefined);
      }
      assert.equal(await storeSnapshot(server.store), before);
    });

    test('malformed sign-in bodies are Atlas 400s; a form post is 415', async () => {
      const cases: Array<[string, string, unknown[]]> = [
        ['{}', 'MISSING_ATTRIBUTE', ['publicKey']],
        [JSON.stringify({ publicKey: owner.publicKey }), 'MISSING_ATTRIBUTE', ['privateKey']],
        [JSON.stringify({ clientId: 'mdb_sa_id_x' }), 'MISSING_ATTRIBUTE', ['clientSecret']],
        [JSON.stringify({ publicKey: 7, privateKey: 'x' }), 'INVALID_JSON_ATTRIBUTE', ['publicKey']],
        [JSON.stringify({ ...owner, role: 'ORG_OWNER' }), 'INVALID_ATTRIBUTE', ['role']],
        [JSON.stringify({ ...owner, clientId: 'mdb_sa_id_x' }), 'INVALID_ATTRIBUTE', ['privateKey']],
        ['[]', 'INVALID_JSON', []],
        ['{"publicKey":', 'MALFORMED_JSON', []],
      ];
      for (const [body, errorCode, parameters] of cases) {
        const response = await http(origin, 'POST', '/console/session', {
          headers: { 'content-type': 'application/json' },
          body,
        });
        assert.equal(response.status, 400, body);
        const parsed = response.json();
        assert.equal(parsed.errorCode, errorCode, body);
        assert.deepEqual(parsed.parameters, parameters, body);
      }
      const form = await http(origin, 'POST', '/console/session', {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `publicKey=${owner.publicKey}&privateKey=${owner.privateKey}`,
      });
      assert.equal(form.status, 415);
      assert.equal(form.json().errorCode, 'UNSUPPORTED_MEDIA_TYPE');
    });

    test('a sign-in posted from another origin is refused (login CSRF)', async () => {
      const refusedHeaders: Array<Record<string, string>> = [
        { origin: 'http://evil.example' },
        { 'sec-fetch-site': 'cross-site' },
        { 'sec-fetch-site': 'same-site' },
      ];
      for (const headers of refusedHeaders) {
        const response = await http(origin, 'POST', '/console/session', {
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(owner),
        });
        assert.equal(response.status, 403, JSON.stringify(headers));
        assert.deepEqual(response.json(), CSRF_REFUSAL);
        assert.equal(response.headers['set-cookie'], undefined);
      }
      const sameOrigin = await signIn(origin, owner, { origin, 'sec-fetch-site': 'same-origin' });
      assert.equal(sameOrigin.response.status, 201);
    });
  });

  describe('CSRF protection of writes', () => {
    test('a write without the token, or with a wrong one, is 403 CSRF_TOKEN_INVALID and changes nothing', async () => {
      const session = await signIn(origin, owner);
      const before = await storeSnapshot(server.store);
      const attempts: Array<[string, string, Record<string, string>, unknown]> = [
        ['POST', usersPath(), {}, newUser('nocsrf')],
        ['POST', usersPath(), { 'x-csrf-token': 'x'.repeat(43) }, newUser('wrongcsrf')],
        ['POST', usersPath(), { 'x-csrf-token': '' }, newUser('emptycsrf')],
        ['POST', `/api/atlas/v2/groups/${groupId}/databaseUsers`, { accept: V2_ACCEPT }, newUser('v2')],
        ['PATCH', `${usersPath()}/admin/nobody`, {}, { roles: [] }],
        ['DELETE', `${usersPath()}/admin/nobody`, {}, undefined],
        ['POST', `${V1}/groups/${groupId}/userSecurity/managedX509/ca/rotate`, {}, undefined],
      ];
      for (const [method, target, headers, body] of attempts) {
        const response = await withSession(origin, session, method, target, { headers, body, csrf: false });
        assert.equal(response.status, 403, `${method} ${target} ${JSON.stringify(headers)}: ${response.text}`);
        assert.deepEqual(response.json(), CSRF_REFUSAL);
      }
      assert.equal(await storeSnapshot(server.store), before);
    });

    test('the refusal is on the audit trail as DBCERTS_REQUEST_REFUSED with the key that was used', async () => {
      const session = await signIn(origin, owner);
      await withSession(origin, session, 'POST', usersPath(), { body: newUser('audited'), csrf: false });
      const events = (
        await server.client.get(`${V1}/groups/${groupId}/events?eventType=DBCERTS_REQUEST_REFUSED`)
      ).json();
      const refusal = events.results.find((event: any) => event.errorCode === 'CSRF_TOKEN_INVALID');
      assert.ok(refusal, JSON.stringify(events.results));
      assert.equal(refusal.publicKey, owner.publicKey);
      assert.equal(refusal.method, 'POST');
      assert.equal(refusal.path, usersPath());
      assert.equal(refusal.status, 403);
      assert.equal(refusal.outcome, 'FAILURE');
    });

    test('with the token, from the same origin (or no Origin), a write succeeds as the key', async () => {
      const session = await signIn(origin, owner);
      const plain = await withSession(origin, session, 'POST', usersPath(), { body: newUser('withtoken') });
      assert.equal(plain.status, 201, plain.text);
      const sameOrigin = await withSession(origin, session, 'POST', usersPath(), {
        body: newUser('sameorigin'),
        headers: { origin, 'sec-fetch-site': 'same-origin' },
      });
      assert.equal(sameOrigin.status, 201, sameOrigin.text);
      const events = (await server.client.get(`${V1}/groups/${groupId}/events?eventType=MONGODB_USER_ADDED`)).json();
      const added = events.results.find((event: any) => event.targetUsername === 'sameorigin');
      assert.equal(added.publicKey, owner.publicKey, 'the event names the key behind the session');
      const v2 = await withSession(
        origin,
        session,
        'DELETE',
        `/api/atlas/v2/groups/${groupId}/databaseUsers/admin/withtoken`,
        {
          headers: { accept: V2_ACCEPT },
        },
      );
      assert.equal(v2.status, 204, v2.text);
    });

    test('the right token from another origin is still refused (Origin, Sec-Fetch-Site)', async () => {
      const session = await signIn(origin, owner);
      const refusedHeaders: Array<Record<string, string>> = [
        { origin: 'http://evil.example' },
        { origin: origin.replace('127.0.0.1', 'localhost') },
        { origin: 'null' },
        { 'sec-fetch-site': 'cross-site' },
        { 'sec-fetch-site': 'same-site' },
      ];
      for (const headers of refusedHeaders) {
        const response = await withSession(origin, session, 'POST', usersPath(), { body: newUser('evil'), headers });
        assert.equal(response.status, 403, JSON.stringify(headers));
        assert.deepEqual(response.json(), CSRF_REFUSAL);
      }
      const users = (await server.client.get(usersPath())).json().results.map((user: any) => user.username);
      assert.ok(!users.includes('evil'));
    });

    test('reads need no token; one session’s token does not fit another session', async () => {
      const first = await signIn(origin, owner);
      const second = await signIn(origin, owner);
      assert.notEqual(first.csrfToken, second.csrfToken);
      const read = await withSession(origin, { cookie: first.cookie }, 'GET', usersPath());
      assert.equal(read.status, 200);
      const head = await withSession(origin, { cookie: first.cookie }, 'HEAD', usersPath());
      assert.equal(head.status, 200);
      const crossed = await withSession(
        origin,
        { cookie: first.cookie, csrfToken: second.csrfToken },
        'POST',
        usersPath(),
        {
          body: newUser('crossed'),
        },
      );
      assert.equal(crossed.status, 403);
      assert.deepEqual(crossed.json(), CSRF_REFUSAL);
    });
  });

  describe('what authenticates', () => {
    test('an Authorization header wins over the cookie: bad Digest with a good cookie is the challenge', async () => {
      const session = await signIn(origin, owner);
      const response = await withSession(origin, session, 'GET', usersPath(), {
        headers: {
          authorization: `Digest username="${owner.publicKey}", realm="MMS Public API", nonce="x", uri="${usersPath()}", response="0"`,
        },
      });
      assert.equal(response.status, 401);
      assert.match(String(response.headers['www-authenticate']), /^Digest /);
    });

    test('an unknown, malformed or ambiguous session cookie is a 401 without the Digest challenge', async () => {
      const session = await signIn(origin, owner);
      const other = await signIn(origin, owner);
      for (const cookie of [
        'dbcerts_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        'dbcerts_session=not-a-session',
        'dbcerts_session=',
        `${session.cookie}; ${other.cookie}`,
      ]) {
        assertSessionRefused(await http(origin, 'GET', usersPath(), { headers: { cookie } }), cookie);
      }
      // No session cookie among the cookies: no credentials, so the ordinary challenge.
      const cookie = `other=1; dbcerts_session_x=${session.sessionId}`;
      assertChallenge(await http(origin, 'GET', usersPath(), { headers: { cookie } }), cookie);
      // The same cookie twice is one session, and other cookies beside it do not matter.
      const twice = await http(origin, 'GET', usersPath(), {
        headers: { cookie: `a=b; ${session.cookie}; ${session.cookie}` },
      });
      assert.equal(twice.status, 200);
    });

    test('a console call with no cookie at all (signed out in another tab) is a 401 without the challenge', async () => {
      const session = await signIn(origin, owner);
      const signedOut = await withSession(origin, session, 'DELETE', '/console/session');
      assert.equal(signedOut.status, 204, signedOut.text);
      // The browser dropped the cookie; the console's script still says it is the console.
      for (const method of ['GET', 'POST'] as const) {
        assertSessionRefused(
          await http(origin, method, usersPath(), { headers: { 'x-dbcerts-console': '1' } }),
          `${method} with X-Dbcerts-Console`,
        );
      }
      assertSessionRefused(
        await http(origin, 'GET', `${V1}/groups/${groupId}/userSecurity/managedX509/ca`, {
          headers: { 'x-dbcerts-console': '1' },
        }),
        'a download of the console',
      );
      // Every other client still gets the ordinary Digest challenge.
      assertChallenge(await http(origin, 'GET', usersPath()), 'no header');
    });

    test('a read-only key: its operations are the read ones; a crafted write with cookie and token is refused as by Digest', async () => {
      const reader = await createProjectKey(server, ['GROUP_READ_ONLY']);
      const session = await signIn(origin, { publicKey: reader.publicKey, privateKey: reader.privateKey });
      const description = session.response.json();
      assert.deepEqual(description.operations, {
        organization: orgOperations.filter((operation) =>
          (REQUIRED_ROLES[operation].anyOf as readonly string[]).includes('ORG_MEMBER'),
        ),
        everyProject: [],
        projects: { [groupId]: readOnlyOperations },
      });
      assert.ok(!readOnlyOperations.includes('createDatabaseUser' as never));
      const before = await storeSnapshot(server.store);
      const crafted = await withSession(origin, session, 'POST', usersPath(), { body: newUser('byreader') });
      const digest = await new DigestClient(origin, reader.publicKey, reader.privateKey).post(
        usersPath(),
        newUser('byreader'),
      );
      assert.equal(crafted.status, 401);
      assert.deepEqual(crafted.json(), {
        detail: 'Current user is not authorized to perform this action.',
        error: 401,
        errorCode: 'USER_UNAUTHORIZED',
        parameters: [],
        reason: 'Unauthorized',
      });
      assert.equal(crafted.headers['www-authenticate'], undefined, 'a role refusal is no credential challenge');
      assert.equal(crafted.text, digest.text, 'the same answer as the key gets over Digest');
      const withoutToken = await withSession(origin, session, 'POST', usersPath(), {
        body: newUser('byreader'),
        csrf: false,
      });
      assert.equal(withoutToken.status, 403);
      assert.deepEqual(withoutToken.json(), CSRF_REFUSAL);
      assert.equal(await storeSnapshot(server.store), before);
      assert.equal((await withSession(origin, session, 'GET', usersPath())).status, 200);
    });

    test('the key’s access list applies to signing in and to every request of the session', async () => {
      const key = await createOrgKey(server, ['ORG_OWNER'], 'fenced key');
      const accessList = `${V1}/orgs/${server.credentials.orgId}/apiKeys/${key.id}/accessList`;
      assert.equal((await server.client.post(accessList, [{ ipAddress: '10.9.8.7' }])).status, 201);
      const refused = await http(origin, 'POST', '/console/session', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ publicKey: key.publicKey, privateKey: key.privateKey }),
      });
      assert.equal(refused.status, 403);
      assert.deepEqual(refused.json(), {
        detail: 'IP address 127.0.0.1 is not allowed to access this resource.',
        error: 403,
        errorCode: 'IP_ADDRESS_NOT_ON_ACCESS_LIST',
        parameters: ['127.0.0.1'],
        reason: 'Forbidden',
      });
      assert.equal(refused.headers['set-cookie'], undefined);
      assert.equal((await server.client.post(accessList, [{ ipAddress: '127.0.0.1' }])).status, 201);
      const session = await signIn(origin, { publicKey: key.publicKey, privateKey: key.privateKey });
      assert.equal((await withSession(origin, session, 'GET', usersPath())).status, 200);
      assert.equal((await server.client.delete(`${accessList}/127.0.0.1`)).status, 204);
      const fenced = await withSession(origin, session, 'GET', usersPath());
      assert.equal(fenced.status, 403);
      assert.equal(fenced.json().errorCode, 'IP_ADDRESS_NOT_ON_ACCESS_LIST');
      const whoami = await withSession(origin, session, 'GET', '/console/session');
      assert.equal(whoami.status, 403);
    });
  });

  describe('service accounts', () => {
    test('sign in with client credentials; the session acts with the account’s roles', async () => {
      const account = await createServiceAccount(server, ['GROUP_OWNER']);
      const session = await signIn(origin, { clientId: account.clientId, clientSecret: account.secret });
      const body = session.response.json();
      assert.deepEqual(body.identity, {
        kind: 'SERVICE_ACCOUNT',
        id: account.clientId.slice('mdb_sa_id_'.length),
        clientId: account.clientId,
        name: 'console account',
        description: 'signs in to the console',
      });
      assert.deepEqual(body.orgRoles, ['ORG_MEMBER']);
      assert.deepEqual(body.projectRoles, [{ groupId, roles: ['GROUP_OWNER'] }]);
      // Every project operation but inviting a service account, which Atlas leaves to Organization Owners.
      assert.deepEqual(
        body.operations.projects[groupId],
        projectOperations.filter((operation) => operation !== 'addProjectServiceAccount'),
      );
      const created = await withSession(origin, session, 'POST', usersPath(), { body: newUser('bysa') });
      assert.equal(created.status, 201, created.text);
    });

    test('a wrong or unknown secret is the Atlas 401; deleting the secret, then the account, ends the session', async () => {
      const account = await createServiceAccount(server, ['GROUP_READ_ONLY']);
      for (const credentials of [
        { clientId: account.clientId, clientSecret: `${account.secret}x` },
        { clientId: 'mdb_sa_id_000000000000000000000000', clientSecret: account.secret },
      ]) {
        const response = await http(origin, 'POST', '/console/session', {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(credentials),
        });
        assert.equal(response.status, 401);
        assert.equal(response.text, UNAUTHORIZED);
      }
      const session = await signIn(origin, { clientId: account.clientId, clientSecret: account.secret });
      assert.equal((await withSession(origin, session, 'GET', usersPath())).status, 200);
      const orgPath = `${V2}/orgs/${server.credentials.orgId}/serviceAccounts/${account.clientId}`;
      const onAccount = (method: string, path: string, body?: unknown) =>
        server.client.request(path, { method, headers: SERVICE_ACCOUNT_ACCEPT, ...(body ? { body } : {}) });
      const secret = await onAccount('POST', `${orgPath}/secrets`, { secretExpiresAfterHours: 24 });
      assert.equal(secret.status, 201);
      // A second secret keeps the account alive; the one the session was opened with is gone.
      assert.equal((await onAccount('DELETE', `${orgPath}/secrets/${account.secretId}`)).status, 204);
      assertSessionRefused(await withSession(origin, session, 'GET', usersPath()), 'after the secret was deleted');
      assert.equal(await sessionRow(session.sessionId), undefined);
      const again = await signIn(origin, { clientId: account.clientId, clientSecret: secret.json().secret });
      assert.equal((await withSession(origin, again, 'GET', usersPath())).status, 200);
      assert.equal((await onAccount('DELETE', orgPath)).status, 204);
      assertSessionRefused(await withSession(origin, again, 'GET', usersPath()), 'after the account was deleted');
    });
  });

  describe('expiry and sign-out', () => {
    test('idle timeout: 15 minutes after the last recorded activity, recorded at most once a minute', async () => {
      clock.set(START);
      const session = await signIn(origin, owner);
      clock.advance(30_000);
      assert.equal((await withSession(origin, session, 'GET', usersPath())).status, 200);
      assert.equal(
        (await sessionRow(session.sessionId))!.lastSeenAt.toISOString(),
        START,
        'not recorded within a minute',
      );
      clock.advance(31_000);
      assert.equal((await withSession(origin, session, 'GET', usersPath())).status, 200);
      assert.equal((await sessionRow(session.sessionId))!.lastSeenAt.toISOString(), '2025-06-01T10:01:01.000Z');
      // Sliding: each use within 15 minutes keeps it alive.
      clock.advance(15 * MINUTE - 1);
      assert.equal((await withSession(origin, session, 'GET', '/console/session')).status, 200);
      clock.advance(15 * MINUTE - 1);
      assert.equal((await withSession(origin, session, 'GET', usersPath())).status, 200);
      // 15 minutes of silence end it, for the API and the session endpoint alike.
      clock.advance(15 * MINUTE);
      assertSessionRefused(await withSession(origin, session, 'GET', usersPath()), 'idle 15 minutes');
      assert.equal((await withSession(origin, session, 'GET', '/console/session')).status, 401);
      assert.equal(await sessionRow(session.sessionId), undefined, 'the ended session is deleted');
      clock.set(START);
    });

    test('absolute lifetime: 8 hours, however active', async () => {
      clock.set(START);
      const session = await signIn(origin, owner);
      for (let minutes = 10; minutes < 480; minutes += 10) {
        clock.set(new Date(Date.parse(START) + minutes * MINUTE));
        assert.equal((await withSession(origin, session, 'GET', usersPath())).status, 200, `${minutes} minutes`);
      }
      clock.set(new Date(Date.parse(START) + 480 * MINUTE - 1));
      assert.equal((await withSession(origin, session, 'GET', usersPath())).status, 200);
      clock.set(new Date(Date.parse(START) + 480 * MINUTE));
      assertSessionRefused(await withSession(origin, session, 'GET', usersPath()), '8 hours');
      clock.set(START);
    });

    test('a stolen cookie stops working when the session expires, even with its CSRF token, even if the clock goes back', async () => {
      clock.set(START);
      const session = await signIn(origin, owner);
      const stolen = { cookie: session.cookie, csrfToken: session.csrfToken };
      assert.equal((await withSession(origin, stolen, 'GET', usersPath())).status, 200);
      clock.advance(16 * MINUTE);
      assertSessionRefused(await withSession(origin, stolen, 'GET', usersPath()), 'stolen read');
      assertSessionRefused(
        await withSession(origin, stolen, 'POST', usersPath(), { body: newUser('thief') }),
        'stolen write',
      );
      clock.set(START);
      assertSessionRefused(await withSession(origin, stolen, 'GET', usersPath()), 'the ended session stays ended');
      assert.equal((await withSession(origin, stolen, 'GET', '/console/session')).status, 401);
    });

    test('sign-out needs the CSRF token, clears the cookie, and ends the session everywhere', async () => {
      const session = await signIn(origin, owner);
      const noToken = await withSession(origin, session, 'DELETE', '/console/session', { csrf: false });
      assert.equal(noToken.status, 403);
      assert.deepEqual(noToken.json(), CSRF_REFUSAL);
      const crossOrigin = await withSession(origin, session, 'DELETE', '/console/session', {
        headers: { origin: 'http://evil.example' },
      });
      assert.equal(crossOrigin.status, 403);
      assert.equal((await withSession(origin, session, 'GET', usersPath())).status, 200, 'still signed in');
      const out = await withSession(origin, session, 'DELETE', '/console/session');
      assert.equal(out.status, 204);
      assert.equal(out.text, '');
      assert.deepEqual(out.headers['set-cookie'], ['dbcerts_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0']);
      assertSessionRefused(await withSession(origin, session, 'GET', usersPath()), 'after sign-out');
      assert.equal((await withSession(origin, session, 'GET', '/console/session')).status, 401);
      assert.equal((await http(origin, 'DELETE', '/console/session')).status, 401, 'no cookie: nothing to sign out');
    });

    test('deleting the key ends its sessions at the next request (and removes them)', async () => {
      const key = await createOrgKey(server, ['ORG_OWNER'], 'short-lived key');
      const session = await signIn(origin, { publicKey: key.publicKey, privateKey: key.privateKey });
      assert.equal((await withSession(origin, session, 'GET', usersPath())).status, 200);
      assert.equal(await server.store.consoleSessions.countForKey(key.id), 1);
      assert.equal(
        (await server.client.delete(`${V1}/orgs/${server.credentials.orgId}/apiKeys/${key.id}`)).status,
        204,
      );
      assertSessionRefused(await withSession(origin, session, 'GET', usersPath()), 'deleted key');
      assert.equal((await withSession(origin, session, 'GET', '/console/session')).status, 401);
      assert.equal(await server.store.consoleSessions.countForKey(key.id), 0);
    });

    test('role changes apply at the next request of an open session', async () => {
      const key = await createProjectKey(server, ['GROUP_OWNER'], 'demoted key');
      const session = await signIn(origin, { publicKey: key.publicKey, privateKey: key.privateKey });
      assert.equal(
        (await withSession(origin, session, 'POST', usersPath(), { body: newUser('beforedemotion') })).status,
        201,
      );
      const assign = await server.client.patch(`${V1}/groups/${groupId}/apiKeys/${key.id}`, {
        roles: ['GROUP_READ_ONLY'],
      });
      assert.equal(assign.status, 200, assign.text);
      const refused = await withSession(origin, session, 'POST', usersPath(), { body: newUser('afterdemotion') });
      assert.equal(refused.status, 401);
      assert.equal(refused.json().errorCode, 'USER_UNAUTHORIZED');
      const described = (await withSession(origin, session, 'GET', '/console/session')).json();
      assert.deepEqual(described.operations.projects[groupId], readOnlyOperations);
    });

    test('sign-ins sweep expired sessions from the store', async () => {
      clock.set(START);
      const stale = await signIn(origin, owner);
      clock.advance(20 * MINUTE);
      await signIn(origin, owner);
      assert.equal(await sessionRow(stale.sessionId), undefined);
      clock.set(START);
    });
  });
});

describe('console sessions: failed sign-ins are throttled like failed Digest attempts', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ failedAuthPolicy: { capacity: 3, refillRate: 1, refillSeconds: 3600 } });
  });
  after(() => server?.close());

  test('the fourth failure from one address is 429 with Retry-After; the right key still signs in', async () => {
    const wrong = JSON.stringify({ publicKey: server.credentials.publicKey, privateKey: 'wrong' });
    for (let attempt = 1; attempt <= 3; attempt++) {
      const response = await http(server.origin, 'POST', '/console/session', {
        headers: { 'content-type': 'application/json' },
        body: wrong,
      });
      assert.equal(response.status, 401, `attempt ${attempt}`);
    }
    const throttled = await http(server.origin, 'POST', '/console/session', {
      headers: { 'content-type': 'application/json' },
      body: wrong,
    });
    assert.equal(throttled.status, 429);
    assert.equal(throttled.json().errorCode, 'RATE_LIMITED_TOKEN_BUCKET');
    assert.match(String(throttled.headers['retry-after']), /^\d+$/);
    const session = await signIn(server.origin, {
      publicKey: server.credentials.publicKey,
      privateKey: server.credentials.privateKey,
    });
    assert.equal(session.response.status, 201);
    const metrics = await http(server.origin, 'GET', '/metrics');
    assert.match(metrics.text, /dbcerts_authentication_throttled_total 1\b/);
  });
});

describe('console sessions over HTTPS (behind a trusted proxy)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ trustProxy: true });
  });
  after(() => server?.close());

  test('the cookie is Secure, and the https origin is the one writes must come from', async () => {
    const credentials = { publicKey: server.credentials.publicKey, privateKey: server.credentials.privateKey };
    const host = new URL(server.origin).host;
    const proxied = { 'x-forwarded-proto': 'https', 'x-forwarded-host': host };
    const response = await http(server.origin, 'POST', '/console/session', {
      headers: { 'content-type': 'application/json', ...proxied },
      body: JSON.stringify(credentials),
    });
    assert.equal(response.status, 201);
    const cookie = [response.headers['set-cookie']].flat()[0]!;
    assert.match(cookie, /^dbcerts_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Secure$/);
    const session = { cookie: cookie.split(';')[0]!, csrfToken: response.json().csrfToken };
    const users = `${V1}/groups/${server.credentials.groupId}/databaseUsers`;
    const body = {
      databaseName: 'admin',
      username: 'overhttps',
      password: 'correct horse battery',
      roles: [{ roleName: 'read', databaseName: 'app' }],
    };
    const plainOrigin = await withSession(server.origin, session, 'POST', users, {
      body,
      headers: { ...proxied, origin: `http://${host}` },
    });
    assert.equal(plainOrigin.status, 403, 'http:// is another origin than https://');
    const httpsOrigin = await withSession(server.origin, session, 'POST', users, {
      body,
      headers: { ...proxied, origin: `https://${host}` },
    });
    assert.equal(httpsOrigin.status, 201, httpsOrigin.text);
  });

  test('without HTTPS the cookie has no Secure attribute', async () => {
    const session = await signIn(server.origin, {
      publicKey: server.credentials.publicKey,
      privateKey: server.credentials.privateKey,
    });
    assert.match([session.response.headers['set-cookie']].flat()[0]!, SESSION_COOKIE_SHAPE);
  });
});

describe('console sessions are shared by every instance of a deployment', () => {
  let deployment: Awaited<ReturnType<typeof startInstances>>;
  let instances: Instance[];
  let credentials: { publicKey: string; privateKey: string; groupId: string };

  before(async () => {
    deployment = await startInstances(2, new TestClock(START));
    ({ instances, credentials } = deployment);
  });
  after(() => deployment.close());

  test(`signed in on one instance, used and signed out on the other (${TEST_BACKEND})`, async () => {
    const [first, second] = instances as [(typeof instances)[0], (typeof instances)[0]];
    const session = await signIn(first.origin, {
      publicKey: credentials.publicKey,
      privateKey: credentials.privateKey,
    });
    const users = `${V1}/groups/${credentials.groupId}/databaseUsers`;
    assert.equal((await withSession(second.origin, session, 'GET', users)).status, 200);
    const created = await withSession(second.origin, session, 'POST', users, {
      body: {
        databaseName: 'admin',
        username: 'elsewhere',
        password: 'correct horse battery',
        roles: [{ roleName: 'read', databaseName: 'app' }],
      },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal((await withSession(second.origin, session, 'DELETE', '/console/session')).status, 204);
    assertSessionRefused(await withSession(first.origin, session, 'GET', users), 'signed out on the other instance');
  });
});
