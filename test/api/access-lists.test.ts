import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { OrgRole } from '../../src/domain/roles.js';
import { assertAtlasError, atlasError, type AtlasErrorBody, UNAUTHORIZED_BODY } from '../helpers/atlas-assert.js';
import { TestClock } from '../helpers/clock.js';
import { type ApiResponse, authorizationHeader, parseChallenge } from '../helpers/digest-client.js';
import { startTestServer, storeSnapshot, type TestServer, V1 } from '../helpers/server.js';
import { raw, type RawOptions, type RawResponse } from '../helpers/raw-http.js';

/**
 * API key access lists (`/orgs/{orgId}/apiKeys/{apiUserId}/accessList[/{entry}]`) and their
 * enforcement, with real sockets bound to different loopback addresses (Linux routes all
 * of 127.0.0.0/8 to lo, so a client can be 127.0.0.2, 127.0.0.3, …, and ::1 over IPv6).
 * Errors as shared/spec/atlas-api.md §7 and §8 give them: 403 IP_ADDRESS_NOT_ON_ACCESS_LIST
 * and RESOURCE_REQUIRES_ACCESS_LIST, each with the caller's address as its parameter.
 */

const START = '2026-04-01T10:00:00.250Z';
const START_SECOND = '2026-04-01T10:00:00Z';

// --- a Digest client that chooses its source address -----------------------------------

interface CallOptions extends Omit<RawOptions, 'body'> {
  /** Sent as JSON. */
  body?: unknown;
}

/** One request on a fresh connection from `options.from`. */
function httpCall(server: TestServer, method: string, path: string, options: CallOptions = {}): Promise<RawResponse> {
  const { body, ...rest } = options;
  if (body === undefined) return raw(server.origin, method, path, rest);
  const headers = { ...rest.headers, 'content-type': 'application/json' };
  return raw(server.origin, method, path, { ...rest, headers, body: JSON.stringify(body) });
}

interface Key {
  id: string;
  publicKey: string;
  privateKey: string;
}

/** Digest as curl does it: an unauthenticated probe for the challenge, then the signed request, both from `from`. */
async function call(
  server: TestServer,
  key: Key,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<RawResponse> {
  const probe = await httpCall(server, method, path, { ...options, body: undefined, headers: {} });
  assert.equal(probe.status, 401, `the probe of ${method} ${path} from ${options.from}: ${probe.text}`);
  const challenge = parseChallenge(String(probe.headers['www-authenticate']));
  const authorization = authorizationHeader({
    username: key.publicKey,
    password: key.privateKey,
    method,
    uri: path,
    challenge,
  });
  return httpCall(server, method, path, { ...options, headers: { ...options.headers, authorization } });
}

// --- expectations ---------------------------------------------------------------------------

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

const invalidEntry = (text: string): AtlasErrorBody =>
  atlasError(
    400,
    'INVALID_IP_ADDRESS_OR_CIDR_NOTATION',
    `The address ${text} must be in valid IP address or CIDR notation.`,
    [text],
  );

const duplicateEntry = (cidrBlock: string, keyId: string): AtlasErrorBody =>
  atlasError(
    409,
    'DUPLICATE_ACCESS_LIST_ENTRY',
    `The access list entry ${cidrBlock} already exists for API key ${keyId}.`,
    [cidrBlock, keyId],
  );

const entryNotFound = (entry: string, keyId: string): AtlasErrorBody =>
  atlasError(404, 'ACCESS_LIST_ENTRY_NOT_FOUND', `IP address ${entry} not on the access list for API key ${keyId}.`, [
    entry,
    keyId,
  ]);

/** A 403 of the access list: Atlas' body, and no Digest challenge (the credentials were fine). */
function assertRefused(response: RawResponse, expected: AtlasErrorBody, message?: string): void {
  assertAtlasError(response, expected, message);
  assert.equal(response.headers['www-authenticate'], undefined, message);
}

function assertOk(response: RawResponse, status = 200, message?: string): void {
  assert.equal(response.status, status, `${message ?? ''} ${response.text}`);
}

/** `encodePathSegment` of the links: percent-encoded, `:` kept. */
const segment = (text: string) => encodeURIComponent(text).replace(/%3A/g, ':');

interface ExpectedEntry {
  cidrBlock: string;
  ipAddress?: string;
  created: string;
  count?: number;
  lastUsed?: string;
  lastUsedAddress?: string;
}

function entryView(server: TestServer, keyId: string, entry: ExpectedEntry) {
  const view: Record<string, unknown> = { cidrBlock: entry.cidrBlock };
  if (entry.count !== undefined) view.count = entry.count;
  view.created = entry.created;
  if (entry.ipAddress !== undefined) view.ipAddress = entry.ipAddress;
  if (entry.lastUsed !== undefined) view.lastUsed = entry.lastUsed;
  if (entry.lastUsedAddress !== undefined) view.lastUsedAddress = entry.lastUsedAddress;
  view.links = [
    {
      href: `${server.origin}${V1}/orgs/${server.credentials.orgId}/apiKeys/${keyId}/accessList/${segment(entry.ipAddress ?? entry.cidrBlock)}`,
      rel: 'self',
    },
  ];
  return view;
}

/** An entry's body, exactly (members and their alphabetical order). */
function assertEntry(server: TestServer, keyId: string, actual: unknown, expected: ExpectedEntry, message?: string) {
  assert.deepEqual(actual, entryView(server, keyId, expected), message);
  const keys = Object.keys(actual as object);
  assert.deepEqual(keys, [...keys].sort(), `${message ?? ''} members in alphabetical order`);
}

/** A whole access list (the POST's and the GET's answer), entries in any order. */
function assertList(
  server: TestServer,
  keyId: string,
  response: RawResponse | ApiResponse,
  status: number,
  expected: ExpectedEntry[],
) {
  assert.equal(response.status, status, response.text);
  const body = response.json();
  assert.deepEqual(Object.keys(body), ['links', 'results', 'totalCount']);
  assert.deepEqual(body.links, [
    {
      href: `${server.origin}${V1}/orgs/${server.credentials.orgId}/apiKeys/${keyId}/accessList?pageNum=1&itemsPerPage=100`,
      rel: 'self',
    },
  ]);
  assert.equal(body.totalCount, expected.length);
  const byBlock = (a: { cidrBlock: string }, b: { cidrBlock: string }) => (a.cidrBlock < b.cidrBlock ? -1 : 1);
  const results = [...body.results].sort(byBlock);
  const wanted = [...expected].sort(byBlock);
  assert.equal(results.length, wanted.length, response.text);
  results.forEach((result, index) => assertEntry(server, keyId, result, wanted[index]!, wanted[index]!.cidrBlock));
}

// --- state of the store -----------------------------------------------------------------------

type Snapshot = Record<string, string[]>;

/**
 * storeSnapshot, plus the tables of this feature: access list entries, project roles,
 * rate-limit buckets. `ignoreUse` leaves out the entries' use bookkeeping (count,
 * lastUsed, lastUsedAddress), which records every admitted request, refused later or not.
 */
async function fullSnapshot(server: TestServer, options: { ignoreUse?: boolean } = {}): Promise<Snapshot> {
  const db = server.store.db;
  const json = (rows: object[]) =>
    rows
      .map((row) => JSON.stringify(row, (_key, value) => (typeof value === 'bigint' ? value.toString() : value)))
      .sort();
  const entries = await db.selectFrom('api_key_access_list').selectAll().execute();
  const snapshot: Snapshot = {
    accessList: json(
      options.ignoreUse
        ? entries.map(({ last_used_at: _at, last_used_address: _address, use_count: _count, ...entry }) => entry)
        : entries,
    ),
    projectRoles: json(await db.selectFrom('api_key_project_roles').selectAll().execute()),
    buckets: json(await db.selectFrom('rate_limit_buckets').selectAll().execute()),
  };
  for (const [table, rows] of Object.entries(JSON.parse(await storeSnapshot(server.store)) as Snapshot)) {
    snapshot[table] = rows;
  }
  return snapshot;
}

/** Two snapshots are the same; a difference is reported as the rows added and removed per table. */
function assertSameStore(after: Snapshot, before: Snapshot, message = 'the store changed'): void {
  const differences: Record<string, { added: string[]; removed: string[] }> = {};
  for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const was = new Set(before[table] ?? []);
    const is = new Set(after[table] ?? []);
    const added = [...is].filter((row) => !was.has(row));
    const removed = [...was].filter((row) => !is.has(row));
    if (added.length > 0 || removed.length > 0) differences[table] = { added, removed };
  }
  assert.deepEqual(differences, {}, message);
}

