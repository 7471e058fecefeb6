import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import atlasClientModule from 'mongodb-atlas-api-client';
import { EVENT_TYPES, isDbcertsEventType } from '../../src/domain/events.js';
import { newObjectId } from '../../src/domain/ids.js';
import {
  assertAtlasError,
  atlasError,
  invalidGroupId,
  invalidQueryParameter,
  missingAttribute,
} from '../helpers/atlas-assert.js';
import { TestClock } from '../helpers/clock.js';
import { type ApiResponse, DigestClient } from '../helpers/digest-client.js';
import { pythonRequests } from '../helpers/python-requests.js';
import { startTestServer, type TestServer, V1 } from '../helpers/server.js';

/**
 * The audit trail. Every state change records one event stamped with the acting key
 * (apiKeyId, publicKey), its address, the time, what it acted on and outcome SUCCESS;
 * refused requests of authenticated keys are DBCERTS_REQUEST_REFUSED with outcome FAILURE,
 * errorCode, method, path and status. The events API lists them newest first, pages like
 * every Atlas list and filters by eventType, excludedEventType, minDate and maxDate:
 * `/groups/{id}/events` a project's events, `/orgs/{id}/events` the organization events
 * (Atlas' organization types), each with dbcerts' own types (refusals among them) only
 * when eventType names them; one event by id under the feed it belongs to.
 *
 * The tests below run in order over one server: each performs a change and checks exactly
 * the events it added (read back from every feed); the last ones read the trail back
 * through each feed.
 */

const getClient = atlasClientModule as unknown as typeof atlasClientModule.default;
const DAY1 = '2024-05-01';
const DAY3 = '2024-05-03';
const DAY5 = '2024-05-05';
const SERIALS = [5433027191242719574n, 946028664465903704n, 8070450532247928832n];
const OBJECT_ID = /^[0-9a-f]{24}$/;

let server: TestServer;
let orgId: string;
let projectId: string;
let bootstrap: Actor;
/** Every event seen so far, newest first, as the API answered them. */
let trail: any[] = [];
const seen = new Set<string>();

interface Actor {
  apiKeyId: string;
  publicKey: string;
}

interface ExpectedEvent {
  eventTypeName: string;
  actor?: Actor;
  groupId?: string;
  outcome?: 'SUCCESS' | 'FAILURE';
  created: string;
  accessListEntry?: string;
  database?: string;
  errorCode?: string;
  method?: string;
  path?: string;
  reason?: string;
  roles?: string[];
  serial?: bigint;
  status?: number;
  targetApiKeyId?: string;
  targetPublicKey?: string;
  targetUsername?: string;
}

/** A JSON integer as the exact parser returns it: a number when safe, else a bigint. */
const exact = (value: bigint) => (value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value);

/** The whole event body Atlas-style: members alphabetical, absent ones omitted. */
function eventBody(expected: ExpectedEvent, id: string): Record<string, unknown> {
  const self =
    expected.groupId !== undefined
      ? `${server.origin}${V1}/groups/${expected.groupId}/events/${id}`
      : `${server.origin}${V1}/orgs/${orgId}/events/${id}`;
  const actor = expected.actor ?? bootstrap;
  const body: Record<string, unknown> = {
    accessListEntry: expected.accessListEntry,
    apiKeyId: actor.apiKeyId,
    created: expected.created,
    database: expected.database,
    errorCode: expected.errorCode,
    eventTypeName: expected.eventTypeName,
    groupId: expected.groupId,
    id,
    isGlobalAdmin: false,
    links: [{ href: self, rel: 'self' }],
    method: expected.method,
    orgId,
    outcome: expected.outcome ?? 'SUCCESS',
    path: expected.path,
    publicKey: actor.publicKey,
    reason: expected.reason,
    remoteAddress: '127.0.0.1',
    roles: expected.roles,
    serial: expected.serial === undefined ? undefined : exact(expected.serial),
    status: expected.status,
    targetApiKeyId: expected.targetApiKeyId,
    targetPublicKey: expected.targetPublicKey,
    targetUsername: expected.targetUsername,
  };
  for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
  return body;
}

/** One feed, the first 500 events of it (all there are here). */
async function feed(scope: string, query = ''): Promise<any[]> {
  const response = await server.client.get(`${V1}/${scope}/events?itemsPerPage=500${query}`);
  assert.equal(response.status, 200, response.text);
  return response.json().results;
}

const DBCERTS_TYPES = EVENT_TYPES.filter(isDbcertsEventType);
const namingDbcertsTypes = DBCERTS_TYPES.map((type) => `&eventType=${type}`).join('');

/** Newest first, as the feeds list: by time, then by id (ids grow with time). */
const newestFirst = (a: any, b: any) =>
  a.created === b.created ? (a.id < b.id ? 1 : -1) : a.created < b.created ? 1 : -1;

/**
 * The whole trail, newest first: the organization's feed, the projects' feeds, and
 * dbcerts' own types (which no feed lists unless they are named).
 */
async function wholeTrail(): Promise<any[]> {
  const parts = [
    await feed(`orgs/${orgId}`),
    await feed(`groups/${server.credentials.groupId}`),
    ...(projectId ? [await feed(`groups/${projectId}`)] : []),
    await feed(`orgs/${orgId}`, namingDbcertsTypes),
  ];
  return [...new Map(parts.flat().map((event) => [event.id, event])).values()].sort(newestFirst);
}

/**
 * The events added since the last call, newest first, checked exactly against `expected`
 * (also newest first), members in alphabetical order.
 */
async function assertNewEvents(expected: ExpectedEvent[]): Promise<any[]> {
  const all = await wholeTrail();
  const added = all.filter((event) => !seen.has(event.id));
  for (const event of added) seen.add(event.id);
  trail = all;
  assert.deepEqual(
    added.map((event) => event.eventTypeName),
    expected.map((event) => event.eventTypeName),
  );
  added.forEach((event, index) => {
    assert.match(event.id, OBJECT_ID);
    const body = eventBody(expected[index]!, event.id);
    assert.deepEqual(event, body);
    assert.deepEqual(Object.keys(event), Object.keys(body).sort());
  });
  return added;
}

function step(at: string) {
  server.clock.set(at);
  return at.replace(/\.\d+Z$/, 'Z');
}

/** Creates a key through the API and returns it with a client. */
async function createKey(desc: string, roles: string[]) {
  const response = await server.client.post(`${V1}/orgs/${orgId}/apiKeys`, { desc, roles });
  assert.equal(response.status, 200, response.text);
  const key = response.json();
  return {
    id: key.id as string,
    publicKey: key.publicKey as string,
    privateKey: key.privateKey as string,
    client: new DigestClient(server.origin, key.publicKey, key.privateKey),
  };
}

const keyTarget = (key: { id: string; publicKey: string }) => ({
  targetApiKeyId: key.id,
  targetPublicKey: key.publicKey,
});

