import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newObjectId } from '../../src/domain/ids.js';
import {
  assertAtlasError,
  assertV2AtlasError,
  atlasError,
  type AtlasErrorBody,
  invalidAttribute,
  invalidEnumValue,
  invalidGroupId,
  invalidJsonAttribute,
  missingAttribute,
  UNAUTHORIZED_BODY,
} from '../helpers/atlas-assert.js';
import { TestClock } from '../helpers/clock.js';
import { curlDigest } from '../helpers/curl.js';
import { type ApiResponse, authorizationHeader, DigestClient, send } from '../helpers/digest-client.js';
import { pythonRequests } from '../helpers/python-requests.js';
import {
  type Instance,
  startInstances,
  startTestServer,
  storeSnapshot,
  type TestServer,
  V1,
  V2,
} from '../helpers/server.js';

/**
 * Organization and project API keys (`/orgs/{orgId}/apiKeys…`, `/groups/{groupId}/apiKeys…`)
 * and the organization routes (`/orgs`, `/orgs/{orgId}`, `/orgs/{orgId}/groups`), end to end:
 * exact bodies (members alphabetical; roles `{orgId, roleName}` then `{groupId, roleName}`),
 * the private key shown once and redacted afterwards as Atlas does
 * (`********-****-****-<last 12>`, shared/spec/atlas-api.md §8), role changes and deletions
 * taking effect at the key's very next request (on every instance), and hostile input on
 * every route answered with an Atlas 4xx that changes nothing but the audit trail.
 */

const START = '2024-05-01T12:00:00.500Z';
const PRIVATE_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const PUBLIC_KEY = /^[a-z]{8}$/;
const OBJECT_ID = /^[0-9a-f]{24}$/;
const CHALLENGE =
  /^Digest realm="MMS Public API", domain="", nonce="[0-9a-f]+", algorithm=MD5, qop="auth", stale=false$/;

type RoleView = { orgId: string; roleName: string } | { groupId: string; roleName: string };

interface CreatedKey {
  id: string;
  publicKey: string;
  privateKey: string;
  desc: string;
  client: DigestClient;
}

const redacted = (privateKey: string) => `********-****-****-${privateKey.slice(-12)}`;

/** A key as Atlas writes it, members in alphabetical order. */
function keyBody(
  server: TestServer,
  key: { id: string; publicKey: string; desc: string },
  privateKey: string,
  roles: RoleView[],
) {
  return {
    desc: key.desc,
    id: key.id,
    links: [{ href: `${server.origin}${V1}/orgs/${server.credentials.orgId}/apiKeys/${key.id}`, rel: 'self' }],
    privateKey,
    publicKey: key.publicKey,
    roles,
  };
}

const orgRoles = (server: TestServer, ...names: string[]): RoleView[] =>
  names.map((roleName) => ({ orgId: server.credentials.orgId, roleName }));
const groupRoles = (groupId: string, ...names: string[]): RoleView[] =>
  names.map((roleName) => ({ groupId, roleName }));

/** Asserts the exact body and its serialisation (member order), as Atlas writes it. */
function assertBody(response: ApiResponse, status: number, expected: unknown): void {
  assert.equal(response.status, status, response.text);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(response.json(), expected);
  assert.equal(response.text, JSON.stringify(expected));
}

/** Creates an organization key through the API, checking the creation answer exactly. */
async function createOrgKey(server: TestServer, desc: string, roles: string[]): Promise<CreatedKey> {
  const response = await server.client.post(`${V1}/orgs/${server.credentials.orgId}/apiKeys`, { desc, roles });
  assert.equal(response.status, 200, response.text);
  const body = response.json();
  assert.match(body.id, OBJECT_ID);
  assert.match(body.publicKey, PUBLIC_KEY);
  assert.match(body.privateKey, PRIVATE_KEY);
  assertBody(response, 200, keyBody(server, body, body.privateKey, orgRoles(server, ...roles)));
  return {
    id: body.id,
    publicKey: body.publicKey,
    privateKey: body.privateKey,
    desc,
    client: new DigestClient(server.origin, body.publicKey, body.privateKey),
  };
}

/** Creates a project through the API (as the bootstrap org owner). */
async function createProject(server: TestServer, name: string, client = server.client): Promise<string> {
  const response = await client.post(`${V1}/groups`, { name, orgId: server.credentials.orgId });
  assert.equal(response.status, 200, response.text);
  return response.json().id;
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
  return { orgId, groupId, keyId: key.id, client: new DigestClient(server.origin, key.publicKey, privateKey) };
}

/** The Digest 401 a request without valid credentials gets: challenge header, Atlas' body. */
function assertDigestChallenge(response: ApiResponse): void {
  assert.equal(response.status, 401, response.text);
  assert.match(response.headers.get('www-authenticate') ?? '', CHALLENGE);
  assert.equal(response.text, UNAUTHORIZED_BODY);
}

/** A 401 that is about roles, not credentials: no challenge header. */
function assertNoChallenge(response: ApiResponse): void {
  assert.equal(response.headers.get('www-authenticate'), null);
}

const userUnauthorized = () =>
  atlasError(401, 'USER_UNAUTHORIZED', 'Current user is not authorized to perform this action.');
const notInGroup = () =>
  atlasError(401, 'NOT_IN_GROUP', 'The current user is not in the group, or the group does not exist.');
const apiKeyNotFound = (id: string) => atlasError(404, 'API_KEY_NOT_FOUND', `No API key with ID ${id} exists.`, [id]);
const invalidApiKeyId = (id: string) =>
  atlasError(404, 'INVALID_API_KEY_ID', `An invalid API key ID ${id} was specified.`, [id]);
const orgNotFound = (id: string) => atlasError(404, 'ORG_NOT_FOUND', `No organization with ID ${id} exists.`, [id]);
const invalidOrgId = (id: string) =>
  atlasError(404, 'INVALID_ORG_ID', `An invalid organization ID ${id} was specified.`, [id]);
const invalidJson = () => atlasError(400, 'INVALID_JSON', 'Received JSON does not match expected format.');
const apiKeyNotInGroup = (keyId: string, groupId: string) =>
  atlasError(404, 'API_KEY_NOT_IN_GROUP', `The API key ${keyId} is not assigned to group ${groupId}.`, [
    keyId,
    groupId,
  ]);
const attributeReadOnly = (name: string) =>
  atlasError(400, 'ATTRIBUTE_READ_ONLY', `The attribute ${name} is read-only and cannot be changed by the user.`, [
    name,
  ]);
const apiKeyRoleAssignmentMissingId = () =>
  atlasError(400, 'API_KEY_ROLE_ASSIGNMENT_MISSING_ID', 'API key role assignments must include an org or group id.');
const groupMismatch = (groupId: string) =>
  atlasError(400, 'GROUP_MISMATCH', `The specified group ID ${groupId} does not match the URL.`, [groupId]);

/** Every row that holds keys, roles, access lists and the rest of the user-visible state. */
async function fullSnapshot(server: TestServer): Promise<string> {
  const extra: Record<string, string[]> = {};
  for (const table of ['api_key_project_roles', 'api_key_access_list'] as const) {
    const rows = await server.store.db.selectFrom(table).selectAll().execute();
    extra[table] = rows
      .map((row) => JSON.stringify(row, (_key, value) => (typeof value === 'bigint' ? value.toString() : value)))
      .sort();
  }
  return `${await storeSnapshot(server.store)}\n${JSON.stringify(extra)}`;
}

async function eventCount(server: TestServer): Promise<number> {
  const rows = await server.store.db.selectFrom('events').select('id').execute();
  return rows.length;
}

// =======================================================================================