async function eventIds(server: TestServer): Promise<Set<string>> {
  const rows = await server.store.db.selectFrom('events').select('id').execute();
  return new Set(rows.map((row) => row.id));
}

/**
 * Runs a request that must be refused and proves it changed nothing but one new
 * DBCERTS_REQUEST_REFUSED event, which is returned as the events API shows it.
 */
async function refusedWithoutChange(
  server: TestServer,
  action: () => Promise<RawResponse>,
  expected: AtlasErrorBody,
  options: { ignoreUse?: boolean } = {},
) {
  const before = await fullSnapshot(server, options);
  const eventsBefore = await eventIds(server);
  const response = await action();
  assertRefused(response, expected);
  assertSameStore(await fullSnapshot(server, options), before, 'a refused request changed the store');
  const added = [...(await eventIds(server))].filter((id) => !eventsBefore.has(id));
  assert.equal(added.length, 1, 'exactly one event for a refusal');
  const event = await server.client.get(`${V1}/orgs/${server.credentials.orgId}/events/${added[0]}`);
  assert.equal(event.status, 200, event.text);
  return event.json();
}

/** The DBCERTS_REQUEST_REFUSED event a refusal leaves, as the events API shows it. */
function refusalEvent(
  server: TestServer,
  event: { id: string },
  expected: { key: Key; address: string; method: string; path: string; status: number; errorCode: string },
) {
  return {
    apiKeyId: expected.key.id,
    created: server.clock.now().toISOString().slice(0, 19) + 'Z',
    errorCode: expected.errorCode,
    eventTypeName: 'DBCERTS_REQUEST_REFUSED',
    id: event.id,
    isGlobalAdmin: false,
    links: [{ href: `${server.origin}${V1}/orgs/${server.credentials.orgId}/events/${event.id}`, rel: 'self' }],
    method: expected.method,
    orgId: server.credentials.orgId,
    outcome: 'FAILURE',
    path: expected.path,
    publicKey: expected.key.publicKey,
    remoteAddress: expected.address,
    status: expected.status,
  };
}

// --- keys and paths ---------------------------------------------------------------------------

async function mintKey(server: TestServer, description: string, roles: OrgRole[] = ['ORG_MEMBER']): Promise<Key> {
  const { key, privateKey } = await server.authority.apiKeys.mint(server.credentials.orgId, description, roles);
  return { id: key.id, publicKey: key.publicKey, privateKey };
}

async function bootstrapKey(server: TestServer): Promise<Key> {
  const stored = await server.store.apiKeys.findByPublicKey(server.credentials.publicKey);
  assert.ok(stored);
  return { id: stored.id, publicKey: server.credentials.publicKey, privateKey: server.credentials.privateKey };
}

const orgPath = (server: TestServer) => `${V1}/orgs/${server.credentials.orgId}`;
const accessListPath = (server: TestServer, keyId: string) => `${orgPath(server)}/apiKeys/${keyId}/accessList`;

/** Adds entries with the bootstrap (org owner) key; they must be accepted. */
async function addEntries(server: TestServer, key: Key, entries: Array<{ ipAddress?: string; cidrBlock?: string }>) {
  const response = await server.client.post(accessListPath(server, key.id), entries);
  assert.equal(response.status, 201, response.text);
}

/** Whether `key` may read its organization from `from` (200), or the 403 it gets. */
async function probe(server: TestServer, key: Key, from: string, host?: string): Promise<RawResponse> {
  return call(server, key, 'GET', orgPath(server), { from, ...(host ? { host } : {}) });
}

async function assertAdmitted(server: TestServer, key: Key, from: string, host?: string) {
  const response = await probe(server, key, from, host);
  assert.equal(response.status, 200, `from ${from}: ${response.text}`);
  assert.equal(response.json().id, server.credentials.orgId);
}

async function assertNotOnList(server: TestServer, key: Key, from: string, seenAs: string, host?: string) {
  assertRefused(await probe(server, key, from, host), notOnAccessList(seenAs), `from ${from}`);
}