before(async () => {
  const queue = [...SERIALS];
  server = await startTestServer({ clock: new TestClock(`${DAY1}T08:00:00.250Z`), serials: () => queue.shift()! });
  orgId = server.credentials.orgId;
  const key = await server.store.apiKeys.findByPublicKey(server.credentials.publicKey);
  bootstrap = { apiKeyId: key!.id, publicKey: server.credentials.publicKey };
  // Bootstrap itself records nothing: the trail starts empty.
  assert.deepEqual(await wholeTrail(), []);
});

after(() => server.close());

// =======================================================================================

describe('every state change records its event (SUCCESS, actor, address, time, target)', () => {
  test('project created: GROUP_CREATED in the new project', async () => {
    const created = step(`${DAY1}T09:00:00.400Z`);
    const response = await server.client.post(`${V1}/groups`, { name: 'Audited', orgId });
    assert.equal(response.status, 200, response.text);
    projectId = response.json().id;
    await assertNewEvents([{ eventTypeName: 'GROUP_CREATED', groupId: projectId, created }]);
  });

  test('database user added, updated: MONGODB_USER_ADDED / _UPDATED with targetUsername and database', async () => {
    let created = step(`${DAY1}T09:01:00Z`);
    const users = `${V1}/groups/${projectId}/databaseUsers`;
    const add = await server.client.post(users, {
      databaseName: 'admin',
      username: 'alice',
      password: 'alice-password-1',
      roles: [{ roleName: 'read', databaseName: 'app' }],
    });
    assert.equal(add.status, 201, add.text);
    await assertNewEvents([
      { eventTypeName: 'MONGODB_USER_ADDED', groupId: projectId, created, targetUsername: 'alice', database: 'admin' },
    ]);
    created = step(`${DAY1}T09:02:00Z`);
    const update = await server.client.patch(`${users}/admin/alice`, {
      roles: [{ roleName: 'readWrite', databaseName: 'app' }],
    });
    assert.equal(update.status, 200, update.text);
    await assertNewEvents([
      {
        eventTypeName: 'MONGODB_USER_UPDATED',
        groupId: projectId,
        created,
        targetUsername: 'alice',
        database: 'admin',
      },
    ]);
  });

  test('first certificate: DBCERTS_CA_CREATED, then MONGODB_USER_X509_CERT_CREATED with the exact serial', async () => {
    let created = step(`${DAY1}T09:03:00Z`);
    const users = `${V1}/groups/${projectId}/databaseUsers`;
    const add = await server.client.post(users, {
      databaseName: '$external',
      username: 'bob',
      x509Type: 'MANAGED',
      roles: [{ roleName: 'read', databaseName: 'app' }],
    });
    assert.equal(add.status, 201, add.text);
    await assertNewEvents([
      {
        eventTypeName: 'MONGODB_USER_ADDED',
        groupId: projectId,
        created,
        targetUsername: 'bob',
        database: '$external',
      },
    ]);

    created = step(`${DAY1}T09:04:00Z`);
    const cert = await server.client.post(`${users}/bob/certs`, { monthsUntilExpiration: 1 });
    assert.equal(cert.status, 201, cert.text);
    const ca = await server.store.certificateAuthorities.findActive(projectId);
    assert.ok(ca);
    await assertNewEvents([
      {
        eventTypeName: 'MONGODB_USER_X509_CERT_CREATED',
        groupId: projectId,
        created,
        targetUsername: 'bob',
        database: '$external',
        serial: SERIALS[0]!,
      },
      { eventTypeName: 'DBCERTS_CA_CREATED', groupId: projectId, created, serial: ca.serial },
    ]);
    // The serial is written as a bare JSON integer, every digit exact (it exceeds 2^53).
    const text = (await server.client.get(`${V1}/groups/${projectId}/events?eventType=MONGODB_USER_X509_CERT_CREATED`))
      .text;
    assert.ok(text.includes(`"serial":${SERIALS[0]},`), text);

    created = step(`${DAY1}T09:05:00Z`);
    const second = await server.client.post(`${users}/bob/certs`, { monthsUntilExpiration: 2 });
    assert.equal(second.status, 201, second.text);
    await assertNewEvents([
      {
        eventTypeName: 'MONGODB_USER_X509_CERT_CREATED',
        groupId: projectId,
        created,
        targetUsername: 'bob',
        database: '$external',
        serial: SERIALS[1]!,
      },
    ]);
  });

  test('user deleted: MONGODB_USER_DELETED, and MONGODB_USER_X509_CERT_REVOKED for each of its certificates', async () => {
    const created = step(`${DAY1}T09:06:00Z`);
    const response = await server.client.delete(`${V1}/groups/${projectId}/databaseUsers/$external/bob`);
    assert.equal(response.status, 204, response.text);
    const all = await wholeTrail();
    const added = all.filter((event) => !seen.has(event.id));
    // Two revocations (one per certificate, in any order), recorded after the deletion.
    const revokedSerials = added.slice(0, 2).map((event) => event.serial);
    assert.deepEqual(
      [...revokedSerials].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1)),
      [SERIALS[1], SERIALS[0]],
    );
    const user = { groupId: projectId, created, targetUsername: 'bob', database: '$external' };
    await assertNewEvents([
      ...revokedSerials.map((serial) => ({
        eventTypeName: 'MONGODB_USER_X509_CERT_REVOKED',
        ...user,
        reason: 'cessationOfOperation',
        serial: BigInt(serial),
      })),
      { eventTypeName: 'MONGODB_USER_DELETED', ...user },
    ]);
  });

  test('a user without certificates deleted: MONGODB_USER_DELETED alone', async () => {
    const created = step(`${DAY1}T09:07:00Z`);
    const response = await server.client.delete(`${V1}/groups/${projectId}/databaseUsers/admin/alice`);
    assert.equal(response.status, 204, response.text);
    await assertNewEvents([
      {
        eventTypeName: 'MONGODB_USER_DELETED',
        groupId: projectId,
        created,
        targetUsername: 'alice',
        database: 'admin',
      },
    ]);
  });

  test('a failed change records no success event (400 and 409 on create user: only the refusal)', async () => {
    const created = step(`${DAY1}T09:08:00Z`);
    const users = `${V1}/groups/${projectId}/databaseUsers`;
    const invalid = await server.client.post(users, {
      databaseName: 'admin',
      username: 'carol',
      password: 'pw-of-carol',
    });
    assertAtlasError(invalid, missingAttribute('roles'));
    await assertNewEvents([
      {
        eventTypeName: 'DBCERTS_REQUEST_REFUSED',
        outcome: 'FAILURE',
        groupId: projectId,
        created,
        errorCode: 'MISSING_ATTRIBUTE',
        method: 'POST',
        path: users,
        status: 400,
      },
    ]);
    const carol = {
      databaseName: 'admin',
      username: 'carol',
      password: 'pw-of-carol',
      roles: [{ roleName: 'read', databaseName: 'app' }],
    };
    assert.equal((await server.client.post(users, carol)).status, 201);
    const duplicate = await server.client.post(users, carol);
    assert.equal(duplicate.status, 409, duplicate.text);
    await assertNewEvents([
      {
        eventTypeName: 'DBCERTS_REQUEST_REFUSED',
        outcome: 'FAILURE',
        groupId: projectId,
        created,
        errorCode: 'USER_ALREADY_EXISTS',
        method: 'POST',
        path: users,
        status: 409,
      },
      { eventTypeName: 'MONGODB_USER_ADDED', groupId: projectId, created, targetUsername: 'carol', database: 'admin' },
    ]);
    // An update that fails (changing the authentication database) records no MONGODB_USER_UPDATED.
    const immutable = await server.client.patch(`${users}/admin/carol`, { databaseName: '$external' });
    assert.equal(immutable.status, 409, immutable.text);
    await assertNewEvents([
      {
        eventTypeName: 'DBCERTS_REQUEST_REFUSED',
        outcome: 'FAILURE',
        groupId: projectId,
        created,
        errorCode: 'DATABASE_NAME_CANNOT_BE_CHANGED',
        method: 'PATCH',
        path: `${users}/admin/carol`,
        status: 409,
      },
    ]);
  });

  let audited: Awaited<ReturnType<typeof createKey>>;

  test('API key created, description changed, roles changed (org scope)', async () => {
    let created = step(`${DAY3}T10:00:00Z`);
    audited = await createKey('audited key', ['ORG_MEMBER']);
    await assertNewEvents([{ eventTypeName: 'API_KEY_CREATED', created, ...keyTarget(audited) }]);
    const path = `${V1}/orgs/${orgId}/apiKeys/${audited.id}`;

    created = step(`${DAY3}T10:01:00Z`);
    assert.equal((await server.client.patch(path, { desc: 'audited key, renamed' })).status, 200);
    await assertNewEvents([{ eventTypeName: 'API_KEY_DESCRIPTION_CHANGED', created, ...keyTarget(audited) }]);

    created = step(`${DAY3}T10:02:00Z`);
    assert.equal((await server.client.patch(path, { roles: ['ORG_READ_ONLY', 'ORG_GROUP_CREATOR'] })).status, 200);
    await assertNewEvents([
      {
        eventTypeName: 'API_KEY_ROLES_CHANGED',
        created,
        ...keyTarget(audited),
        roles: ['ORG_READ_ONLY', 'ORG_GROUP_CREATOR'],
      },
    ]);

    // Both at once: two events. The same values again: no change, no event.
    created = step(`${DAY3}T10:03:00Z`);
    assert.equal((await server.client.patch(path, { desc: 'audited', roles: ['ORG_MEMBER'] })).status, 200);
    await assertNewEvents([
      { eventTypeName: 'API_KEY_ROLES_CHANGED', created, ...keyTarget(audited), roles: ['ORG_MEMBER'] },
      { eventTypeName: 'API_KEY_DESCRIPTION_CHANGED', created, ...keyTarget(audited) },
    ]);
    assert.equal((await server.client.patch(path, { desc: 'audited', roles: ['ORG_MEMBER'] })).status, 200);
    await assertNewEvents([]);
  });

  test('API key added to a project, its roles there changed, removed (project scope)', async () => {
    const path = `${V1}/groups/${projectId}/apiKeys/${audited.id}`;
    let created = step(`${DAY3}T10:04:00Z`);
    assert.equal((await server.client.patch(path, { roles: ['GROUP_READ_ONLY'] })).status, 200);
    await assertNewEvents([
      {
        eventTypeName: 'API_KEY_ADDED_TO_GROUP',
        groupId: projectId,
        created,
        ...keyTarget(audited),
        roles: ['GROUP_READ_ONLY'],
      },
    ]);
    created = step(`${DAY3}T10:05:00Z`);
    assert.equal((await server.client.patch(path, { roles: ['GROUP_OWNER'] })).status, 200);
    await assertNewEvents([
      {
        eventTypeName: 'API_KEY_ROLES_CHANGED',
        groupId: projectId,
        created,
        ...keyTarget(audited),
        roles: ['GROUP_OWNER'],
      },
    ]);
    created = step(`${DAY3}T10:06:00Z`);
    assert.equal((await server.client.delete(path)).status, 204);
    await assertNewEvents([
      { eventTypeName: 'API_KEY_REMOVED_FROM_GROUP', groupId: projectId, created, ...keyTarget(audited) },
    ]);
  });

  test('a project key created: API_KEY_CREATED (org) and API_KEY_ADDED_TO_GROUP (project)', async () => {
    const created = step(`${DAY3}T10:07:00Z`);
    const response = await server.client.post(`${V1}/groups/${projectId}/apiKeys`, {
      desc: 'project key',
      roles: ['GROUP_READ_ONLY', 'GROUP_DATABASE_ACCESS_ADMIN'],
    });
    assert.equal(response.status, 200, response.text);
    const key = response.json();
    await assertNewEvents([
      {
        eventTypeName: 'API_KEY_ADDED_TO_GROUP',
        groupId: projectId,
        created,
        ...keyTarget(key),
        roles: ['GROUP_READ_ONLY', 'GROUP_DATABASE_ACCESS_ADMIN'],
      },
      { eventTypeName: 'API_KEY_CREATED', created, ...keyTarget(key) },
    ]);
    // The new key's own changes are stamped with its own identity.
    const own = new DigestClient(server.origin, key.publicKey, key.privateKey);
    const later = step(`${DAY3}T10:08:00Z`);
    const user = await own.post(`${V1}/groups/${projectId}/databaseUsers`, {
      databaseName: 'admin',
      username: 'dave',
      password: 'dave-password-1',
      roles: [{ roleName: 'read', databaseName: 'app' }],
    });
    assert.equal(user.status, 201, user.text);
    await assertNewEvents([
      {
        eventTypeName: 'MONGODB_USER_ADDED',
        actor: { apiKeyId: key.id, publicKey: key.publicKey },
        groupId: projectId,
        created: later,
        targetUsername: 'dave',
        database: 'admin',
      },
    ]);
  });

  test('access list entry added and deleted', async () => {
    const list = `${V1}/orgs/${orgId}/apiKeys/${audited.id}/accessList`;
    let created = step(`${DAY3}T10:09:00Z`);
    const add = await server.client.post(list, [{ ipAddress: '192.0.2.7' }, { cidrBlock: '10.1.0.0/16' }]);
    assert.equal(add.status, 201, add.text);
    await assertNewEvents([
      {
        eventTypeName: 'API_KEY_ACCESS_LIST_ENTRY_ADDED',
        created,
        ...keyTarget(audited),
        accessListEntry: '10.1.0.0/16',
      },
      {
        eventTypeName: 'API_KEY_ACCESS_LIST_ENTRY_ADDED',
        created,
        ...keyTarget(audited),
        accessListEntry: '192.0.2.7',
      },
    ]);
    created = step(`${DAY3}T10:10:00Z`);
    assert.equal((await server.client.delete(`${list}/10.1.0.0%2F16`)).status, 204);
    await assertNewEvents([
      {
        eventTypeName: 'API_KEY_ACCESS_LIST_ENTRY_DELETED',
        created,
        ...keyTarget(audited),
        accessListEntry: '10.1.0.0/16',
      },
    ]);
  });

  test('an access list entry is named in its canonical form in both events, however the request spelled it', async () => {
    const list = `${V1}/orgs/${orgId}/apiKeys/${audited.id}/accessList`;
    let created = step(`${DAY3}T10:10:20Z`);
    const add = await server.client.post(list, [{ ipAddress: '2001:DB8:0:0:0:0:0:1' }]);
    assert.equal(add.status, 201, add.text);
    await assertNewEvents([
      {
        eventTypeName: 'API_KEY_ACCESS_LIST_ENTRY_ADDED',
        created,
        ...keyTarget(audited),
        accessListEntry: '2001:db8::1',
      },
    ]);
    created = step(`${DAY3}T10:10:40Z`);
    // The same entry, named in another spelling in the path: the deleted entry is 2001:db8::1.
    assert.equal((await server.client.delete(`${list}/2001:DB8::0:1`)).status, 204);
    await assertNewEvents([
      {
        eventTypeName: 'API_KEY_ACCESS_LIST_ENTRY_DELETED',
        created,
        ...keyTarget(audited),
        accessListEntry: '2001:db8::1',
      },
    ]);
  });

  test('API key deleted: API_KEY_DELETED', async () => {
    const created = step(`${DAY3}T10:11:00Z`);
    assert.equal((await server.client.delete(`${V1}/orgs/${orgId}/apiKeys/${audited.id}`)).status, 204);
    await assertNewEvents([{ eventTypeName: 'API_KEY_DELETED', created, ...keyTarget(audited) }]);
  });

  test('org setting changed (both ways); a key without an access list is then refused, on record', async () => {
    const created = step(`${DAY5}T11:00:00Z`);
    const admin = await createKey('settings admin', ['ORG_OWNER']);
    const adminActor = { apiKeyId: admin.id, publicKey: admin.publicKey };
    const entry = await server.client.post(`${V1}/orgs/${orgId}/apiKeys/${admin.id}/accessList`, [
      { ipAddress: '127.0.0.1' },
    ]);
    assert.equal(entry.status, 201, entry.text);
    await assertNewEvents([
      { eventTypeName: 'API_KEY_ACCESS_LIST_ENTRY_ADDED', created, ...keyTarget(admin), accessListEntry: '127.0.0.1' },
      { eventTypeName: 'API_KEY_CREATED', created, ...keyTarget(admin) },
    ]);

    // While the requirement is on, the bootstrap key (no access list) cannot read the
    // trail: the events are checked once it is off again.
    const onAt = step(`${DAY5}T11:01:00Z`);
    const settings = `${V1}/orgs/${orgId}/settings`;
    const on = await admin.client.patch(settings, { apiAccessListRequired: true });
    assert.equal(on.status, 200, on.text);

    // The bootstrap key has no access list: refused, and the refusal is on record.
    const refusedAt = step(`${DAY5}T11:02:00Z`);
    const refused = await server.client.get(`${V1}/orgs/${orgId}/apiKeys`);
    assertAtlasError(refused, {
      status: 403,
      errorCode: 'RESOURCE_REQUIRES_ACCESS_LIST',
      detail: 'This resource requires access through an access list of ip ranges.',
      parameters: ['127.0.0.1'],
    });
    const offAt = step(`${DAY5}T11:03:00Z`);
    // Setting the same value again changes nothing and records nothing.
    assert.equal((await admin.client.patch(settings, { apiAccessListRequired: true })).status, 200);
    const off = await admin.client.patch(settings, { apiAccessListRequired: false });
    assert.equal(off.status, 200, off.text);
    await assertNewEvents([
      { eventTypeName: 'ORG_PUBLIC_API_ACCESS_LIST_NOT_REQUIRED', actor: adminActor, created: offAt },
      {
        eventTypeName: 'DBCERTS_REQUEST_REFUSED',
        outcome: 'FAILURE',
        created: refusedAt,
        errorCode: 'RESOURCE_REQUIRES_ACCESS_LIST',
        method: 'GET',
        path: `${V1}/orgs/${orgId}/apiKeys`,
        status: 403,
      },
      { eventTypeName: 'ORG_PUBLIC_API_ACCESS_LIST_REQUIRED', actor: adminActor, created: onAt },
    ]);
  });
});

