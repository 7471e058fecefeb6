import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { newObjectId } from '../../src/domain/ids.js';
import {
  assertV2AtlasError as assertAtlasError,
  atlasError,
  type AtlasErrorBody,
  invalidAttribute,
  invalidEnumValue,
  invalidJsonAttribute,
  missingAttribute,
  UNAUTHORIZED_BODY,
} from '../helpers/atlas-assert.js';
import { TestClock } from '../helpers/clock.js';
import { curlDigest } from '../helpers/curl.js';
import { type ApiResponse, DigestClient, send } from '../helpers/digest-client.js';
import { pythonRequests } from '../helpers/python-requests.js';
import { startTestServer, storeSnapshot, type TestServer } from '../helpers/server.js';

/**
 * Service accounts through the Atlas API as Atlas has them: under v2 only, as resource
 * version 2024-08-05 (`/orgs/{orgId}/serviceAccounts…`, `/groups/{groupId}/serviceAccounts…`):
 * exact bodies (shared/spec/atlas-api.md §8, the v2 specification's OrgServiceAccount,
 * GroupServiceAccount, ServiceAccountSecret and ServiceAccountIPAccessListEntry,
 * docs/compatibility.md "Service accounts and OAuth 2.0"), the secret shown in full only
 * in the answer that created it and masked as `mdb_sa_sk_...<last 4>` afterwards, secrets,
 * access lists and project roles as for API keys, who may manage them, hostile input
 * answered with an Atlas 4xx that changes nothing, and the audit trail. Service accounts
 * and API keys never show up in each other's lists.
 */

const START = '2024-05-01T12:00:00.500Z';
const START_SECOND = '2024-05-01T12:00:00Z';
const CLIENT_ID = /^mdb_sa_id_[0-9a-f]{24}$/;
const SECRET = /^mdb_sa_sk_[A-Za-z0-9_-]{43}$/;
const OBJECT_ID = /^[0-9a-f]{24}$/;
/** The one version Atlas has of the service-account resources. */
const SA_TYPE = 'application/vnd.atlas.2024-08-05+json';
const V2_TYPE = 'application/vnd.atlas.2023-01-01+json';
const HOUR = 3600 * 1000;

type Version = 'v1.0' | 'v2';

interface SecretView {
  createdAt: string;
  expiresAt: string;
  id: string;
  lastUsedAt?: string;
  maskedSecretValue: string;
  secret?: string;
}

interface AccountView {
  clientId: string;
  createdAt: string;
  description: string;
  name: string;
  roles: string[];
  secrets: SecretView[];
}

interface Created {
  view: AccountView;
  clientId: string;
  secret: string;
  secretId: string;
}

/** One authenticated request (as the bootstrap org owner) to an API key or project route, under either version. */
function api(
  server: TestServer,
  version: Version,
  method: string,
  path: string,
  body?: unknown,
  client: DigestClient = server.client,
): Promise<ApiResponse> {
  return client.request(`/api/atlas/${version}${path}`, {
    method,
    ...(body !== undefined ? { body } : {}),
    headers: version === 'v2' ? { accept: V2_TYPE } : {},
  });
}

/** One authenticated request to a service-account route: v2, `Accept` version 2024-08-05 unless given. */
function sa(
  server: TestServer,
  method: string,
  path: string,
  body?: unknown,
  client: DigestClient = server.client,
  accept = SA_TYPE,
): Promise<ApiResponse> {
  return client.request(`/api/atlas/v2${path}`, {
    method,
    ...(body !== undefined ? { body } : {}),
    headers: { accept },
  });
}

/** A secret's view once it has minted a token: `lastUsedAt` in its alphabetical place. */
const withLastUse = ({ createdAt, expiresAt, id, maskedSecretValue }: SecretView, lastUsedAt: string): SecretView => ({
  createdAt,
  expiresAt,
  id,
  lastUsedAt,
  maskedSecretValue,
});
const masked = (secret: string) => `mdb_sa_sk_...${secret.slice(-4)}`;
const iso = (instant: Date) => `${instant.toISOString().slice(0, 19)}Z`;
const plus = (start: string, milliseconds: number) => iso(new Date(new Date(start).getTime() + milliseconds));

/** The exact body and its serialisation (members alphabetical), as version 2024-08-05. */
function assertBody(response: ApiResponse, status: number, expected: unknown): void {
  assert.equal(response.status, status, response.text);
  assert.equal(response.headers.get('content-type'), SA_TYPE);
  assert.deepEqual(response.json(), expected);
  assert.equal(response.text, JSON.stringify(expected));
}

/** Creates an account, checking the creation answer exactly; returns it with its secret. */
async function createAccount(
  server: TestServer,
  request: { name: string; description: string; roles: string[]; secretExpiresAfterHours: number },
  client: DigestClient = server.client,
  orgId: string = server.credentials.orgId,
): Promise<Created> {
  const response = await sa(server, 'POST', `/orgs/${orgId}/serviceAccounts`, request, client);
  assert.equal(response.status, 201, response.text);
  const body = response.json();
  assert.match(body.clientId, CLIENT_ID);
  assert.equal(body.secrets.length, 1);
  const [secret] = body.secrets;
  assert.match(secret.id, OBJECT_ID);
  assert.match(secret.secret, SECRET);
  const now = server.clock.now();
  const expected: AccountView = {
    clientId: body.clientId,
    createdAt: iso(now),
    description: request.description,
    name: request.name,
    roles: request.roles,
    secrets: [
      {
        createdAt: iso(now),
        expiresAt: iso(new Date(now.getTime() + request.secretExpiresAfterHours * HOUR)),
        id: secret.id,
        maskedSecretValue: masked(secret.secret),
        secret: secret.secret,
      },
    ],
  };
  assertBody(response, 201, expected);
  const { secret: _shown, ...maskedSecret } = expected.secrets[0]!;
  return {
    view: { ...expected, secrets: [maskedSecret] },
    clientId: body.clientId,
    secret: secret.secret,
    secretId: secret.id,
  };
}