describe('organization API keys: create, list, get, update, delete', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
  });
  after(() => server.close());

  test('POST answers 200 with the whole key, the private key in full, and the key works at once', async () => {
    const key = await createOrgKey(server, 'ci pipeline', ['ORG_READ_ONLY', 'ORG_GROUP_CREATOR']);
    // The very next request with the new credentials is authenticated.
    const org = await key.client.get(`${V1}/orgs/${server.credentials.orgId}`);
    assert.equal(org.status, 200, org.text);
    const groups = await key.client.get(`${V1}/groups/${server.credentials.groupId}`);
    assert.equal(groups.status, 200, groups.text);
    // It holds exactly the roles it was given: an org read-only key cannot create keys.
    const write = await key.client.post(`${V1}/orgs/${server.credentials.orgId}/apiKeys`, {
      desc: 'x',
      roles: ['ORG_MEMBER'],
    });
    assertAtlasError(write, userUnauthorized());
    assertNoChallenge(write);
  });

  test('a repeated role is kept once', async () => {
    const response = await server.client.post(`${V1}/orgs/${server.credentials.orgId}/apiKeys`, {
      desc: 'dup roles',
      roles: ['ORG_MEMBER', 'ORG_MEMBER'],
    });
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.json().roles, orgRoles(server, 'ORG_MEMBER'));
  });

  test('a description of exactly 250 characters is accepted', async () => {
    const desc = 'd'.repeat(250);
    const key = await createOrgKey(server, desc, ['ORG_MEMBER']);
    assert.equal(key.desc.length, 250);
  });

  test('GET one key: private key redacted to its last 12 characters, everything else as created', async () => {
    const key = await createOrgKey(server, 'redaction check', ['ORG_OWNER']);
    const response = await server.client.get(`${V1}/orgs/${server.credentials.orgId}/apiKeys/${key.id}`);
    assertBody(response, 200, keyBody(server, key, redacted(key.privateKey), orgRoles(server, 'ORG_OWNER')));
    assert.ok(!response.text.includes(key.privateKey));
    assert.match(response.json().privateKey, /^\*{8}-\*{4}-\*{4}-[0-9a-f]{12}$/);
  });

  test('envelope=true on GET and on the list', async () => {
    const key = await createOrgKey(server, 'envelope check', ['ORG_MEMBER']);
    const one = await server.client.get(`${V1}/orgs/${server.credentials.orgId}/apiKeys/${key.id}?envelope=true`);
    assertBody(one, 200, {
      content: keyBody(server, key, redacted(key.privateKey), orgRoles(server, 'ORG_MEMBER')),
      status: 200,
    });
    const list = await server.client.get(`${V1}/orgs/${server.credentials.orgId}/apiKeys?envelope=true&itemsPerPage=1`);
    assert.equal(list.status, 200);
    assert.deepEqual(Object.keys(list.json()), ['links', 'results', 'status', 'totalCount']);
  });

  test('the list: every key of the organization, oldest first, redacted, with links and totalCount', async () => {
    const fresh = await startTestServer({ clock: new TestClock(START) });
    try {
      const bootstrapId = await bootstrapKeyId(fresh);
      const first = await createOrgKey(fresh, 'first', ['ORG_MEMBER']);
      const groupId = await createProject(fresh, 'Second');
      const second = await createOrgKey(fresh, 'second', ['ORG_BILLING_ADMIN', 'ORG_READ_ONLY']);
      // A project assignment shows in the organization listing with the project's id.
      const assign = await fresh.client.patch(`${V1}/groups/${groupId}/apiKeys/${second.id}`, {
        roles: ['GROUP_READ_ONLY'],
      });
      assert.equal(assign.status, 200, assign.text);
      const bootstrapKey = {
        id: bootstrapId,
        publicKey: fresh.credentials.publicKey,
        desc: 'dbcerts bootstrap key',
      };
      const all = [
        keyBody(fresh, bootstrapKey, redacted(fresh.credentials.privateKey), orgRoles(fresh, 'ORG_OWNER')),
        keyBody(fresh, first, redacted(first.privateKey), orgRoles(fresh, 'ORG_MEMBER')),
        keyBody(fresh, second, redacted(second.privateKey), [
          ...orgRoles(fresh, 'ORG_BILLING_ADMIN', 'ORG_READ_ONLY'),
          ...groupRoles(groupId, 'GROUP_READ_ONLY'),
        ]),
      ];
      const base = `${fresh.origin}${V1}/orgs/${fresh.credentials.orgId}/apiKeys`;
      const response = await fresh.client.get(`${V1}/orgs/${fresh.credentials.orgId}/apiKeys`);
      assertBody(response, 200, {
        links: [{ href: `${base}?pageNum=1&itemsPerPage=100`, rel: 'self' }],
        results: all,
        totalCount: 3,
      });
      for (const secret of [fresh.credentials.privateKey, first.privateKey, second.privateKey]) {
        assert.ok(!response.text.includes(secret));
      }
      const page2 = await fresh.client.get(`${V1}/orgs/${fresh.credentials.orgId}/apiKeys?itemsPerPage=1&pageNum=2`);
      assertBody(page2, 200, {
        links: [
          { href: `${base}?pageNum=2&itemsPerPage=1`, rel: 'self' },
          { href: `${base}?pageNum=1&itemsPerPage=1`, rel: 'previous' },
          { href: `${base}?pageNum=3&itemsPerPage=1`, rel: 'next' },
        ],
        results: [all[1]],
        totalCount: 3,
      });
      const noCount = await fresh.client.get(
        `${V1}/orgs/${fresh.credentials.orgId}/apiKeys?includeCount=false&itemsPerPage=2&pageNum=2`,
      );
      assertBody(noCount, 200, {
        links: [
          { href: `${base}?includeCount=false&pageNum=2&itemsPerPage=2`, rel: 'self' },
          { href: `${base}?includeCount=false&pageNum=1&itemsPerPage=2`, rel: 'previous' },
        ],
        results: [all[2]],
      });
    } finally {
      await fresh.close();
    }
  });

  test('PATCH desc only: the description changes, roles stay', async () => {
    const key = await createOrgKey(server, 'before', ['ORG_MEMBER', 'ORG_BILLING_READ_ONLY']);
    const path = `${V1}/orgs/${server.credentials.orgId}/apiKeys/${key.id}`;
    const response = await server.client.patch(path, { desc: 'after' });
    const expected = keyBody(
      server,
      { ...key, desc: 'after' },
      redacted(key.privateKey),
      orgRoles(server, 'ORG_MEMBER', 'ORG_BILLING_READ_ONLY'),
    );
    assertBody(response, 200, expected);
    assertBody(await server.client.get(path), 200, expected);
  });

  test('PATCH roles replaces them as a whole; PATCH {} changes nothing', async () => {
    const key = await createOrgKey(server, 'roles', ['ORG_MEMBER', 'ORG_BILLING_READ_ONLY']);
    const path = `${V1}/orgs/${server.credentials.orgId}/apiKeys/${key.id}`;
    const response = await server.client.patch(path, { roles: ['ORG_READ_ONLY'] });
    const expected = keyBody(server, key, redacted(key.privateKey), orgRoles(server, 'ORG_READ_ONLY'));
    assertBody(response, 200, expected);
    assertBody(await server.client.get(path), 200, expected);
    const both = await server.client.patch(path, { desc: 'both', roles: ['ORG_GROUP_CREATOR', 'ORG_MEMBER'] });
    const expectedBoth = keyBody(
      server,
      { ...key, desc: 'both' },
      redacted(key.privateKey),
      orgRoles(server, 'ORG_GROUP_CREATOR', 'ORG_MEMBER'),
    );
    assertBody(both, 200, expectedBoth);
    const before = await fullSnapshot(server);
    assertBody(await server.client.patch(path, {}), 200, expectedBoth);
    assert.equal(await fullSnapshot(server), before);
  });

  test('a key demoted from ORG_OWNER to ORG_READ_ONLY loses write access at its next request', async () => {
    const key = await createOrgKey(server, 'to be demoted', ['ORG_OWNER']);
    const keysPath = `${V1}/orgs/${server.credentials.orgId}/apiKeys`;
    const usersPath = `${V1}/groups/${server.credentials.groupId}/databaseUsers`;
    const user = (username: string) => ({
      databaseName: '$external',
      username,
      x509Type: 'MANAGED',
      roles: [{ roleName: 'read', databaseName: 'app' }],
    });
    // As owner it can write, at org and at project level.
    assert.equal((await key.client.post(keysPath, { desc: 'made by owner', roles: ['ORG_MEMBER'] })).status, 200);
    assert.equal((await key.client.post(usersPath, user('made-by-owner'))).status, 201);
    // A nonce obtained before the demotion does not carry the old roles over.
    const challenge = await key.client.challenge(keysPath, 'POST');
    const demote = await server.client.patch(`${keysPath}/${key.id}`, { roles: ['ORG_READ_ONLY'] });
    assert.equal(demote.status, 200, demote.text);
    const authorization = authorizationHeader({
      username: key.publicKey,
      password: key.privateKey,
      method: 'POST',
      uri: keysPath,
      challenge,
    });
    const racing = await send(server.origin + keysPath, 'POST', authorization, {
      body: { desc: 'after demotion', roles: ['ORG_MEMBER'] },
    });
    assertAtlasError(racing, userUnauthorized());
    assertNoChallenge(racing);
    const before = await fullSnapshot(server);
    assertAtlasError(await key.client.post(keysPath, { desc: 'nope', roles: ['ORG_MEMBER'] }), userUnauthorized());
    assertAtlasError(await key.client.post(usersPath, user('made-after-demotion')), userUnauthorized());
    assertAtlasError(await key.client.patch(`${keysPath}/${key.id}`, { roles: ['ORG_OWNER'] }), userUnauthorized());
    assertAtlasError(await key.client.delete(`${usersPath}/$external/made-by-owner`), userUnauthorized());
    assert.equal(await fullSnapshot(server), before);
    // Reading is still allowed: the org's keys, the projects and their users.
    assert.equal((await key.client.get(keysPath)).status, 200);
    assert.equal((await key.client.get(usersPath)).status, 200);
    assert.equal((await key.client.get(`${V1}/groups/${server.credentials.groupId}`)).status, 200);
  });

  test('DELETE answers 204 with no body; the key is refused at once, with a Digest challenge', async () => {
    const key = await createOrgKey(server, 'short-lived', ['ORG_OWNER']);
    const path = `${V1}/orgs/${server.credentials.orgId}/apiKeys/${key.id}`;
    assert.equal((await key.client.get(`${V1}/orgs`)).status, 200);
    // A nonce obtained while the key still existed does not help after the deletion.
    const challenge = await key.client.challenge(`${V1}/orgs`);
    const response = await server.client.delete(path);
    assert.equal(response.status, 204);
    assert.equal(response.text, '');
    const authorization = authorizationHeader({
      username: key.publicKey,
      password: key.privateKey,
      method: 'GET',
      uri: `${V1}/orgs`,
      challenge,
    });
    assertDigestChallenge(await send(`${server.origin}${V1}/orgs`, 'GET', authorization));
    assertDigestChallenge(await key.client.get(`${V1}/orgs`));
    assertDigestChallenge(await key.client.post(`${V1}/groups/${server.credentials.groupId}/databaseUsers`, {}));
    // It is gone from the API as well.
    assertAtlasError(await server.client.get(path), apiKeyNotFound(key.id));
    const list = await server.client.get(`${V1}/orgs/${server.credentials.orgId}/apiKeys?itemsPerPage=500`);
    assert.ok(!list.json().results.some((listed: { id: string }) => listed.id === key.id));
    assert.equal(await server.store.apiKeys.findByPublicKey(key.publicKey), undefined);
    // Deleting it again: not found.
    assertAtlasError(await server.client.delete(path), apiKeyNotFound(key.id));
  });

  test('a key deleted while it belonged to projects and had an access list leaves nothing behind', async () => {
    const key = await createOrgKey(server, 'assigned then deleted', ['ORG_MEMBER']);
    const groupId = await createProject(server, 'ForDeletedKey');
    const assign = await server.client.patch(`${V1}/groups/${groupId}/apiKeys/${key.id}`, {
      roles: ['GROUP_OWNER'],
    });
    assert.equal(assign.status, 200, assign.text);
    const accessList = await server.client.post(`${V1}/orgs/${server.credentials.orgId}/apiKeys/${key.id}/accessList`, [
      { ipAddress: '127.0.0.1' },
    ]);
    assert.equal(accessList.status, 201, accessList.text);
    assert.equal((await key.client.get(`${V1}/groups/${groupId}`)).status, 200);
    assert.equal((await server.client.delete(`${V1}/orgs/${server.credentials.orgId}/apiKeys/${key.id}`)).status, 204);
    assertDigestChallenge(await key.client.get(`${V1}/groups/${groupId}`));
    const listed = await server.client.get(`${V1}/groups/${groupId}/apiKeys`);
    assert.deepEqual(listed.json().results, []);
    const roleRows = await server.store.db
      .selectFrom('api_key_project_roles')
      .selectAll()
      .where('api_key_id', '=', key.id)
      .execute();
    assert.deepEqual(roleRows, []);
    const entries = await server.store.db
      .selectFrom('api_key_access_list')
      .selectAll()
      .where('api_key_id', '=', key.id)
      .execute();
    assert.deepEqual(entries, []);
  });
});