describe('refused requests: DBCERTS_REQUEST_REFUSED, outcome FAILURE, errorCode, method, path, status', () => {
  test('a role too weak for the operation (in the project named)', async () => {
    step(`${DAY5}T12:00:00Z`);
    const reader = await createKey('reader', ['ORG_READ_ONLY']);
    await assertNewEvents([{ eventTypeName: 'API_KEY_CREATED', created: `${DAY5}T12:00:00Z`, ...keyTarget(reader) }]);
    const created = step(`${DAY5}T12:01:00Z`);
    const path = `${V1}/groups/${projectId}/databaseUsers`;
    const response = await reader.client.post(path, {
      databaseName: 'admin',
      username: 'eve',
      password: 'eve-password-1',
      roles: [{ roleName: 'read', databaseName: 'app' }],
    });
    assertAtlasError(response, {
      status: 401,
      errorCode: 'USER_UNAUTHORIZED',
      detail: 'Current user is not authorized to perform this action.',
    });
    // Reads it may do are not refusals.
    assert.equal((await reader.client.get(path)).status, 200);
    await assertNewEvents([
      {
        eventTypeName: 'DBCERTS_REQUEST_REFUSED',
        actor: { apiKeyId: reader.id, publicKey: reader.publicKey },
        outcome: 'FAILURE',
        groupId: projectId,
        created,
        errorCode: 'USER_UNAUTHORIZED',
        method: 'POST',
        path,
        status: 401,
      },
    ]);
  });

  test('an address not on the key’s access list', async () => {
    step(`${DAY5}T12:02:00Z`);
    const listed = await createKey('listed elsewhere', ['ORG_OWNER']);
    const entry = await server.client.post(`${V1}/orgs/${orgId}/apiKeys/${listed.id}/accessList`, [
      { ipAddress: '10.0.0.1' },
    ]);
    assert.equal(entry.status, 201);
    await assertNewEvents([
      {
        eventTypeName: 'API_KEY_ACCESS_LIST_ENTRY_ADDED',
        created: `${DAY5}T12:02:00Z`,
        ...keyTarget(listed),
        accessListEntry: '10.0.0.1',
      },
      { eventTypeName: 'API_KEY_CREATED', created: `${DAY5}T12:02:00Z`, ...keyTarget(listed) },
    ]);
    const created = step(`${DAY5}T12:03:00Z`);
    const path = `${V1}/groups/${projectId}/databaseUsers`;
    const response = await listed.client.get(`${path}?pageNum=1`);
    assertAtlasError(response, {
      status: 403,
      errorCode: 'IP_ADDRESS_NOT_ON_ACCESS_LIST',
      detail: 'IP address 127.0.0.1 is not allowed to access this resource.',
      parameters: ['127.0.0.1'],
    });
    await assertNewEvents([
      {
        eventTypeName: 'DBCERTS_REQUEST_REFUSED',
        actor: { apiKeyId: listed.id, publicKey: listed.publicKey },
        outcome: 'FAILURE',
        created,
        errorCode: 'IP_ADDRESS_NOT_ON_ACCESS_LIST',
        method: 'GET',
        path,
        status: 403,
      },
    ]);
  });

  test('a read of something that does not exist is not a refusal; a failed write is', async () => {
    const created = step(`${DAY5}T12:04:00Z`);
    const unknown = `${V1}/groups/${projectId}/databaseUsers/admin/nobody`;
    assert.equal((await server.client.get(unknown)).status, 404);
    await assertNewEvents([]);
    assert.equal((await server.client.delete(unknown)).status, 404);
    await assertNewEvents([
      {
        eventTypeName: 'DBCERTS_REQUEST_REFUSED',
        outcome: 'FAILURE',
        groupId: projectId,
        created,
        errorCode: 'USERNAME_NOT_FOUND',
        method: 'DELETE',
        path: unknown,
        status: 404,
      },
    ]);
  });

  test('an unauthenticated request (wrong password) records nothing', async () => {
    const wrong = new DigestClient(server.origin, server.credentials.publicKey, 'not-the-private-key');
    const response = await wrong.post(`${V1}/groups/${projectId}/databaseUsers`, {});
    assert.equal(response.status, 401);
    await assertNewEvents([]);
  });
});