/** An access token for client credentials, or the token endpoint's error answer. */
async function token(server: TestServer, clientId: string, secret: string): Promise<ApiResponse> {
  return send(
    `${server.origin}/api/oauth/token`,
    'POST',
    `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
    {
      rawBody: 'grant_type=client_credentials',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    },
  );
}

const INVALID_CLIENT = '{"error_description":"Invalid credentials provided.","error":"invalid_client"}';

function assertInvalidClient(response: ApiResponse): void {
  assert.equal(response.status, 401, response.text);
  assert.equal(response.text, INVALID_CLIENT);
}

async function bootstrapKeyId(server: TestServer): Promise<string> {
  const key = await server.store.apiKeys.findByPublicKey(server.credentials.publicKey);
  assert.ok(key);
  return key.id;
}

/** A second organization with one project and an org-owner key, made directly in the store. */
async function createOtherOrg(server: TestServer) {
  const now = server.clock.now();
  const orgId = newObjectId(now);
  const groupId = newObjectId(now);
  await server.store.organizations.insert({ id: orgId, name: 'other-org', createdAt: now });
  await server.store.projects.insert({ id: groupId, orgId, name: 'OtherProject', tags: [], createdAt: now });
  const { key, privateKey } = await server.authority.apiKeys.mint(orgId, 'other org owner', ['ORG_OWNER']);
  return { orgId, groupId, client: new DigestClient(server.origin, key.publicKey, privateKey) };
}

/** An organization API key made through the API (as the bootstrap owner). */
async function createApiKey(server: TestServer, roles: string[]) {
  const response = await server.client.post(`/api/atlas/v1.0/orgs/${server.credentials.orgId}/apiKeys`, {
    desc: `key ${roles.join(' ')}`,
    roles,
  });
  assert.equal(response.status, 200, response.text);
  const body = response.json();
  return { id: body.id as string, client: new DigestClient(server.origin, body.publicKey, body.privateKey) };
}

async function createProject(server: TestServer, name: string): Promise<string> {
  const response = await server.client.post('/api/atlas/v1.0/groups', { name, orgId: server.credentials.orgId });
  assert.equal(response.status, 200, response.text);
  return response.json().id;
}

// --- expected errors --------------------------------------------------------------------

const invalidClientId = (clientId: string) =>
  atlasError(
    404,
    'INVALID_SERVICE_ACCOUNT_CLIENT_ID',
    `An invalid service account client ID ${clientId} was specified.`,
    [clientId],
  );
/** Names the client id the request gave (the only identifier of an account a client ever sees). */
const accountNotFound = (clientId: string) =>
  atlasError(404, 'SERVICE_ACCOUNT_NOT_FOUND', `No service account with client ID ${clientId} exists.`, [clientId]);
const secretNotFound = (secretId: string) =>
  atlasError(
    404,
    'SERVICE_ACCOUNT_SECRET_NOT_FOUND',
    `No secret with ID ${secretId} exists for this service account.`,
    [secretId],
  );
const userUnauthorized = () =>
  atlasError(401, 'USER_UNAUTHORIZED', 'Current user is not authorized to perform this action.');
const notInGroup = () =>
  atlasError(401, 'NOT_IN_GROUP', 'The current user is not in the group, or the group does not exist.');
const orgNotFound = (id: string) => atlasError(404, 'ORG_NOT_FOUND', `No organization with ID ${id} exists.`, [id]);
const invalidJson = () => atlasError(400, 'INVALID_JSON', 'Received JSON does not match expected format.');
const malformedJson = () => atlasError(400, 'MALFORMED_JSON', 'Received JSON is malformed.');
const apiKeyNotFound = (id: string) => atlasError(404, 'API_KEY_NOT_FOUND', `No API key with ID ${id} exists.`, [id]);
const invalidEntry = (text: string) =>
  atlasError(
    400,
    'INVALID_IP_ADDRESS_OR_CIDR_NOTATION',
    `The address ${text} must be in valid IP address or CIDR notation.`,
    [text],
  );
/** As for API keys, but naming the account by its client id (not an internal id the API never shows). */
const duplicateEntry = (cidrBlock: string, clientId: string) =>
  atlasError(
    409,
    'DUPLICATE_ACCESS_LIST_ENTRY',
    `The access list entry ${cidrBlock} already exists for API key ${clientId}.`,
    [cidrBlock, clientId],
  );
const entryNotFound = (entry: string, clientId: string) =>
  atlasError(
    404,
    'ACCESS_LIST_ENTRY_NOT_FOUND',
    `IP address ${entry} not on the access list for API key ${clientId}.`,
    [entry, clientId],
  );
const notInProject = (clientId: string, groupId: string) =>
  atlasError(404, 'API_KEY_NOT_IN_GROUP', `The API key ${clientId} is not assigned to group ${groupId}.`, [
    clientId,
    groupId,
  ]);

/** The v2 form of a schema violation: the v1.0 body plus `badRequestDetail` (first member). */
function withFieldDetail(body: AtlasErrorBody, field: string, description: string) {
  return { badRequestDetail: { fields: [{ description, field }] }, ...body };
}

function assertV2Error(response: ApiResponse, expected: object): void {
  assert.equal(response.status, (expected as { error: number }).error, response.text);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(response.json(), expected);
  assert.equal(response.text, JSON.stringify(expected));
}

/**
 * Error answers checked in two steps: status and errorCode at once, the whole body at the
 * end of the test, so that one wrong detail does not hide what the rest of a test checks.
 */
class Refusals {
  readonly #pending: Array<{ response: ApiResponse; expected: AtlasErrorBody; message: string | undefined }> = [];

  add(response: ApiResponse, expected: AtlasErrorBody, message?: string): void {
    assert.equal(response.status, expected.error, `${message ?? ''} ${response.text}`);
    assert.equal(response.json().errorCode, expected.errorCode, message);
    this.#pending.push({ response, expected, message });
  }

  /** Every whole body (v2's badRequestDetail aside), all mismatches reported together. */
  check(): void {
    const withoutDetail = (response: ApiResponse) => {
      const { badRequestDetail: _detail, ...rest } = response.json();
      return JSON.stringify(rest);
    };
    const mismatches = this.#pending
      .filter(({ response, expected }) => withoutDetail(response) !== JSON.stringify(expected))
      .map(({ response, expected, message }) => ({
        message,
        actual: response.text,
        expected: JSON.stringify(expected),
      }));
    assert.deepEqual(mismatches, []);
  }
}

/** A 401 about roles, not credentials: no Digest challenge. */
function assertNoChallenge(response: ApiResponse): void {
  assert.equal(response.headers.get('www-authenticate'), null);
}

async function eventsOf(server: TestServer, query: string, path = `/orgs/${server.credentials.orgId}/events`) {
  const response = await api(server, 'v1.0', 'GET', `${path}?${query}`);
  assert.equal(response.status, 200, response.text);
  return response.json().results as Array<Record<string, unknown>>;
}

async function eventCount(server: TestServer): Promise<number> {
  return (await server.store.db.selectFrom('events').select('id').execute()).length;
}

// =======================================================================================

describe('service accounts: create, read, update, delete (v2, version 2024-08-05)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
  });
  after(() => server.close());
  const orgId = () => server.credentials.orgId;

  test('POST answers 201 with the secret in full, once; GET and the list mask it', async () => {
    const created = await createAccount(server, {
      name: 'ci',
      description: 'Deploys the app',
      roles: ['ORG_MEMBER'],
      secretExpiresAfterHours: 8,
    });
    assert.equal(created.view.secrets[0]!.expiresAt, plus(START_SECOND, 8 * HOUR));
    assert.equal(created.view.secrets[0]!.maskedSecretValue, masked(created.secret));
    assert.match(created.view.secrets[0]!.maskedSecretValue, /^mdb_sa_sk_\.\.\.[A-Za-z0-9_-]{4}$/);
    const one = await sa(server, 'GET', `/orgs/${orgId()}/serviceAccounts/${created.clientId}`);
    assertBody(one, 200, created.view);
    assert.ok(!one.text.includes(created.secret), 'the secret is never shown again');
    const list = await sa(server, 'GET', `/orgs/${orgId()}/serviceAccounts`);
    assert.equal(list.status, 200, list.text);
    const listed = list.json().results.find((each: AccountView) => each.clientId === created.clientId);
    assert.deepEqual(listed, created.view);
    assert.ok(!list.text.includes(created.secret));
    // Only the secret's SHA-256 is stored.
    const dump = await storeSnapshot(server.store);
    assert.ok(!dump.includes(created.secret));
    assert.ok(dump.includes(createHash('sha256').update(created.secret).digest('hex')));
  });

  test('the list: oldest first, with Atlas links, totalCount and paging, members alphabetical', async () => {
    const fresh = await startTestServer({ clock: new TestClock(START) });
    try {
      const first = await createAccount(fresh, {
        name: 'first',
        description: 'one',
        roles: ['ORG_READ_ONLY', 'ORG_BILLING_READ_ONLY'],
        secretExpiresAfterHours: 8760,
      });
      fresh.clock.advance(1000);
      const second = await createAccount(fresh, {
        name: 'second',
        description: 'two',
        roles: ['ORG_OWNER'],
        secretExpiresAfterHours: 24,
      });
      assert.equal(first.view.secrets[0]!.expiresAt, plus(START_SECOND, 8760 * HOUR));
      const base = `${fresh.origin}/api/atlas/v2/orgs/${fresh.credentials.orgId}/serviceAccounts`;
      const all = await sa(fresh, 'GET', `/orgs/${fresh.credentials.orgId}/serviceAccounts`);
      assertBody(all, 200, {
        links: [{ href: `${base}?pageNum=1&itemsPerPage=100`, rel: 'self' }],
        results: [first.view, second.view],
        totalCount: 2,
      });
      const page2 = await sa(fresh, 'GET', `/orgs/${fresh.credentials.orgId}/serviceAccounts?itemsPerPage=1&pageNum=2`);
      assertBody(page2, 200, {
        links: [
          { href: `${base}?pageNum=2&itemsPerPage=1`, rel: 'self' },
          { href: `${base}?pageNum=1&itemsPerPage=1`, rel: 'previous' },
        ],
        results: [second.view],
        totalCount: 2,
      });
      // pretty and envelope, as everywhere.
      const enveloped = await sa(fresh, 'GET', `/orgs/${fresh.credentials.orgId}/serviceAccounts?envelope=true`);
      assert.equal(enveloped.status, 200, enveloped.text);
      assert.deepEqual(Object.keys(enveloped.json()), ['links', 'results', 'status', 'totalCount']);
      const pretty = await sa(fresh, 'GET', `/orgs/${fresh.credentials.orgId}/serviceAccounts?pretty=true`);
      assert.ok(pretty.text.startsWith('{\n  "links" : [ {'), pretty.text.slice(0, 40));
      assert.equal(pretty.headers.get('content-type'), SA_TYPE);
    } finally {
      await fresh.close();
    }
  });

  test('POST …/secrets: 201 with the new secret in full once; both secrets work; the account lists both masked', async () => {
    const created = await createAccount(server, {
      name: 'two secrets',
      description: 'rotation',
      roles: ['ORG_MEMBER'],
      secretExpiresAfterHours: 8,
    });
    server.clock.advance(60_000);
    const now = server.clock.now();
    const path = `/orgs/${orgId()}/serviceAccounts/${created.clientId}`;
    const response = await sa(server, 'POST', `${path}/secrets`, { secretExpiresAfterHours: 48 });
    assert.equal(response.status, 201, response.text);
    const body = response.json();
    assert.match(body.id, OBJECT_ID);
    assert.match(body.secret, SECRET);
    assert.notEqual(body.secret, created.secret);
    const secretView: SecretView = {
      createdAt: iso(now),
      expiresAt: iso(new Date(now.getTime() + 48 * HOUR)),
      id: body.id,
      maskedSecretValue: masked(body.secret),
      secret: body.secret,
    };
    assertBody(response, 201, secretView);
    // Both secrets mint tokens; minting records lastUsedAt.
    server.clock.advance(1000);
    const usedAt = iso(server.clock.now());
    assert.equal((await token(server, created.clientId, created.secret)).status, 200);
    assert.equal((await token(server, created.clientId, body.secret)).status, 200);
    const { secret: _shown, ...newMasked } = secretView;
    const expected = {
      ...created.view,
      secrets: [withLastUse(created.view.secrets[0]!, usedAt), withLastUse(newMasked, usedAt)],
    };
    const one = await sa(server, 'GET', path);
    assertBody(one, 200, expected);
    assert.ok(!one.text.includes(body.secret));
  });

  test('DELETE …/secrets/{id}: 204; that secret no longer mints tokens, the other still does; again 404', async () => {
    const created = await createAccount(server, {
      name: 'drop a secret',
      description: 'rotation',
      roles: ['ORG_MEMBER'],
      secretExpiresAfterHours: 8,
    });
    const path = `/orgs/${orgId()}/serviceAccounts/${created.clientId}`;
    const added = await sa(server, 'POST', `${path}/secrets`, { secretExpiresAfterHours: 8 });
    assert.equal(added.status, 201, added.text);
    const second = added.json();
    const deleted = await sa(server, 'DELETE', `${path}/secrets/${created.secretId}`);
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal(deleted.text, '');
    assertInvalidClient(await token(server, created.clientId, created.secret));
    assert.equal((await token(server, created.clientId, second.secret)).status, 200);
    const one = await sa(server, 'GET', path);
    assert.deepEqual(
      one.json().secrets.map((secret: SecretView) => secret.id),
      [second.id],
    );
    assertAtlasError(
      await sa(server, 'DELETE', `${path}/secrets/${created.secretId}`),
      secretNotFound(created.secretId),
    );
  });

  test('PATCH name, description and roles: 200 with the whole account; partial PATCH keeps the rest', async () => {
    const created = await createAccount(server, {
      name: 'before',
      description: 'old description',
      roles: ['ORG_MEMBER'],
      secretExpiresAfterHours: 8,
    });
    const path = `/orgs/${orgId()}/serviceAccounts/${created.clientId}`;
    const renamed = await sa(server, 'PATCH', path, {
      name: 'after',
      description: "Ops' new, better description",
      roles: ['ORG_READ_ONLY', 'ORG_GROUP_CREATOR'],
    });
    const expected = {
      ...created.view,
      description: "Ops' new, better description",
      name: 'after',
      roles: ['ORG_READ_ONLY', 'ORG_GROUP_CREATOR'],
    };
    assertBody(renamed, 200, expected);
    const onlyDescription = await sa(server, 'PATCH', path, { description: 'just this' });
    assertBody(onlyDescription, 200, { ...expected, description: 'just this' });
    const onlyRoles = await sa(server, 'PATCH', path, { roles: ['ORG_OWNER', 'ORG_OWNER'] });
    assertBody(onlyRoles, 200, { ...expected, description: 'just this', roles: ['ORG_OWNER'] });
    assertBody(await sa(server, 'GET', path), 200, { ...expected, description: 'just this', roles: ['ORG_OWNER'] });
  });

  test('the account read, changed and sent back whole as PATCH (the SDKs’ get → update): accepted', async () => {
    const created = await createAccount(server, {
      name: 'round trip',
      description: 'as read',
      roles: ['ORG_MEMBER'],
      secretExpiresAfterHours: 8,
    });
    const path = `/orgs/${orgId()}/serviceAccounts/${created.clientId}`;
    const read = await sa(server, 'GET', path);
    const body = { ...read.json(), description: 'changed after reading' };
    const written = await sa(server, 'PATCH', path, body);
    assertBody(written, 200, { ...created.view, description: 'changed after reading' });
    // The newer SDK's explicit nulls for what it does not change.
    const nulls = await sa(server, 'PATCH', path, { description: null, name: 'renamed', roles: null });
    assertBody(nulls, 200, { ...created.view, description: 'changed after reading', name: 'renamed' });
    // A client id, or server-set members, that are not the account's own are refused; nothing changes.
    const before_ = await storeSnapshot(server.store);
    const other = 'mdb_sa_id_0123456789abcdef01234567';
    assertAtlasError(
      await sa(server, 'PATCH', path, { ...body, clientId: other }),
      atlasError(400, 'ATTRIBUTE_READ_ONLY', 'The attribute clientId is read-only and cannot be changed by the user.', [
        'clientId',
      ]),
    );
    assertAtlasError(
      await sa(server, 'PATCH', path, { ...body, createdAt: 'yesterday' }),
      invalidAttribute('createdAt'),
    );
    assertAtlasError(await sa(server, 'PATCH', path, { ...body, secrets: 'none' }), invalidJsonAttribute('secrets'));
    assert.equal(await storeSnapshot(server.store), before_);
  });

  test('DELETE: 204; gone from GET and the list, its secret mints nothing; a second DELETE is 404', async () => {
    const created = await createAccount(server, {
      name: 'doomed',
      description: 'short lived',
      roles: ['ORG_MEMBER'],
      secretExpiresAfterHours: 8,
    });
    const path = `/orgs/${orgId()}/serviceAccounts/${created.clientId}`;
    const deleted = await sa(server, 'DELETE', path);
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal(deleted.text, '');
    const refusals = new Refusals();
    refusals.add(await sa(server, 'GET', path), accountNotFound(created.clientId));
    refusals.add(await sa(server, 'DELETE', path), accountNotFound(created.clientId));
    const list = await sa(server, 'GET', `/orgs/${orgId()}/serviceAccounts`);
    assert.ok(!list.json().results.some((each: AccountView) => each.clientId === created.clientId));
    assertInvalidClient(await token(server, created.clientId, created.secret));
    // Its secrets and access list went with it.
    assert.deepEqual(
      await server.store.serviceAccountSecrets.ofAccount(created.clientId.slice('mdb_sa_id_'.length)),
      [],
    );
    refusals.check();
  });
});

describe('versions: Atlas has service accounts only in v2, only as 2024-08-05', () => {
  let server: TestServer;
  let account: Created;
  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
    account = await createAccount(server, {
      name: 'versioned',
      description: 'only 2024-08-05',
      roles: ['ORG_MEMBER'],
      secretExpiresAfterHours: 8,
    });
  });
  after(() => server.close());
  const NOT_ACCEPTABLE = {
    detail: 'Invalid accept header or version date.',
    error: 406,
    errorCode: 'INVALID_VERSION_DATE',
    parameters: [],
    reason: 'Not Acceptable',
  };
  const paths = () => {
    const org = `/orgs/${server.credentials.orgId}/serviceAccounts`;
    const project = `/groups/${server.credentials.groupId}/serviceAccounts`;
    return [
      org,
      `${org}/${account.clientId}`,
      `${org}/${account.clientId}/accessList`,
      `${org}/${account.clientId}/groups`,
      project,
    ];
  };

  test('any date from 2024-08-05 on resolves to 2024-08-05, which the answer names', async () => {
    for (const accept of [
      SA_TYPE,
      'application/vnd.atlas.2024-11-13+json',
      // What the MongoDB MCP server's Atlas client sends for every call.
      'application/vnd.atlas.2025-03-12+json',
      'application/vnd.atlas.2099-12-31+json',
      `application/json, ${SA_TYPE}`,
    ]) {
      for (const path of paths()) {
        const response = await sa(server, 'GET', path, undefined, server.client, accept);
        assert.equal(response.status, 200, `${accept} ${path}: ${response.text}`);
        assert.equal(response.headers.get('content-type'), SA_TYPE, `${accept} ${path}`);
      }
    }
  });

  test('2023-01-01 (which every other resource has), an earlier date, no date: 406 after authentication', async () => {
    for (const accept of [
      V2_TYPE,
      'application/vnd.atlas.2024-08-04+json',
      'application/vnd.atlas.2023-02-01+json',
      'application/json',
      '*/*',
    ]) {
      for (const path of paths()) {
        const response = await sa(server, 'GET', path, undefined, server.client, accept);
        assertV2Error(response, NOT_ACCEPTABLE);
      }
    }
    // Writes too, and nothing changes.
    const before_ = await storeSnapshot(server.store);
    const write = await sa(
      server,
      'POST',
      `/orgs/${server.credentials.orgId}/serviceAccounts`,
      { name: 'n', description: 'd', roles: ['ORG_MEMBER'], secretExpiresAfterHours: 8 },
      server.client,
      V2_TYPE,
    );
    assertV2Error(write, NOT_ACCEPTABLE);
    assert.equal(await storeSnapshot(server.store), before_);
    // The unauthenticated probe still gets the Digest challenge first.
    const probe = await send(`${server.origin}/api/atlas/v2${paths()[0]}`, 'GET', undefined, {
      headers: { accept: V2_TYPE },
    });
    assert.equal(probe.status, 401);
    assert.equal(probe.text, UNAUTHORIZED_BODY);
  });

  test('v1.0 has no service accounts: 404 RESOURCE_NOT_FOUND (after authentication)', async () => {
    for (const path of [
      ...paths(),
      `/groups/${server.credentials.groupId}/serviceAccounts/${account.clientId}:invite`,
    ]) {
      const full = `/api/atlas/v1.0${path}`;
      const response = await server.client.get(full);
      assertAtlasError(response, atlasError(404, 'RESOURCE_NOT_FOUND', `Cannot find resource ${full}.`, [full]));
    }
  });
});

// =======================================================================================

describe('service accounts and API keys never appear in each other’s lists', () => {
  let server: TestServer;
  let account: Created;
  let key: { id: string; client: DigestClient };
  let groupId: string;
  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
    account = await createAccount(server, {
      name: 'apart',
      description: 'not a key',
      roles: ['ORG_MEMBER'],
      secretExpiresAfterHours: 8,
    });
    key = await createApiKey(server, ['ORG_MEMBER']);
    groupId = server.credentials.groupId;
    const invited = await sa(server, 'POST', `/groups/${groupId}/serviceAccounts/${account.clientId}:invite`, {
      roles: ['GROUP_READ_ONLY'],
    });
    assert.equal(invited.status, 200, invited.text);
    const assigned = await api(server, 'v1.0', 'PATCH', `/groups/${groupId}/apiKeys/${key.id}`, {
      roles: ['GROUP_READ_ONLY'],
    });
    assert.equal(assigned.status, 200, assigned.text);
  });
  after(() => server.close());
  const accountId = () => account.clientId.slice('mdb_sa_id_'.length);

  test('the organization lists: keys only in apiKeys, accounts only in serviceAccounts', async () => {
    const orgId = server.credentials.orgId;
    const keys = await api(server, 'v1.0', 'GET', `/orgs/${orgId}/apiKeys`);
    assert.deepEqual(
      keys.json().results.map((each: { id: string }) => each.id),
      [await bootstrapKeyId(server), key.id],
    );
    assert.equal(keys.json().totalCount, 2);
    assert.ok(!keys.text.includes(accountId()));
    const accounts = await sa(server, 'GET', `/orgs/${orgId}/serviceAccounts`);
    assert.deepEqual(
      accounts.json().results.map((each: AccountView) => each.clientId),
      [account.clientId],
    );
    assert.equal(accounts.json().totalCount, 1);
  });

  test('the project lists: keys only in apiKeys, accounts only in serviceAccounts', async () => {
    const keys = await api(server, 'v1.0', 'GET', `/groups/${groupId}/apiKeys`);
    assert.deepEqual(
      keys.json().results.map((each: { id: string }) => each.id),
      [key.id],
    );
    const accounts = await sa(server, 'GET', `/groups/${groupId}/serviceAccounts`);
    assert.deepEqual(
      accounts.json().results.map((each: AccountView) => each.clientId),
      [account.clientId],
    );
    assert.equal(accounts.json().totalCount, 1);
  });

  test('an account is no API key (by id), and a key is no account (by client id)', async () => {
    const orgId = server.credentials.orgId;
    assertAtlasError(
      await api(server, 'v1.0', 'GET', `/orgs/${orgId}/apiKeys/${accountId()}`),
      apiKeyNotFound(accountId()),
    );
    assertAtlasError(
      await api(server, 'v1.0', 'PATCH', `/orgs/${orgId}/apiKeys/${accountId()}`, { desc: 'x' }),
      apiKeyNotFound(accountId()),
    );
    assertAtlasError(
      await api(server, 'v1.0', 'GET', `/orgs/${orgId}/apiKeys/${accountId()}/accessList`),
      apiKeyNotFound(accountId()),
    );
    assertAtlasError(
      await api(server, 'v1.0', 'PATCH', `/groups/${groupId}/apiKeys/${accountId()}`, { roles: ['GROUP_OWNER'] }),
      apiKeyNotFound(accountId()),
    );
    const asAccount = `mdb_sa_id_${key.id}`;
    const refusals = new Refusals();
    refusals.add(await sa(server, 'GET', `/orgs/${orgId}/serviceAccounts/${asAccount}`), accountNotFound(asAccount));
    refusals.add(
      await sa(server, 'POST', `/orgs/${orgId}/serviceAccounts/${asAccount}/secrets`, { secretExpiresAfterHours: 8 }),
      accountNotFound(asAccount),
    );
    refusals.add(
      await sa(server, 'POST', `/groups/${groupId}/serviceAccounts/${asAccount}:invite`, { roles: ['GROUP_OWNER'] }),
      accountNotFound(asAccount),
    );
    refusals.add(
      await sa(server, 'PATCH', `/groups/${groupId}/serviceAccounts/${asAccount}`, { roles: ['GROUP_OWNER'] }),
      accountNotFound(asAccount),
    );
    refusals.check();
  });

  test('an account cannot sign Digest requests, and an API key cannot get a token', async () => {
    const digest = new DigestClient(server.origin, account.clientId, account.secret);
    const response = await digest.get(`/api/atlas/v1.0/orgs/${server.credentials.orgId}`);
    assert.equal(response.status, 401);
    assert.equal(response.text, UNAUTHORIZED_BODY);
    assertInvalidClient(await token(server, server.credentials.publicKey, server.credentials.privateKey));
  });
});

// =======================================================================================

describe('service account access lists (Atlas’ ServiceAccountIPAccessListEntry)', () => {
  let server: TestServer;
  let account: Created;
  let path: string;
  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
    account = await createAccount(server, {
      name: 'listed',
      description: 'from the office',
      roles: ['ORG_MEMBER'],
      secretExpiresAfterHours: 8,
    });
    path = `/orgs/${server.credentials.orgId}/serviceAccounts/${account.clientId}/accessList`;
  });
  after(() => server.close());

  test('POST adds all entries and answers 200 with the whole list; GET lists them; no links, createdAt', async () => {
    const response = await sa(server, 'POST', path, [
      { ipAddress: '127.0.0.1' },
      { cidrBlock: '10.0.0.0/8' },
      { ipAddress: '2001:db8:0:0:0:0:0:1' },
    ]);
    const createdAt = iso(server.clock.now());
    const results = [
      { cidrBlock: '10.0.0.0/8', createdAt },
      { cidrBlock: '127.0.0.1/32', createdAt, ipAddress: '127.0.0.1' },
      { cidrBlock: '2001:db8::1/128', createdAt, ipAddress: '2001:db8::1' },
    ];
    const sorted = (list: Array<{ cidrBlock: string }>) =>
      [...list].sort((a, b) => a.cidrBlock.localeCompare(b.cidrBlock));
    assert.equal(response.status, 200, response.text);
    assert.equal(response.headers.get('content-type'), SA_TYPE);
    const body = response.json();
    assert.deepEqual(sorted(body.results), results);
    assert.equal(body.totalCount, 3);
    assert.deepEqual(body.links, [
      { href: `${server.origin}/api/atlas/v2${path}?pageNum=1&itemsPerPage=100`, rel: 'self' },
    ]);
    const listed = await sa(server, 'GET', path);
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(sorted(listed.json().results), results);
  });

  test('an entry used by the account’s token shows lastUsedAt, lastUsedAddress and requestCount', async () => {
    server.clock.advance(1000);
    const minted = await token(server, account.clientId, account.secret);
    assert.equal(minted.status, 200, minted.text);
    const bearer = `Bearer ${minted.json().access_token}`;
    for (let i = 0; i < 2; i++) {
      const used = await send(`${server.origin}/api/atlas/v2/orgs/${server.credentials.orgId}`, 'GET', bearer, {
        headers: { accept: V2_TYPE },
      });
      assert.equal(used.status, 200, used.text);
    }
    const listed = await sa(server, 'GET', path);
    const loopback = listed.json().results.find((entry: { cidrBlock: string }) => entry.cidrBlock === '127.0.0.1/32');
    assert.deepEqual(loopback, {
      cidrBlock: '127.0.0.1/32',
      createdAt: plus(START_SECOND, 0),
      ipAddress: '127.0.0.1',
      lastUsedAddress: '127.0.0.1',
      lastUsedAt: iso(server.clock.now()),
      requestCount: 2,
    });
    assert.equal(
      listed.text.indexOf('"lastUsedAddress"') < listed.text.indexOf('"lastUsedAt"') &&
        listed.text.indexOf('"lastUsedAt"') < listed.text.indexOf('"requestCount"'),
      true,
      'members alphabetical',
    );
  });

  test('a duplicate is 409 naming the canonical block; bad addresses and an empty array are 400; nothing changes', async () => {
    const before_ = await storeSnapshot(server.store);
    const refusals = new Refusals();
    refusals.add(
      await sa(server, 'POST', path, [{ ipAddress: '127.0.0.1' }]),
      duplicateEntry('127.0.0.1/32', account.clientId),
    );
    // All or none: the new address is not added either.
    refusals.add(
      await sa(server, 'POST', path, [{ ipAddress: '192.0.2.9' }, { cidrBlock: '10.0.0.0/8' }]),
      duplicateEntry('10.0.0.0/8', account.clientId),
    );
    refusals.add(await sa(server, 'POST', path, [{ ipAddress: '300.1.1.1' }]), invalidEntry('300.1.1.1'));
    refusals.add(await sa(server, 'POST', path, [{ cidrBlock: '10.0.0.1/8' }]), invalidEntry('10.0.0.1/8'));
    refusals.add(await sa(server, 'POST', path, []), invalidJson());
    // At most 200 entries at once, as Atlas declares.
    const many = Array.from({ length: 201 }, (_, i) => ({ ipAddress: `198.51.100.${i % 250}` }));
    refusals.add(await sa(server, 'POST', path, many), invalidJson());
    assert.equal(await storeSnapshot(server.store), before_);
    refusals.check();
  });

  test('DELETE by address or by block (%2F): 204; an unknown entry is 404', async () => {
    const byAddress = await sa(server, 'DELETE', `${path}/2001:db8::1`);
    assert.equal(byAddress.status, 204, byAddress.text);
    const byBlock = await sa(server, 'DELETE', `${path}/10.0.0.0%2F8`);
    assert.equal(byBlock.status, 204, byBlock.text);
    const listed = await sa(server, 'GET', path);
    assert.deepEqual(
      listed.json().results.map((entry: { cidrBlock: string }) => entry.cidrBlock),
      ['127.0.0.1/32'],
    );
    const before_ = await storeSnapshot(server.store);
    const refusals = new Refusals();
    refusals.add(await sa(server, 'DELETE', `${path}/10.0.0.0%2F8`), entryNotFound('10.0.0.0/8', account.clientId));
    assert.equal(await storeSnapshot(server.store), before_);
    refusals.check();
  });

  test('events name the entry canonically and the account by client id', async () => {
    const events = await eventsOf(
      server,
      'eventType=SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_ADDED&eventType=SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_DELETED',
    );
    const summary = events.map((event) => [event.eventTypeName, event.accessListEntry, event.targetPublicKey]);
    assert.deepEqual(summary.slice(0, 2).sort(), [
      ['SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_DELETED', '10.0.0.0/8', account.clientId],
      ['SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_DELETED', '2001:db8::1', account.clientId],
    ]);
    assert.deepEqual(summary.slice(2).sort(), [
      ['SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_ADDED', '10.0.0.0/8', account.clientId],
      ['SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_ADDED', '127.0.0.1', account.clientId],
      ['SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_ADDED', '2001:db8::1', account.clientId],
    ]);
  });
});

// =======================================================================================

describe('service accounts in projects (GroupServiceAccount)', () => {
  let server: TestServer;
  let account: Created;
  let groupId: string;
  let otherProject: string;
  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
    account = await createAccount(server, {
      name: 'deployer',
      description: 'project work',
      roles: ['ORG_MEMBER'],
      secretExpiresAfterHours: 8,
    });
    groupId = server.credentials.groupId;
    otherProject = await createProject(server, 'Other');
  });
  after(() => server.close());
  const inProject = (project = groupId) => `/groups/${project}/serviceAccounts/${account.clientId}`;

  test('POST …/{clientId}:invite assigns the account: 200 with its roles there (the 2024 SDKs’ list form too)', async () => {
    const response = await sa(server, 'POST', `${inProject()}:invite`, {
      roles: ['GROUP_DATABASE_ACCESS_ADMIN', 'GROUP_READ_ONLY'],
    });
    assertBody(response, 200, { ...account.view, roles: ['GROUP_DATABASE_ACCESS_ADMIN', 'GROUP_READ_ONLY'] });
    const asList = await sa(server, 'POST', `${inProject(otherProject)}:invite`, [{ roles: ['GROUP_OWNER'] }]);
    assertBody(asList, 200, { ...account.view, roles: ['GROUP_OWNER'] });
    // The organization view keeps the organization roles.
    assertBody(
      await sa(server, 'GET', `/orgs/${server.credentials.orgId}/serviceAccounts/${account.clientId}`),
      200,
      account.view,
    );
    // Other methods on the invitation's path: 405, naming POST.
    const wrong = await sa(server, 'GET', `${inProject()}:invite`);
    assertAtlasError(
      wrong,
      atlasError(
        405,
        'METHOD_NOT_ALLOWED',
        `Method GET is not allowed on resource /api/atlas/v2${inProject()}:invite.`,
        ['GET', `/api/atlas/v2${inProject()}:invite`],
      ),
    );
    assert.equal(wrong.headers.get('allow'), 'POST');
  });

  test('GET …/{clientId} and the project list show the account with its roles in that project only', async () => {
    assertBody(await sa(server, 'GET', inProject()), 200, {
      ...account.view,
      roles: ['GROUP_DATABASE_ACCESS_ADMIN', 'GROUP_READ_ONLY'],
    });
    const list = await sa(server, 'GET', `/groups/${groupId}/serviceAccounts`);
    assertBody(list, 200, {
      links: [
        {
          href: `${server.origin}/api/atlas/v2/groups/${groupId}/serviceAccounts?pageNum=1&itemsPerPage=100`,
          rel: 'self',
        },
      ],
      results: [{ ...account.view, roles: ['GROUP_DATABASE_ACCESS_ADMIN', 'GROUP_READ_ONLY'] }],
      totalCount: 1,
    });
    const other = await sa(server, 'GET', `/groups/${otherProject}/serviceAccounts`);
    assert.deepEqual(other.json().results, [{ ...account.view, roles: ['GROUP_OWNER'] }]);
  });

  test('GET /orgs/{orgId}/serviceAccounts/{clientId}/groups: the projects it is in, paged', async () => {
    const path = `/orgs/${server.credentials.orgId}/serviceAccounts/${account.clientId}/groups`;
    const base = `${server.origin}/api/atlas/v2${path}`;
    const projects = [groupId, otherProject].sort().map((id) => ({ groupId: id }));
    assertBody(await sa(server, 'GET', path), 200, {
      links: [{ href: `${base}?pageNum=1&itemsPerPage=100`, rel: 'self' }],
      results: projects,
      totalCount: 2,
    });
    assertBody(await sa(server, 'GET', `${path}?itemsPerPage=1`), 200, {
      links: [
        { href: `${base}?pageNum=1&itemsPerPage=1`, rel: 'self' },
        { href: `${base}?pageNum=2&itemsPerPage=1`, rel: 'next' },
      ],
      results: [projects[0]],
      totalCount: 2,
    });
  });

  test('PATCH …/{clientId} changes name, description and the roles there; the read body sent back is accepted', async () => {
    const renamed = await sa(server, 'PATCH', inProject(), { name: 'deployer 2', roles: ['GROUP_READ_ONLY'] });
    const view = { ...account.view, name: 'deployer 2' };
    assertBody(renamed, 200, { ...view, roles: ['GROUP_READ_ONLY'] });
    // The other project's roles, and the organization roles, are untouched.
    assert.deepEqual((await sa(server, 'GET', inProject(otherProject))).json().roles, ['GROUP_OWNER']);
    assertBody(
      await sa(server, 'GET', `/orgs/${server.credentials.orgId}/serviceAccounts/${account.clientId}`),
      200,
      view,
    );
    const read = (await sa(server, 'GET', inProject())).json();
    const written = await sa(server, 'PATCH', inProject(), { ...read, description: 'read, then written' });
    assertBody(written, 200, { ...view, description: 'read, then written', roles: ['GROUP_READ_ONLY'] });
    account.view = { ...view, description: 'read, then written' };
  });

  test('secrets and the access list through the project: the account’s own', async () => {
    const secret = await sa(server, 'POST', `${inProject()}/secrets`, { secretExpiresAfterHours: 24 });
    assert.equal(secret.status, 201, secret.text);
    assert.equal(secret.headers.get('content-type'), SA_TYPE);
    const created = secret.json();
    assert.match(created.secret, SECRET);
    assert.equal((await token(server, account.clientId, created.secret)).status, 200);
    const org = `/orgs/${server.credentials.orgId}/serviceAccounts/${account.clientId}`;
    assert.deepEqual(
      (await sa(server, 'GET', org)).json().secrets.map((each: SecretView) => each.id),
      [account.secretId, created.id],
    );
    const deleted = await sa(server, 'DELETE', `${inProject()}/secrets/${created.id}`);
    assert.equal(deleted.status, 204, deleted.text);
    assertInvalidClient(await token(server, account.clientId, created.secret));

    const added = await sa(server, 'POST', `${inProject()}/accessList`, [{ cidrBlock: '192.0.2.0/24' }]);
    assert.equal(added.status, 200, added.text);
    assert.deepEqual(added.json().results, [{ cidrBlock: '192.0.2.0/24', createdAt: iso(server.clock.now()) }]);
    assert.deepEqual(added.json().links, [
      { href: `${server.origin}/api/atlas/v2${inProject()}/accessList?pageNum=1&itemsPerPage=100`, rel: 'self' },
    ]);
    assert.deepEqual((await sa(server, 'GET', `${org}/accessList`)).json().results, added.json().results);
    assert.deepEqual((await sa(server, 'GET', `${inProject()}/accessList`)).json().results, added.json().results);
    const removed = await sa(server, 'DELETE', `${inProject()}/accessList/192.0.2.0%2F24`);
    assert.equal(removed.status, 204, removed.text);
    assert.deepEqual((await sa(server, 'GET', `${org}/accessList`)).json().results, []);
  });

  test('POST /groups/{groupId}/serviceAccounts: an Organization Member with these roles in the project', async () => {
    const response = await sa(server, 'POST', `/groups/${groupId}/serviceAccounts`, {
      description: 'made in the project',
      name: 'project made',
      roles: ['GROUP_READ_ONLY'],
      secretExpiresAfterHours: 8,
    });
    assert.equal(response.status, 201, response.text);
    const body = response.json();
    assert.match(body.clientId, CLIENT_ID);
    assert.match(body.secrets[0].secret, SECRET);
    const now = iso(server.clock.now());
    const secret = {
      createdAt: now,
      expiresAt: plus(now, 8 * HOUR),
      id: body.secrets[0].id,
      maskedSecretValue: masked(body.secrets[0].secret),
    };
    const view = {
      clientId: body.clientId,
      createdAt: now,
      description: 'made in the project',
      name: 'project made',
      roles: ['GROUP_READ_ONLY'],
      secrets: [{ ...secret, secret: body.secrets[0].secret }],
    };
    assertBody(response, 201, view);
    const org = await sa(server, 'GET', `/orgs/${server.credentials.orgId}/serviceAccounts/${body.clientId}`);
    assertBody(org, 200, { ...view, roles: ['ORG_MEMBER'], secrets: [secret] });
    const listed = (await sa(server, 'GET', `/groups/${groupId}/serviceAccounts`)).json();
    assert.deepEqual(
      listed.results.map((each: AccountView) => [each.clientId, each.roles]),
      [
        [account.clientId, ['GROUP_READ_ONLY']],
        [body.clientId, ['GROUP_READ_ONLY']],
      ],
    );
    assert.equal((await token(server, body.clientId, body.secrets[0].secret)).status, 200);
  });

  test('DELETE removes it from the project: 204, gone from the project, still in the organization; again 404', async () => {
    const path = inProject(otherProject);
    const removed = await sa(server, 'DELETE', path);
    assert.equal(removed.status, 204, removed.text);
    const list = await sa(server, 'GET', `/groups/${otherProject}/serviceAccounts`);
    assert.deepEqual(list.json().results, []);
    assert.equal(list.json().totalCount, 0);
    assert.equal(
      (await sa(server, 'GET', `/orgs/${server.credentials.orgId}/serviceAccounts/${account.clientId}`)).status,
      200,
    );
    const before_ = await storeSnapshot(server.store);
    const refusals = new Refusals();
    const notThere = notInProject(account.clientId, otherProject);
    refusals.add(await sa(server, 'DELETE', path), notThere);
    // What only an account in the project has: 404 once it is out.
    refusals.add(await sa(server, 'GET', path), notThere);
    refusals.add(await sa(server, 'PATCH', path, { name: 'x' }), notThere);
    refusals.add(await sa(server, 'POST', `${path}/secrets`, { secretExpiresAfterHours: 8 }), notThere);
    refusals.add(await sa(server, 'DELETE', `${path}/secrets/${account.secretId}`), notThere);
    refusals.add(await sa(server, 'GET', `${path}/accessList`), notThere);
    refusals.add(await sa(server, 'POST', `${path}/accessList`, [{ ipAddress: '192.0.2.7' }]), notThere);
    refusals.add(await sa(server, 'DELETE', `${path}/accessList/192.0.2.7`), notThere);
    assert.equal(await storeSnapshot(server.store), before_);
    refusals.check();
  });

  test('bad project assignments are refused and change nothing', async () => {
    const other = await createOtherOrg(server);
    const foreign = await createAccount(
      server,
      { name: 'foreign', description: 'elsewhere', roles: ['ORG_MEMBER'], secretExpiresAfterHours: 8 },
      other.client,
      other.orgId,
    );
    const before_ = await storeSnapshot(server.store);
    const invite = (project: string, clientId: string, body: unknown) =>
      sa(server, 'POST', `/groups/${project}/serviceAccounts/${clientId}:invite`, body);
    assertAtlasError(await invite(groupId, account.clientId, { roles: ['ORG_OWNER'] }), invalidEnumValue('ORG_OWNER'));
    assertAtlasError(await invite(groupId, account.clientId, { roles: [] }), missingAttribute('roles'));
    assertAtlasError(await invite(groupId, account.clientId, {}), missingAttribute('roles'));
    assertAtlasError(await invite(groupId, account.clientId, []), invalidJson());
    assertAtlasError(await invite(groupId, account.clientId, [{ roles: ['GROUP_OWNER'], extra: 1 }]), invalidJson());
    assertAtlasError(
      await invite(groupId, account.clientId, { roles: ['GROUP_OWNER'], extra: 1 }),
      invalidAttribute('extra'),
    );
    assertAtlasError(
      await invite(groupId, 'mdb_sa_id_xyz', { roles: ['GROUP_OWNER'] }),
      invalidClientId('mdb_sa_id_xyz'),
    );
    const update = (body: unknown) => sa(server, 'PATCH', inProject(), body);
    assertAtlasError(await update({ roles: ['ORG_OWNER'] }), invalidEnumValue('ORG_OWNER'));
    assertAtlasError(await update({ roles: [] }), missingAttribute('roles'));
    assertAtlasError(await update({ secretExpiresAfterHours: 8 }), invalidAttribute('secretExpiresAfterHours'));
    const create = (body: unknown) => sa(server, 'POST', `/groups/${groupId}/serviceAccounts`, body);
    const valid = { name: 'n', description: 'd', roles: ['GROUP_OWNER'], secretExpiresAfterHours: 8 };
    assertAtlasError(await create({ ...valid, roles: ['ORG_MEMBER'] }), invalidEnumValue('ORG_MEMBER'));
    assertAtlasError(await create({ ...valid, roles: undefined }), missingAttribute('roles'));
    assertAtlasError(
      await create({ ...valid, secretExpiresAfterHours: 7 }),
      invalidAttribute('secretExpiresAfterHours'),
    );
    // Another organization's account cannot be put in this organization's project...
    const refusals = new Refusals();
    refusals.add(
      await invite(groupId, foreign.clientId, { roles: ['GROUP_OWNER'] }),
      accountNotFound(foreign.clientId),
    );
    // ...and this organization's owner has no say in the other organization's projects.
    for (const response of [
      await invite(other.groupId, foreign.clientId, { roles: ['GROUP_OWNER'] }),
      await sa(server, 'POST', `/groups/${other.groupId}/serviceAccounts`, valid),
      await sa(server, 'GET', `/groups/${other.groupId}/serviceAccounts/${foreign.clientId}`),
    ]) {
      assertAtlasError(response, notInGroup());
      assertNoChallenge(response);
    }
    assert.equal(await storeSnapshot(server.store), before_);
    refusals.check();
  });
});

// =======================================================================================

describe('who may manage service accounts: Organization Owner; Organization Member may read', () => {
  let server: TestServer;
  let account: Created;
  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
    account = await createAccount(server, {
      name: 'managed',
      description: 'by owners only',
      roles: ['ORG_MEMBER'],
      secretExpiresAfterHours: 8,
    });
    const listed = await sa(
      server,
      'POST',
      `/orgs/${server.credentials.orgId}/serviceAccounts/${account.clientId}/accessList`,
      [{ ipAddress: '192.0.2.1' }],
    );
    assert.equal(listed.status, 200, listed.text);
  });
  after(() => server.close());

  const reads = () => {
    const base = `/orgs/${server.credentials.orgId}/serviceAccounts`;
    return [
      ['GET', base],
      ['GET', `${base}/${account.clientId}`],
      ['GET', `${base}/${account.clientId}/accessList`],
      ['GET', `${base}/${account.clientId}/groups`],
    ] as const;
  };
  const writes = () => {
    const base = `/orgs/${server.credentials.orgId}/serviceAccounts`;
    return [
      ['POST', base, { name: 'x', description: 'y', roles: ['ORG_MEMBER'], secretExpiresAfterHours: 8 }],
      ['PATCH', `${base}/${account.clientId}`, { name: 'renamed' }],
      ['DELETE', `${base}/${account.clientId}`, undefined],
      ['POST', `${base}/${account.clientId}/secrets`, { secretExpiresAfterHours: 8 }],
      ['DELETE', `${base}/${account.clientId}/secrets/${account.secretId}`, undefined],
      ['POST', `${base}/${account.clientId}/accessList`, [{ ipAddress: '192.0.2.2' }]],
      ['DELETE', `${base}/${account.clientId}/accessList/192.0.2.1`, undefined],
    ] as const;
  };

  for (const roles of [['ORG_MEMBER'], ['ORG_READ_ONLY'], ['ORG_GROUP_CREATOR', 'ORG_BILLING_ADMIN']]) {
    test(`${roles.join('+')}: reads 200, every write 401 USER_UNAUTHORIZED and nothing changes`, async () => {
      const key = await createApiKey(server, roles);
      for (const [method, path] of reads()) {
        const response = await sa(server, method, path, undefined, key.client);
        assert.equal(response.status, 200, `${method} ${path}: ${response.text}`);
      }
      const before_ = await storeSnapshot(server.store);
      for (const [method, path, body] of writes()) {
        const response = await sa(server, method, path, body, key.client);
        assertAtlasError(response, userUnauthorized(), `${method} ${path}`);
        assertNoChallenge(response);
      }
      assert.equal(await storeSnapshot(server.store), before_);
    });
  }

  test('in a project: Organization Owner invites; Project Owner manages what is there; Project Read Only reads', async () => {
    const groupId = server.credentials.groupId;
    const ownerKey = await createApiKey(server, ['ORG_MEMBER']);
    const readerKey = await createApiKey(server, ['ORG_MEMBER']);
    for (const [id, roles] of [
      [ownerKey.id, ['GROUP_OWNER']],
      [readerKey.id, ['GROUP_READ_ONLY']],
    ] as const) {
      assert.equal((await api(server, 'v1.0', 'PATCH', `/groups/${groupId}/apiKeys/${id}`, { roles })).status, 200);
    }
    const path = `/groups/${groupId}/serviceAccounts/${account.clientId}`;
    const before_ = await storeSnapshot(server.store);
    // Atlas asks for Organization Owner to bring an organization's account into a project.
    for (const client of [readerKey.client, ownerKey.client]) {
      assertAtlasError(
        await sa(server, 'POST', `${path}:invite`, { roles: ['GROUP_READ_ONLY'] }, client),
        userUnauthorized(),
      );
    }
    assert.equal(await storeSnapshot(server.store), before_);
    const invited = await sa(server, 'POST', `${path}:invite`, { roles: ['GROUP_READ_ONLY'] });
    assert.equal(invited.status, 200, invited.text);
    // Project Owner changes it there; Project Read Only reads it, its access list, and the list.
    const changed = await sa(server, 'PATCH', path, { roles: ['GROUP_CLUSTER_MANAGER'] }, ownerKey.client);
    assert.equal(changed.status, 200, changed.text);
    for (const readPath of [path, `${path}/accessList`, `/groups/${groupId}/serviceAccounts`]) {
      const read = await sa(server, 'GET', readPath, undefined, readerKey.client);
      assert.equal(read.status, 200, `${readPath}: ${read.text}`);
    }
    const listed = await sa(server, 'GET', `/groups/${groupId}/serviceAccounts`, undefined, readerKey.client);
    assert.deepEqual(
      listed.json().results.map((each: AccountView) => [each.clientId, each.roles]),
      [[account.clientId, ['GROUP_CLUSTER_MANAGER']]],
    );
    const snapshot = await storeSnapshot(server.store);
    for (const [method, writePath, body] of [
      ['PATCH', path, { name: 'x' }],
      ['DELETE', path, undefined],
      ['POST', `${path}/secrets`, { secretExpiresAfterHours: 8 }],
      ['DELETE', `${path}/secrets/${account.secretId}`, undefined],
      ['POST', `${path}/accessList`, [{ ipAddress: '192.0.2.3' }]],
      ['DELETE', `${path}/accessList/192.0.2.1`, undefined],
      [
        'POST',
        `/groups/${groupId}/serviceAccounts`,
        { name: 'x', description: 'y', roles: ['GROUP_READ_ONLY'], secretExpiresAfterHours: 8 },
      ],
    ] as const) {
      const response = await sa(server, method, writePath, body, readerKey.client);
      assertAtlasError(response, userUnauthorized(), `${method} ${writePath}`);
      assertNoChallenge(response);
    }
    assert.equal(await storeSnapshot(server.store), snapshot);
    // An Organization Member with no role in the project is not in it.
    const member = await createApiKey(server, ['ORG_MEMBER']);
    assertAtlasError(
      await sa(server, 'GET', `/groups/${groupId}/serviceAccounts`, undefined, member.client),
      notInGroup(),
    );
  });
});

// =======================================================================================

describe('hostile input: an Atlas 4xx, and the store unchanged', () => {
  let server: TestServer;
  let account: Created;
  let other: Awaited<ReturnType<typeof createOtherOrg>>;
  let foreign: Created;
  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
    account = await createAccount(server, {
      name: 'target',
      description: 'of hostile input',
      roles: ['ORG_MEMBER'],
      secretExpiresAfterHours: 8,
    });
    other = await createOtherOrg(server);
    foreign = await createAccount(
      server,
      { name: 'foreign', description: 'elsewhere', roles: ['ORG_OWNER'], secretExpiresAfterHours: 8 },
      other.client,
      other.orgId,
    );
  });
  after(() => server.close());

  const valid = { name: 'n', description: 'd', roles: ['ORG_MEMBER'], secretExpiresAfterHours: 8 };

  interface Case {
    name: string;
    method: string;
    path: () => string;
    body?: unknown;
    raw?: string;
    expected: () => AtlasErrorBody;
  }

  const create = () => `/orgs/${server.credentials.orgId}/serviceAccounts`;
  const one = () => `${create()}/${account.clientId}`;
  const cases: Case[] = [
    {
      name: 'unknown field',
      method: 'POST',
      path: create,
      body: { ...valid, apiKey: true },
      expected: () => invalidAttribute('apiKey'),
    },
    {
      name: 'hours 7',
      method: 'POST',
      path: create,
      body: { ...valid, secretExpiresAfterHours: 7 },
      expected: () => invalidAttribute('secretExpiresAfterHours'),
    },
    {
      name: 'hours 8761',
      method: 'POST',
      path: create,
      body: { ...valid, secretExpiresAfterHours: 8761 },
      expected: () => invalidAttribute('secretExpiresAfterHours'),
    },
    {
      name: 'hours 0',
      method: 'POST',
      path: create,
      body: { ...valid, secretExpiresAfterHours: 0 },
      expected: () => invalidAttribute('secretExpiresAfterHours'),
    },
    {
      name: 'hours "8"',
      method: 'POST',
      path: create,
      body: { ...valid, secretExpiresAfterHours: '8' },
      expected: () => invalidJsonAttribute('secretExpiresAfterHours'),
    },
    {
      name: 'hours 8.5',
      method: 'POST',
      path: create,
      body: { ...valid, secretExpiresAfterHours: 8.5 },
      expected: () => invalidJsonAttribute('secretExpiresAfterHours'),
    },
    {
      name: 'hours missing',
      method: 'POST',
      path: create,
      body: { name: 'n', description: 'd', roles: ['ORG_MEMBER'] },
      expected: () => missingAttribute('secretExpiresAfterHours'),
    },
    {
      name: 'empty roles',
      method: 'POST',
      path: create,
      body: { ...valid, roles: [] },
      expected: () => missingAttribute('roles'),
    },
    {
      name: 'no roles',
      method: 'POST',
      path: create,
      body: { name: 'n', description: 'd', secretExpiresAfterHours: 8 },
      expected: () => missingAttribute('roles'),
    },
    {
      name: 'a project role on an org account',
      method: 'POST',
      path: create,
      body: { ...valid, roles: ['GROUP_OWNER'] },
      expected: () => invalidEnumValue('GROUP_OWNER'),
    },
    {
      name: 'an unknown role',
      method: 'POST',
      path: create,
      body: { ...valid, roles: ['ORG_ROOT'] },
      expected: () => invalidEnumValue('ORG_ROOT'),
    },
    {
      name: 'roles not an array',
      method: 'POST',
      path: create,
      body: { ...valid, roles: 'ORG_MEMBER' },
      expected: () => invalidJsonAttribute('roles'),
    },
    {
      name: 'empty name',
      method: 'POST',
      path: create,
      body: { ...valid, name: '' },
      expected: () => invalidAttribute('name'),
    },
    {
      name: 'name of 65',
      method: 'POST',
      path: create,
      body: { ...valid, name: 'n'.repeat(65) },
      expected: () => invalidAttribute('name'),
    },
    {
      name: 'name with /',
      method: 'POST',
      path: create,
      body: { ...valid, name: 'a/b' },
      expected: () => invalidAttribute('name'),
    },
    {
      name: 'description of 251',
      method: 'POST',
      path: create,
      body: { ...valid, description: 'd'.repeat(251) },
      expected: () => invalidAttribute('description'),
    },
    {
      name: 'no description',
      method: 'POST',
      path: create,
      body: { name: 'n', roles: ['ORG_MEMBER'], secretExpiresAfterHours: 8 },
      expected: () => missingAttribute('description'),
    },
    { name: 'an array body', method: 'POST', path: create, body: [valid], expected: invalidJson },
    { name: 'malformed JSON', method: 'POST', path: create, raw: '{"name":', expected: malformedJson },
    {
      name: 'PATCH unknown field',
      method: 'PATCH',
      path: one,
      body: { apiKey: true },
      expected: () => invalidAttribute('apiKey'),
    },
    {
      name: 'PATCH the client id of another account',
      method: 'PATCH',
      path: one,
      body: { clientId: 'mdb_sa_id_000000000000000000000000', name: 'x' },
      expected: () =>
        atlasError(
          400,
          'ATTRIBUTE_READ_ONLY',
          'The attribute clientId is read-only and cannot be changed by the user.',
          ['clientId'],
        ),
    },
    {
      name: 'PATCH hours',
      method: 'PATCH',
      path: one,
      body: { secretExpiresAfterHours: 8 },
      expected: () => invalidAttribute('secretExpiresAfterHours'),
    },
    {
      name: 'PATCH empty roles',
      method: 'PATCH',
      path: one,
      body: { roles: [] },
      expected: () => missingAttribute('roles'),
    },
    {
      name: 'PATCH project role',
      method: 'PATCH',
      path: one,
      body: { roles: ['GROUP_READ_ONLY'] },
      expected: () => invalidEnumValue('GROUP_READ_ONLY'),
    },
    {
      name: 'PATCH empty name',
      method: 'PATCH',
      path: one,
      body: { name: '' },
      expected: () => invalidAttribute('name'),
    },
    {
      name: 'secret hours 7',
      method: 'POST',
      path: () => `${one()}/secrets`,
      body: { secretExpiresAfterHours: 7 },
      expected: () => invalidAttribute('secretExpiresAfterHours'),
    },
    {
      name: 'secret hours 8761',
      method: 'POST',
      path: () => `${one()}/secrets`,
      body: { secretExpiresAfterHours: 8761 },
      expected: () => invalidAttribute('secretExpiresAfterHours'),
    },
    {
      name: 'secret hours "8"',
      method: 'POST',
      path: () => `${one()}/secrets`,
      body: { secretExpiresAfterHours: '8' },
      expected: () => invalidJsonAttribute('secretExpiresAfterHours'),
    },
    {
      name: 'secret unknown field',
      method: 'POST',
      path: () => `${one()}/secrets`,
      body: { secretExpiresAfterHours: 8, secret: 'mdb_sa_sk_mine' },
      expected: () => invalidAttribute('secret'),
    },
    {
      name: 'secret no hours',
      method: 'POST',
      path: () => `${one()}/secrets`,
      body: {},
      expected: () => missingAttribute('secretExpiresAfterHours'),
    },
    {
      name: 'unknown secret',
      method: 'DELETE',
      path: () => `${one()}/secrets/0123456789abcdef01234567`,
      expected: () => secretNotFound('0123456789abcdef01234567'),
    },
    {
      name: "another account's secret",
      method: 'DELETE',
      path: () => `${one()}/secrets/${foreign.secretId}`,
      expected: () => secretNotFound(foreign.secretId),
    },
  ];
  // Client ids: malformed (404 INVALID_SERVICE_ACCOUNT_CLIENT_ID), unknown, another organization's (404 SERVICE_ACCOUNT_NOT_FOUND).
  const unknownId = 'mdb_sa_id_0123456789abcdef01234567';
  for (const [label, clientId, expected] of [
    ['malformed client id', 'mdb_sa_id_xyz', () => invalidClientId('mdb_sa_id_xyz')],
    ['bare 24-hex id', '0123456789abcdef01234567', () => invalidClientId('0123456789abcdef01234567')],
    [
      'client id with 25 hex',
      'mdb_sa_id_0123456789abcdef012345678',
      () => invalidClientId('mdb_sa_id_0123456789abcdef012345678'),
    ],
    ['unknown client id', unknownId, () => accountNotFound(unknownId)],
    ["another organization's account", () => foreign.clientId, () => accountNotFound(foreign.clientId)],
  ] as const) {
    const id = () => (typeof clientId === 'function' ? clientId() : clientId);
    const base = () => `${create()}/${id()}`;
    cases.push(
      { name: `${label}: GET`, method: 'GET', path: base, expected },
      { name: `${label}: PATCH`, method: 'PATCH', path: base, body: { name: 'x' }, expected },
      { name: `${label}: DELETE`, method: 'DELETE', path: base, expected },
      {
        name: `${label}: POST secret`,
        method: 'POST',
        path: () => `${base()}/secrets`,
        body: { secretExpiresAfterHours: 8 },
        expected,
      },
      {
        name: `${label}: DELETE secret`,
        method: 'DELETE',
        path: () => `${base()}/secrets/${account.secretId}`,
        expected,
      },
      { name: `${label}: GET access list`, method: 'GET', path: () => `${base()}/accessList`, expected },
      {
        name: `${label}: POST access list`,
        method: 'POST',
        path: () => `${base()}/accessList`,
        body: [{ ipAddress: '192.0.2.1' }],
        expected,
      },
      {
        name: `${label}: DELETE access list entry`,
        method: 'DELETE',
        path: () => `${base()}/accessList/192.0.2.1`,
        expected,
      },
      {
        name: `${label}: project GET`,
        method: 'GET',
        path: () => `/groups/${server.credentials.groupId}/serviceAccounts/${id()}`,
        expected,
      },
      {
        name: `${label}: project PATCH`,
        method: 'PATCH',
        path: () => `/groups/${server.credentials.groupId}/serviceAccounts/${id()}`,
        body: { roles: ['GROUP_READ_ONLY'] },
        expected,
      },
      {
        name: `${label}: project DELETE`,
        method: 'DELETE',
        path: () => `/groups/${server.credentials.groupId}/serviceAccounts/${id()}`,
        expected,
      },
      {
        name: `${label}: project invite`,
        method: 'POST',
        path: () => `/groups/${server.credentials.groupId}/serviceAccounts/${id()}:invite`,
        body: { roles: ['GROUP_READ_ONLY'] },
        expected,
      },
      {
        name: `${label}: project POST secret`,
        method: 'POST',
        path: () => `/groups/${server.credentials.groupId}/serviceAccounts/${id()}/secrets`,
        body: { secretExpiresAfterHours: 8 },
        expected,
      },
      {
        name: `${label}: project access list`,
        method: 'GET',
        path: () => `/groups/${server.credentials.groupId}/serviceAccounts/${id()}/accessList`,
        expected,
      },
      { name: `${label}: its projects`, method: 'GET', path: () => `${base()}/groups`, expected },
    );
  }
  // Another organization's paths: that organization does not exist for this caller.
  cases.push(
    {
      name: "another org's list",
      method: 'GET',
      path: () => `/orgs/${other.orgId}/serviceAccounts`,
      expected: () => orgNotFound(other.orgId),
    },
    {
      name: "another org's account",
      method: 'GET',
      path: () => `/orgs/${other.orgId}/serviceAccounts/${foreign.clientId}`,
      expected: () => orgNotFound(other.orgId),
    },
    {
      name: "another org's delete",
      method: 'DELETE',
      path: () => `/orgs/${other.orgId}/serviceAccounts/${foreign.clientId}`,
      expected: () => orgNotFound(other.orgId),
    },
    {
      name: "another org's create",
      method: 'POST',
      path: () => `/orgs/${other.orgId}/serviceAccounts`,
      body: valid,
      expected: () => orgNotFound(other.orgId),
    },
  );

  test(`${cases.length} hostile requests, each refused exactly (schema violations with badRequestDetail), the store unchanged`, async () => {
    const before_ = await storeSnapshot(server.store);
    const mismatches: unknown[] = [];
    for (const each of cases) {
      const response =
        each.raw !== undefined
          ? await server.client.request(`/api/atlas/v2${each.path()}`, {
              method: each.method,
              rawBody: each.raw,
              headers: { 'content-type': 'application/json', accept: SA_TYPE },
            })
          : await sa(server, each.method, each.path(), each.body);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/, each.name);
      assert.equal(response.status, each.expected().error, `${each.name}: ${response.text}`);
      const body = response.json();
      const { badRequestDetail, ...rest } = body;
      assert.equal(rest.errorCode, each.expected().errorCode, each.name);
      if (JSON.stringify(rest) !== JSON.stringify(each.expected())) {
        mismatches.push({ name: each.name, actual: rest, expected: each.expected() });
      }
      if (badRequestDetail !== undefined) {
        assert.equal(response.status, 400, each.name);
        assert.equal(badRequestDetail.fields.length, 1, each.name);
        assert.deepEqual(Object.keys(body), [
          'badRequestDetail',
          'detail',
          'error',
          'errorCode',
          'parameters',
          'reason',
        ]);
      }
      assert.equal(await storeSnapshot(server.store), before_, each.name);
    }
    assert.deepEqual(mismatches, []);
    // Two exactly.
    assertV2Error(
      await sa(server, 'POST', create(), { ...valid, secretExpiresAfterHours: 7 }),
      withFieldDetail(invalidAttribute('secretExpiresAfterHours'), 'secretExpiresAfterHours', 'must be >= 8'),
    );
    assertV2Error(
      await sa(server, 'POST', create(), { ...valid, extra: 1 }),
      withFieldDetail(invalidAttribute('extra'), 'extra', 'must NOT have additional properties'),
    );
    assert.equal(await storeSnapshot(server.store), before_);
  });

  test('the boundaries 8 and 8760 hours are accepted', async () => {
    for (const hours of [8, 8760]) {
      const created = await createAccount(server, { ...valid, name: `hours ${hours}`, secretExpiresAfterHours: hours });
      assert.equal(created.view.secrets[0]!.expiresAt, plus(START_SECOND, hours * HOUR));
      const secret = await sa(server, 'POST', `${create()}/${created.clientId}/secrets`, {
        secretExpiresAfterHours: hours,
      });
      assert.equal(secret.status, 201, secret.text);
    }
  });
});

// =======================================================================================

describe('the audit trail of service accounts', () => {
  let server: TestServer;
  let ownerKeyId: string;
  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
    ownerKeyId = await bootstrapKeyId(server);
  });
  after(() => server.close());

  /** The members every event of the bootstrap owner's actions carries. */
  function actorMembers() {
    return {
      apiKeyId: ownerKeyId,
      isGlobalAdmin: false,
      orgId: server.credentials.orgId,
      outcome: 'SUCCESS',
      publicKey: server.credentials.publicKey,
      remoteAddress: '127.0.0.1',
    };
  }

  function withoutIdentity(event: Record<string, unknown>) {
    const { id, links, ...rest } = event;
    assert.match(String(id), OBJECT_ID);
    assert.ok(Array.isArray(links));
    return rest;
  }

  test('create, secrets, update, project roles, access list and delete each record one event', async () => {
    const orgId = server.credentials.orgId;
    const groupId = server.credentials.groupId;
    const created = await createAccount(server, {
      name: 'audited',
      description: 'every step',
      roles: ['ORG_MEMBER', 'ORG_READ_ONLY'],
      secretExpiresAfterHours: 8,
    });
    const id = created.clientId.slice('mdb_sa_id_'.length);
    const path = `/orgs/${orgId}/serviceAccounts/${created.clientId}`;
    const steps: Array<[string, string, unknown]> = [
      ['POST', `${path}/secrets`, { secretExpiresAfterHours: 8 }],
      ['DELETE', `${path}/secrets/${created.secretId}`, undefined],
      ['PATCH', path, { name: 'renamed' }],
      ['PATCH', path, { roles: ['ORG_OWNER'] }],
      ['POST', `/groups/${groupId}/serviceAccounts/${created.clientId}:invite`, { roles: ['GROUP_READ_ONLY'] }],
      ['PATCH', `/groups/${groupId}/serviceAccounts/${created.clientId}`, { roles: ['GROUP_OWNER'] }],
      ['DELETE', `/groups/${groupId}/serviceAccounts/${created.clientId}`, undefined],
      ['POST', `${path}/accessList`, [{ cidrBlock: '192.0.2.0/24' }]],
      ['DELETE', `${path}/accessList/192.0.2.0%2F24`, undefined],
      ['DELETE', path, undefined],
    ];
    for (const [method, stepPath, body] of steps) {
      server.clock.advance(1000);
      const response = await sa(server, method, stepPath, body);
      assert.ok(response.status < 300, `${method} ${stepPath}: ${response.status} ${response.text}`);
    }
    const events = (await eventsOf(server, 'itemsPerPage=500'))
      .filter((event) => event.targetPublicKey === created.clientId)
      .reverse()
      .map(withoutIdentity);
    const at = (seconds: number) => plus(START_SECOND, seconds * 1000);
    const target = { targetApiKeyId: id, targetPublicKey: created.clientId };
    assert.deepEqual(events, [
      {
        ...actorMembers(),
        ...target,
        created: at(0),
        eventTypeName: 'SERVICE_ACCOUNT_CREATED',
        roles: ['ORG_MEMBER', 'ORG_READ_ONLY'],
      },
      { ...actorMembers(), ...target, created: at(1), eventTypeName: 'SERVICE_ACCOUNT_SECRET_ADDED' },
      { ...actorMembers(), ...target, created: at(2), eventTypeName: 'SERVICE_ACCOUNT_SECRET_DELETED' },
      { ...actorMembers(), ...target, created: at(3), eventTypeName: 'SERVICE_ACCOUNT_DETAILS_CHANGED' },
      {
        ...actorMembers(),
        ...target,
        created: at(4),
        eventTypeName: 'SERVICE_ACCOUNT_ROLES_CHANGED',
        roles: ['ORG_OWNER'],
      },
      {
        ...actorMembers(),
        ...target,
        created: at(5),
        eventTypeName: 'SERVICE_ACCOUNT_ADDED_TO_GROUP',
        groupId,
        roles: ['GROUP_READ_ONLY'],
      },
      {
        ...actorMembers(),
        ...target,
        created: at(6),
        eventTypeName: 'SERVICE_ACCOUNT_ROLES_CHANGED',
        groupId,
        roles: ['GROUP_OWNER'],
      },
      { ...actorMembers(), ...target, created: at(7), eventTypeName: 'SERVICE_ACCOUNT_REMOVED_FROM_GROUP', groupId },
      {
        ...actorMembers(),
        ...target,
        created: at(8),
        eventTypeName: 'SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_ADDED',
        accessListEntry: '192.0.2.0/24',
      },
      {
        ...actorMembers(),
        ...target,
        created: at(9),
        eventTypeName: 'SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_DELETED',
        accessListEntry: '192.0.2.0/24',
      },
      { ...actorMembers(), ...target, created: at(10), eventTypeName: 'SERVICE_ACCOUNT_DELETED' },
    ]);
    // The project's own trail holds the project events.
    const projectEvents = (await eventsOf(server, 'itemsPerPage=500', `/groups/${groupId}/events`))
      .filter((event) => event.targetPublicKey === created.clientId)
      .map((event) => event.eventTypeName);
    assert.deepEqual(projectEvents, [
      'SERVICE_ACCOUNT_REMOVED_FROM_GROUP',
      'SERVICE_ACCOUNT_ROLES_CHANGED',
      'SERVICE_ACCOUNT_ADDED_TO_GROUP',
    ]);
  });

  test('no event holds a secret or its hash', async () => {
    const created = await createAccount(server, {
      name: 'secretive',
      description: 'keeps it',
      roles: ['ORG_MEMBER'],
      secretExpiresAfterHours: 8,
    });
    const second = await sa(
      server,
      'POST',
      `/orgs/${server.credentials.orgId}/serviceAccounts/${created.clientId}/secrets`,
      {
        secretExpiresAfterHours: 8,
      },
    );
    const secrets = [created.secret, second.json().secret as string];
    const rows = JSON.stringify(await server.store.db.selectFrom('events').selectAll().execute());
    const listed = (await api(server, 'v1.0', 'GET', `/orgs/${server.credentials.orgId}/events?itemsPerPage=500`)).text;
    for (const secret of secrets) {
      const hash = createHash('sha256').update(secret).digest('hex');
      for (const text of [rows, listed]) {
        assert.ok(!text.includes(secret));
        assert.ok(!text.includes(secret.slice('mdb_sa_sk_'.length)));
        assert.ok(!text.includes(hash));
      }
    }
  });

  test('a PATCH that changes nothing records no event (as for API keys)', async () => {
    const created = await createAccount(server, {
      name: 'steady',
      description: 'unchanged',
      roles: ['ORG_MEMBER'],
      secretExpiresAfterHours: 8,
    });
    const path = `/orgs/${server.credentials.orgId}/serviceAccounts/${created.clientId}`;
    const count = await eventCount(server);
    for (const body of [{}, { name: 'steady' }, { description: 'unchanged' }, { roles: ['ORG_MEMBER'] }]) {
      const response = await sa(server, 'PATCH', path, body);
      assertBody(response, 200, created.view);
    }
    assert.equal(await eventCount(server), count);
  });

  test('refused writes are recorded as DBCERTS_REQUEST_REFUSED with the error code', async () => {
    const path = `/api/atlas/v2/orgs/${server.credentials.orgId}/serviceAccounts`;
    const response = await sa(server, 'POST', `/orgs/${server.credentials.orgId}/serviceAccounts`, {
      name: 'x',
      description: 'y',
      roles: ['ORG_MEMBER'],
      secretExpiresAfterHours: 8761,
    });
    assert.equal(response.status, 400);
    const [event] = await eventsOf(server, 'eventType=DBCERTS_REQUEST_REFUSED&itemsPerPage=1');
    assert.deepEqual(withoutIdentity(event!), {
      ...actorMembers(),
      created: iso(server.clock.now()),
      errorCode: 'INVALID_ATTRIBUTE',
      eventTypeName: 'DBCERTS_REQUEST_REFUSED',
      method: 'POST',
      outcome: 'FAILURE',
      path,
      status: 400,
    });
  });
});

// =======================================================================================

describe('what real clients send: atlas-sdk-go’s bodies, curl --digest, Python requests, a bearer token', () => {
  let server: TestServer;
  let orgId: string;
  let groupId: string;
  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
    orgId = server.credentials.orgId;
    groupId = server.credentials.groupId;
  });
  after(() => server.close());

  /** As atlas-sdk-go's ServiceAccountsApi sends it: Accept and Content-Type 2024-08-05, the body byte for byte. */
  const sdk = (method: string, path: string, rawBody?: string, client: DigestClient = server.client) =>
    client.request(`/api/atlas/v2${path}`, {
      method,
      headers: { accept: SA_TYPE, ...(rawBody !== undefined ? { 'content-type': SA_TYPE } : {}) },
      ...(rawBody !== undefined ? { rawBody } : {}),
    });

  test('the SDK’s bodies (members as it marshals them), from organization account to project access list', async () => {
    // CreateServiceAccount (OrgServiceAccountRequest).
    const created = await sdk(
      'POST',
      `/orgs/${orgId}/serviceAccounts`,
      '{"description":"made by the sdk","name":"sdk account","roles":["ORG_MEMBER"],"secretExpiresAfterHours":8}',
    );
    assert.equal(created.status, 201, created.text);
    assert.equal(created.headers.get('content-type'), SA_TYPE);
    const { clientId } = created.json();
    const inProject = `/groups/${groupId}/serviceAccounts/${clientId}`;
    // AddProjectServiceAccount (GroupServiceAccountRoleAssignment).
    const invited = await sdk('POST', `${inProject}:invite`, '{"roles":["GROUP_READ_ONLY"]}');
    assert.equal(invited.status, 200, invited.text);
    assert.deepEqual(invited.json().roles, ['GROUP_READ_ONLY']);
    // UpdateProjectServiceAccount (GroupServiceAccountUpdateRequest, every member omitempty).
    const updated = await sdk('PATCH', inProject, '{"description":"changed by the sdk"}');
    assert.equal(updated.status, 200, updated.text);
    assert.equal(updated.json().description, 'changed by the sdk');
    assert.deepEqual(updated.json().roles, ['GROUP_READ_ONLY']);
    // CreateProjectServiceAccountSecret (ServiceAccountSecretRequest).
    const secret = await sdk('POST', `${inProject}/secrets`, '{"secretExpiresAfterHours":24}');
    assert.equal(secret.status, 201, secret.text);
    assert.match(secret.json().secret, SECRET);
    // CreateProjectServiceAccountAccessList ([]ServiceAccountIPAccessListEntry, read-only members left out).
    const listed = await sdk(
      'POST',
      `${inProject}/accessList`,
      '[{"cidrBlock":"203.0.113.0/24"},{"ipAddress":"198.51.100.7"}]',
    );
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(
      listed.json().results.map((entry: { cidrBlock: string }) => entry.cidrBlock),
      ['198.51.100.7/32', '203.0.113.0/24'],
    );
    // CreateProjectServiceAccount (GroupServiceAccountRequest).
    const inGroup = await sdk(
      'POST',
      `/groups/${groupId}/serviceAccounts`,
      '{"description":"made in the project","name":"project account","roles":["GROUP_OWNER"],"secretExpiresAfterHours":8}',
    );
    assert.equal(inGroup.status, 201, inGroup.text);
    assert.deepEqual(inGroup.json().roles, ['GROUP_OWNER']);
  });

  test('the SDK’s GroupServiceAccountRequest without roles (a nil pointer, omitted): 400 MISSING_ATTRIBUTE, nothing made', async () => {
    const before = await storeSnapshot(server.store);
    const response = await sdk(
      'POST',
      `/groups/${groupId}/serviceAccounts`,
      '{"description":"no roles","name":"no roles","secretExpiresAfterHours":8}',
    );
    assertAtlasError(response, missingAttribute('roles'));
    assert.equal(await storeSnapshot(server.store), before);
  });

  test('curl --digest: create in the project, invite, list; 2023-01-01 is refused with Atlas’ 406', async () => {
    const { publicKey, privateKey } = server.credentials;
    const base = `${server.origin}/api/atlas/v2/groups/${groupId}/serviceAccounts`;
    const headers = ['-H', `Accept: ${SA_TYPE}`, '-H', `Content-Type: ${SA_TYPE}`];
    const created = await curlDigest({ publicKey, privateKey }, [
      ...headers,
      '-d',
      '{"name":"curl account","description":"typed by hand","roles":["GROUP_READ_ONLY"],"secretExpiresAfterHours":8}',
      base,
    ]);
    assert.equal(created.status, 201, created.body);
    const account = JSON.parse(created.body);
    const other = await createProject(server, 'CurlProject');
    const invited = await curlDigest({ publicKey, privateKey }, [
      ...headers,
      '-d',
      '{"roles":["GROUP_OWNER"]}',
      `${server.origin}/api/atlas/v2/groups/${other}/serviceAccounts/${account.clientId}:invite`,
    ]);
    assert.equal(invited.status, 200, invited.body);
    assert.deepEqual(JSON.parse(invited.body).roles, ['GROUP_OWNER']);
    const list = await curlDigest({ publicKey, privateKey }, ['-H', `Accept: ${SA_TYPE}`, base]);
    assert.equal(list.status, 200, list.body);
    assert.ok(JSON.parse(list.body).results.some((each: { clientId: string }) => each.clientId === account.clientId));
    const refused = await curlDigest({ publicKey, privateKey }, ['-H', `Accept: ${V2_TYPE}`, base]);
    assert.equal(refused.status, 406, refused.body);
    assert.equal(
      refused.body,
      '{"detail":"Invalid accept header or version date.","error":406,"errorCode":"INVALID_VERSION_DATE","parameters":[],"reason":"Not Acceptable"}',
    );
  });

  test('Python requests: a project account read, edited and sent back whole', async () => {
    const account = await createAccount(server, {
      name: 'python account',
      description: 'scripted',
      roles: ['ORG_MEMBER'],
      secretExpiresAfterHours: 8,
    });
    const target = `/api/atlas/v2/groups/${groupId}/serviceAccounts/${account.clientId}`;
    const headers = { Accept: SA_TYPE, 'Content-Type': SA_TYPE };
    const [invited, read] = await pythonRequests(server.origin, server.credentials, [
      { method: 'POST', target: `${target}:invite`, body: '{"roles":["GROUP_READ_ONLY"]}', headers },
      { method: 'GET', target, headers: { Accept: SA_TYPE } },
    ]);
    assert.equal(invited!.status, 200, invited!.text);
    assert.equal(read!.status, 200, read!.text);
    assert.equal(read!.headers['content-type'], SA_TYPE);
    const back = { ...read!.json(), name: 'renamed in python' };
    const [written, again] = await pythonRequests(server.origin, server.credentials, [
      { method: 'PATCH', target, body: JSON.stringify(back), headers },
      { method: 'GET', target, headers: { Accept: SA_TYPE } },
    ]);
    assert.equal(written!.status, 200, written!.text);
    assert.deepEqual(written!.json(), back);
    assert.deepEqual(again!.json(), back);
  });

  test('an OAuth bearer token of a Project Owner account: the project routes as its roles allow', async () => {
    const owner = await createAccount(server, {
      name: 'automation',
      description: 'acts with a token',
      roles: ['ORG_MEMBER'],
      secretExpiresAfterHours: 8,
    });
    assert.equal(
      (await sdk('POST', `/groups/${groupId}/serviceAccounts/${owner.clientId}:invite`, '{"roles":["GROUP_OWNER"]}'))
        .status,
      200,
    );
    const minted = await token(server, owner.clientId, owner.secret);
    assert.equal(minted.status, 200, minted.text);
    const bearer = `Bearer ${minted.json().access_token}`;
    const withToken = (method: string, path: string, body?: string) =>
      send(`${server.origin}/api/atlas/v2${path}`, method, bearer, {
        headers: { accept: SA_TYPE, ...(body !== undefined ? { 'content-type': SA_TYPE } : {}) },
        ...(body !== undefined ? { rawBody: body } : {}),
      });

    const list = await withToken('GET', `/groups/${groupId}/serviceAccounts`);
    assert.equal(list.status, 200, list.text);
    assert.equal(list.headers.get('content-type'), SA_TYPE);
    assert.ok(list.json().results.some((each: { clientId: string }) => each.clientId === owner.clientId));
    const created = await withToken(
      'POST',
      `/groups/${groupId}/serviceAccounts`,
      '{"description":"made with a token","name":"child","roles":["GROUP_READ_ONLY"],"secretExpiresAfterHours":8}',
    );
    assert.equal(created.status, 201, created.text);
    const child = created.json().clientId;
    const renamed = await withToken('PATCH', `/groups/${groupId}/serviceAccounts/${child}`, '{"name":"child 2"}');
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.json().name, 'child 2');
    const projects = await withToken('GET', `/orgs/${orgId}/serviceAccounts/${owner.clientId}/groups`);
    assert.equal(projects.status, 200, projects.text);
    assert.deepEqual(projects.json().results, [{ groupId }]);
    // Inviting an account is for Organization Owners; a Project Owner's token is refused, nothing changes.
    const other = await createProject(server, 'TokenProject');
    const snapshot = await storeSnapshot(server.store);
    const refused = await withToken(
      'POST',
      `/groups/${groupId}/serviceAccounts/${child}:invite`,
      '{"roles":["GROUP_OWNER"]}',
    );
    assertAtlasError(refused, userUnauthorized());
    assertNoChallenge(refused);
    assertAtlasError(await withToken('GET', `/groups/${other}/serviceAccounts`), notInGroup());
    assert.equal(await storeSnapshot(server.store), snapshot);
    assert.equal((await withToken('DELETE', `/groups/${groupId}/serviceAccounts/${child}`)).status, 204);
  });
});