// =======================================================================================

describe('a second instance over the same data sees key changes at once', () => {
  const clock = new TestClock(START);
  let deployment: Awaited<ReturnType<typeof startInstances>>;
  let a: Instance;
  let b: Instance;
  let orgId: string;
  let owner: { publicKey: string; privateKey: string };

  before(async () => {
    deployment = await startInstances(2, clock, { backgroundJobs: true });
    [a, b] = deployment.instances as [Instance, Instance];
    owner = deployment.credentials;
    orgId = deployment.credentials.orgId;
  });
  after(() => deployment.close());

  const clientOf = (on: Instance, key: { publicKey: string; privateKey: string }) =>
    new DigestClient(on.origin, key.publicKey, key.privateKey);

  test('a key created on A works on B; deleted on A, it is refused by B at its next request', async () => {
    const created = await clientOf(a, owner).post(`${V1}/orgs/${orgId}/apiKeys`, {
      desc: 'shared',
      roles: ['ORG_OWNER'],
    });
    assert.equal(created.status, 200, created.text);
    const key = created.json();
    const onB = clientOf(b, key);
    assert.equal((await onB.get(`${V1}/orgs/${orgId}`)).status, 200);
    // A nonce B issued before the deletion.
    const challenge = await onB.challenge(`${V1}/orgs/${orgId}`);
    const deleted = await clientOf(a, owner).delete(`${V1}/orgs/${orgId}/apiKeys/${key.id}`);
    assert.equal(deleted.status, 204);
    const authorization = authorizationHeader({
      username: key.publicKey,
      password: key.privateKey,
      method: 'GET',
      uri: `${V1}/orgs/${orgId}`,
      challenge,
    });
    assertDigestChallenge(await send(`${b.origin}${V1}/orgs/${orgId}`, 'GET', authorization));
    assertDigestChallenge(await onB.get(`${V1}/orgs/${orgId}`));
    assertDigestChallenge(await clientOf(a, key).get(`${V1}/orgs/${orgId}`));
    // B answers for the key as gone, too.
    const gone = await clientOf(b, owner).get(`${V1}/orgs/${orgId}/apiKeys/${key.id}`);
    assertAtlasError(gone, apiKeyNotFound(key.id));
  });

  test('a key deleted on B is refused by A; a demotion on B holds on A at the next request', async () => {
    const created = await clientOf(a, owner).post(`${V1}/orgs/${orgId}/apiKeys`, {
      desc: 'demoted elsewhere',
      roles: ['ORG_OWNER'],
    });
    const key = created.json();
    const onA = clientOf(a, key);
    const keysPath = `${V1}/orgs/${orgId}/apiKeys`;
    assert.equal((await onA.post(keysPath, { desc: 'allowed', roles: ['ORG_MEMBER'] })).status, 200);
    const demote = await clientOf(b, owner).patch(`${keysPath}/${key.id}`, { roles: ['ORG_READ_ONLY'] });
    assert.equal(demote.status, 200, demote.text);
    assertAtlasError(await onA.post(keysPath, { desc: 'refused', roles: ['ORG_MEMBER'] }), userUnauthorized());
    assert.equal((await onA.get(keysPath)).status, 200);
    assert.equal((await clientOf(b, owner).delete(`${keysPath}/${key.id}`)).status, 204);
    assertDigestChallenge(await onA.get(keysPath));
  });
});

// =======================================================================================

describe('project API keys', () => {
  let server: TestServer;
  let groupId: string;
  let otherGroupId: string;
  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
    groupId = server.credentials.groupId;
    otherGroupId = await createProject(server, 'OtherProject');
  });
  after(() => server.close());

  async function createProjectKey(onGroup: string, desc: string, roles: string[]): Promise<CreatedKey> {
    const response = await server.client.post(`${V1}/groups/${onGroup}/apiKeys`, { desc, roles });
    assert.equal(response.status, 200, response.text);
    const body = response.json();
    assert.match(body.id, OBJECT_ID);
    assert.match(body.publicKey, PUBLIC_KEY);
    assert.match(body.privateKey, PRIVATE_KEY);
    assertBody(
      response,
      200,
      keyBody(server, body, body.privateKey, [...orgRoles(server, 'ORG_MEMBER'), ...groupRoles(onGroup, ...roles)]),
    );
    return {
      id: body.id,
      publicKey: body.publicKey,
      privateKey: body.privateKey,
      desc,
      client: new DigestClient(server.origin, body.publicKey, body.privateKey),
    };
  }

  const scramUser = (username: string) => ({
    databaseName: 'admin',
    username,
    password: 'correct horse battery',
    roles: [{ roleName: 'read', databaseName: 'app' }],
  });

  test('POST creates an ORG_MEMBER key with those project roles; it works there and only there', async () => {
    const key = await createProjectKey(groupId, 'project key', ['GROUP_DATABASE_ACCESS_ADMIN', 'GROUP_READ_ONLY']);
    assert.equal((await key.client.get(`${V1}/groups/${groupId}`)).status, 200);
    const created = await key.client.post(`${V1}/groups/${groupId}/databaseUsers`, scramUser('made-by-project-key'));
    assert.equal(created.status, 201, created.text);
    // Another project of the same organization: not a member.
    const elsewhere = await key.client.get(`${V1}/groups/${otherGroupId}`);
    assertAtlasError(elsewhere, notInGroup());
    assertNoChallenge(elsewhere);
    assertAtlasError(
      await key.client.post(`${V1}/groups/${otherGroupId}/databaseUsers`, scramUser('elsewhere')),
      notInGroup(),
    );
    // Not an owner of this project: it cannot manage its keys or issue certificates.
    assertAtlasError(
      await key.client.post(`${V1}/groups/${groupId}/apiKeys`, { desc: 'x', roles: ['GROUP_READ_ONLY'] }),
      userUnauthorized(),
    );
    // An org member, not an org owner: no org key management.
    assertAtlasError(
      await key.client.post(`${V1}/orgs/${server.credentials.orgId}/apiKeys`, { desc: 'x', roles: ['ORG_MEMBER'] }),
      userUnauthorized(),
    );
    // It sees the organization, and among its projects only its own.
    assert.equal((await key.client.get(`${V1}/orgs/${server.credentials.orgId}`)).status, 200);
    const groups = await key.client.get(`${V1}/orgs/${server.credentials.orgId}/groups`);
    assert.equal(groups.status, 200);
    assert.deepEqual(
      groups.json().results.map((group: { id: string }) => group.id),
      [groupId],
    );
    // The organization's view of the key: its org role and its roles in every project.
    const viaOrg = await server.client.get(`${V1}/orgs/${server.credentials.orgId}/apiKeys/${key.id}`);
    assertBody(
      viaOrg,
      200,
      keyBody(server, key, redacted(key.privateKey), [
        ...orgRoles(server, 'ORG_MEMBER'),
        ...groupRoles(groupId, 'GROUP_DATABASE_ACCESS_ADMIN', 'GROUP_READ_ONLY'),
      ]),
    );
  });

  test('PATCH assigns an existing org key to a project, then changes its roles there', async () => {
    const key = await createOrgKey(server, 'org key for projects', ['ORG_MEMBER']);
    assertAtlasError(await key.client.get(`${V1}/groups/${otherGroupId}`), notInGroup());
    const path = `${V1}/groups/${otherGroupId}/apiKeys/${key.id}`;
    const assigned = await server.client.patch(path, { roles: ['GROUP_READ_ONLY'] });
    assertBody(
      assigned,
      200,
      keyBody(server, key, redacted(key.privateKey), [
        ...orgRoles(server, 'ORG_MEMBER'),
        ...groupRoles(otherGroupId, 'GROUP_READ_ONLY'),
      ]),
    );
    assert.equal((await key.client.get(`${V1}/groups/${otherGroupId}`)).status, 200);
    assertAtlasError(
      await key.client.post(`${V1}/groups/${otherGroupId}/databaseUsers`, scramUser('read-only-cannot')),
      userUnauthorized(),
    );
    // Changing the roles replaces them.
    const changed = await server.client.patch(path, { roles: ['GROUP_OWNER'] });
    assertBody(
      changed,
      200,
      keyBody(server, key, redacted(key.privateKey), [
        ...orgRoles(server, 'ORG_MEMBER'),
        ...groupRoles(otherGroupId, 'GROUP_OWNER'),
      ]),
    );
    assert.equal(
      (await key.client.post(`${V1}/groups/${otherGroupId}/databaseUsers`, scramUser('owner-can'))).status,
      201,
    );
    // Still nothing in the other project.
    assertAtlasError(await key.client.get(`${V1}/groups/${groupId}`), notInGroup());
  });

  test('a key in two projects: each project lists it with only its own roles', async () => {
    const key = await createProjectKey(groupId, 'two projects', ['GROUP_READ_ONLY']);
    const assign = await server.client.patch(`${V1}/groups/${otherGroupId}/apiKeys/${key.id}`, {
      roles: ['GROUP_CLUSTER_MANAGER'],
    });
    assertBody(
      assign,
      200,
      keyBody(server, key, redacted(key.privateKey), [
        ...orgRoles(server, 'ORG_MEMBER'),
        ...groupRoles(otherGroupId, 'GROUP_CLUSTER_MANAGER'),
      ]),
    );
    const inFirst = await server.client.get(`${V1}/groups/${groupId}/apiKeys`);
    assert.equal(inFirst.status, 200);
    const listedFirst = inFirst.json().results.find((listed: { id: string }) => listed.id === key.id);
    assert.deepEqual(
      listedFirst,
      keyBody(server, key, redacted(key.privateKey), [
        ...orgRoles(server, 'ORG_MEMBER'),
        ...groupRoles(groupId, 'GROUP_READ_ONLY'),
      ]),
    );
    const inOther = await server.client.get(`${V1}/groups/${otherGroupId}/apiKeys`);
    const listedOther = inOther.json().results.find((listed: { id: string }) => listed.id === key.id);
    assert.deepEqual(
      listedOther,
      keyBody(server, key, redacted(key.privateKey), [
        ...orgRoles(server, 'ORG_MEMBER'),
        ...groupRoles(otherGroupId, 'GROUP_CLUSTER_MANAGER'),
      ]),
    );
    // No listing shows another project's roles, or a private key.
    for (const response of [inFirst, inOther]) {
      const thisGroup = response === inFirst ? groupId : otherGroupId;
      for (const listed of response.json().results as Array<{ roles: RoleView[]; privateKey: string }>) {
        for (const role of listed.roles) {
          if ('groupId' in role) assert.equal(role.groupId, thisGroup);
          else assert.equal(role.orgId, server.credentials.orgId);
        }
        assert.match(listed.privateKey, /^\*{8}-\*{4}-\*{4}-[0-9a-f]{12}$/);
      }
    }
    // Both projects work for it.
    assert.equal((await key.client.get(`${V1}/groups/${groupId}`)).status, 200);
    assert.equal((await key.client.get(`${V1}/groups/${otherGroupId}`)).status, 200);
  });

  test('the project listing, exactly: only keys assigned to the project, oldest first', async () => {
    const fresh = await startTestServer({ clock: new TestClock(START) });
    try {
      const gid = fresh.credentials.groupId;
      const unassigned = await createOrgKey(fresh, 'not in the project', ['ORG_READ_ONLY']);
      const response = await fresh.client.post(`${V1}/groups/${gid}/apiKeys`, {
        desc: 'in project',
        roles: ['GROUP_OWNER'],
      });
      const key = response.json();
      const base = `${fresh.origin}${V1}/groups/${gid}/apiKeys`;
      const list = await fresh.client.get(`${V1}/groups/${gid}/apiKeys`);
      assertBody(list, 200, {
        links: [{ href: `${base}?pageNum=1&itemsPerPage=100`, rel: 'self' }],
        results: [
          keyBody(fresh, key, redacted(key.privateKey), [
            ...orgRoles(fresh, 'ORG_MEMBER'),
            ...groupRoles(gid, 'GROUP_OWNER'),
          ]),
        ],
        totalCount: 1,
      });
      assert.ok(!list.text.includes(unassigned.id));
    } finally {
      await fresh.close();
    }
  });

  test('DELETE removes the key from the project (204); it is then not in the group', async () => {
    const key = await createProjectKey(groupId, 'to be removed', ['GROUP_OWNER']);
    assert.equal((await key.client.get(`${V1}/groups/${groupId}`)).status, 200);
    const path = `${V1}/groups/${groupId}/apiKeys/${key.id}`;
    const response = await server.client.delete(path);
    assert.equal(response.status, 204);
    assert.equal(response.text, '');
    assertAtlasError(await key.client.get(`${V1}/groups/${groupId}`), notInGroup());
    // The key itself lives on, an org member without projects.
    const viaOrg = await server.client.get(`${V1}/orgs/${server.credentials.orgId}/apiKeys/${key.id}`);
    assertBody(viaOrg, 200, keyBody(server, key, redacted(key.privateKey), orgRoles(server, 'ORG_MEMBER')));
    assert.equal((await key.client.get(`${V1}/orgs/${server.credentials.orgId}`)).status, 200);
    const listed = await server.client.get(`${V1}/groups/${groupId}/apiKeys`);
    assert.ok(!listed.json().results.some((each: { id: string }) => each.id === key.id));
    // Removing it again: it is not assigned.
    assertAtlasError(await server.client.delete(path), apiKeyNotInGroup(key.id, groupId));
  });

  test('a key with ORG_GROUP_CREATOR owns the project it creates, and only that one', async () => {
    const creator = await createOrgKey(server, 'project creator', ['ORG_GROUP_CREATOR']);
    assertAtlasError(await creator.client.get(`${V1}/groups/${groupId}`), notInGroup());
    const newGroupId = await createProject(server, 'CreatedByCreator', creator.client);
    assert.equal((await creator.client.get(`${V1}/groups/${newGroupId}`)).status, 200);
    const users = await creator.client.post(`${V1}/groups/${newGroupId}/databaseUsers`, scramUser('creator-user'));
    assert.equal(users.status, 201, users.text);
    // It is listed as the project's owner.
    const listed = await creator.client.get(`${V1}/groups/${newGroupId}/apiKeys`);
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(listed.json().results, [
      keyBody(server, creator, redacted(creator.privateKey), [
        ...orgRoles(server, 'ORG_GROUP_CREATOR'),
        ...groupRoles(newGroupId, 'GROUP_OWNER'),
      ]),
    ]);
    // As owner it can manage the project's keys.
    const member = await creator.client.post(`${V1}/groups/${newGroupId}/apiKeys`, {
      desc: 'made by creator',
      roles: ['GROUP_READ_ONLY'],
    });
    assert.equal(member.status, 200, member.text);
    // Its project list holds just its project; the bootstrap project stays out of reach.
    const groups = await creator.client.get(`${V1}/groups`);
    assert.deepEqual(
      groups.json().results.map((group: { id: string }) => group.id),
      [newGroupId],
    );
    assertAtlasError(
      await creator.client.post(`${V1}/groups/${groupId}/databaseUsers`, scramUser('not-here')),
      notInGroup(),
    );
  });
});