async function entryOf(server: TestServer, key: Key, entry: string) {
  const response = await server.client.get(`${accessListPath(server, key.id)}/${entry}`);
  assert.equal(response.status, 200, response.text);
  return response.json();
}

// =============================================================================================

describe('the access list API', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
  });
  after(() => server.close());

  test('create (201, the whole list), list, get by address and by CIDR (%2F), canonical forms', async () => {
    const key = await mintKey(server, 'crud');
    const path = accessListPath(server, key.id);
    assertList(server, key.id, await server.client.get(path), 200, []);

    const created = await server.client.post(path, [
      { ipAddress: '127.0.0.2' },
      { cidrBlock: '10.0.0.0/8' },
      { ipAddress: '2001:0DB8:0000:0000:0000:0000:0000:0001' },
      { cidrBlock: '2001:DB8:0:0:0:0:0:0/32' },
      { ipAddress: '0:0:0:0:0:0:0:1' },
    ]);
    const first: ExpectedEntry[] = [
      { cidrBlock: '127.0.0.2/32', ipAddress: '127.0.0.2', created: START_SECOND },
      { cidrBlock: '10.0.0.0/8', created: START_SECOND },
      { cidrBlock: '2001:db8::1/128', ipAddress: '2001:db8::1', created: START_SECOND },
      { cidrBlock: '2001:db8::/32', created: START_SECOND },
      { cidrBlock: '::1/128', ipAddress: '::1', created: START_SECOND },
    ];
    assertList(server, key.id, created, 201, first);

    // A later POST answers with the whole list again, old entries included.
    server.clock.advance(60_000);
    const later = '2026-04-01T10:01:00Z';
    const mapped = await server.client.post(path, [
      { cidrBlock: '::ffff:192.168.0.0/112' },
      { ipAddress: '::FFFF:127.0.0.9' },
    ]);
    const all: ExpectedEntry[] = [
      ...first,
      { cidrBlock: '192.168.0.0/16', created: later },
      { cidrBlock: '127.0.0.9/32', ipAddress: '127.0.0.9', created: later },
    ];
    assertList(server, key.id, mapped, 201, all);
    assertList(server, key.id, await server.client.get(path), 200, all);

    // One entry: by its address, by its block (slash as %2F), by any spelling of either.
    const lookups: Array<[string, ExpectedEntry]> = [
      ['127.0.0.2', all[0]!],
      ['127.0.0.2%2F32', all[0]!],
      ['%3A%3Affff%3A127.0.0.2', all[0]!],
      ['::ffff:7f00:2', all[0]!],
      ['10.0.0.0%2F8', all[1]!],
      ['10.0.0.0%2f8', all[1]!],
      ['2001:db8::1', all[2]!],
      ['2001:DB8:0:0:0:0:0:1', all[2]!],
      ['2001:db8::1%2F128', all[2]!],
      ['2001:db8::%2F32', all[3]!],
      ['::1', all[4]!],
      ['0:0:0:0:0:0:0:1', all[4]!],
      ['192.168.0.0%2F16', all[5]!],
      ['::ffff:192.168.0.0%2F112', all[5]!],
      ['127.0.0.9', all[6]!],
    ];
    for (const [entry, expected] of lookups) {
      const response = await server.client.get(`${path}/${entry}`);
      assert.equal(response.status, 200, `${entry}: ${response.text}`);
      assertEntry(server, key.id, response.json(), expected, entry);
    }

    // Names of no entry: 404, naming the entry as sent (decoded) and the key.
    for (const [entry, named] of [
      ['127.0.0.3', '127.0.0.3'],
      ['10.0.0.0%2F9', '10.0.0.0/9'],
      ['10.0.0.0', '10.0.0.0'], // the block's address is not the block
      ['127.0.0.0%2F8', '127.0.0.0/8'],
      ['banana', 'banana'],
      ['10.0.0.1%2F8', '10.0.0.1/8'],
    ] as const) {
      assertAtlasError(await server.client.get(`${path}/${entry}`), entryNotFound(named, key.id), entry);
    }
  });

  test('entries show count, lastUsed and lastUsedAddress once used; the most specific entry is credited', async () => {
    const key = await mintKey(server, 'usage');
    const path = accessListPath(server, key.id);
    const created = server.clock.now();
    const createdText = created.toISOString().slice(0, 19) + 'Z';
    await addEntries(server, key, [{ cidrBlock: '127.0.0.0/8' }, { ipAddress: '127.0.0.10' }]);
    const block: ExpectedEntry = { cidrBlock: '127.0.0.0/8', created: createdText };
    const single: ExpectedEntry = { cidrBlock: '127.0.0.10/32', ipAddress: '127.0.0.10', created: createdText };
    assertEntry(server, key.id, await entryOf(server, key, '127.0.0.10'), single);

    server.clock.advance(5 * 60_000 + 700);
    const firstUse = server.clock.now().toISOString().slice(0, 19) + 'Z';
    await assertAdmitted(server, key, '127.0.0.10');
    assertEntry(server, key.id, await entryOf(server, key, '127.0.0.10'), {
      ...single,
      count: 1,
      lastUsed: firstUse,
      lastUsedAddress: '127.0.0.10',
    });
    // The /8 also admits 127.0.0.10, but the /32 is the entry that was used.
    assertEntry(server, key.id, await entryOf(server, key, '127.0.0.0%2F8'), block);

    server.clock.advance(60_000);
    const secondUse = server.clock.now().toISOString().slice(0, 19) + 'Z';
    await assertAdmitted(server, key, '127.0.0.11');
    await assertAdmitted(server, key, '127.0.0.10');
    assertList(server, key.id, await server.client.get(path), 200, [
      { ...block, count: 1, lastUsed: secondUse, lastUsedAddress: '127.0.0.11' },
      { ...single, count: 2, lastUsed: secondUse, lastUsedAddress: '127.0.0.10' },
    ]);
  });

  test('DELETE answers 204 and the entry is gone; deleting it again is 404', async () => {
    const key = await mintKey(server, 'delete');
    const path = accessListPath(server, key.id);
    await addEntries(server, key, [{ ipAddress: '127.0.0.2' }, { cidrBlock: '10.0.0.0/8' }, { ipAddress: '::1' }]);

    const deleted = await server.client.delete(`${path}/10.0.0.0%2F8`);
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal(deleted.text, '');
    assertAtlasError(await server.client.get(`${path}/10.0.0.0%2F8`), entryNotFound('10.0.0.0/8', key.id));
    assertAtlasError(await server.client.delete(`${path}/10.0.0.0%2F8`), entryNotFound('10.0.0.0/8', key.id));

    // Any spelling of the entry deletes it.
    assert.equal((await server.client.delete(`${path}/0:0:0:0:0:0:0:1`)).status, 204);
    assert.equal((await server.client.delete(`${path}/127.0.0.2%2F32`)).status, 204);
    assertList(server, key.id, await server.client.get(path), 200, []);
    assertAtlasError(await server.client.delete(`${path}/127.0.0.2`), entryNotFound('127.0.0.2', key.id));

    // The audit trail names each entry as its addition did (canonically), whatever spelling deleted it.
    const named = async (type: string) => {
      const events = await server.client.get(`${orgPath(server)}/events?eventType=${type}&itemsPerPage=500`);
      assert.equal(events.status, 200, events.text);
      return events
        .json()
        .results.filter((event: { targetApiKeyId?: string }) => event.targetApiKeyId === key.id)
        .map((event: { accessListEntry: string }) => event.accessListEntry)
        .sort();
    };
    assert.deepEqual(await named('API_KEY_ACCESS_LIST_ENTRY_ADDED'), ['10.0.0.0/8', '127.0.0.2', '::1']);
    assert.deepEqual(await named('API_KEY_ACCESS_LIST_ENTRY_DELETED'), ['10.0.0.0/8', '127.0.0.2', '::1']);
  });

  test('a block or address already on the list is 409, in any spelling, and the whole request is refused', async () => {
    const key = await mintKey(server, 'duplicates');
    const path = accessListPath(server, key.id);
    await addEntries(server, key, [{ ipAddress: '127.0.0.2' }, { cidrBlock: '10.0.0.0/8' }, { ipAddress: '::1' }]);
    const createdText = server.clock.now().toISOString().slice(0, 19) + 'Z';
    const existing: ExpectedEntry[] = [
      { cidrBlock: '127.0.0.2/32', ipAddress: '127.0.0.2', created: createdText },
      { cidrBlock: '10.0.0.0/8', created: createdText },
      { cidrBlock: '::1/128', ipAddress: '::1', created: createdText },
    ];
    server.clock.advance(1000);
    const cases: Array<[Array<{ ipAddress?: string; cidrBlock?: string }>, AtlasErrorBody]> = [
      [[{ ipAddress: '127.0.0.2' }], duplicateEntry('127.0.0.2/32', key.id)],
      [[{ cidrBlock: '127.0.0.2/32' }], duplicateEntry('127.0.0.2/32', key.id)],
      [[{ ipAddress: '::ffff:127.0.0.2' }], duplicateEntry('127.0.0.2/32', key.id)],
      [[{ cidrBlock: '10.0.0.0/8' }], duplicateEntry('10.0.0.0/8', key.id)],
      [[{ cidrBlock: '::ffff:10.0.0.0/104' }], duplicateEntry('10.0.0.0/8', key.id)],
      [[{ ipAddress: '0:0:0:0:0:0:0:1' }], duplicateEntry('::1/128', key.id)],
      [[{ cidrBlock: '::1/128' }], duplicateEntry('::1/128', key.id)],
      // all or none: the new entry before the duplicate is not added either
      [[{ ipAddress: '127.0.0.3' }, { ipAddress: '127.0.0.2' }], duplicateEntry('127.0.0.2/32', key.id)],
    ];
    for (const [body, expected] of cases) {
      const before = await fullSnapshot(server);
      assertAtlasError(await server.client.post(path, body), expected, JSON.stringify(body));
      assertSameStore(await fullSnapshot(server), before, JSON.stringify(body));
    }
    assertList(server, key.id, await server.client.get(path), 200, existing);
  });

  test('malformed entries are 400 INVALID_IP_ADDRESS_OR_CIDR_NOTATION and nothing is added', async () => {
    const key = await mintKey(server, 'malformed');
    const path = accessListPath(server, key.id);
    const cases: Array<[unknown, AtlasErrorBody]> = [
      [[{ ipAddress: '1.2.3' }], invalidEntry('1.2.3')],
      [[{ ipAddress: '256.1.1.1' }], invalidEntry('256.1.1.1')],
      [[{ ipAddress: '01.2.3.4' }], invalidEntry('01.2.3.4')],
      [[{ ipAddress: '1.2.3.4/32' }], invalidEntry('1.2.3.4/32')],
      [[{ ipAddress: ' 1.2.3.4' }], invalidEntry(' 1.2.3.4')],
      [[{ ipAddress: '' }], invalidEntry('')],
      [[{ ipAddress: 'localhost' }], invalidEntry('localhost')],
      [[{ ipAddress: '1::2::3' }], invalidEntry('1::2::3')],
      [[{ ipAddress: '12345::1' }], invalidEntry('12345::1')],
      [[{ ipAddress: 'fe80::1%eth0' }], invalidEntry('fe80::1%eth0')],
      [[{ ipAddress: '[::1]' }], invalidEntry('[::1]')],
      [[{ ipAddress: '1.2.3.4::' }], invalidEntry('1.2.3.4::')],
      [[{ cidrBlock: '10.0.0.0' }], invalidEntry('10.0.0.0')],
      [[{ cidrBlock: '10.0.0.0/33' }], invalidEntry('10.0.0.0/33')],
      [[{ cidrBlock: '10.0.0.0/08' }], invalidEntry('10.0.0.0/08')],
      [[{ cidrBlock: '10.0.0.0/255.0.0.0' }], invalidEntry('10.0.0.0/255.0.0.0')],
      [[{ cidrBlock: '::/129' }], invalidEntry('::/129')],
      [[{ cidrBlock: '/8' }], invalidEntry('/8')],
      // host bits set: refused, not silently widened
      [[{ cidrBlock: '10.0.0.1/8' }], invalidEntry('10.0.0.1/8')],
      [[{ cidrBlock: '127.0.0.1/30' }], invalidEntry('127.0.0.1/30')],
      [[{ cidrBlock: '192.168.1.1/24' }], invalidEntry('192.168.1.1/24')],
      [[{ cidrBlock: '::1/127' }], invalidEntry('::1/127')],
      [[{ cidrBlock: 'fe80::1/64' }], invalidEntry('fe80::1/64')],
      [[{ cidrBlock: '::ffff:10.0.0.1/104' }], invalidEntry('::ffff:10.0.0.1/104')],
      // one of the two, not both, not neither
      [[{ ipAddress: '1.2.3.4', cidrBlock: '1.2.3.4/32' }], invalidEntry('1.2.3.4')],
      [[{ ipAddress: '1.2.3.4', cidrBlock: '10.0.0.0/8' }], invalidEntry('1.2.3.4')],
      [[{}], invalidEntry('(none)')],
      // all or none: a good entry beside a bad one is not added
      [[{ ipAddress: '127.0.0.7' }, { ipAddress: 'bad' }], invalidEntry('bad')],
      [[{ cidrBlock: '10.0.0.0/8' }, { cidrBlock: '10.0.0.1/8' }], invalidEntry('10.0.0.1/8')],
      // the request's shape
      [[{ ip: '1.2.3.4' }], atlasError(400, 'INVALID_ATTRIBUTE', 'Invalid attribute ip specified.', ['ip'])],
      [
        [{ ipAddress: 1234 }],
        atlasError(
          400,
          'INVALID_JSON_ATTRIBUTE',
          'Received JSON for the ipAddress attribute does not match expected format.',
          ['ipAddress'],
        ),
      ],
      [{ ipAddress: '1.2.3.4' }, atlasError(400, 'INVALID_JSON', 'Received JSON does not match expected format.')],
      [['1.2.3.4'], atlasError(400, 'INVALID_JSON', 'Received JSON does not match expected format.')],
    ];
    // Every case is tried; the failures are reported together.
    const failures: string[] = [];
    for (const [body, expected] of cases) {
      const before = await fullSnapshot(server);
      const eventsBefore = (await eventIds(server)).size;
      const response = await server.client.post(path, body);
      try {
        assertAtlasError(response, expected, JSON.stringify(body));
        assertSameStore(await fullSnapshot(server), before, JSON.stringify(body));
        // A refused write of an authenticated key is on record (and nothing else is).
        assert.equal((await eventIds(server)).size, eventsBefore + 1, JSON.stringify(body));
      } catch (error) {
        const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
        failures.push(`${response.status}: ${reason}`);
        // Put the list back as it was for the next case.
        for (const entry of response.status === 201 ? response.json().results : []) {
          await server.client.delete(`${path}/${encodeURIComponent(entry.cidrBlock)}`);
        }
      }
    }
    assert.deepEqual(failures, []);
    assertList(server, key.id, await server.client.get(path), 200, []);
  });

  test('a key that is not Organization Owner cannot change access lists, its own included', async () => {
    const member = await mintKey(server, 'member');
    await addEntries(server, member, [{ ipAddress: '127.0.0.2' }]);
    const unauthorized = atlasError(401, 'USER_UNAUTHORIZED', 'Current user is not authorized to perform this action.');
    const path = accessListPath(server, member.id);
    for (const [method, target, body] of [
      ['POST', path, [{ cidrBlock: '0.0.0.0/0' }]],
      ['DELETE', `${path}/127.0.0.2`, undefined],
    ] as const) {
      const event = await refusedWithoutChange(
        server,
        () => call(server, member, method, target, { from: '127.0.0.2', ...(body ? { body } : {}) }),
        unauthorized,
        { ignoreUse: true }, // the key was admitted from its entry: that use is recorded
      );
      assert.equal(event.errorCode, 'USER_UNAUTHORIZED');
      assert.equal(event.remoteAddress, '127.0.0.2');
    }
    // Reading is allowed to members.
    const listed = await call(server, member, 'GET', path, { from: '127.0.0.2' });
    assert.equal(listed.status, 200, listed.text);
    assert.equal(listed.json().totalCount, 1);
  });

  test('concurrent uses are all counted', async () => {
    const key = await mintKey(server, 'busy');
    await addEntries(server, key, [{ ipAddress: '127.0.0.2' }]);
    const responses = await Promise.all(Array.from({ length: 8 }, () => probe(server, key, '127.0.0.2')));
    assert.deepEqual(
      responses.map((response) => response.status),
      Array(8).fill(200),
    );
    assert.equal((await entryOf(server, key, '127.0.0.2')).count, 8);
  });

  test('an empty list of entries is refused', async () => {
    const key = await mintKey(server, 'empty');
    const response = await server.client.post(accessListPath(server, key.id), []);
    assert.equal(response.status, 400, response.text);
    const body = response.json();
    assert.notEqual(body.parameters[0], '', `an error naming no attribute: ${response.text}`);
  });

  test('more than 500 entries in one request (Atlas’ maxItems) are 400 INVALID_JSON, and none is added', async () => {
    const key = await mintKey(server, 'too many');
    const entries = Array.from({ length: 501 }, (_, i) => ({ ipAddress: `10.0.${i >> 8}.${i & 255}` }));
    const before = await fullSnapshot(server);
    assertAtlasError(
      await server.client.post(accessListPath(server, key.id), entries),
      atlasError(400, 'INVALID_JSON', 'Received JSON does not match expected format.'),
    );
    assert.deepEqual(await fullSnapshot(server), before);
    const exactly = await server.client.post(accessListPath(server, key.id), entries.slice(0, 500));
    assert.equal(exactly.status, 201, exactly.text);
    assert.equal(exactly.json().totalCount, 500);
  });
});

