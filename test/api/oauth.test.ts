import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { assertAtlasError, atlasError, type AtlasErrorBody, UNAUTHORIZED_BODY } from '../helpers/atlas-assert.js';
import { TestClock } from '../helpers/clock.js';
import { type ApiResponse, DigestClient } from '../helpers/digest-client.js';
import { type Instance, startInstances, startTestServer, storeSnapshot, type TestServer } from '../helpers/server.js';
import { raw, type RawOptions, type RawResponse } from '../helpers/raw-http.js';

/**
 * OAuth 2.0 client credentials for service accounts (shared/spec/atlas-api.md §8,
 * docs/compatibility.md "Service accounts and OAuth 2.0"): the token endpoint's answers,
 * exactly; the token (an HS256 JWT naming the client, good for 3600 s); and Bearer tokens
 * on the Atlas API under v1.0 and v2, with the account's roles, its access list checked at
 * use, and every way a token stops working (expiry, revocation, deleting the account or
 * the secret, the secret expiring), forgeries refused, and tokens honoured by every
 * instance of one deployment and no other.
 */

const START = '2025-03-01T09:00:00.250Z';
const START_SECOND = '2025-03-01T09:00:00Z';
const V2_TYPE = 'application/vnd.atlas.2023-01-01+json';
/** Atlas has service accounts only in v2, as 2024-08-05. */
const SA_TYPE = 'application/vnd.atlas.2024-08-05+json';

/** A Digest request of `client` to a service-account route (v2, version 2024-08-05). */
function accountRequest(client: DigestClient, method: string, path: string, body?: unknown): Promise<ApiResponse> {
  return client.request(`/api/atlas/v2${path}`, {
    method,
    ...(body !== undefined ? { body } : {}),
    headers: { accept: SA_TYPE },
  });
}
const FORM = 'application/x-www-form-urlencoded';
const CHALLENGE =
  /^Digest realm="MMS Public API", domain="", nonce="[0-9a-f]+", algorithm=MD5, qop="auth", stale=false$/;
const INVALID_CLIENT = '{"error_description":"Invalid credentials provided.","error":"invalid_client"}';
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

// --- HTTP from a chosen source address ---------------------------------------------------