// =======================================================================================

describe('organizations: /orgs, /orgs/{orgId}, /orgs/{orgId}/groups', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
  });
  after(() => server.close());

  const orgBody = (server: TestServer) => ({
    id: server.credentials.orgId,
    isDeleted: false,
    links: [{ href: `${server.origin}${V1}/orgs/${server.credentials.orgId}`, rel: 'self' }],
    name: 'dbcerts',
  });

  test('GET /orgs lists the key’s own organization only', async () => {
    await createOtherOrg(server);
    const response = await server.client.get(`${V1}/orgs`);
    assertBody(response, 200, {
      links: [{ href: `${server.origin}${V1}/orgs?pageNum=1&itemsPerPage=100`, rel: 'self' }],
      results: [orgBody(server)],
      totalCount: 1,
    });
  });

  test('GET /orgs/{orgId}: the organization, exactly', async () => {
    const response = await server.client.get(`${V1}/orgs/${server.credentials.orgId}`);
    assertBody(response, 200, orgBody(server));
  });

  test('GET /orgs/{orgId}/groups: its projects, as /groups shows them', async () => {
    const second = await createProject(server, 'Second');
    const response = await server.client.get(`${V1}/orgs/${server.credentials.orgId}/groups`);
    assert.equal(response.status, 200, response.text);
    const body = response.json();
    assert.deepEqual(
      body.results.map((group: { id: string }) => group.id),
      [server.credentials.groupId, second],
    );
    assert.equal(body.totalCount, 2);
    assert.deepEqual(body.links, [
      {
        href: `${server.origin}${V1}/orgs/${server.credentials.orgId}/groups?pageNum=1&itemsPerPage=100`,
        rel: 'self',
      },
    ]);
    const viaGroups = await server.client.get(`${V1}/groups`);
    assert.deepEqual(body.results, viaGroups.json().results);
    const first = body.results[0];
    assert.deepEqual(Object.keys(first), ['clusterCount', 'created', 'id', 'links', 'name', 'orgId', 'tags']);
  });

  test('another organization, an unknown one and malformed ids', async () => {
    const other = await createOtherOrg(server);
    const unknown = newObjectId(server.clock.now());
    for (const suffix of ['', '/groups', '/apiKeys', '/events', '/settings']) {
      assertAtlasError(await server.client.get(`${V1}/orgs/${other.orgId}${suffix}`), orgNotFound(other.orgId));
      assertAtlasError(await server.client.get(`${V1}/orgs/${unknown}${suffix}`), orgNotFound(unknown));
      assertAtlasError(await server.client.get(`${V1}/orgs/not-an-org${suffix}`), invalidOrgId('not-an-org'));
      assertAtlasError(
        await server.client.get(`${V1}/orgs/${server.credentials.orgId.toUpperCase()}${suffix}`),
        invalidOrgId(server.credentials.orgId.toUpperCase()),
      );
    }
    // And the other organization sees only itself.
    const theirs = await other.client.get(`${V1}/orgs`);
    assert.deepEqual(
      theirs.json().results.map((org: { id: string }) => org.id),
      [other.orgId],
    );
    assertAtlasError(
      await other.client.get(`${V1}/orgs/${server.credentials.orgId}`),
      orgNotFound(server.credentials.orgId),
    );
  });
});

// =======================================================================================