describe('enforcement over IPv4', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
  });
  after(() => server.close());

  test('a key with no entries works from anywhere', async () => {
    const key = await mintKey(server, 'open');
    for (const from of ['127.0.0.1', '127.0.0.2', '127.0.0.200']) await assertAdmitted(server, key, from);
  });

  test('a key with entries works from them and gets 403 with its address elsewhere, recorded as refused', async () => {
    const key = await mintKey(server, 'listed');
    await addEntries(server, key, [{ ipAddress: '127.0.0.2' }]);
    await assertAdmitted(server, key, '127.0.0.2');

    server.clock.advance(1000);
    const event = await refusedWithoutChange(
      server,
      () => probe(server, key, '127.0.0.3'),
      notOnAccessList('127.0.0.3'),
    );
    assert.deepEqual(
      event,
      refusalEvent(server, event, {
        key,
        address: '127.0.0.3',
        method: 'GET',
        path: orgPath(server),
        status: 403,
        errorCode: 'IP_ADDRESS_NOT_ON_ACCESS_LIST',
      }),
    );
    // The server's own address is no exception.
    await assertNotOnList(server, key, '127.0.0.1', '127.0.0.1');
  });

  test('a refused write from an address off the list changes nothing', async () => {
    const key = await mintKey(server, 'writer', ['ORG_OWNER']);
    await addEntries(server, key, [{ ipAddress: '127.0.0.2' }]);
    const users = `${V1}/groups/${server.credentials.groupId}/databaseUsers`;
    const body = {
      databaseName: '$external',
      username: 'refused-user',
      x509Type: 'MANAGED',
      roles: [{ roleName: 'readWrite', databaseName: 'app' }],
    };
    const event = await refusedWithoutChange(
      server,
      () => call(server, key, 'POST', users, { from: '127.0.0.4', body }),
      notOnAccessList('127.0.0.4'),
    );
    assert.deepEqual(
      event,
      refusalEvent(server, event, {
        key,
        address: '127.0.0.4',
        method: 'POST',
        path: users,
        status: 403,
        errorCode: 'IP_ADDRESS_NOT_ON_ACCESS_LIST',
      }),
    );
    // From its entry, the same request succeeds.
    const created = await call(server, key, 'POST', users, { from: '127.0.0.2', body });
    assert.equal(created.status, 201, created.text);
  });

  test('bad credentials from an address off the list get the Digest 401, not the 403, and no event', async () => {
    const key = await mintKey(server, 'wrong password');
    await addEntries(server, key, [{ ipAddress: '127.0.0.2' }]);
    const eventsBefore = (await eventIds(server)).size;
    const response = await call(
      server,
      // The last character changed (to a different one: a key may end in 0 already).
      { ...key, privateKey: `${key.privateKey.slice(0, -1)}${key.privateKey.endsWith('0') ? '1' : '0'}` },
      'GET',
      orgPath(server),
      {
        from: '127.0.0.3',
      },
    );
    assert.equal(response.status, 401);
    assert.equal(response.text, UNAUTHORIZED_BODY);
    assert.match(String(response.headers['www-authenticate']), /^Digest /);
    assert.equal((await eventIds(server)).size, eventsBefore);
  });

  test('CIDR edges: /30, /31, /32 and /8', async () => {
    const slash30 = await mintKey(server, '/30');
    await addEntries(server, slash30, [{ cidrBlock: '127.0.0.0/30' }]);
    for (const from of ['127.0.0.1', '127.0.0.2', '127.0.0.3']) await assertAdmitted(server, slash30, from);
    for (const from of ['127.0.0.4', '127.0.0.5', '127.0.1.1']) await assertNotOnList(server, slash30, from, from);

    const slash31 = await mintKey(server, '/31');
    await addEntries(server, slash31, [{ cidrBlock: '127.0.0.6/31' }]);
    await assertAdmitted(server, slash31, '127.0.0.6');
    await assertAdmitted(server, slash31, '127.0.0.7');
    await assertNotOnList(server, slash31, '127.0.0.5', '127.0.0.5');
    await assertNotOnList(server, slash31, '127.0.0.8', '127.0.0.8');

    const slash32 = await mintKey(server, '/32');
    await addEntries(server, slash32, [{ cidrBlock: '127.0.0.6/32' }]);
    await assertAdmitted(server, slash32, '127.0.0.6');
    await assertNotOnList(server, slash32, '127.0.0.7', '127.0.0.7');

    const slash8 = await mintKey(server, '/8');
    await addEntries(server, slash8, [{ cidrBlock: '127.0.0.0/8' }]);
    for (const from of ['127.0.0.1', '127.0.0.9', '127.1.2.3', '127.255.255.254']) {
      await assertAdmitted(server, slash8, from);
    }

    // Several entries: any of them admits.
    const several = await mintKey(server, 'several');
    await addEntries(server, several, [{ ipAddress: '127.0.0.20' }, { cidrBlock: '127.0.1.0/24' }]);
    await assertAdmitted(server, several, '127.0.0.20');
    await assertAdmitted(server, several, '127.0.1.77');
    await assertNotOnList(server, several, '127.0.0.21', '127.0.0.21');
    await assertNotOnList(server, several, '127.0.2.1', '127.0.2.1');
  });

  test('an IPv4 client never matches IPv6 entries', async () => {
    const key = await mintKey(server, 'v6 only');
    await addEntries(server, key, [{ ipAddress: '::1' }, { cidrBlock: '::/0' }]);
    await assertNotOnList(server, key, '127.0.0.1', '127.0.0.1');
  });

  test('deleting an entry stops its addresses at once; deleting the last one lifts the restriction', async () => {
    const key = await mintKey(server, 'shrinking');
    await addEntries(server, key, [{ ipAddress: '127.0.0.2' }, { ipAddress: '127.0.0.3' }]);
    await assertAdmitted(server, key, '127.0.0.2');
    await assertAdmitted(server, key, '127.0.0.3');
    assert.equal((await server.client.delete(`${accessListPath(server, key.id)}/127.0.0.2`)).status, 204);
    await assertNotOnList(server, key, '127.0.0.2', '127.0.0.2');
    await assertAdmitted(server, key, '127.0.0.3');
    // Adding one back admits it at once too.
    await addEntries(server, key, [{ cidrBlock: '127.0.0.2/32' }]);
    await assertAdmitted(server, key, '127.0.0.2');
    // A key whose list is emptied has no list: it works from anywhere again (unless its
    // organization requires a list, below).
    assert.equal((await server.client.delete(`${accessListPath(server, key.id)}/127.0.0.2`)).status, 204);
    assert.equal((await server.client.delete(`${accessListPath(server, key.id)}/127.0.0.3`)).status, 204);
    await assertAdmitted(server, key, '127.0.0.4');
  });

  test('deleting the key stops it at once, from its own entries too', async () => {
    const key = await mintKey(server, 'doomed');
    await addEntries(server, key, [{ ipAddress: '127.0.0.2' }]);
    await assertAdmitted(server, key, '127.0.0.2');
    const deleted = await server.client.delete(`${orgPath(server)}/apiKeys/${key.id}`);
    assert.equal(deleted.status, 204, deleted.text);
    const response = await probe(server, key, '127.0.0.2');
    assert.equal(response.status, 401);
    assert.equal(response.text, UNAUTHORIZED_BODY);
    assert.match(String(response.headers['www-authenticate']), /^Digest /);
    assert.deepEqual(
      await server.store.db.selectFrom('api_key_access_list').selectAll().where('api_key_id', '=', key.id).execute(),
      [],
      "the key's entries went with it",
    );
  });

  test('without trustProxy, X-Forwarded-For and its kin are ignored', async () => {
    const key = await mintKey(server, 'no proxy');
    await addEntries(server, key, [{ ipAddress: '127.0.0.2' }]);
    const forgeries: Array<Record<string, string>> = [
      { 'x-forwarded-for': '127.0.0.2' },
      { 'x-forwarded-for': '127.0.0.2, 127.0.0.1' },
      { forwarded: 'for=127.0.0.2' },
      { 'x-real-ip': '127.0.0.2' },
      { 'x-client-ip': '127.0.0.2' },
    ];
    for (const headers of forgeries) {
      const response = await call(server, key, 'GET', orgPath(server), { from: '127.0.0.3', headers });
      assertRefused(response, notOnAccessList('127.0.0.3'), JSON.stringify(headers));
    }
    server.clock.advance(1000);
    const response = await call(server, key, 'GET', orgPath(server), {
      from: '127.0.0.2',
      headers: { 'x-forwarded-for': '10.9.8.7' },
    });
    assertOk(response);
    const entry = await entryOf(server, key, '127.0.0.2');
    assert.equal(entry.lastUsedAddress, '127.0.0.2');
  });
});