// =======================================================================================

describe('the events API', () => {
  let other: { orgId: string; groupId: string; client: DigestClient; keyId: string; publicKey: string };
  /** What the organization's feed lists: the organization events of the trail. */
  let orgTrail: any[] = [];
  /** What the project's feed lists: its events, dbcerts' own types left out. */
  let projectTrail: any[] = [];
  const ORG_TYPES = new Set([
    'GROUP_CREATED',
    'API_KEY_CREATED',
    'API_KEY_DELETED',
    'API_KEY_DESCRIPTION_CHANGED',
    'API_KEY_ROLES_CHANGED',
    'API_KEY_ADDED_TO_GROUP',
    'API_KEY_REMOVED_FROM_GROUP',
    'API_KEY_ACCESS_LIST_ENTRY_ADDED',
    'API_KEY_ACCESS_LIST_ENTRY_DELETED',
    'ORG_PUBLIC_API_ACCESS_LIST_REQUIRED',
    'ORG_PUBLIC_API_ACCESS_LIST_NOT_REQUIRED',
  ]);

  before(async () => {
    const now = server.clock.now();
    const otherOrgId = newObjectId(now);
    const otherGroupId = newObjectId(now);
    await server.store.organizations.insert({ id: otherOrgId, name: 'other', createdAt: now });
    await server.store.projects.insert({
      id: otherGroupId,
      orgId: otherOrgId,
      name: 'Theirs',
      tags: [],
      createdAt: now,
    });
    const { key, privateKey } = await server.authority.apiKeys.mint(otherOrgId, 'theirs', ['ORG_OWNER']);
    other = {
      orgId: otherOrgId,
      groupId: otherGroupId,
      keyId: key.id,
      publicKey: key.publicKey,
      client: new DigestClient(server.origin, key.publicKey, privateKey),
    };
    trail = await wholeTrail();
    orgTrail = trail.filter((event) => ORG_TYPES.has(event.eventTypeName));
    projectTrail = trail.filter((event) => event.groupId === projectId && !isDbcertsEventType(event.eventTypeName));
  });

  function assertList(response: ApiResponse, expected: { results: unknown[]; totalCount?: number; links: unknown[] }) {
    assert.equal(response.status, 200, response.text);
    const body = response.json();
    assert.deepEqual(body, expected);
    assert.deepEqual(Object.keys(body), Object.keys(expected));
  }

  test('the whole trail: every event of the organization, newest first', async () => {
    assert.ok(trail.length >= 30, `only ${trail.length} events`);
    const created = trail.map((event) => event.created);
    assert.deepEqual(created, [...created].sort().reverse());
    // Ties (one change, several events) are in reverse order of recording.
    const types = trail.map((event) => event.eventTypeName);
    assert.ok(types.indexOf('MONGODB_USER_X509_CERT_CREATED') < types.indexOf('DBCERTS_CA_CREATED'));
    assert.equal(types.at(-1), 'GROUP_CREATED');
    for (const event of trail) assert.equal(event.orgId, orgId);
  });

  test('/orgs/{id}/events: organization events only (no project events, no refusals), newest first', async () => {
    const base = `${server.origin}${V1}/orgs/${orgId}/events`;
    assertList(await server.client.get(`${V1}/orgs/${orgId}/events`), {
      links: [{ href: `${base}?pageNum=1&itemsPerPage=100`, rel: 'self' }],
      results: orgTrail,
      totalCount: orgTrail.length,
    });
    const types = new Set(orgTrail.map((event) => event.eventTypeName));
    assert.deepEqual(
      [...ORG_TYPES].filter((type) => !types.has(type)),
      [],
      'every organization type happened',
    );
    // A project's creation is an organization event too (Atlas lists GROUP_CREATED in both feeds).
    assert.ok(orgTrail.some((event) => event.eventTypeName === 'GROUP_CREATED' && event.groupId === projectId));
    // What it leaves out: the project events and dbcerts' own.
    const left = trail.filter((event) => !ORG_TYPES.has(event.eventTypeName)).map((event) => event.eventTypeName);
    assert.ok(left.includes('MONGODB_USER_ADDED') && left.includes('DBCERTS_REQUEST_REFUSED'));
  });

  test('/groups/{id}/events: only that project’s events, no refusals, same order, same bodies', async () => {
    const base = `${server.origin}${V1}/groups/${projectId}/events`;
    const response = await server.client.get(`${V1}/groups/${projectId}/events`);
    assert.ok(projectTrail.length >= 15);
    assertList(response, {
      links: [{ href: `${base}?pageNum=1&itemsPerPage=100`, rel: 'self' }],
      results: projectTrail,
      totalCount: projectTrail.length,
    });
    // The bootstrap project had none of these.
    const empty = await server.client.get(`${V1}/groups/${server.credentials.groupId}/events`);
    assertList(empty, {
      links: [
        {
          href: `${server.origin}${V1}/groups/${server.credentials.groupId}/events?pageNum=1&itemsPerPage=100`,
          rel: 'self',
        },
      ],
      results: [],
      totalCount: 0,
    });
  });

  test('paging and links as in every list; includeCount=false', async () => {
    const path = `${V1}/groups/${projectId}/events`;
    const base = `${server.origin}${path}`;
    const page2 = await server.client.get(`${path}?itemsPerPage=4&pageNum=2`);
    assertList(page2, {
      links: [
        { href: `${base}?pageNum=2&itemsPerPage=4`, rel: 'self' },
        { href: `${base}?pageNum=1&itemsPerPage=4`, rel: 'previous' },
        { href: `${base}?pageNum=3&itemsPerPage=4`, rel: 'next' },
      ],
      results: projectTrail.slice(4, 8),
      totalCount: projectTrail.length,
    });
    const lastPage = Math.ceil(projectTrail.length / 4);
    const last = await server.client.get(`${path}?includeCount=false&itemsPerPage=4&pageNum=${lastPage}`);
    assertList(last, {
      links: [
        { href: `${base}?includeCount=false&pageNum=${lastPage}&itemsPerPage=4`, rel: 'self' },
        { href: `${base}?includeCount=false&pageNum=${lastPage - 1}&itemsPerPage=4`, rel: 'previous' },
      ],
      results: projectTrail.slice((lastPage - 1) * 4),
    });
    const past = await server.client.get(`${path}?itemsPerPage=4&pageNum=${lastPage + 1}`);
    assert.deepEqual(past.json().results, []);
    const orgPath = `${V1}/orgs/${orgId}/events`;
    assertAtlasError(await server.client.get(`${orgPath}?itemsPerPage=501`), invalidQueryParameter('itemsPerPage'));
    assertAtlasError(await server.client.get(`${orgPath}?pageNum=0`), invalidQueryParameter('pageNum'));
  });

  test('eventType: one type, and several (repeated)', async () => {
    const path = `${V1}/groups/${projectId}/events`;
    const one = await server.client.get(`${path}?eventType=MONGODB_USER_ADDED`);
    const added = trail.filter((event) => event.eventTypeName === 'MONGODB_USER_ADDED');
    assert.equal(added.length, 4);
    assertList(one, {
      links: [{ href: `${server.origin}${path}?eventType=MONGODB_USER_ADDED&pageNum=1&itemsPerPage=100`, rel: 'self' }],
      results: added,
      totalCount: 4,
    });
    const orgPath = `${V1}/orgs/${orgId}/events`;
    const several = await server.client.get(`${orgPath}?eventType=API_KEY_DELETED&eventType=GROUP_CREATED`);
    assert.equal(several.status, 200, several.text);
    const expected = trail.filter((event) => ['API_KEY_DELETED', 'GROUP_CREATED'].includes(event.eventTypeName));
    assert.equal(expected.length, 2);
    assert.deepEqual(several.json().results, expected);
    assert.equal(several.json().totalCount, 2);
    const inProject = await server.client.get(
      `${path}?eventType=MONGODB_USER_DELETED&eventType=MONGODB_USER_X509_CERT_REVOKED`,
    );
    assert.deepEqual(
      inProject.json().results.map((event: { eventTypeName: string }) => event.eventTypeName),
      [
        'MONGODB_USER_DELETED',
        'MONGODB_USER_X509_CERT_REVOKED',
        'MONGODB_USER_X509_CERT_REVOKED',
        'MONGODB_USER_DELETED',
      ],
    );
  });

  test('excludedEventType (repeatable) leaves types out, alone and with eventType', async () => {
    const path = `${V1}/groups/${projectId}/events`;
    const without = await server.client.get(
      `${path}?excludedEventType=MONGODB_USER_ADDED&excludedEventType=MONGODB_USER_X509_CERT_REVOKED`,
    );
    const kept = projectTrail.filter(
      (event) => !['MONGODB_USER_ADDED', 'MONGODB_USER_X509_CERT_REVOKED'].includes(event.eventTypeName),
    );
    assert.ok(kept.length > 0 && kept.length < projectTrail.length);
    assertList(without, {
      links: [
        {
          href: `${server.origin}${path}?excludedEventType=MONGODB_USER_ADDED&excludedEventType=MONGODB_USER_X509_CERT_REVOKED&pageNum=1&itemsPerPage=100`,
          rel: 'self',
        },
      ],
      results: kept,
      totalCount: kept.length,
    });
    // With eventType: the types named, less those excluded.
    const both = await server.client.get(
      `${path}?eventType=MONGODB_USER_ADDED&eventType=MONGODB_USER_DELETED&excludedEventType=MONGODB_USER_ADDED`,
    );
    assert.deepEqual(
      both.json().results,
      trail.filter((event) => event.eventTypeName === 'MONGODB_USER_DELETED'),
    );
    const none = await server.client.get(`${path}?eventType=MONGODB_USER_ADDED&excludedEventType=MONGODB_USER_ADDED`);
    assert.deepEqual(none.json().results, []);
    assert.equal(none.json().totalCount, 0);
    // The organization's feed takes it too.
    const orgWithout = await server.client.get(`${V1}/orgs/${orgId}/events?excludedEventType=GROUP_CREATED`);
    assert.deepEqual(
      orgWithout.json().results,
      orgTrail.filter((event) => event.eventTypeName !== 'GROUP_CREATED'),
    );
  });

  test('refusals, and dbcerts’ other own types, only when eventType names them', async () => {
    for (const scope of [`orgs/${orgId}`, `groups/${projectId}`]) {
      const listed = await feed(scope);
      assert.ok(!listed.some((event) => isDbcertsEventType(event.eventTypeName)), scope);
      const refusals = await feed(scope, '&eventType=DBCERTS_REQUEST_REFUSED');
      assert.ok(refusals.length >= 3, scope);
      for (const event of refusals) {
        assert.equal(event.eventTypeName, 'DBCERTS_REQUEST_REFUSED');
        assert.equal(event.outcome, 'FAILURE');
        assert.equal(typeof event.errorCode, 'string');
      }
    }
    // The organization's list of refusals is the whole organization's, projects' included.
    const all = await feed(`orgs/${orgId}`, '&eventType=DBCERTS_REQUEST_REFUSED');
    assert.deepEqual(
      all,
      trail.filter((event) => event.eventTypeName === 'DBCERTS_REQUEST_REFUSED'),
    );
    assert.ok(all.some((event) => event.groupId === projectId) && all.some((event) => event.groupId === undefined));
    // Named with Atlas types, both are listed.
    const mixed = await feed(
      `groups/${projectId}`,
      '&eventType=DBCERTS_CA_CREATED&eventType=MONGODB_USER_X509_CERT_CREATED',
    );
    assert.deepEqual(
      mixed.map((event) => event.eventTypeName),
      ['MONGODB_USER_X509_CERT_CREATED', 'MONGODB_USER_X509_CERT_CREATED', 'DBCERTS_CA_CREATED'],
    );
  });

  test('an event type the feed does not know: 400 INVALID_ENUM_VALUE, in eventType and excludedEventType', async () => {
    const orgPath = `${V1}/orgs/${orgId}/events`;
    const projectPath = `${V1}/groups/${projectId}/events`;
    const cases: Array<[string, string, string]> = [
      [orgPath, 'eventType=NO_SUCH_EVENT', 'NO_SUCH_EVENT'],
      [orgPath, 'eventType=api_key_created', 'api_key_created'],
      [orgPath, 'eventType=', ''],
      [orgPath, 'eventType=GROUP_CREATED&eventType=BOGUS', 'BOGUS'],
      [orgPath, 'excludedEventType=BOGUS', 'BOGUS'],
      // A project's own type is no organization type (Atlas' EventTypeForOrg has none of them).
      [orgPath, 'eventType=MONGODB_USER_ADDED', 'MONGODB_USER_ADDED'],
      [orgPath, 'excludedEventType=MONGODB_USER_X509_CERT_CREATED', 'MONGODB_USER_X509_CERT_CREATED'],
      [projectPath, 'eventType=NO_SUCH_EVENT', 'NO_SUCH_EVENT'],
      [projectPath, 'excludedEventType=MONGODB_USER_ADDED&excludedEventType=x', 'x'],
    ];
    for (const [path, query, value] of cases) {
      assertAtlasError(
        await server.client.get(`${path}?${query}`),
        atlasError(400, 'INVALID_ENUM_VALUE', `An invalid enumeration value ${value} was specified.`, [value]),
        query,
      );
    }
  });

  test('minDate and maxDate: dates and date-times, inclusive bounds', async () => {
    const path = `${V1}/orgs/${orgId}/events`;
    const onDay = (day: string) => orgTrail.filter((event) => event.created.startsWith(day));
    const day1 = onDay(DAY1);
    const day3 = onDay(DAY3);
    const day5 = onDay(DAY5);
    assert.ok(day1.length > 0 && day3.length > 0 && day5.length > 0);
    assert.equal(day1.length + day3.length + day5.length, orgTrail.length);
    const results = async (query: string) => {
      const response = await server.client.get(`${path}?${query}`);
      assert.equal(response.status, 200, `${query}: ${response.text}`);
      return response.json().results;
    };
    assert.deepEqual(await results('maxDate=2024-05-02'), day1);
    assert.deepEqual(await results('minDate=2024-05-02'), [...day5, ...day3]);
    assert.deepEqual(await results('minDate=2024-05-02&maxDate=2024-05-04'), day3);
    assert.deepEqual(await results('minDate=2024-05-03T00:00:00Z&maxDate=2024-05-03T23:59:59Z'), day3);
    // An offset is honoured: 02:00+02:00 is midnight UTC.
    assert.deepEqual(await results('minDate=2024-05-03T02:00:00%2B02:00&maxDate=2024-05-04T00:00:00.000Z'), day3);
    // Both bounds include an event at exactly that instant.
    const instant = `${DAY3}T10:01:00Z`;
    const atInstant = orgTrail.filter((event) => event.created === instant);
    assert.equal(atInstant.length, 1);
    assert.deepEqual(await results(`minDate=${instant}&maxDate=${instant}`), atInstant);
    // Combined with eventType and a project.
    const projectDay1 = await server.client.get(
      `${V1}/groups/${projectId}/events?maxDate=2024-05-02&eventType=MONGODB_USER_ADDED`,
    );
    assert.deepEqual(
      projectDay1.json().results,
      trail.filter((event) => event.created.startsWith(DAY1) && event.eventTypeName === 'MONGODB_USER_ADDED'),
    );
    // Nothing after the last event.
    assert.deepEqual(await results('minDate=2030-01-01'), []);
  });

  test('malformed dates: 400 INVALID_QUERY_PARAMETER naming the parameter; a reversed range: INVALID_DATE_RANGE', async () => {
    const path = `${V1}/orgs/${orgId}/events`;
    const cases: Array<[string, string]> = [
      ['minDate=yesterday', 'minDate'],
      ['maxDate=2024-05-32', 'maxDate'],
      ['minDate=2024-5-1', 'minDate'],
      ['maxDate=20240501', 'maxDate'],
      ['minDate=2024-05-01T25:00:00Z', 'minDate'],
      ['maxDate=2024-13-01', 'maxDate'],
      ['minDate=', 'minDate'],
      ['minDate=2024-05-01&maxDate=1714521600', 'maxDate'],
    ];
    for (const [query, name] of cases) {
      assertAtlasError(await server.client.get(`${path}?${query}`), invalidQueryParameter(name), query);
      assertAtlasError(
        await server.client.get(`${V1}/groups/${projectId}/events?${query}`),
        invalidQueryParameter(name),
        query,
      );
    }
    for (const scope of [`orgs/${orgId}`, `groups/${projectId}`]) {
      assertAtlasError(
        await server.client.get(`${V1}/${scope}/events?minDate=2024-05-03&maxDate=2024-05-02T23:59:59Z`),
        atlasError(
          400,
          'INVALID_DATE_RANGE',
          "An invalid date range minDate=2024-05-03, maxDate=2024-05-02T23:59:59Z was specified: maxDate shouldn't be earlier than minDate.",
          ['2024-05-03', '2024-05-02T23:59:59Z'],
        ),
      );
    }
  });

  test('GET one event by id: a project’s under its project; an organization event under both', async () => {
    const projectEvent = trail.find((event) => event.eventTypeName === 'MONGODB_USER_X509_CERT_CREATED');
    const viaProject = await server.client.get(`${V1}/groups/${projectId}/events/${projectEvent.id}`);
    assert.equal(viaProject.status, 200, viaProject.text);
    assert.deepEqual(viaProject.json(), projectEvent);
    assert.ok(viaProject.text.startsWith('{"apiKeyId":'), viaProject.text);
    const orgEvent = trail.find((event) => event.eventTypeName === 'API_KEY_DELETED');
    const orgOne = await server.client.get(`${V1}/orgs/${orgId}/events/${orgEvent.id}?envelope=true`);
    assert.equal(orgOne.status, 200);
    assert.deepEqual(orgOne.json(), { content: orgEvent, status: 200 });
    const created = trail.find((event) => event.eventTypeName === 'GROUP_CREATED' && event.groupId === projectId);
    const createdViaOrg = await server.client.get(`${V1}/orgs/${orgId}/events/${created.id}`);
    const createdViaProject = await server.client.get(`${V1}/groups/${projectId}/events/${created.id}`);
    assert.equal(createdViaOrg.text, createdViaProject.text);
    // A refusal asked for by its id, under either feed it belongs to.
    const refusal = trail.find(
      (event) => event.eventTypeName === 'DBCERTS_REQUEST_REFUSED' && event.groupId === projectId,
    );
    assert.deepEqual((await server.client.get(`${V1}/orgs/${orgId}/events/${refusal.id}`)).json(), refusal);
    assert.deepEqual((await server.client.get(`${V1}/groups/${projectId}/events/${refusal.id}`)).json(), refusal);
  });

  test('unknown, malformed and misplaced event ids: 404', async () => {
    const eventNotFound = (id: string, groupId: string) =>
      atlasError(404, 'EVENT_NOT_FOUND', `No event with ID ${id} exists for group ${groupId}.`, [id, groupId]);
    const orgEventNotFound = (id: string) =>
      atlasError(404, 'ORG_EVENT_NOT_FOUND', `No event with ID ${id} exists for organization ${orgId}.`, [id, orgId]);
    const invalidEventId = (id: string) =>
      atlasError(404, 'INVALID_EVENT_ID', `An invalid event ID ${id} was specified.`, [id]);
    const unknown = 'aaaaaaaaaaaaaaaaaaaaaaaa';
    assertAtlasError(await server.client.get(`${V1}/orgs/${orgId}/events/${unknown}`), orgEventNotFound(unknown));
    assertAtlasError(
      await server.client.get(`${V1}/groups/${projectId}/events/${unknown}`),
      eventNotFound(unknown, projectId),
    );
    for (const bad of ['abc', unknown.toUpperCase(), `${unknown}a`]) {
      assertAtlasError(await server.client.get(`${V1}/orgs/${orgId}/events/${bad}`), invalidEventId(bad));
      assertAtlasError(await server.client.get(`${V1}/groups/${projectId}/events/${bad}`), invalidEventId(bad));
    }
    // A project's event asked for under another project of the same organization.
    const projectEvent = trail.find((event) => event.eventTypeName === 'MONGODB_USER_ADDED');
    assertAtlasError(
      await server.client.get(`${V1}/groups/${server.credentials.groupId}/events/${projectEvent.id}`),
      eventNotFound(projectEvent.id, server.credentials.groupId),
    );
    // A project's event is no organization event.
    assertAtlasError(
      await server.client.get(`${V1}/orgs/${orgId}/events/${projectEvent.id}`),
      orgEventNotFound(projectEvent.id),
    );
    // An organization-level event asked for under a project.
    const orgEvent = trail.find((event) => event.groupId === undefined);
    assertAtlasError(
      await server.client.get(`${V1}/groups/${projectId}/events/${orgEvent.id}`),
      eventNotFound(orgEvent.id, projectId),
    );
    assertAtlasError(await server.client.get(`${V1}/groups/xyz/events`), invalidGroupId('xyz'));
    assertAtlasError(
      await server.client.get(`${V1}/orgs/xyz/events`),
      atlasError(404, 'INVALID_ORG_ID', 'An invalid organization ID xyz was specified.', ['xyz']),
    );
  });

  test('another organization never sees these events', async () => {
    const orgNotFound = (id: string) => atlasError(404, 'ORG_NOT_FOUND', `No organization with ID ${id} exists.`, [id]);
    const ours = orgTrail[0];
    const projectEvent = trail.find((event) => event.groupId === projectId);
    assertAtlasError(await other.client.get(`${V1}/orgs/${orgId}/events`), orgNotFound(orgId));
    assertAtlasError(await other.client.get(`${V1}/orgs/${orgId}/events/${ours.id}`), orgNotFound(orgId));
    assertAtlasError(
      await other.client.get(`${V1}/orgs/${other.orgId}/events/${ours.id}`),
      atlasError(404, 'ORG_EVENT_NOT_FOUND', `No event with ID ${ours.id} exists for organization ${other.orgId}.`, [
        ours.id,
        other.orgId,
      ]),
    );
    assertAtlasError(
      await other.client.get(`${V1}/groups/${other.groupId}/events/${projectEvent.id}`),
      atlasError(404, 'EVENT_NOT_FOUND', `No event with ID ${projectEvent.id} exists for group ${other.groupId}.`, [
        projectEvent.id,
        other.groupId,
      ]),
    );
    const notInGroup = atlasError(
      401,
      'NOT_IN_GROUP',
      'The current user is not in the group, or the group does not exist.',
    );
    assertAtlasError(await other.client.get(`${V1}/groups/${projectId}/events`), notInGroup);
    assertAtlasError(await other.client.get(`${V1}/groups/${projectId}/events/${projectEvent.id}`), notInGroup);
    // Their own feed is empty; their refusals, asked for, are theirs alone.
    const theirs = await other.client.get(`${V1}/orgs/${other.orgId}/events`);
    assert.equal(theirs.status, 200);
    assert.deepEqual(theirs.json().results, []);
    const refusals = await other.client.get(`${V1}/orgs/${other.orgId}/events?eventType=DBCERTS_REQUEST_REFUSED`);
    const theirEvents = refusals.json().results;
    assert.deepEqual(
      theirEvents.map((event: { eventTypeName: string }) => event.eventTypeName),
      ['DBCERTS_REQUEST_REFUSED', 'DBCERTS_REQUEST_REFUSED'],
    );
    for (const event of theirEvents) {
      assert.equal(event.orgId, other.orgId);
      assert.equal(event.publicKey, other.publicKey);
      assert.equal(event.groupId, undefined);
      assert.ok(!trail.some((ourEvent) => ourEvent.id === event.id));
    }
    // And our trail did not gain their refusals.
    assert.deepEqual(await wholeTrail(), trail);
    const theirProject = await other.client.get(`${V1}/groups/${other.groupId}/events`);
    assert.deepEqual(theirProject.json().results, []);
  });
});