describe('hostile input on every API key route: an Atlas 4xx, nothing changed but the refusal on record', () => {
  let server: TestServer;
  let orgId: string;
  let groupId: string;
  let orgKey: CreatedKey;
  let projectKey: CreatedKey;
  let other: Awaited<ReturnType<typeof createOtherOrg>>;
  const unknownId = 'aaaaaaaaaaaaaaaaaaaaaaaa';

  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
    orgId = server.credentials.orgId;
    groupId = server.credentials.groupId;
    orgKey = await createOrgKey(server, 'target org key', ['ORG_MEMBER']);
    const created = await server.client.post(`${V1}/groups/${groupId}/apiKeys`, {
      desc: 'target project key',
      roles: ['GROUP_READ_ONLY'],
    });
    const body = created.json();
    projectKey = { ...body, client: new DigestClient(server.origin, body.publicKey, body.privateKey) };
    other = await createOtherOrg(server);
  });
  after(() => server.close());

  interface Case {
    name: string;
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
    path: () => string;
    body?: unknown;
    /** A body naming fixtures made in `before`. */
    bodyOf?: () => unknown;
    rawBody?: string;
    expected: () => AtlasErrorBody;
    /** The refusal names a project of the caller's organization (its event carries the groupId). */
    inGroup?: boolean;
  }

  const desc251 = 'x'.repeat(251);
  const orgKeys = () => `${V1}/orgs/${orgId}/apiKeys`;
  const orgKeyPath = () => `${orgKeys()}/${orgKey.id}`;
  const projectKeys = () => `${V1}/groups/${groupId}/apiKeys`;
  const projectKeyPath = () => `${projectKeys()}/${projectKey.id}`;

  const cases: Case[] = [
    // POST /orgs/{orgId}/apiKeys
    {
      name: 'create: unknown attribute',
      method: 'POST',
      path: orgKeys,
      body: { desc: 'x', roles: ['ORG_MEMBER'], privateKey: 'mine' },
      expected: () => invalidAttribute('privateKey'),
    },
    {
      name: 'create: read-only attribute id',
      method: 'POST',
      path: orgKeys,
      body: { desc: 'x', roles: ['ORG_MEMBER'], id: unknownId },
      expected: () => invalidAttribute('id'),
    },
    {
      name: 'create: desc of the wrong type',
      method: 'POST',
      path: orgKeys,
      body: { desc: 7, roles: ['ORG_MEMBER'] },
      expected: () => invalidJsonAttribute('desc'),
    },
    {
      name: 'create: roles not an array',
      method: 'POST',
      path: orgKeys,
      body: { desc: 'x', roles: 'ORG_MEMBER' },
      expected: () => invalidJsonAttribute('roles'),
    },
    {
      name: 'create: a role that is not a string',
      method: 'POST',
      path: orgKeys,
      body: { desc: 'x', roles: [{ roleName: 'ORG_MEMBER' }] },
      expected: () => invalidJsonAttribute('roles'),
    },
    {
      // Atlas reads a null member as one not sent.
      name: 'create: roles null',
      method: 'POST',
      path: orgKeys,
      body: { desc: 'x', roles: null },
      expected: () => missingAttribute('roles'),
    },
    {
      name: 'create: empty roles',
      method: 'POST',
      path: orgKeys,
      body: { desc: 'x', roles: [] },
      expected: () => missingAttribute('roles'),
    },
    {
      name: 'create: no roles',
      method: 'POST',
      path: orgKeys,
      body: { desc: 'x' },
      expected: () => missingAttribute('roles'),
    },
    {
      name: 'create: no desc',
      method: 'POST',
      path: orgKeys,
      body: { roles: ['ORG_MEMBER'] },
      expected: () => missingAttribute('desc'),
    },
    {
      name: 'create: empty body',
      method: 'POST',
      path: orgKeys,
      body: {},
      expected: () => missingAttribute('desc'),
    },
    {
      name: 'create: a project role on an org key',
      method: 'POST',
      path: orgKeys,
      body: { desc: 'x', roles: ['ORG_MEMBER', 'GROUP_OWNER'] },
      expected: () => invalidEnumValue('GROUP_OWNER'),
    },
    {
      name: 'create: an unknown role',
      method: 'POST',
      path: orgKeys,
      body: { desc: 'x', roles: ['ORG_ADMIN'] },
      expected: () => invalidEnumValue('ORG_ADMIN'),
    },
    {
      name: 'create: a role in the wrong case',
      method: 'POST',
      path: orgKeys,
      body: { desc: 'x', roles: ['org_member'] },
      expected: () => invalidEnumValue('org_member'),
    },
    {
      name: 'create: desc of 0 characters',
      method: 'POST',
      path: orgKeys,
      body: { desc: '', roles: ['ORG_MEMBER'] },
      expected: () => invalidAttribute('desc'),
    },
    {
      name: 'create: desc of 251 characters',
      method: 'POST',
      path: orgKeys,
      body: { desc: desc251, roles: ['ORG_MEMBER'] },
      expected: () => invalidAttribute('desc'),
    },
    {
      name: 'create: a body that is an array',
      method: 'POST',
      path: orgKeys,
      body: [{ desc: 'x', roles: ['ORG_MEMBER'] }],
      expected: invalidJson,
    },
    {
      name: 'create: malformed JSON',
      method: 'POST',
      path: orgKeys,
      rawBody: '{"desc": "x", "roles": ["ORG_MEMBER"]',
      expected: () => atlasError(400, 'MALFORMED_JSON', 'Received JSON is malformed.'),
    },
    {
      name: 'create: malformed org id',
      method: 'POST',
      path: () => `${V1}/orgs/${orgId.slice(1)}/apiKeys`,
      body: { desc: 'x', roles: ['ORG_MEMBER'] },
      expected: () => invalidOrgId(orgId.slice(1)),
    },
    {
      name: 'create: unknown org',
      method: 'POST',
      path: () => `${V1}/orgs/${unknownId}/apiKeys`,
      body: { desc: 'x', roles: ['ORG_MEMBER'] },
      expected: () => orgNotFound(unknownId),
    },
    {
      name: 'create: in another organization',
      method: 'POST',
      path: () => `${V1}/orgs/${other.orgId}/apiKeys`,
      body: { desc: 'x', roles: ['ORG_OWNER'] },
      expected: () => orgNotFound(other.orgId),
    },
    // GET /orgs/{orgId}/apiKeys[/{id}]
    {
      name: 'list: malformed org id',
      method: 'GET',
      path: () => `${V1}/orgs/xyz/apiKeys`,
      expected: () => invalidOrgId('xyz'),
    },
    {
      name: 'list: another organization',
      method: 'GET',
      path: () => `${V1}/orgs/${other.orgId}/apiKeys`,
      expected: () => orgNotFound(other.orgId),
    },
    {
      name: 'get: malformed key id',
      method: 'GET',
      path: () => `${orgKeys()}/${orgKey.publicKey}`,
      expected: () => invalidApiKeyId(orgKey.publicKey),
    },
    {
      name: 'get: key id in upper case',
      method: 'GET',
      path: () => `${orgKeys()}/${orgKey.id.toUpperCase()}`,
      expected: () => invalidApiKeyId(orgKey.id.toUpperCase()),
    },
    {
      name: 'get: unknown key',
      method: 'GET',
      path: () => `${orgKeys()}/${unknownId}`,
      expected: () => apiKeyNotFound(unknownId),
    },
    {
      name: 'get: another organization’s key under our organization',
      method: 'GET',
      path: () => `${orgKeys()}/${other.keyId}`,
      expected: () => apiKeyNotFound(other.keyId),
    },
    {
      name: 'get: another organization’s key under its organization',
      method: 'GET',
      path: () => `${V1}/orgs/${other.orgId}/apiKeys/${other.keyId}`,
      expected: () => orgNotFound(other.orgId),
    },
    // PATCH /orgs/{orgId}/apiKeys/{id}
    {
      name: 'update: unknown attribute',
      method: 'PATCH',
      path: orgKeyPath,
      body: { desc: 'x', colour: 'blue' },
      expected: () => invalidAttribute('colour'),
    },
    {
      // A body read back may carry the key's own id and public key, not another's.
      name: 'update: the public key of another key',
      method: 'PATCH',
      path: orgKeyPath,
      body: { desc: 'x', publicKey: 'abcdefgh' },
      expected: () => attributeReadOnly('publicKey'),
    },
    {
      name: 'update: the id of another key',
      method: 'PATCH',
      path: orgKeyPath,
      body: { desc: 'x', id: unknownId },
      expected: () => attributeReadOnly('id'),
    },
    {
      name: 'update: links of the wrong type',
      method: 'PATCH',
      path: orgKeyPath,
      body: { desc: 'x', links: 'self' },
      expected: () => invalidJsonAttribute('links'),
    },
    {
      name: 'update: a role read back of another organization',
      method: 'PATCH',
      path: orgKeyPath,
      body: { roles: [{ orgId: unknownId, roleName: 'ORG_MEMBER' }] },
      expected: () => invalidAttribute('roles.orgId'),
    },
    {
      name: 'update: a role assignment naming no organization or project',
      method: 'PATCH',
      path: orgKeyPath,
      body: { roles: [{ roleName: 'ORG_MEMBER' }] },
      expected: apiKeyRoleAssignmentMissingId,
    },
    {
      name: 'update: only project roles read back (no organization role left)',
      method: 'PATCH',
      path: orgKeyPath,
      body: { roles: [{ groupId: unknownId, roleName: 'GROUP_OWNER' }] },
      expected: () => missingAttribute('roles'),
    },
    {
      name: 'update: desc of the wrong type',
      method: 'PATCH',
      path: orgKeyPath,
      body: { desc: ['x'] },
      expected: () => invalidJsonAttribute('desc'),
    },
    {
      name: 'update: empty roles',
      method: 'PATCH',
      path: orgKeyPath,
      body: { roles: [] },
      expected: () => missingAttribute('roles'),
    },
    {
      name: 'update: a project role on an org key',
      method: 'PATCH',
      path: orgKeyPath,
      body: { roles: ['GROUP_READ_ONLY'] },
      expected: () => invalidEnumValue('GROUP_READ_ONLY'),
    },
    {
      name: 'update: desc of 0 characters',
      method: 'PATCH',
      path: orgKeyPath,
      body: { desc: '' },
      expected: () => invalidAttribute('desc'),
    },
    {
      name: 'update: desc of 251 characters',
      method: 'PATCH',
      path: orgKeyPath,
      body: { desc: desc251 },
      expected: () => invalidAttribute('desc'),
    },
    {
      name: 'update: malformed key id',
      method: 'PATCH',
      path: () => `${orgKeys()}/not-a-key`,
      body: { desc: 'x' },
      expected: () => invalidApiKeyId('not-a-key'),
    },
    {
      name: 'update: unknown key',
      method: 'PATCH',
      path: () => `${orgKeys()}/${unknownId}`,
      body: { desc: 'x' },
      expected: () => apiKeyNotFound(unknownId),
    },
    {
      name: 'update: another organization’s key',
      method: 'PATCH',
      path: () => `${orgKeys()}/${other.keyId}`,
      body: { roles: ['ORG_MEMBER'] },
      expected: () => apiKeyNotFound(other.keyId),
    },
    {
      name: 'update: under another organization',
      method: 'PATCH',
      path: () => `${V1}/orgs/${other.orgId}/apiKeys/${other.keyId}`,
      body: { roles: ['ORG_MEMBER'] },
      expected: () => orgNotFound(other.orgId),
    },
    // DELETE /orgs/{orgId}/apiKeys/{id}
    {
      name: 'delete: malformed key id',
      method: 'DELETE',
      path: () => `${orgKeys()}/123`,
      expected: () => invalidApiKeyId('123'),
    },
    {
      name: 'delete: unknown key',
      method: 'DELETE',
      path: () => `${orgKeys()}/${unknownId}`,
      expected: () => apiKeyNotFound(unknownId),
    },
    {
      name: 'delete: another organization’s key',
      method: 'DELETE',
      path: () => `${orgKeys()}/${other.keyId}`,
      expected: () => apiKeyNotFound(other.keyId),
    },
    {
      name: 'delete: under another organization',
      method: 'DELETE',
      path: () => `${V1}/orgs/${other.orgId}/apiKeys/${other.keyId}`,
      expected: () => orgNotFound(other.orgId),
    },
    {
      name: 'delete: malformed org id',
      method: 'DELETE',
      path: () => `${V1}/orgs/ORG/apiKeys/${orgKey.id}`,
      expected: () => invalidOrgId('ORG'),
    },
    // POST /groups/{groupId}/apiKeys
    {
      name: 'project create: unknown attribute',
      method: 'POST',
      path: projectKeys,
      body: { desc: 'x', roles: ['GROUP_OWNER'], orgId: 'x' },
      expected: () => invalidAttribute('orgId'),
      inGroup: true,
    },
    {
      name: 'project create: an org role on a project key',
      method: 'POST',
      path: projectKeys,
      body: { desc: 'x', roles: ['ORG_OWNER'] },
      expected: () => invalidEnumValue('ORG_OWNER'),
      inGroup: true,
    },
    {
      name: 'project create: empty roles',
      method: 'POST',
      path: projectKeys,
      body: { desc: 'x', roles: [] },
      expected: () => missingAttribute('roles'),
      inGroup: true,
    },
    {
      name: 'project create: roles of the wrong type',
      method: 'POST',
      path: projectKeys,
      body: { desc: 'x', roles: { GROUP_OWNER: true } },
      expected: () => invalidJsonAttribute('roles'),
      inGroup: true,
    },
    {
      name: 'project create: desc of 0 characters',
      method: 'POST',
      path: projectKeys,
      body: { desc: '', roles: ['GROUP_OWNER'] },
      expected: () => invalidAttribute('desc'),
      inGroup: true,
    },
    {
      name: 'project create: desc of 251 characters',
      method: 'POST',
      path: projectKeys,
      body: { desc: desc251, roles: ['GROUP_OWNER'] },
      expected: () => invalidAttribute('desc'),
      inGroup: true,
    },
    {
      name: 'project create: no desc',
      method: 'POST',
      path: projectKeys,
      body: { roles: ['GROUP_OWNER'] },
      expected: () => missingAttribute('desc'),
      inGroup: true,
    },
    {
      name: 'project create: malformed project id',
      method: 'POST',
      path: () => `${V1}/groups/${groupId}0/apiKeys`,
      body: { desc: 'x', roles: ['GROUP_OWNER'] },
      expected: () => invalidGroupId(`${groupId}0`),
    },
    {
      name: 'project create: unknown project',
      method: 'POST',
      path: () => `${V1}/groups/${unknownId}/apiKeys`,
      body: { desc: 'x', roles: ['GROUP_OWNER'] },
      expected: () => atlasError(404, 'GROUP_NOT_FOUND', `No group with ID ${unknownId} exists.`, [unknownId]),
    },
    {
      name: 'project create: another organization’s project',
      method: 'POST',
      path: () => `${V1}/groups/${other.groupId}/apiKeys`,
      body: { desc: 'x', roles: ['GROUP_OWNER'] },
      expected: notInGroup,
    },
    // GET /groups/{groupId}/apiKeys
    {
      name: 'project list: another organization’s project',
      method: 'GET',
      path: () => `${V1}/groups/${other.groupId}/apiKeys`,
      expected: notInGroup,
    },
    {
      name: 'project list: malformed project id',
      method: 'GET',
      path: () => `${V1}/groups/Project0/apiKeys`,
      expected: () => invalidGroupId('Project0'),
    },
    // PATCH /groups/{groupId}/apiKeys/{id}
    {
      name: 'project assign: no roles',
      method: 'PATCH',
      path: projectKeyPath,
      body: {},
      expected: () => missingAttribute('roles'),
      inGroup: true,
    },
    {
      name: 'project assign: empty roles',
      method: 'PATCH',
      path: projectKeyPath,
      body: { roles: [] },
      expected: () => missingAttribute('roles'),
      inGroup: true,
    },
    {
      name: 'project assign: an unknown attribute',
      method: 'PATCH',
      path: projectKeyPath,
      body: { desc: 'renamed', roles: ['GROUP_OWNER'], colour: 'blue' },
      expected: () => invalidAttribute('colour'),
      inGroup: true,
    },
    {
      // UpdateAtlasProjectApiKey with the SDK's explicit nulls: nothing is given.
      name: 'project assign: desc and roles null',
      method: 'PATCH',
      path: projectKeyPath,
      body: { desc: null, roles: null },
      expected: () => missingAttribute('roles'),
      inGroup: true,
    },
    {
      name: 'project assign: desc of 251 characters',
      method: 'PATCH',
      path: projectKeyPath,
      body: { desc: desc251 },
      expected: () => invalidAttribute('desc'),
      inGroup: true,
    },
    {
      name: 'project assign: a description alone, for a key not in the project',
      method: 'PATCH',
      path: () => `${projectKeys()}/${orgKey.id}`,
      body: { desc: 'renamed' },
      expected: () => apiKeyNotInGroup(orgKey.id, groupId),
      inGroup: true,
    },
    {
      name: 'project assign: a role read back of another project',
      method: 'PATCH',
      path: projectKeyPath,
      body: { roles: [{ groupId: unknownId, roleName: 'GROUP_OWNER' }] },
      expected: () => groupMismatch(unknownId),
      inGroup: true,
    },
    {
      name: 'project assign: the public key of another key',
      method: 'PATCH',
      path: projectKeyPath,
      bodyOf: () => ({ desc: 'x', publicKey: orgKey.publicKey }),
      expected: () => attributeReadOnly('publicKey'),
      inGroup: true,
    },
    // POST /groups/{groupId}/apiKeys/{id}
    {
      name: 'project add: a body that is not a list',
      method: 'POST',
      path: projectKeyPath,
      body: { roles: ['GROUP_OWNER'] },
      expected: invalidJson,
      inGroup: true,
    },
    {
      name: 'project add: an empty list',
      method: 'POST',
      path: projectKeyPath,
      body: [],
      expected: invalidJson,
      inGroup: true,
    },
    {
      name: 'project add: no body (the old v1 client’s Assign)',
      method: 'POST',
      path: projectKeyPath,
      expected: invalidJson,
      inGroup: true,
    },
    {
      name: 'project add: an assignment without roles',
      method: 'POST',
      path: projectKeyPath,
      body: [{}],
      expected: () => missingAttribute('roles'),
      inGroup: true,
    },
    {
      name: 'project add: empty roles',
      method: 'POST',
      path: projectKeyPath,
      body: [{ roles: [] }],
      expected: () => missingAttribute('roles'),
      inGroup: true,
    },
    {
      name: 'project add: an org role',
      method: 'POST',
      path: projectKeyPath,
      body: [{ roles: ['ORG_OWNER'] }],
      expected: () => invalidEnumValue('ORG_OWNER'),
      inGroup: true,
    },
    {
      name: 'project add: an unknown attribute',
      method: 'POST',
      path: projectKeyPath,
      bodyOf: () => [{ roles: ['GROUP_OWNER'], orgId }],
      expected: () => invalidAttribute('orgId'),
      inGroup: true,
    },
    {
      name: 'project add: a userId that is no id',
      method: 'POST',
      path: projectKeyPath,
      bodyOf: () => [{ roles: ['GROUP_OWNER'], userId: projectKey.publicKey }],
      expected: () => invalidAttribute('userId'),
      inGroup: true,
    },
    {
      name: 'project add: the userId of another key',
      method: 'POST',
      path: projectKeyPath,
      bodyOf: () => [{ roles: ['GROUP_OWNER'], userId: orgKey.id }],
      expected: () => attributeReadOnly('userId'),
      inGroup: true,
    },
    {
      name: 'project add: malformed key id',
      method: 'POST',
      path: () => `${projectKeys()}/${projectKey.publicKey}`,
      body: [{ roles: ['GROUP_OWNER'] }],
      expected: () => invalidApiKeyId(projectKey.publicKey),
      inGroup: true,
    },
    {
      name: 'project add: unknown key',
      method: 'POST',
      path: () => `${projectKeys()}/${unknownId}`,
      body: [{ roles: ['GROUP_OWNER'] }],
      expected: () => apiKeyNotFound(unknownId),
      inGroup: true,
    },
    {
      name: 'project add: another organization’s key',
      method: 'POST',
      path: () => `${projectKeys()}/${other.keyId}`,
      body: [{ roles: ['GROUP_OWNER'] }],
      expected: () => apiKeyNotFound(other.keyId),
      inGroup: true,
    },
    {
      name: 'project add: our key to another organization’s project',
      method: 'POST',
      path: () => `${V1}/groups/${other.groupId}/apiKeys/${orgKey.id}`,
      body: [{ roles: ['GROUP_OWNER'] }],
      expected: notInGroup,
    },
    {
      name: 'project assign: an org role',
      method: 'PATCH',
      path: projectKeyPath,
      body: { roles: ['ORG_READ_ONLY'] },
      expected: () => invalidEnumValue('ORG_READ_ONLY'),
      inGroup: true,
    },
    {
      name: 'project assign: roles of the wrong type',
      method: 'PATCH',
      path: projectKeyPath,
      body: { roles: 'GROUP_OWNER' },
      expected: () => invalidJsonAttribute('roles'),
      inGroup: true,
    },
    {
      name: 'project assign: malformed key id',
      method: 'PATCH',
      path: () => `${projectKeys()}/${projectKey.publicKey}`,
      body: { roles: ['GROUP_OWNER'] },
      expected: () => invalidApiKeyId(projectKey.publicKey),
      inGroup: true,
    },
    {
      name: 'project assign: unknown key',
      method: 'PATCH',
      path: () => `${projectKeys()}/${unknownId}`,
      body: { roles: ['GROUP_OWNER'] },
      expected: () => apiKeyNotFound(unknownId),
      inGroup: true,
    },
    {
      name: 'project assign: another organization’s key',
      method: 'PATCH',
      path: () => `${projectKeys()}/${other.keyId}`,
      body: { roles: ['GROUP_OWNER'] },
      expected: () => apiKeyNotFound(other.keyId),
      inGroup: true,
    },
    {
      name: 'project assign: our key to another organization’s project',
      method: 'PATCH',
      path: () => `${V1}/groups/${other.groupId}/apiKeys/${orgKey.id}`,
      body: { roles: ['GROUP_OWNER'] },
      expected: notInGroup,
    },
    // DELETE /groups/{groupId}/apiKeys/{id}
    {
      name: 'project remove: malformed key id',
      method: 'DELETE',
      path: () => `${projectKeys()}/zzzzzzzzzzzzzzzzzzzzzzzz`,
      expected: () => invalidApiKeyId('zzzzzzzzzzzzzzzzzzzzzzzz'),
      inGroup: true,
    },
    {
      name: 'project remove: unknown key',
      method: 'DELETE',
      path: () => `${projectKeys()}/${unknownId}`,
      expected: () => apiKeyNotFound(unknownId),
      inGroup: true,
    },
    {
      name: 'project remove: a key not assigned to the project',
      method: 'DELETE',
      path: () => `${projectKeys()}/${orgKey.id}`,
      expected: () => apiKeyNotInGroup(orgKey.id, groupId),
      inGroup: true,
    },
    {
      name: 'project remove: another organization’s key',
      method: 'DELETE',
      path: () => `${projectKeys()}/${other.keyId}`,
      expected: () => apiKeyNotFound(other.keyId),
      inGroup: true,
    },
    {
      name: 'project remove: from another organization’s project',
      method: 'DELETE',
      path: () => `${V1}/groups/${other.groupId}/apiKeys/${other.keyId}`,
      expected: notInGroup,
    },
    // The organization routes
    {
      name: 'org: malformed id',
      method: 'GET',
      path: () => `${V1}/orgs/${orgId}x`,
      expected: () => invalidOrgId(`${orgId}x`),
    },
    {
      name: 'org groups: unknown org',
      method: 'GET',
      path: () => `${V1}/orgs/${unknownId}/groups`,
      expected: () => orgNotFound(unknownId),
    },
  ];

  for (const each of cases) {
    test(each.name, async () => {
      const path = each.path();
      const before = await fullSnapshot(server);
      const eventsBefore = await eventCount(server);
      const body = each.bodyOf ? each.bodyOf() : each.body;
      const response = await server.client.request(path, {
        method: each.method,
        ...(body !== undefined ? { body } : {}),
        ...(each.rawBody !== undefined
          ? { rawBody: each.rawBody, headers: { 'content-type': 'application/json' } }
          : {}),
      });
      const expected = each.expected();
      assertAtlasError(response, expected);
      assertNoChallenge(response);
      assert.equal(await fullSnapshot(server), before, 'the store is unchanged');
      // Refusals of writes, and every 401/403, are on record; failed reads otherwise not.
      const recorded = each.method !== 'GET' || expected.error === 401 || expected.error === 403;
      const events = await server.store.events.list({ orgId }, 0, 100);
      assert.equal(await eventCount(server), eventsBefore + (recorded ? 1 : 0));
      if (recorded) {
        const event = events[0]!;
        assert.equal(event.eventTypeName, 'DBCERTS_REQUEST_REFUSED');
        assert.equal(event.outcome, 'FAILURE');
        assert.equal(event.errorCode, expected.errorCode);
        assert.equal(event.publicKey, server.credentials.publicKey);
        assert.equal(event.remoteAddress, '127.0.0.1');
        assert.equal(event.groupId, each.inGroup ? groupId : undefined);
        assert.deepEqual(event.target, { method: each.method, path, status: expected.error });
      }
    });
  }

  test('after all of that, the target keys are exactly as they were made', async () => {
    const viaOrg = await server.client.get(orgKeyPath());
    assertBody(viaOrg, 200, keyBody(server, orgKey, redacted(orgKey.privateKey), orgRoles(server, 'ORG_MEMBER')));
    const viaProject = await server.client.get(projectKeys());
    assertBody(viaProject, 200, {
      links: [{ href: `${server.origin}${projectKeys()}?pageNum=1&itemsPerPage=100`, rel: 'self' }],
      results: [
        keyBody(server, projectKey, redacted(projectKey.privateKey), [
          ...orgRoles(server, 'ORG_MEMBER'),
          ...groupRoles(groupId, 'GROUP_READ_ONLY'),
        ]),
      ],
      totalCount: 1,
    });
    // The other organization's key still works, untouched.
    assert.equal((await other.client.get(`${V1}/orgs/${other.orgId}/apiKeys/${other.keyId}`)).status, 200);
  });

  test('keys too weak for key management are refused with USER_UNAUTHORIZED, and recorded', async () => {
    const attempts: Array<[DigestClient, 'POST' | 'PATCH' | 'DELETE', string, unknown]> = [
      [orgKey.client, 'POST', orgKeys(), { desc: 'x', roles: ['ORG_OWNER'] }],
      [orgKey.client, 'PATCH', orgKeyPath(), { roles: ['ORG_OWNER'] }],
      [orgKey.client, 'DELETE', orgKeyPath(), undefined],
      [projectKey.client, 'POST', projectKeys(), { desc: 'x', roles: ['GROUP_OWNER'] }],
      [projectKey.client, 'PATCH', projectKeyPath(), { roles: ['GROUP_OWNER'] }],
      [projectKey.client, 'DELETE', projectKeyPath(), undefined],
    ];
    for (const [client, method, path, body] of attempts) {
      const before = await fullSnapshot(server);
      const response = await client.request(path, { method, ...(body !== undefined ? { body } : {}) });
      assertAtlasError(response, userUnauthorized(), `${method} ${path}`);
      assertNoChallenge(response);
      assert.equal(await fullSnapshot(server), before);
      const [event] = await server.store.events.list({ orgId }, 0, 1);
      assert.equal(event?.eventTypeName, 'DBCERTS_REQUEST_REFUSED');
      assert.equal(event?.publicKey, client.publicKey);
      assert.equal(event?.errorCode, 'USER_UNAUTHORIZED');
      assert.deepEqual(event?.target, { method, path, status: 401 });
    }
  });
});