describe('enforcement over IPv6 (server on ::)', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ clock: new TestClock(START), host: '::' });
  });
  after(() => server.close());

  test('an IPv6 client from ::1: ::1/128 admits, ::2/128 refuses, ::/127 admits', async () => {
    const exact = await mintKey(server, '::1');
    await addEntries(server, exact, [{ ipAddress: '::1' }]);
    await assertAdmitted(server, exact, '::1', '::1');
    assert.equal((await entryOf(server, exact, '::1')).lastUsedAddress, '::1');

    const other = await mintKey(server, '::2');
    await addEntries(server, other, [{ cidrBlock: '::2/128' }]);
    const event = await refusedWithoutChange(server, () => probe(server, other, '::1', '::1'), notOnAccessList('::1'));
    assert.equal(event.remoteAddress, '::1');
    assert.equal(event.errorCode, 'IP_ADDRESS_NOT_ON_ACCESS_LIST');

    const pair = await mintKey(server, '::/127');
    await addEntries(server, pair, [{ cidrBlock: '::/127' }]);
    await assertAdmitted(server, pair, '::1', '::1');

    const zero = await mintKey(server, '::/128');
    await addEntries(server, zero, [{ cidrBlock: '::/128' }]);
    await assertNotOnList(server, zero, '::1', '::1', '::1');

    const expanded = await mintKey(server, 'expanded');
    await addEntries(server, expanded, [{ ipAddress: '0000:0000:0000:0000:0000:0000:0000:0001' }]);
    await assertAdmitted(server, expanded, '::1', '::1');
  });

  test('an IPv4 client, seen as ::ffff:127.0.0.5, is 127.0.0.5: it matches IPv4 entries and is named so', async () => {
    const plain = await mintKey(server, 'v4 entry');
    await addEntries(server, plain, [{ ipAddress: '127.0.0.5' }]);
    server.clock.advance(1000);
    await assertAdmitted(server, plain, '127.0.0.5');
    const entry = await entryOf(server, plain, '127.0.0.5');
    assert.equal(entry.lastUsedAddress, '127.0.0.5');
    assert.equal(entry.count, 1);
    await assertNotOnList(server, plain, '127.0.0.6', '127.0.0.6');

    // Entries given in IPv4-mapped form are IPv4 entries.
    const mapped = await mintKey(server, 'mapped entry');
    const created = await server.client.post(accessListPath(server, mapped.id), [{ ipAddress: '::ffff:127.0.0.5' }]);
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(
      created
        .json()
        .results.map((result: { cidrBlock: string; ipAddress: string }) => [result.cidrBlock, result.ipAddress]),
      [['127.0.0.5/32', '127.0.0.5']],
    );
    await assertAdmitted(server, mapped, '127.0.0.5');

    const mappedBlock = await mintKey(server, 'mapped block');
    await addEntries(server, mappedBlock, [{ cidrBlock: '::ffff:127.0.0.0/104' }]);
    await assertAdmitted(server, mappedBlock, '127.0.0.5');
    await assertAdmitted(server, mappedBlock, '127.200.0.1');

    // The refusal names the IPv4 address, not its mapped form.
    const event = await refusedWithoutChange(
      server,
      () => probe(server, plain, '127.0.0.7'),
      notOnAccessList('127.0.0.7'),
    );
    assert.equal(event.remoteAddress, '127.0.0.7');
  });

  test('the families do not mix: ::1 is not 127.0.0.1, and IPv4 clients do not match IPv6 entries', async () => {
    const v4 = await mintKey(server, 'v4 loopback');
    await addEntries(server, v4, [{ ipAddress: '127.0.0.1' }, { cidrBlock: '0.0.0.0/0' }]);
    await assertAdmitted(server, v4, '127.0.0.1');
    await assertNotOnList(server, v4, '::1', '::1', '::1');

    const v6 = await mintKey(server, 'v6 everything');
    await addEntries(server, v6, [{ cidrBlock: '::/0' }]);
    await assertAdmitted(server, v6, '::1', '::1');
    await assertNotOnList(server, v6, '127.0.0.1', '127.0.0.1');
  });
});