describe('independent clients read the feeds', () => {
  test('mongodb-atlas-api-client: event.getAll and getAllByOrganizationId with eventType and excludedEventType', async () => {
    const client = getClient({
      publicKey: server.credentials.publicKey,
      privateKey: server.credentials.privateKey,
      baseUrl: `${server.origin}/api/atlas/v1.0`,
      projectId,
    });
    // urllib parses JSON as JavaScript numbers: serials past 2^53 lose digits, so compare ids.
    const ids = (events: any[]) => events.map((event) => `${event.eventTypeName} ${event.id}`);
    const projectFeed = await feed(`groups/${projectId}`);
    const all = (await client.event.getAll({ itemsPerPage: 500 } as never)) as any;
    assert.deepEqual(ids(all.results), ids(projectFeed));
    const without = (await client.event.getAll({
      excludedEventType: 'MONGODB_USER_ADDED',
      itemsPerPage: 500,
    } as never)) as any;
    assert.deepEqual(
      ids(without.results),
      ids(projectFeed.filter((event) => event.eventTypeName !== 'MONGODB_USER_ADDED')),
    );
    const orgFeed = await feed(`orgs/${orgId}`);
    const org = (await client.event.getAllByOrganizationId(orgId, { itemsPerPage: 500 } as never)) as any;
    assert.deepEqual(org.results, orgFeed);
    const refusals = (await client.event.getAllByOrganizationId(orgId, {
      eventType: 'DBCERTS_REQUEST_REFUSED',
    } as never)) as any;
    assert.ok(refusals.results.length > 0);
    assert.ok(refusals.results.every((event: any) => event.eventTypeName === 'DBCERTS_REQUEST_REFUSED'));
    // Errors come back as the Atlas body (urllib does not throw on 4xx).
    assert.deepEqual(
      await client.event.getAll({ eventType: 'NOT_A_TYPE' } as never),
      atlasError(400, 'INVALID_ENUM_VALUE', 'An invalid enumeration value NOT_A_TYPE was specified.', ['NOT_A_TYPE']),
    );
  });

  test('Python requests: repeated eventType and excludedEventType, as requests encodes lists', async () => {
    const [both, excluded] = await pythonRequests(server.origin, server.credentials, [
      {
        method: 'GET',
        target: `${V1}/groups/${projectId}/events?eventType=MONGODB_USER_ADDED&eventType=MONGODB_USER_DELETED&itemsPerPage=500`,
      },
      {
        method: 'GET',
        target: `${V1}/orgs/${orgId}/events?excludedEventType=API_KEY_CREATED&excludedEventType=GROUP_CREATED&itemsPerPage=500`,
      },
    ]);
    assert.equal(both!.status, 200, both!.text);
    assert.deepEqual(
      both!.json().results,
      (await feed(`groups/${projectId}`)).filter((event) =>
        ['MONGODB_USER_ADDED', 'MONGODB_USER_DELETED'].includes(event.eventTypeName),
      ),
    );
    assert.deepEqual(
      excluded!.json().results,
      (await feed(`orgs/${orgId}`)).filter(
        (event) => !['API_KEY_CREATED', 'GROUP_CREATED'].includes(event.eventTypeName),
      ),
    );
  });
});