const basic = (clientId: string, secret: string) => `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;

/** POST /api/oauth/token with client credentials in HTTP Basic. */
function mint(origin: string, clientId: string, secret: string, from?: string): Promise<RawResponse> {
  return raw(origin, 'POST', '/api/oauth/token', {
    headers: { authorization: basic(clientId, secret), 'content-type': FORM },
    body: 'grant_type=client_credentials',
    ...(from ? { from } : {}),
  });
}

/** A fresh access token (asserting the token endpoint's success). */
async function accessToken(origin: string, account: Account, secret = account.secret): Promise<string> {
  const response = await mint(origin, account.clientId, secret);
  assert.equal(response.status, 200, response.text);
  return response.json().access_token;
}

/** An Atlas API request with `Authorization: Bearer <token>` (and the v2 Accept header under v2). */
function withToken(
  origin: string,
  token: string,
  method: string,
  path: string,
  options: { body?: unknown; from?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...options.headers };
  if (path.startsWith('/api/atlas/v2/')) headers.accept ??= path.includes('/serviceAccounts') ? SA_TYPE : V2_TYPE;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return raw(origin, method, path, {
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    ...(options.from ? { from: options.from } : {}),
  });
}

/** The 401 a request without valid credentials gets: the Digest challenge and Atlas' body. */
function assertChallenge(response: RawResponse, message?: string): void {
  assert.equal(response.status, 401, `${message ?? ''} ${response.text}`);
  assert.match(String(response.headers['www-authenticate']), CHALLENGE, message);
  assert.equal(response.text, UNAUTHORIZED_BODY, message);
}

function assertInvalidClient(response: RawResponse, message?: string): void {
  assert.equal(response.status, 401, `${message ?? ''} ${response.text}`);
  assert.equal(response.text, INVALID_CLIENT, message);
  assert.match(String(response.headers['content-type']), /^application\/json/, message);
  assert.equal(response.headers['cache-control'], 'no-store', message);
}

function assertOAuthError(response: RawResponse, status: number, error: string, description: string): void {
  assert.equal(response.status, status, response.text);
  assert.equal(response.text, JSON.stringify({ error_description: description, error }));
  assert.match(String(response.headers['content-type']), /^application\/json/);
  assert.equal(response.headers['cache-control'], 'no-store');
}

// --- tokens -------------------------------------------------------------------------------

const decodePart = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
const encodePart = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function claimsOf(token: string): Record<string, unknown> {
  return decodePart(token.split('.')[1]!);
}

/** The token with its payload replaced and the original signature kept. */
function tampered(token: string, change: (claims: Record<string, unknown>) => Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.');
  return `${header}.${encodePart(change(decodePart(payload!)))}.${signature}`;
}

// --- accounts -----------------------------------------------------------------------------

interface Account {
  clientId: string;
  /** The account's internal id (events' apiKeyId). */
  id: string;
  secret: string;
  secretId: string;
}

async function createAccount(
  server: TestServer,
  roles: string[],
  options: { hours?: number; name?: string; projectRoles?: string[] } = {},
): Promise<Account> {
  const response = await accountRequest(server.client, 'POST', `/orgs/${server.credentials.orgId}/serviceAccounts`, {
    name: options.name ?? 'robot',
    description: 'OAuth test account',
    roles,
    secretExpiresAfterHours: options.hours ?? 24,
  });
  assert.equal(response.status, 201, response.text);
  const body = response.json();
  const account = {
    clientId: body.clientId,
    id: body.clientId.slice('mdb_sa_id_'.length),
    secret: body.secrets[0].secret,
    secretId: body.secrets[0].id,
  };
  if (options.projectRoles) {
    const assigned = await accountRequest(
      server.client,
      'POST',
      `/groups/${server.credentials.groupId}/serviceAccounts/${account.clientId}:invite`,
      { roles: options.projectRoles },
    );
    assert.equal(assigned.status, 200, assigned.text);
  }
  return account;
}

const userUnauthorized = () =>
  atlasError(401, 'USER_UNAUTHORIZED', 'Current user is not authorized to perform this action.');
const notOnAccessList = (address: string): AtlasErrorBody =>
  atlasError(403, 'IP_ADDRESS_NOT_ON_ACCESS_LIST', `IP address ${address} is not allowed to access this resource.`, [
    address,
  ]);
const requiresAccessList = (address: string): AtlasErrorBody =>
  atlasError(
    403,
    'RESOURCE_REQUIRES_ACCESS_LIST',
    'This resource requires access through an access list of ip ranges.',
    [address],
  );

const scramUser = (username: string) => ({
  databaseName: 'admin',
  username,
  password: 'correct horse battery staple',
  roles: [{ roleName: 'read', databaseName: 'app' }],
});

// =======================================================================================

describe('POST /api/oauth/token', () => {
  let server: TestServer;
  let account: Account;
  let other: Account;
  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
    account = await createAccount(server, ['ORG_MEMBER']);
    other = await createAccount(server, ['ORG_MEMBER'], { name: 'other' });
  });
  after(() => server.close());

  test('client credentials in Basic: 200 {"access_token","expires_in":3600,"token_type":"Bearer"}, Cache-Control: no-store', async () => {
    const response = await mint(server.origin, account.clientId, account.secret);
    assert.equal(response.status, 200, response.text);
    const token = response.json().access_token;
    assert.match(token, JWT);
    assert.equal(response.text, `{"access_token":"${token}","expires_in":3600,"token_type":"Bearer"}`);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(response.headers['pragma'], 'no-cache');
    assert.equal(response.headers['www-authenticate'], undefined);
  });

  test('the token is an HS256 JWT naming the client, issued now, expiring in 3600 s, signed with the deployment key', async () => {
    const token = (await mint(server.origin, account.clientId, account.secret)).json().access_token as string;
    const [header, payload, signature] = token.split('.') as [string, string, string];
    assert.equal(Buffer.from(header, 'base64url').toString('utf8'), '{"alg":"HS256","typ":"JWT"}');
    const claims = decodePart(payload);
    const issuedAt = Math.floor(new Date(START).getTime() / 1000);
    assert.equal(claims.sub, account.clientId);
    assert.equal(claims.iat, issuedAt);
    assert.equal(claims.exp, issuedAt + 3600);
    assert.equal(claims.sid, account.secretId);
    assert.equal(claims.org, server.credentials.orgId);
    assert.equal(typeof claims.jti, 'string');
    // An independent HMAC-SHA256 over the signing input, with the key from the store.
    const key = await server.authority.oauth.signingKey();
    assert.equal(createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url'), signature);
    // No secret in the token.
    assert.ok(!Buffer.from(payload, 'base64url').toString().includes(account.secret.slice('mdb_sa_sk_'.length)));
    // Each token is distinct.
    const again = (await mint(server.origin, account.clientId, account.secret)).json().access_token as string;
    assert.notEqual(again, token);
    assert.notEqual(claimsOf(again).jti, claims.jti);
  });

  test('Basic with each part form-encoded (RFC 6749 §2.3.1), as oauth4webapi sends it', async () => {
    const formEncode = (text: string) =>
      [...text]
        .map((char) => (/[A-Za-z0-9]/.test(char) ? char : `%${char.charCodeAt(0).toString(16).toUpperCase()}`))
        .join('');
    assert.ok(formEncode(account.clientId).includes('%5F'));
    const response = await raw(server.origin, 'POST', '/api/oauth/token', {
      headers: { authorization: basic(formEncode(account.clientId), formEncode(account.secret)), 'content-type': FORM },
      body: 'grant_type=client_credentials',
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(claimsOf(response.json().access_token).sub, account.clientId);
  });

  test('client credentials in the form body (client_id, client_secret)', async () => {
    const response = await raw(server.origin, 'POST', '/api/oauth/token', {
      headers: { 'content-type': FORM },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: account.clientId,
        client_secret: account.secret,
      }).toString(),
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(claimsOf(response.json().access_token).sub, account.clientId);
    assert.equal(response.headers['cache-control'], 'no-store');
  });

  test("bad client credentials: 401 invalid_client, Atlas' exact body; nothing changes", async () => {
    const snapshot = await storeSnapshot(server.store);
    const formBody = (fields: Record<string, string>) =>
      new URLSearchParams({ grant_type: 'client_credentials', ...fields }).toString();
    const cases: Array<[string, RawOptions]> = [
      ['wrong secret', { headers: { authorization: basic(account.clientId, `${account.secret}x`) } }],
      ["another account's secret", { headers: { authorization: basic(account.clientId, other.secret) } }],
      ['unknown client', { headers: { authorization: basic('mdb_sa_id_0123456789abcdef01234567', account.secret) } }],
      ['malformed client id', { headers: { authorization: basic('mdb_sa_id_xyz', account.secret) } }],
      [
        'an API key pair',
        { headers: { authorization: basic(server.credentials.publicKey, server.credentials.privateKey) } },
      ],
      ['Basic that is not base64', { headers: { authorization: 'Basic !!!not base64!!!' } }],
      [
        'Basic without a colon',
        { headers: { authorization: `Basic ${Buffer.from(account.clientId).toString('base64')}` } },
      ],
      ['Basic with nothing', { headers: { authorization: 'Basic ' } }],
      ['empty secret', { headers: { authorization: basic(account.clientId, '') } }],
      ['no credentials', {}],
      ['Digest instead', { headers: { authorization: 'Digest username="x", realm="MMS Public API"' } }],
      ['body: wrong secret', { body: formBody({ client_id: account.clientId, client_secret: other.secret }) }],
      ['body: no secret', { body: formBody({ client_id: account.clientId }) }],
      ['body: no client id', { body: formBody({ client_secret: account.secret }) }],
    ];
    for (const [name, options] of cases) {
      const response = await raw(server.origin, 'POST', '/api/oauth/token', {
        body: 'grant_type=client_credentials',
        ...options,
        headers: { 'content-type': FORM, ...options.headers },
      });
      assertInvalidClient(response, name);
    }
    assert.equal(await storeSnapshot(server.store), snapshot);
  });

  test('no grant_type: 400 invalid_request; another grant: 400 unsupported_grant_type', async () => {
    const authorization = basic(account.clientId, account.secret);
    for (const body of ['', 'scope=x']) {
      const response = await raw(server.origin, 'POST', '/api/oauth/token', {
        headers: { authorization, 'content-type': FORM },
        body,
      });
      assertOAuthError(response, 400, 'invalid_request', 'grant_type is required.');
    }
    const noBody = await raw(server.origin, 'POST', '/api/oauth/token', { headers: { authorization } });
    assertOAuthError(noBody, 400, 'invalid_request', 'grant_type is required.');
    for (const grant of [
      'password&username=a&password=b',
      'authorization_code&code=x',
      'refresh_token&refresh_token=x',
      'CLIENT_CREDENTIALS',
    ]) {
      const response = await raw(server.origin, 'POST', '/api/oauth/token', {
        headers: { authorization, 'content-type': FORM },
        body: `grant_type=${grant}`,
      });
      assertOAuthError(response, 400, 'unsupported_grant_type', 'Only client_credentials is supported.');
    }
    // RFC 6749 §3.1: a parameter sent without a value is treated as omitted.
    for (const body of ['grant_type=', 'grant_type']) {
      const response = await raw(server.origin, 'POST', '/api/oauth/token', {
        headers: { authorization, 'content-type': FORM },
        body,
      });
      assertOAuthError(response, 400, 'invalid_request', 'grant_type is required.');
    }
  });

  test('a JSON body instead of a form: 400 invalid_request (its grant_type is not read); text/plain: 415', async () => {
    const authorization = basic(account.clientId, account.secret);
    const json = await raw(server.origin, 'POST', '/api/oauth/token', {
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    assertOAuthError(json, 400, 'invalid_request', 'grant_type is required.');
    const text = await raw(server.origin, 'POST', '/api/oauth/token', {
      headers: { authorization, 'content-type': 'text/plain' },
      body: 'grant_type=client_credentials',
    });
    assertAtlasError(
      text,
      atlasError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type text/plain.', ['text/plain']),
    );
  });

  test('the endpoint takes POST only', async () => {
    const response = await raw(server.origin, 'GET', '/api/oauth/token');
    assertAtlasError(
      response,
      atlasError(404, 'RESOURCE_NOT_FOUND', 'Cannot find resource /api/oauth/token.', ['/api/oauth/token']),
    );
  });
});

// =======================================================================================

describe('Bearer tokens on the Atlas API: the account’s roles, under v1.0 and v2', () => {
  let server: TestServer;
  let reader: Account;
  let token: string;
  let otherProject: string;
  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
    const created = await server.client.post('/api/atlas/v1.0/groups', {
      name: 'Unassigned',
      orgId: server.credentials.orgId,
    });
    otherProject = created.json().id;
    reader = await createAccount(server, ['ORG_MEMBER'], { projectRoles: ['GROUP_READ_ONLY'] });
    token = await accessToken(server.origin, reader);
  });
  after(() => server.close());
  const users = (version: string, groupId = server.credentials.groupId) =>
    `/api/atlas/${version}/groups/${groupId}/databaseUsers`;

  test('a GROUP_READ_ONLY account reads under v1.0 and v2', async () => {
    const v1 = await withToken(server.origin, token, 'GET', users('v1.0'));
    assert.equal(v1.status, 200, v1.text);
    assert.match(String(v1.headers['content-type']), /^application\/json/);
    assert.equal(v1.json().totalCount, 0);
    const v2 = await withToken(server.origin, token, 'GET', users('v2'));
    assert.equal(v2.status, 200, v2.text);
    assert.equal(v2.headers['content-type'], V2_TYPE);
    assert.deepEqual(v2.json().results, []);
    // The project list names only the project it is assigned to.
    for (const version of ['v1.0', 'v2']) {
      const groups = await withToken(server.origin, token, 'GET', `/api/atlas/${version}/groups`);
      assert.equal(groups.status, 200, groups.text);
      assert.deepEqual(
        groups.json().results.map((group: { id: string }) => group.id),
        [server.credentials.groupId],
      );
    }
    const org = await withToken(server.origin, token, 'GET', `/api/atlas/v2/orgs/${server.credentials.orgId}`);
    assert.equal(org.status, 200, org.text);
  });

  test('…but may not write: 401 USER_UNAUTHORIZED without a challenge, nothing changes', async () => {
    const snapshot = await storeSnapshot(server.store);
    for (const version of ['v1.0', 'v2']) {
      const write = await withToken(server.origin, token, 'POST', users(version), { body: scramUser('nope') });
      assertAtlasError(write, userUnauthorized(), version);
      assert.equal(write.headers['www-authenticate'], undefined);
    }
    const create = await withToken(
      server.origin,
      token,
      'POST',
      `/api/atlas/v2/orgs/${server.credentials.orgId}/serviceAccounts`,
      { body: { name: 'x', description: 'y', roles: ['ORG_OWNER'], secretExpiresAfterHours: 8 } },
    );
    assertAtlasError(create, userUnauthorized());
    // A project it has no role in.
    const elsewhere = await withToken(server.origin, token, 'GET', users('v1.0', otherProject));
    assertAtlasError(
      elsewhere,
      atlasError(401, 'NOT_IN_GROUP', 'The current user is not in the group, or the group does not exist.'),
    );
    assert.equal(await storeSnapshot(server.store), snapshot);
  });

  test('role changes hold at the token’s next use', async () => {
    const path = `/groups/${server.credentials.groupId}/serviceAccounts/${reader.clientId}`;
    const patch = async (roles: string[]) => (await accountRequest(server.client, 'PATCH', path, { roles })).status;
    assert.equal(await patch(['GROUP_DATABASE_ACCESS_ADMIN']), 200);
    const created = await withToken(server.origin, token, 'POST', users('v2'), { body: scramUser('granted') });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.headers['content-type'], V2_TYPE);
    assert.equal(await patch(['GROUP_READ_ONLY']), 200);
    assertAtlasError(
      await withToken(server.origin, token, 'DELETE', `${users('v1.0')}/admin/granted`),
      userUnauthorized(),
    );
  });

  test('v2 still needs a version date (406 after authentication); the scheme name is case-insensitive', async () => {
    const response = await withToken(server.origin, token, 'GET', users('v2'), {
      headers: { accept: 'application/json' },
    });
    assert.equal(response.status, 406, response.text);
    assert.equal(
      response.text,
      '{"detail":"Invalid accept header or version date.","error":406,"errorCode":"INVALID_VERSION_DATE","parameters":[],"reason":"Not Acceptable"}',
    );
    const lower = await raw(server.origin, 'GET', users('v1.0'), { headers: { authorization: `bearer ${token}` } });
    assert.equal(lower.status, 200, lower.text);
  });
});

// =======================================================================================

describe('the account’s access list is enforced when a token is used, not when it is minted', () => {
  let server: TestServer;
  let account: Account;
  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
    account = await createAccount(server, ['ORG_MEMBER'], { projectRoles: ['GROUP_READ_ONLY'] });
    const listed = await accountRequest(
      server.client,
      'POST',
      `/orgs/${server.credentials.orgId}/serviceAccounts/${account.clientId}/accessList`,
      [{ ipAddress: '127.0.0.1' }],
    );
    assert.equal(listed.status, 200, listed.text);
  });
  after(() => server.close());

  test('minted from 127.0.0.2; refused from 127.0.0.2 (403 naming it); admitted from 127.0.0.1, which is credited', async () => {
    const minted = await mint(server.origin, account.clientId, account.secret, '127.0.0.2');
    assert.equal(minted.status, 200, minted.text);
    const token = minted.json().access_token;
    const path = `/api/atlas/v2/groups/${server.credentials.groupId}/databaseUsers`;
    const snapshot = await storeSnapshot(server.store);
    const refused = await withToken(server.origin, token, 'GET', path, { from: '127.0.0.2' });
    assertAtlasError(refused, notOnAccessList('127.0.0.2'));
    assert.equal(await storeSnapshot(server.store), snapshot);
    server.clock.advance(5000);
    const admitted = await withToken(server.origin, token, 'GET', path, { from: '127.0.0.1' });
    assert.equal(admitted.status, 200, admitted.text);
    const list = await accountRequest(
      server.client,
      'GET',
      `/orgs/${server.credentials.orgId}/serviceAccounts/${account.clientId}/accessList`,
    );
    const [entry] = list.json().results;
    assert.equal(entry.requestCount, 1);
    assert.equal(entry.lastUsedAddress, '127.0.0.1');
    assert.equal(entry.lastUsedAt, '2025-03-01T09:00:05Z');
    // The refusal is in the audit trail, with the account as the actor.
    const events = await server.client.get(
      `/api/atlas/v1.0/orgs/${server.credentials.orgId}/events?eventType=DBCERTS_REQUEST_REFUSED`,
    );
    const [event] = events.json().results;
    assert.equal(event.publicKey, account.clientId);
    assert.equal(event.apiKeyId, account.id);
    assert.equal(event.remoteAddress, '127.0.0.2');
    assert.equal(event.errorCode, 'IP_ADDRESS_NOT_ON_ACCESS_LIST');
    assert.equal(event.status, 403);
    assert.equal(event.path, path);
  });

  test('an organization that requires access lists refuses an account without one', async () => {
    const bare = await createAccount(server, ['ORG_MEMBER'], { name: 'bare' });
    const token = await accessToken(server.origin, bare);
    const orgPath = `/api/atlas/v1.0/orgs/${server.credentials.orgId}`;
    assert.equal((await withToken(server.origin, token, 'GET', orgPath)).status, 200);
    const settings = `${orgPath}/settings`;
    // The administering key keeps access through an entry of its own.
    const ownerKey = await server.store.apiKeys.findByPublicKey(server.credentials.publicKey);
    assert.ok(ownerKey);
    const ownerEntry = await server.client.post(`${orgPath}/apiKeys/${ownerKey.id}/accessList`, [
      { ipAddress: '127.0.0.1' },
    ]);
    assert.equal(ownerEntry.status, 201, ownerEntry.text);
    assert.equal((await server.client.patch(settings, { apiAccessListRequired: true })).status, 200);
    try {
      assertAtlasError(await withToken(server.origin, token, 'GET', orgPath), requiresAccessList('127.0.0.1'));
      // Minting still works: the list is checked at use.
      assert.equal((await mint(server.origin, bare.clientId, bare.secret)).status, 200);
    } finally {
      assert.equal((await server.client.patch(settings, { apiAccessListRequired: false })).status, 200);
    }
    assert.equal((await withToken(server.origin, token, 'GET', orgPath)).status, 200);
  });
});

// =======================================================================================

describe('a token stops working at its next use when…', () => {
  let server: TestServer;
  const orgPath = () => `/api/atlas/v1.0/orgs/${server.credentials.orgId}`;
  const accountPath = (account: Account) => `/orgs/${server.credentials.orgId}/serviceAccounts/${account.clientId}`;
  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
  });
  after(() => server.close());

  const works = async (token: string, message?: string) => {
    const response = await withToken(server.origin, token, 'GET', orgPath());
    assert.equal(response.status, 200, `${message ?? ''} ${response.text}`);
  };

  test('…it expires: fine at 3599 s, refused from exp on (with the Digest challenge)', async () => {
    server.clock.set(START);
    const account = await createAccount(server, ['ORG_MEMBER']);
    const token = await accessToken(server.origin, account);
    await works(token);
    server.clock.set(new Date(new Date(START_SECOND).getTime() + 3599_999));
    await works(token, 'at 3599.999 s');
    server.clock.set(new Date(new Date(START_SECOND).getTime() + 3600_000));
    assertChallenge(await withToken(server.origin, token, 'GET', orgPath()), 'at exp');
    server.clock.advance(1000);
    assertChallenge(
      await withToken(server.origin, token, 'GET', `/api/atlas/v2/orgs/${server.credentials.orgId}`),
      'v2, past exp',
    );
    // A new token works again.
    await works(await accessToken(server.origin, account));
  });

  test('…its account is deleted', async () => {
    const account = await createAccount(server, ['ORG_MEMBER']);
    const token = await accessToken(server.origin, account);
    await works(token);
    assert.equal((await accountRequest(server.client, 'DELETE', accountPath(account))).status, 204);
    assertChallenge(await withToken(server.origin, token, 'GET', orgPath()));
  });

  test('…the secret it was minted with is deleted (tokens of the other secret still work)', async () => {
    const account = await createAccount(server, ['ORG_MEMBER']);
    const second = await accountRequest(server.client, 'POST', `${accountPath(account)}/secrets`, {
      secretExpiresAfterHours: 24,
    });
    assert.equal(second.status, 201, second.text);
    const first = await accessToken(server.origin, account);
    const other = await accessToken(server.origin, account, second.json().secret);
    assert.equal(claimsOf(other).sid, second.json().id);
    await works(first);
    assert.equal(
      (await accountRequest(server.client, 'DELETE', `${accountPath(account)}/secrets/${account.secretId}`)).status,
      204,
    );
    assertChallenge(await withToken(server.origin, first, 'GET', orgPath()));
    await works(other, 'the other secret');
  });

  test('…its secret expires (before the token would), and the expired secret mints nothing', async () => {
    server.clock.set(START);
    const account = await createAccount(server, ['ORG_MEMBER'], { hours: 8 });
    const expiresAt = new Date(START).getTime() + 8 * 3600_000;
    server.clock.set(new Date(expiresAt - 30 * 60_000));
    const token = await accessToken(server.origin, account);
    await works(token);
    server.clock.set(new Date(expiresAt - 1));
    await works(token, 'a millisecond before the secret expires');
    server.clock.set(new Date(expiresAt));
    assertChallenge(await withToken(server.origin, token, 'GET', orgPath()));
    assertInvalidClient(await mint(server.origin, account.clientId, account.secret));
    server.clock.set(START);
  });

  test('…it is revoked (POST /api/oauth/revoke, RFC 7009): 200, other tokens unaffected', async () => {
    const account = await createAccount(server, ['ORG_MEMBER']);
    const token = await accessToken(server.origin, account);
    const kept = await accessToken(server.origin, account);
    await works(token);
    const revoked = await raw(server.origin, 'POST', '/api/oauth/revoke', {
      headers: { authorization: basic(account.clientId, account.secret), 'content-type': FORM },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
    });
    assert.equal(revoked.status, 200, revoked.text);
    assert.equal(revoked.text, '');
    assert.equal(revoked.headers['cache-control'], 'no-store');
    assertChallenge(await withToken(server.origin, token, 'GET', orgPath()));
    await works(kept, 'another token of the account');
    // Revoking again, or a token that is not one, is 200 too (RFC 7009 §2.2).
    for (const again of [token, 'not-a-token']) {
      const response = await raw(server.origin, 'POST', '/api/oauth/revoke', {
        headers: { 'content-type': FORM },
        body: new URLSearchParams({
          token: again,
          client_id: account.clientId,
          client_secret: account.secret,
        }).toString(),
      });
      assert.equal(response.status, 200, response.text);
    }
  });

  test('revocation needs the owning client’s credentials: bad ones 401, another client’s leave the token alone', async () => {
    const account = await createAccount(server, ['ORG_MEMBER']);
    const stranger = await createAccount(server, ['ORG_MEMBER'], { name: 'stranger' });
    const token = await accessToken(server.origin, account);
    const wrong = await raw(server.origin, 'POST', '/api/oauth/revoke', {
      headers: { authorization: basic(account.clientId, stranger.secret), 'content-type': FORM },
      body: `token=${token}`,
    });
    assertInvalidClient(wrong);
    const noCredentials = await raw(server.origin, 'POST', '/api/oauth/revoke', {
      headers: { 'content-type': FORM },
      body: `token=${token}`,
    });
    assertInvalidClient(noCredentials);
    const foreign = await raw(server.origin, 'POST', '/api/oauth/revoke', {
      headers: { authorization: basic(stranger.clientId, stranger.secret), 'content-type': FORM },
      body: `token=${token}`,
    });
    assert.equal(foreign.status, 200, foreign.text);
    await works(token, 'revoked by another client');
    const noToken = await raw(server.origin, 'POST', '/api/oauth/revoke', {
      headers: { authorization: basic(account.clientId, account.secret), 'content-type': FORM },
      body: '',
    });
    assertOAuthError(noToken, 400, 'invalid_request', 'token is required.');
    await works(token);
  });
});

// =======================================================================================

describe('forged tokens are refused with the Digest challenge', () => {
  let server: TestServer;
  let account: Account;
  let otherAccount: Account;
  let token: string;
  const path = () => `/api/atlas/v1.0/orgs/${server.credentials.orgId}`;
  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
    account = await createAccount(server, ['ORG_MEMBER']);
    otherAccount = await createAccount(server, ['ORG_OWNER'], { name: 'owner' });
    token = await accessToken(server.origin, account);
    const control = await withToken(server.origin, token, 'GET', path());
    assert.equal(control.status, 200, control.text);
  });
  after(() => server.close());

  test('a tampered payload (signature kept)', async () => {
    const forgeries = {
      'longer life': tampered(token, (claims) => ({ ...claims, exp: (claims.exp as number) + 86400 })),
      'another account': tampered(token, (claims) => ({
        ...claims,
        sub: otherAccount.clientId,
        sid: otherAccount.secretId,
      })),
      'another secret': tampered(token, (claims) => ({ ...claims, sid: otherAccount.secretId })),
      'a new jti': tampered(token, (claims) => ({ ...claims, jti: 'ffffffffffffffffffffffffffffffff' })),
      'same claims, re-encoded with a space': `${token.split('.')[0]}.${Buffer.from(
        JSON.stringify(claimsOf(token), null, 1),
      ).toString('base64url')}.${token.split('.')[2]}`,
    };
    for (const [name, forged] of Object.entries(forgeries)) {
      assert.notEqual(forged, token);
      assertChallenge(await withToken(server.origin, forged, 'GET', path()), name);
    }
  });

  test('the same claims signed with another key, or with none', async () => {
    const claims = claimsOf(token);
    const otherKey = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(randomBytes(32));
    assertChallenge(await withToken(server.origin, otherKey, 'GET', path()), 'another key');
    const none = `${encodePart({ alg: 'none', typ: 'JWT' })}.${encodePart(claims)}.`;
    assertChallenge(await withToken(server.origin, none, 'GET', path()), 'alg none');
    const noneSigned = `${encodePart({ alg: 'none', typ: 'JWT' })}.${encodePart(claims)}.${token.split('.')[2]}`;
    assertChallenge(await withToken(server.origin, noneSigned, 'GET', path()), 'alg none, signature kept');
    // The signing key as a string secret, HS512: not an accepted algorithm.
    const key = await server.authority.oauth.signingKey();
    const hs512 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS512', typ: 'JWT' }).sign(key);
    assertChallenge(await withToken(server.origin, hs512, 'GET', path()), 'HS512 with the right key');
  });

  test('things that are not tokens', async () => {
    for (const [name, authorization] of [
      ['garbage', 'Bearer abc'],
      ['two parts', `Bearer ${token.split('.').slice(0, 2).join('.')}`],
      ['the client secret', `Bearer ${account.secret}`],
      ['empty', 'Bearer '],
      ['two tokens', `Bearer ${token} ${token}`],
    ] as const) {
      assertChallenge(await raw(server.origin, 'GET', path(), { headers: { authorization } }), name);
    }
  });

  test('a token from another deployment, for an identical account, is refused', async () => {
    const elsewhere = await startTestServer({ clock: new TestClock(START) });
    try {
      // The same organization, account and secret in the other deployment's store.
      const stored = await server.store.apiKeys.findByPublicKey(account.clientId, 'SERVICE_ACCOUNT');
      assert.ok(stored);
      const org = await server.store.organizations.find(server.credentials.orgId);
      assert.ok(org);
      await elsewhere.store.organizations.insert({ id: org.id, name: org.name, createdAt: org.createdAt });
      await elsewhere.store.apiKeys.insert(stored, 'SERVICE_ACCOUNT', 'robot');
      for (const secret of await server.store.serviceAccountSecrets.ofAccount(stored.id)) {
        await elsewhere.store.serviceAccountSecrets.insert(secret);
      }
      const foreign = await accessToken(elsewhere.origin, account);
      const orgPath = `/api/atlas/v1.0/orgs/${org.id}`;
      assert.equal((await withToken(elsewhere.origin, foreign, 'GET', orgPath)).status, 200, 'at home');
      assert.deepEqual(
        { sub: claimsOf(foreign).sub, sid: claimsOf(foreign).sid },
        { sub: account.clientId, sid: account.secretId },
      );
      assertChallenge(await withToken(server.origin, foreign, 'GET', orgPath), 'abroad');
      // And the other way round.
      assertChallenge(await withToken(elsewhere.origin, token, 'GET', orgPath), 'ours, abroad');
    } finally {
      await elsewhere.close();
    }
  });
});

// =======================================================================================

describe('every instance of a deployment honours its tokens (two Authorities over one store)', () => {
  const clock = new TestClock(START);
  let deployment: Awaited<ReturnType<typeof startInstances>>;
  let a: Instance;
  let b: Instance;
  let orgId: string;
  let owner: DigestClient;

  before(async () => {
    deployment = await startInstances(2, clock, {
      failedAuthPolicy: { capacity: 1_000_000, refillRate: 1_000_000, refillSeconds: 60 },
    });
    [a, b] = deployment.instances as [Instance, Instance];
    const { credentials } = deployment;
    orgId = credentials.orgId;
    owner = new DigestClient(a.origin, credentials.publicKey, credentials.privateKey);
  });
  after(() => deployment.close());

  async function createOn(): Promise<Account> {
    const response = await accountRequest(owner, 'POST', `/orgs/${orgId}/serviceAccounts`, {
      name: 'shared',
      description: 'two instances',
      roles: ['ORG_MEMBER'],
      secretExpiresAfterHours: 24,
    });
    assert.equal(response.status, 201, response.text);
    const body = response.json();
    return {
      clientId: body.clientId,
      id: body.clientId.slice('mdb_sa_id_'.length),
      secret: body.secrets[0].secret,
      secretId: body.secrets[0].id,
    };
  }

  test('one signing key; a token minted on A works on B and the reverse', async () => {
    assert.deepEqual(
      Buffer.from(await a.authority.oauth.signingKey()),
      Buffer.from(await b.authority.oauth.signingKey()),
    );
    const account = await createOn();
    const fromA = await accessToken(a.origin, account);
    const fromB = await accessToken(b.origin, account);
    for (const [token, origin] of [
      [fromA, b.origin],
      [fromB, a.origin],
    ] as const) {
      const response = await withToken(origin, token, 'GET', `/api/atlas/v2/orgs/${orgId}`);
      assert.equal(response.status, 200, response.text);
    }
  });

  test('revoked on B: refused by A; account deleted through A: B refuses its token', async () => {
    const account = await createOn();
    const token = await accessToken(a.origin, account);
    const revoked = await raw(b.origin, 'POST', '/api/oauth/revoke', {
      headers: { authorization: basic(account.clientId, account.secret), 'content-type': FORM },
      body: `token=${token}`,
    });
    assert.equal(revoked.status, 200, revoked.text);
    assertChallenge(await withToken(a.origin, token, 'GET', `/api/atlas/v1.0/orgs/${orgId}`));
    const next = await accessToken(b.origin, account);
    assert.equal((await withToken(b.origin, next, 'GET', `/api/atlas/v1.0/orgs/${orgId}`)).status, 200);
    assert.equal(
      (await accountRequest(owner, 'DELETE', `/orgs/${orgId}/serviceAccounts/${account.clientId}`)).status,
      204,
    );
    assertChallenge(await withToken(b.origin, next, 'GET', `/api/atlas/v1.0/orgs/${orgId}`));
  });
});

// =======================================================================================

describe('the audit trail names the service account as the actor', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
  });
  after(() => server.close());

  async function events(query: string, feed = `orgs/${server.credentials.orgId}`) {
    const response = await server.client.get(`/api/atlas/v1.0/${feed}/events?${query}`);
    assert.equal(response.status, 200, response.text);
    return response.json().results as Array<Record<string, unknown>>;
  }

  test('its writes and refusals carry publicKey = client id, apiKeyId = its id, its address', async () => {
    const admin = await createAccount(server, ['ORG_OWNER'], { name: 'admin' });
    const token = await accessToken(server.origin, admin);
    const groupId = server.credentials.groupId;
    const created = await withToken(server.origin, token, 'POST', `/api/atlas/v2/groups/${groupId}/databaseUsers`, {
      body: scramUser('made-by-robot'),
    });
    assert.equal(created.status, 201, created.text);
    const account = await withToken(
      server.origin,
      token,
      'POST',
      `/api/atlas/v2/orgs/${server.credentials.orgId}/serviceAccounts`,
      {
        body: { name: 'child', description: 'made by a robot', roles: ['ORG_MEMBER'], secretExpiresAfterHours: 8 },
      },
    );
    assert.equal(account.status, 201, account.text);
    const refused = await withToken(server.origin, token, 'POST', `/api/atlas/v1.0/groups/${groupId}/databaseUsers`, {
      body: scramUser('made-by-robot'),
    });
    assert.equal(refused.status, 409, refused.text);
    const actor = { apiKeyId: admin.id, publicKey: admin.clientId, remoteAddress: '127.0.0.1' };
    const pick = (event: Record<string, unknown>) => ({
      apiKeyId: event.apiKeyId,
      publicKey: event.publicKey,
      remoteAddress: event.remoteAddress,
    });
    const [userAdded] = await events('eventType=MONGODB_USER_ADDED', `groups/${groupId}`);
    assert.deepEqual(pick(userAdded!), actor);
    assert.equal(userAdded!.targetUsername, 'made-by-robot');
    assert.equal(userAdded!.groupId, groupId);
    const [accountCreated] = await events('eventType=SERVICE_ACCOUNT_CREATED');
    assert.deepEqual(pick(accountCreated!), actor);
    assert.equal(accountCreated!.targetPublicKey, account.json().clientId);
    const [refusal] = await events('eventType=DBCERTS_REQUEST_REFUSED');
    assert.deepEqual(pick(refusal!), actor);
    assert.equal(refusal!.errorCode, 'USER_ALREADY_EXISTS');
    assert.equal(refusal!.outcome, 'FAILURE');
    // Minting tokens and failed Bearer attempts are not events.
    const before_ = (await events('itemsPerPage=500')).length;
    await accessToken(server.origin, admin);
    assertChallenge(
      await withToken(server.origin, 'forged', 'GET', `/api/atlas/v1.0/orgs/${server.credentials.orgId}`),
    );
    assert.equal((await events('itemsPerPage=500')).length, before_);
  });
});