describe('organizations that require an access list (apiAccessListRequired)', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
  });
  after(() => server.close());

  test('keys without entries get 403 RESOURCE_REQUIRES_ACCESS_LIST with their address; keys with entries keep working from them', async () => {
    const settingsPath = `${orgPath(server)}/settings`;
    const current = await server.client.get(settingsPath);
    assert.equal(current.status, 200, current.text);
    assert.deepEqual(current.json(), { apiAccessListRequired: false });

    // The administering key keeps access through an entry of its own.
    const admin = await bootstrapKey(server);
    await addEntries(server, admin, [{ ipAddress: '127.0.0.1' }]);
    const open = await mintKey(server, 'no entries', ['ORG_OWNER']);
    const listed = await mintKey(server, 'entries');
    await addEntries(server, listed, [{ cidrBlock: '127.0.0.0/30' }]);
    await assertAdmitted(server, open, '127.0.0.4');

    const changed = await server.client.patch(settingsPath, { apiAccessListRequired: true });
    assert.equal(changed.status, 200, changed.text);
    assert.deepEqual(changed.json(), { apiAccessListRequired: true });
    assert.deepEqual((await server.client.get(settingsPath)).json(), { apiAccessListRequired: true });

    server.clock.advance(1000);
    for (const from of ['127.0.0.4', '127.0.0.1']) {
      assertRefused(await probe(server, open, from), requiresAccessList(from), from);
    }
    // A write refused for that reason changes nothing and is on record.
    const users = `${V1}/groups/${server.credentials.groupId}/databaseUsers`;
    const body = {
      databaseName: '$external',
      username: 'nobody',
      x509Type: 'MANAGED',
      roles: [{ roleName: 'read', databaseName: 'app' }],
    };
    const event = await refusedWithoutChange(
      server,
      () => call(server, open, 'POST', users, { from: '127.0.0.4', body }),
      requiresAccessList('127.0.0.4'),
    );
    assert.deepEqual(
      event,
      refusalEvent(server, event, {
        key: open,
        address: '127.0.0.4',
        method: 'POST',
        path: users,
        status: 403,
        errorCode: 'RESOURCE_REQUIRES_ACCESS_LIST',
      }),
    );

    // Keys with entries: admitted from them, refused elsewhere as before.
    await assertAdmitted(server, listed, '127.0.0.2');
    await assertNotOnList(server, listed, '127.0.0.4', '127.0.0.4');

    // A key created now, without entries, is refused at once; one entry lets it in.
    const fresh = await mintKey(server, 'fresh');
    assertRefused(await probe(server, fresh, '127.0.0.9'), requiresAccessList('127.0.0.9'));
    await addEntries(server, fresh, [{ ipAddress: '127.0.0.9' }]);
    await assertAdmitted(server, fresh, '127.0.0.9');
    // Deleting its only entry leaves it with no list: refused again.
    assert.equal((await server.client.delete(`${accessListPath(server, fresh.id)}/127.0.0.9`)).status, 204);
    assertRefused(await probe(server, fresh, '127.0.0.9'), requiresAccessList('127.0.0.9'));

    // Turning the requirement off lets keys without entries in again.
    const off = await server.client.patch(settingsPath, { apiAccessListRequired: false });
    assert.equal(off.status, 200, off.text);
    assert.deepEqual(off.json(), { apiAccessListRequired: false });
    await assertAdmitted(server, open, '127.0.0.4');
    await assertNotOnList(server, listed, '127.0.0.4', '127.0.0.4');
  });
});