// =======================================================================================

describe('what real clients send: Terraform and atlas-sdk-go, the v1 Go client, curl, Python requests', () => {
  const V2_TYPE = 'application/vnd.atlas.2023-01-01+json';
  let server: TestServer;
  let orgId: string;
  let groupId: string;
  let otherGroupId: string;
  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
    orgId = server.credentials.orgId;
    groupId = server.credentials.groupId;
    otherGroupId = await createProject(server, 'ClientsProject');
  });
  after(() => server.close());

  /** As atlas-sdk-go sends it: v2, the versioned Accept and Content-Type, the body byte for byte. */
  const sdk = (method: string, path: string, rawBody?: string, query = '') =>
    server.client.request(`${V2}${path}${query}`, {
      method,
      headers: { accept: V2_TYPE, ...(rawBody !== undefined ? { 'content-type': V2_TYPE } : {}) },
      ...(rawBody !== undefined ? { rawBody } : {}),
    });
  /** As the v1 Go client (go-client-mongodb-atlas) sends it: v1.0, application/json, the body byte for byte. */
  const v1Client = (method: string, path: string, rawBody: string) =>
    server.client.request(`${V1}${path}`, { method, rawBody, headers: { 'content-type': 'application/json' } });

  const lastEvent = async (eventType: string, inGroup?: string) => {
    const [event] = await server.store.events.list(
      { orgId, eventTypes: [eventType], ...(inGroup ? { groupId: inGroup } : {}) },
      0,
      1,
    );
    return event;
  };
  const rolesOf = async (keyId: string) =>
    (await server.client.get(`${V1}/orgs/${orgId}/apiKeys/${keyId}`)).json().roles;

  test('mongodbatlas_project_api_key: create in one project, AddProjectApiKey to another, change roles, rename', async () => {
    // CreateProjectApiKey (CreateAtlasProjectApiKey), as the provider marshals it.
    const created = await sdk('POST', `/groups/${groupId}/apiKeys`, '{"desc":"terraform key","roles":["GROUP_OWNER"]}');
    assert.equal(created.status, 200, created.text);
    assert.equal(created.headers.get('content-type'), V2_TYPE);
    const key = created.json();
    const client = new DigestClient(server.origin, key.publicKey, key.privateKey);
    assertAtlasError(await client.get(`${V1}/groups/${otherGroupId}`), notInGroup());

    // AddProjectApiKey: a list of UserAccessRoleAssignment, no userId. 204, no body.
    let before = await eventCount(server);
    const added = await sdk('POST', `/groups/${otherGroupId}/apiKeys/${key.id}`, '[{"roles":["GROUP_READ_ONLY"]}]');
    assert.equal(added.status, 204, added.text);
    assert.equal(added.text, '');
    assert.equal(await eventCount(server), before + 1);
    const addedEvent = await lastEvent('API_KEY_ADDED_TO_GROUP', otherGroupId);
    assert.deepEqual(addedEvent?.target, {
      roles: ['GROUP_READ_ONLY'],
      targetApiKeyId: key.id,
      targetPublicKey: key.publicKey,
    });
    assert.equal((await client.get(`${V1}/groups/${otherGroupId}`)).status, 200);
    assertAtlasError(
      await client.post(`${V1}/groups/${otherGroupId}/databaseUsers`, {
        databaseName: '$external',
        username: 'read-only-cannot',
        x509Type: 'MANAGED',
        roles: [{ roleName: 'read', databaseName: 'app' }],
      }),
      userUnauthorized(),
    );

    // A change of roles in the plan: AddProjectApiKey again, with the new set (replaced whole).
    before = await eventCount(server);
    const changed = await sdk(
      'POST',
      `/groups/${otherGroupId}/apiKeys/${key.id}`,
      '[{"roles":["GROUP_DATA_ACCESS_READ_ONLY","GROUP_READ_ONLY"]}]',
    );
    assert.equal(changed.status, 204, changed.text);
    assert.equal(await eventCount(server), before + 1);
    assert.deepEqual((await lastEvent('API_KEY_ROLES_CHANGED', otherGroupId))?.target, {
      roles: ['GROUP_DATA_ACCESS_READ_ONLY', 'GROUP_READ_ONLY'],
      targetApiKeyId: key.id,
      targetPublicKey: key.publicKey,
    });
    assert.deepEqual(await rolesOf(key.id), [
      ...orgRoles(server, 'ORG_MEMBER'),
      ...groupRoles(groupId, 'GROUP_OWNER'),
      ...groupRoles(otherGroupId, 'GROUP_DATA_ACCESS_READ_ONLY', 'GROUP_READ_ONLY'),
    ]);

    // A new description: UpdateApiKeyRoles with UpdateAtlasProjectApiKey holding desc only.
    const renamed = await sdk('PATCH', `/groups/${groupId}/apiKeys/${key.id}`, '{"desc":"renamed by terraform"}');
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.headers.get('content-type'), V2_TYPE);
    assert.deepEqual(renamed.json(), {
      desc: 'renamed by terraform',
      id: key.id,
      links: [{ href: `${server.origin}${V2}/orgs/${orgId}/apiKeys/${key.id}`, rel: 'self' }],
      privateKey: redacted(key.privateKey),
      publicKey: key.publicKey,
      roles: [...orgRoles(server, 'ORG_MEMBER'), ...groupRoles(groupId, 'GROUP_OWNER')],
    });
    assert.deepEqual((await lastEvent('API_KEY_DESCRIPTION_CHANGED'))?.target, {
      targetApiKeyId: key.id,
      targetPublicKey: key.publicKey,
    });
    // The roles were not touched by the rename, in either project.
    assert.deepEqual(await rolesOf(key.id), [
      ...orgRoles(server, 'ORG_MEMBER'),
      ...groupRoles(groupId, 'GROUP_OWNER'),
      ...groupRoles(otherGroupId, 'GROUP_DATA_ACCESS_READ_ONLY', 'GROUP_READ_ONLY'),
    ]);
  });

  test('mongodbatlas_project_api_key with project_assignment: an org key added with its own id as userId', async () => {
    const key = await createOrgKey(server, 'assigned by terraform', ['ORG_MEMBER']);
    const body = `[{"roles":["GROUP_CLUSTER_MANAGER","GROUP_READ_ONLY"],"userId":"${key.id}"}]`;
    const added = await sdk('POST', `/groups/${otherGroupId}/apiKeys/${key.id}`, body);
    assert.equal(added.status, 204, added.text);
    assert.deepEqual(await rolesOf(key.id), [
      ...orgRoles(server, 'ORG_MEMBER'),
      ...groupRoles(otherGroupId, 'GROUP_CLUSTER_MANAGER', 'GROUP_READ_ONLY'),
    ]);
    // The key is listed by the project it was added to, with only that project's roles.
    const listed = await sdk('GET', `/groups/${otherGroupId}/apiKeys`);
    const entry = listed.json().results.find((each: { id: string }) => each.id === key.id);
    assert.deepEqual(entry.roles, [
      ...orgRoles(server, 'ORG_MEMBER'),
      ...groupRoles(otherGroupId, 'GROUP_CLUSTER_MANAGER', 'GROUP_READ_ONLY'),
    ]);
  });

  test('envelope and pretty on the new writes: POST stays 204 without a body; PATCH and errors are enveloped', async () => {
    const key = await createOrgKey(server, 'enveloped', ['ORG_MEMBER']);
    const path = `/groups/${otherGroupId}/apiKeys/${key.id}`;
    const added = await sdk('POST', path, '[{"roles":["GROUP_READ_ONLY"]}]', '?envelope=true&pretty=true');
    assert.equal(added.status, 204, added.text);
    assert.equal(added.text, '');
    const patched = await sdk('PATCH', path, '{"desc":"enveloped, pretty"}', '?envelope=true&pretty=true');
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.headers.get('content-type'), V2_TYPE);
    assert.equal(patched.json().status, 200);
    assert.equal(patched.json().content.desc, 'enveloped, pretty');
    assert.ok(patched.text.includes('\n  '), patched.text);
    const refused = await sdk('POST', path, '[]', '?envelope=true');
    assert.equal(refused.status, 400, refused.text);
    const { badRequestDetail, ...content } = refused.json().content;
    assert.deepEqual(badRequestDetail.fields, [{ description: 'must NOT have fewer than 1 items', field: '' }]);
    assert.deepEqual(content, invalidJson());
    assert.equal(refused.json().status, 400);
  });

  test('the v1 Go client: APIKeys.Update with omitempty members, ProjectAPIKeys.Assign, and Assign with nil roles', async () => {
    const key = await createOrgKey(server, 'v1 client key', ['ORG_MEMBER']);
    // APIKeyInput{Desc} (roles omitempty): the description only.
    const updated = await v1Client('PATCH', `/orgs/${orgId}/apiKeys/${key.id}`, '{"desc":"v1 renamed"}');
    assertBody(
      updated,
      200,
      keyBody(server, { ...key, desc: 'v1 renamed' }, redacted(key.privateKey), orgRoles(server, 'ORG_MEMBER')),
    );
    // AssignAPIKey{Roles}: roles has no omitempty.
    const assigned = await v1Client('PATCH', `/groups/${groupId}/apiKeys/${key.id}`, '{"roles":["GROUP_READ_ONLY"]}');
    assert.equal(assigned.status, 200, assigned.text);
    assert.deepEqual(assigned.json().roles, [
      ...orgRoles(server, 'ORG_MEMBER'),
      ...groupRoles(groupId, 'GROUP_READ_ONLY'),
    ]);
    // AssignAPIKey with a nil slice marshals "roles":null: nothing given, refused, nothing changed.
    const before = await fullSnapshot(server);
    assertAtlasError(
      await v1Client('PATCH', `/groups/${groupId}/apiKeys/${key.id}`, '{"roles":null}'),
      missingAttribute('roles'),
    );
    assert.equal(await fullSnapshot(server), before);
    // AccessListAPIKeysReq: ipAddress and cidrBlock both omitempty.
    const accessList = await v1Client(
      'POST',
      `/orgs/${orgId}/apiKeys/${key.id}/accessList`,
      '[{"ipAddress":"192.0.2.10"},{"cidrBlock":"198.51.100.0/24"}]',
    );
    assert.equal(accessList.status, 201, accessList.text);
    assert.deepEqual(
      accessList.json().results.map((entry: { cidrBlock: string }) => entry.cidrBlock),
      ['192.0.2.10/32', '198.51.100.0/24'],
    );
  });

  test('a key read with GET and sent back whole as PATCH: accepted on both routes, only the description changes', async () => {
    const key = await createOrgKey(server, 'read and written back', ['ORG_BILLING_ADMIN', 'ORG_MEMBER']);
    assert.equal(
      (await sdk('POST', `/groups/${groupId}/apiKeys/${key.id}`, '[{"roles":["GROUP_OWNER"]}]')).status,
      204,
    );
    const orgPath = `/orgs/${orgId}/apiKeys/${key.id}`;
    const read = await sdk('GET', orgPath);
    assert.equal(read.status, 200, read.text);
    // Everything as read — id, publicKey, the redacted privateKey, links, roles of both scopes.
    const back = { ...read.json(), desc: 'written back via the organization' };
    const written = await sdk('PATCH', orgPath, JSON.stringify(back));
    assert.equal(written.status, 200, written.text);
    assert.equal(written.text, JSON.stringify(back));
    assert.equal((await sdk('GET', orgPath)).text, JSON.stringify(back));

    // The project's listing entry, sent back to the project route.
    const listed = await sdk('GET', `/groups/${groupId}/apiKeys`);
    const entry = listed.json().results.find((each: { id: string }) => each.id === key.id);
    assert.deepEqual(entry.roles, [
      ...orgRoles(server, 'ORG_BILLING_ADMIN', 'ORG_MEMBER'),
      ...groupRoles(groupId, 'GROUP_OWNER'),
    ]);
    const entryBack = { ...entry, desc: 'written back via the project' };
    const viaProject = await sdk('PATCH', `/groups/${groupId}/apiKeys/${key.id}`, JSON.stringify(entryBack));
    assert.equal(viaProject.status, 200, viaProject.text);
    assert.deepEqual(viaProject.json(), entryBack);
    assert.deepEqual(await rolesOf(key.id), entry.roles);

    // What was read must be what is written back: the private key in full, or another key's id, is refused.
    const before = await fullSnapshot(server);
    for (const [body, expected] of [
      [{ ...back, privateKey: key.privateKey }, invalidAttribute('privateKey')],
      [{ ...back, id: 'aaaaaaaaaaaaaaaaaaaaaaaa' }, attributeReadOnly('id')],
    ] as const) {
      assertV2AtlasError(await sdk('PATCH', orgPath, JSON.stringify(body)), expected);
    }
    assert.equal(await fullSnapshot(server), before);
  });

  test('curl --digest: AddProjectApiKey and PATCH desc with roles, as typed by hand', async () => {
    const key = await createOrgKey(server, 'curl key', ['ORG_MEMBER']);
    const url = `${server.origin}${V2}/groups/${otherGroupId}/apiKeys/${key.id}`;
    const headers = ['-H', `Accept: ${V2_TYPE}`, '-H', `Content-Type: ${V2_TYPE}`];
    const { publicKey, privateKey } = server.credentials;
    const added = await curlDigest({ publicKey, privateKey }, [
      ...headers,
      '-X',
      'POST',
      '-d',
      '[{"roles":["GROUP_OWNER"]}]',
      url,
    ]);
    assert.equal(added.status, 204, added.stderr);
    assert.equal(added.body, '');
    const patched = await curlDigest({ publicKey, privateKey }, [
      ...headers,
      '-X',
      'PATCH',
      '-d',
      '{"desc":"by curl","roles":["GROUP_READ_ONLY"]}',
      url,
    ]);
    assert.equal(patched.status, 200, patched.body);
    const body = JSON.parse(patched.body);
    assert.equal(body.desc, 'by curl');
    assert.deepEqual(body.roles, [...orgRoles(server, 'ORG_MEMBER'), ...groupRoles(otherGroupId, 'GROUP_READ_ONLY')]);
  });

  test('Python requests: a key read, its description edited, and sent back whole', async () => {
    const key = await createOrgKey(server, 'python key', ['ORG_MEMBER']);
    const target = `${V1}/orgs/${orgId}/apiKeys/${key.id}`;
    const [read] = await pythonRequests(server.origin, server.credentials, [{ method: 'GET', target }]);
    assert.equal(read!.status, 200, read!.text);
    const back = { ...read!.json(), desc: 'edited in python' };
    const [written, again] = await pythonRequests(server.origin, server.credentials, [
      { method: 'PATCH', target, body: JSON.stringify(back) },
      { method: 'GET', target },
    ]);
    assert.equal(written!.status, 200, written!.text);
    assert.deepEqual(written!.json(), back);
    assert.deepEqual(again!.json(), back);
  });
});