describe('behind a proxy: trustProxy true', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ clock: new TestClock(START), trustProxy: true });
  });
  after(() => server.close());

  test('X-Forwarded-For names the client', async () => {
    const key = await mintKey(server, 'proxied');
    await addEntries(server, key, [{ ipAddress: '127.0.0.2' }]);

    server.clock.advance(1000);
    const forwarded = await call(server, key, 'GET', orgPath(server), {
      from: '127.0.0.3',
      headers: { 'x-forwarded-for': '127.0.0.2' },
    });
    assertOk(forwarded);
    assert.equal((await entryOf(server, key, '127.0.0.2')).lastUsedAddress, '127.0.0.2');

    const mapped = await call(server, key, 'GET', orgPath(server), {
      from: '127.0.0.3',
      headers: { 'x-forwarded-for': '::ffff:127.0.0.2' },
    });
    assertOk(mapped);

    // The forwarded address is judged, not the proxy's.
    const event = await refusedWithoutChange(
      server,
      () =>
        call(server, key, 'GET', orgPath(server), { from: '127.0.0.2', headers: { 'x-forwarded-for': '10.1.2.3' } }),
      notOnAccessList('10.1.2.3'),
    );
    assert.equal(event.remoteAddress, '10.1.2.3');

    // Without the header, the connection's address.
    await assertAdmitted(server, key, '127.0.0.2');
    await assertNotOnList(server, key, '127.0.0.3', '127.0.0.3');

    // Whatever the proxy forwards that is no address admits nothing.
    for (const forwarded of ['not-an-address', '127.0.0.2:8080', '[127.0.0.2]', '127.0.0.2/32']) {
      const response = await call(server, key, 'GET', orgPath(server), {
        from: '127.0.0.2',
        headers: { 'x-forwarded-for': forwarded },
      });
      assert.equal(response.status, 403, `${forwarded}: ${response.text}`);
      assert.equal(response.json().errorCode, 'IP_ADDRESS_NOT_ON_ACCESS_LIST', forwarded);
    }
  });
});

describe('behind a proxy: trustProxy [127.0.0.1]', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({ clock: new TestClock(START), trustProxy: ['127.0.0.1'] });
  });
  after(() => server.close());

  test('X-Forwarded-For is believed from the trusted proxy only', async () => {
    const key = await mintKey(server, 'behind 127.0.0.1');
    await addEntries(server, key, [{ ipAddress: '127.0.0.2' }]);
    const get = (from: string, forwardedFor?: string) =>
      call(server, key, 'GET', orgPath(server), {
        from,
        ...(forwardedFor === undefined ? {} : { headers: { 'x-forwarded-for': forwardedFor } }),
      });

    // From the proxy: the forwarded address counts.
    assertOk(await get('127.0.0.1', '127.0.0.2'));
    assertRefused(await get('127.0.0.1', '127.0.0.3'), notOnAccessList('127.0.0.3'));
    // A chain is read from the right, through trusted hops only.
    assertOk(await get('127.0.0.1', '127.0.0.2, 127.0.0.1'));
    assertOk(await get('127.0.0.1', '10.0.0.9, 127.0.0.2'));
    assertRefused(await get('127.0.0.1', '127.0.0.2, 10.0.0.9'), notOnAccessList('10.0.0.9'));

    // From anyone else, a forged header is not believed.
    server.clock.advance(1000);
    const event = await refusedWithoutChange(server, () => get('127.0.0.3', '127.0.0.2'), notOnAccessList('127.0.0.3'));
    assert.equal(event.remoteAddress, '127.0.0.3');
    assertOk(await get('127.0.0.2', '10.0.0.9'));
    assert.equal((await entryOf(server, key, '127.0.0.2')).lastUsedAddress, '127.0.0.2');
  });
});
