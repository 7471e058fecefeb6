import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newObjectId } from '../../src/domain/ids.js';
import {
  assertAtlasError,
  type ErrorExpectation,
  groupNotFound,
  invalidAttribute,
  missingAttribute,
  resourceNotFound,
  usernameNotFound,
} from '../helpers/atlas-assert.js';
import { TestClock } from '../helpers/clock.js';
import type { ApiResponse } from '../helpers/digest-client.js';
import { scramMatches } from '../helpers/scram.js';
import { startTestServer, storedDatabaseUser, storeSnapshot, type TestServer, V1 } from '../helpers/server.js';

/**
 * Database users (`/api/atlas/v1.0/groups/{groupId}/databaseUsers[/{databaseName}/{username}]`):
 * the CloudDatabaseUser contract of shared/spec/atlas-api.md and every rule of
 * docs/compatibility.md "Database users". Most tests work in a project of their own, so
 * none depends on another's users.
 */

const START = '2024-03-10T10:00:00.000Z';
const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

let server: TestServer;
let projectCount = 0;

before(async () => {
  server = await startTestServer({ clock: new TestClock(START) });
});

after(() => server.close());

// ---------------------------------------------------------------------------------------------
// Helpers

async function newProject(): Promise<string> {
  const now = server.clock.now();
  const id = newObjectId(now);
  await server.store.projects.insert({
    id,
    orgId: server.credentials.orgId,
    name: `users-${++projectCount}`,
    tags: [],
    createdAt: now,
  });
  return id;
}

const usersPath = (groupId: string) => `${V1}/groups/${groupId}/databaseUsers`;

/** The path of one user, username fully percent-encoded; `databaseSegment` as sent. */
const userPath = (groupId: string, databaseSegment: string, username: string) =>
  `${usersPath(groupId)}/${databaseSegment}/${encodeURIComponent(username)}`;

/**
 * docs/compatibility.md: hrefs percent-encode path segments except RFC 3986 sub-delimiters
 * (and `:`/`@`, which RFC 3986 also allows in a segment), so `$external`, DNs and ARNs stay readable.
 */
function hrefSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/%(24|26|2B|2C|3B|3D|3A|40)/g, (_m, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
}

const READ_WRITE_APP = [{ databaseName: 'app', roleName: 'readWrite' }];

interface UserFields {
  username: string;
  databaseName: string;
  x509Type?: string;
  awsIAMType?: string;
  ldapAuthType?: string;
  oidcAuthType?: string;
  roles?: unknown[];
  scopes?: unknown[];
  labels?: unknown[];
  description?: string;
  deleteAfterDate?: string;
}

/** The CloudDatabaseUser dbcerts must answer, members in alphabetical order. */
function userBody(groupId: string, user: UserFields): Record<string, unknown> {
  const body: Record<string, unknown> = {
    awsIAMType: user.awsIAMType ?? 'NONE',
    databaseName: user.databaseName,
  };
  if (user.deleteAfterDate !== undefined) body.deleteAfterDate = user.deleteAfterDate;
  if (user.description !== undefined) body.description = user.description;
  Object.assign(body, {
    groupId,
    labels: user.labels ?? [],
    ldapAuthType: user.ldapAuthType ?? 'NONE',
    links: [
      {
        href: `${server.origin}${V1}/groups/${groupId}/databaseUsers/${hrefSegment(user.databaseName)}/${hrefSegment(user.username)}`,
        rel: 'self',
      },
    ],
    oidcAuthType: user.oidcAuthType ?? 'NONE',
    roles: user.roles ?? READ_WRITE_APP,
    scopes: user.scopes ?? [],
    username: user.username,
    x509Type: user.x509Type ?? 'NONE',
  });
  return body;
}

/** Sends a request that must be refused, and proves the store did not change. */
async function assertRefused(send: () => Promise<ApiResponse>, expected: ErrorExpectation): Promise<void> {
  const before = await storeSnapshot(server.store);
  assertAtlasError(await send(), expected);
  assert.equal(await storeSnapshot(server.store), before, 'a refused request changed the store');
}

async function create(groupId: string, body: Record<string, unknown>): Promise<ApiResponse> {
  const response = await server.client.post(usersPath(groupId), body);
  assert.equal(response.status, 201, response.text);
  return response;
}

const managed = (username: string, extra: Record<string, unknown> = {}) => ({
  databaseName: '$external',
  username,
  x509Type: 'MANAGED',
  roles: READ_WRITE_APP,
  ...extra,
});

/** A user on `databaseName` with readWrite@app; `fields` say how it authenticates. */
const userOn = (databaseName: string, username: string, fields: Record<string, unknown> = {}) => ({
  databaseName,
  username,
  ...fields,
  roles: READ_WRITE_APP,
});

const awsUser = (name: string, extra: Record<string, unknown> = {}) => ({
  databaseName: '$external',
  username: `arn:aws:iam::123456789012:user/${name}`,
  awsIAMType: 'USER',
  roles: READ_WRITE_APP,
  ...extra,
});

const iso = (milliseconds: number) => new Date(milliseconds).toISOString();

const storedRow = (groupId: string, databaseName: string, username: string) =>
  storedDatabaseUser(server.store, groupId, databaseName, username);

// ---------------------------------------------------------------------------------------------

describe('create and read', () => {
  test('an Atlas-managed X.509 user: 201, the whole body in alphabetical order with groupId, no password', async () => {
    server.clock.set(START);
    const groupId = await newProject();
    const response = await server.client.post(usersPath(groupId), {
      databaseName: '$external',
      groupId,
      roles: [
        { roleName: 'readWrite', databaseName: 'app', collectionName: 'orders' },
        { roleName: 'read', databaseName: 'reporting' },
      ],
      username: 'myX509User',
      x509Type: 'MANAGED',
    });
    assert.equal(response.status, 201, response.text);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const expected = {
      awsIAMType: 'NONE',
      databaseName: '$external',
      groupId,
      labels: [],
      ldapAuthType: 'NONE',
      links: [{ href: `${server.origin}${V1}/groups/${groupId}/databaseUsers/$external/myX509User`, rel: 'self' }],
      oidcAuthType: 'NONE',
      roles: [
        { collectionName: 'orders', databaseName: 'app', roleName: 'readWrite' },
        { databaseName: 'reporting', roleName: 'read' },
      ],
      scopes: [],
      username: 'myX509User',
      x509Type: 'MANAGED',
    };
    assert.deepEqual(response.json(), expected);
    assert.ok(!response.text.includes('password'));
    const got = await server.client.get(`${usersPath(groupId)}/$external/myX509User`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.json(), expected);
    // Member order too, nested role members included (collectionName first).
    assert.equal(response.text, JSON.stringify(expected));
    assert.equal(got.text, JSON.stringify(expected));
  });

  test('defaults: databaseName admin, every auth type NONE, scopes and labels [], no description or deleteAfterDate', async () => {
    const groupId = await newProject();
    const response = await server.client.post(usersPath(groupId), {
      username: 'scramUser',
      password: 'correct horse battery',
      roles: READ_WRITE_APP,
    });
    assert.equal(response.status, 201, response.text);
    assert.equal(response.text, JSON.stringify(userBody(groupId, { username: 'scramUser', databaseName: 'admin' })));
    assert.ok(!response.text.includes('password'));
    assert.ok(!response.text.includes('correct horse'));
  });

  test('a SCRAM password is kept only as SCRAM-SHA-256 credentials (15000 iterations), never in clear', async () => {
    const groupId = await newProject();
    await create(groupId, { username: 'kept', password: 'Sup3r-S3cret-Pa55', roles: READ_WRITE_APP });
    const row = await storedRow(groupId, 'admin', 'kept');
    assert.ok(row?.scram_sha256);
    const credentials = JSON.parse(row.scram_sha256);
    assert.equal(credentials.iterationCount, 15000);
    assert.ok(scramMatches(credentials, 'Sup3r-S3cret-Pa55'));
    assert.ok(!(await storeSnapshot(server.store)).includes('Sup3r-S3cret-Pa55'));
  });

  test('description, labels, scopes and deleteAfterDate are returned when set', async () => {
    server.clock.set(START);
    const groupId = await newProject();
    const response = await server.client.post(
      usersPath(groupId),
      awsUser('temp', {
        description: 'ci runner',
        labels: [{ key: 'team', value: 'data' }],
        scopes: [
          { name: 'Cluster0', type: 'CLUSTER' },
          { name: 'lake-1', type: 'DATA_LAKE' },
        ],
        deleteAfterDate: '2024-03-11T10:00:00Z',
      }),
    );
    assert.equal(response.status, 201, response.text);
    const expected = userBody(groupId, {
      username: 'arn:aws:iam::123456789012:user/temp',
      databaseName: '$external',
      awsIAMType: 'USER',
      deleteAfterDate: '2024-03-11T10:00:00Z',
      description: 'ci runner',
      labels: [{ key: 'team', value: 'data' }],
      scopes: [
        { name: 'Cluster0', type: 'CLUSTER' },
        { name: 'lake-1', type: 'DATA_LAKE' },
      ],
    });
    assert.deepEqual(response.json(), expected);
    const got = await server.client.get(userPath(groupId, '$external', 'arn:aws:iam::123456789012:user/temp'));
    assert.equal(got.status, 200);
    assert.deepEqual(got.json(), expected);
    // Alphabetical member order: deleteAfterDate and description come right after databaseName.
    assert.equal(response.text, JSON.stringify(expected));
    assert.equal(got.text, JSON.stringify(expected));
  });

  test('GET of an unknown user, or of a user on the other database → 404 USERNAME_NOT_FOUND', async () => {
    const groupId = await newProject();
    await create(groupId, managed('onlyExternal'));
    assertAtlasError(await server.client.get(`${usersPath(groupId)}/$external/nobody`), usernameNotFound('nobody'));
    assertAtlasError(
      await server.client.get(`${usersPath(groupId)}/admin/onlyExternal`),
      usernameNotFound('onlyExternal'),
    );
  });

  test('the list: creation order, links, totalCount, paging, includeCount=false', async () => {
    server.clock.set(START);
    const groupId = await newProject();
    const empty = await server.client.get(usersPath(groupId));
    assert.equal(empty.status, 200);
    assert.equal(
      empty.text,
      JSON.stringify({
        links: [{ href: `${server.origin}${usersPath(groupId)}?pageNum=1&itemsPerPage=100`, rel: 'self' }],
        results: [],
        totalCount: 0,
      }),
    );

    const names = ['userC', 'userA', 'userB'];
    for (const name of names) {
      server.clock.advance(1000);
      await create(groupId, managed(name));
    }
    const full = await server.client.get(usersPath(groupId));
    assert.equal(full.status, 200);
    assert.equal(
      full.text,
      JSON.stringify({
        links: [{ href: `${server.origin}${usersPath(groupId)}?pageNum=1&itemsPerPage=100`, rel: 'self' }],
        results: names.map((username) =>
          userBody(groupId, { username, databaseName: '$external', x509Type: 'MANAGED' }),
        ),
        totalCount: 3,
      }),
    );

    const href = (query: string) => `${server.origin}${usersPath(groupId)}?${query}`;
    const first = (await server.client.get(`${usersPath(groupId)}?itemsPerPage=2`)).json();
    assert.deepEqual(first.links, [
      { href: href('pageNum=1&itemsPerPage=2'), rel: 'self' },
      { href: href('pageNum=2&itemsPerPage=2'), rel: 'next' },
    ]);
    assert.deepEqual(
      first.results.map((user: { username: string }) => user.username),
      ['userC', 'userA'],
    );
    assert.equal(first.totalCount, 3);

    const second = (
      await server.client.get(`${usersPath(groupId)}?itemsPerPage=2&pageNum=2&includeCount=false`)
    ).json();
    assert.deepEqual(second.links, [
      { href: href('includeCount=false&pageNum=2&itemsPerPage=2'), rel: 'self' },
      { href: href('includeCount=false&pageNum=1&itemsPerPage=2'), rel: 'previous' },
    ]);
    assert.deepEqual(
      second.results.map((user: { username: string }) => user.username),
      ['userB'],
    );
    assert.equal('totalCount' in second, false);

    const past = (await server.client.get(`${usersPath(groupId)}?pageNum=5`)).json();
    assert.deepEqual(past.results, []);
    assert.equal(past.totalCount, 3);
  });

  test('envelope=true: the created user as {"content":…,"status":201}, the list gains status', async () => {
    const groupId = await newProject();
    const response = await server.client.post(`${usersPath(groupId)}?envelope=true`, managed('wrapped'));
    assert.equal(response.status, 201);
    const user = userBody(groupId, { username: 'wrapped', databaseName: '$external', x509Type: 'MANAGED' });
    assert.equal(response.text, JSON.stringify({ content: user, status: 201 }));
    const list = await server.client.get(`${usersPath(groupId)}?envelope=true`);
    assert.equal(
      list.text,
      JSON.stringify({
        links: [
          { href: `${server.origin}${usersPath(groupId)}?envelope=true&pageNum=1&itemsPerPage=100`, rel: 'self' },
        ],
        results: [user],
        status: 200,
        totalCount: 1,
      }),
    );
  });

  test('users of an unknown project → 404 GROUP_NOT_FOUND, store unchanged', async () => {
    const unknown = '0123456789abcdef01234567';
    await assertRefused(() => server.client.post(usersPath(unknown), managed('orphan')), groupNotFound(unknown));
  });
});

describe('PATCH', () => {
  test('partial: only the fields sent change; roles, labels and scopes are replaced as a whole', async () => {
    const groupId = await newProject();
    await create(
      groupId,
      managed('patched', {
        roles: [
          { roleName: 'read', databaseName: 'a' },
          { roleName: 'read', databaseName: 'b' },
        ],
        labels: [
          { key: 'k1', value: 'v1' },
          { key: 'k2', value: 'v2' },
        ],
        scopes: [{ name: 'Cluster0', type: 'CLUSTER' }],
      }),
    );
    const path = `${usersPath(groupId)}/$external/patched`;

    let response = await server.client.patch(path, { roles: [{ roleName: 'readWrite', databaseName: 'c' }] });
    assert.equal(response.status, 200, response.text);
    let expected = userBody(groupId, {
      username: 'patched',
      databaseName: '$external',
      x509Type: 'MANAGED',
      roles: [{ databaseName: 'c', roleName: 'readWrite' }],
      labels: [
        { key: 'k1', value: 'v1' },
        { key: 'k2', value: 'v2' },
      ],
      scopes: [{ name: 'Cluster0', type: 'CLUSTER' }],
    });
    assert.equal(response.text, JSON.stringify(expected));

    response = await server.client.patch(path, { labels: [{ key: 'k3', value: 'v3' }], description: 'now described' });
    assert.equal(response.status, 200, response.text);
    expected = { ...expected, description: 'now described', labels: [{ key: 'k3', value: 'v3' }] };
    assert.deepEqual(response.json(), expected);

    response = await server.client.patch(path, { scopes: [] });
    assert.equal(response.status, 200, response.text);
    expected = { ...expected, scopes: [] };
    assert.deepEqual(response.json(), expected);

    // ACLI's way: the identifying fields sent back unchanged are fine.
    response = await server.client.patch(path, {
      groupId,
      username: 'patched',
      databaseName: '$external',
      x509Type: 'MANAGED',
      awsIAMType: 'NONE',
      ldapAuthType: 'NONE',
      oidcAuthType: 'NONE',
    });
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.json(), expected);

    // An empty body changes nothing.
    response = await server.client.patch(path, {});
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.json(), expected);

    const got = await server.client.get(path);
    assert.equal(got.status, 200);
    assert.equal(
      got.text,
      JSON.stringify(
        userBody(groupId, {
          username: 'patched',
          databaseName: '$external',
          x509Type: 'MANAGED',
          roles: [{ databaseName: 'c', roleName: 'readWrite' }],
          labels: [{ key: 'k3', value: 'v3' }],
          description: 'now described',
        }),
      ),
    );
  });

  test('a SCRAM password change replaces the stored credentials; nothing else changes', async () => {
    const groupId = await newProject();
    await create(groupId, { username: 'rotating', password: 'first-password', roles: READ_WRITE_APP });
    const before = JSON.parse((await storedRow(groupId, 'admin', 'rotating'))!.scram_sha256!);
    assert.ok(scramMatches(before, 'first-password'));

    const response = await server.client.patch(`${usersPath(groupId)}/admin/rotating`, { password: 'second-password' });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.text, JSON.stringify(userBody(groupId, { username: 'rotating', databaseName: 'admin' })));
    const after = JSON.parse((await storedRow(groupId, 'admin', 'rotating'))!.scram_sha256!);
    assert.ok(scramMatches(after, 'second-password'));
    assert.ok(!scramMatches(after, 'first-password'));
    assert.notEqual(after.salt, before.salt);

    // A PATCH without a password keeps the credentials.
    assert.equal((await server.client.patch(`${usersPath(groupId)}/admin/rotating`, { description: 'd' })).status, 200);
    assert.deepEqual(JSON.parse((await storedRow(groupId, 'admin', 'rotating'))!.scram_sha256!), after);
  });

  test('changing username, databaseName or an auth type → 409, store unchanged', async () => {
    const groupId = await newProject();
    await create(groupId, managed('fixed'));
    const path = `${usersPath(groupId)}/$external/fixed`;
    await assertRefused(() => server.client.patch(path, { username: 'renamed' }), {
      status: 409,
      errorCode: 'DATABASE_USERNAME_CANNOT_BE_CHANGED',
      detail: 'Cannot modify the username of an existing database user.',
    });
    await assertRefused(() => server.client.patch(path, { databaseName: 'admin' }), {
      status: 409,
      errorCode: 'DATABASE_NAME_CANNOT_BE_CHANGED',
      detail: 'Cannot modify the authentication database of an existing database user.',
    });
    for (const change of [
      { x509Type: 'NONE' },
      { x509Type: 'CUSTOMER' },
      { awsIAMType: 'USER' },
      { ldapAuthType: 'USER' },
      { oidcAuthType: 'USER' },
    ]) {
      await assertRefused(() => server.client.patch(path, change), {
        status: 409,
        errorCode: 'AUTH_TYPE_CANNOT_BE_CHANGED',
        detail: 'Cannot modify the authentication type of an existing database user.',
      });
    }
  });

  test('a customer X.509 user: another DN is a rename (409), and so is a username that is no DN at all', async () => {
    const groupId = await newProject();
    const dn = 'CN=app,O=Example';
    await create(groupId, userOn('$external', dn, { x509Type: 'CUSTOMER' }));
    const path = userPath(groupId, '$external', dn);
    for (const username of ['CN=other,O=Example', 'CN=app,,O=Example', 'app']) {
      await assertRefused(() => server.client.patch(path, { username }), {
        status: 409,
        errorCode: 'DATABASE_USERNAME_CANNOT_BE_CHANGED',
        detail: 'Cannot modify the username of an existing database user.',
      });
    }
  });

  test('a SCRAM user cannot become another kind of user either', async () => {
    const groupId = await newProject();
    await create(groupId, { username: 'scrammy', password: 'password-1', roles: READ_WRITE_APP });
    await assertRefused(() => server.client.patch(`${usersPath(groupId)}/admin/scrammy`, { x509Type: 'MANAGED' }), {
      status: 409,
      errorCode: 'AUTH_TYPE_CANNOT_BE_CHANGED',
      detail: 'Cannot modify the authentication type of an existing database user.',
    });
  });

  test('refused PATCHes answer the create rules and change nothing', async () => {
    server.clock.set(START);
    const groupId = await newProject();
    await create(groupId, managed('strict'));
    await create(groupId, { username: 'scram', password: 'password-1', roles: READ_WRITE_APP });
    const x509Path = `${usersPath(groupId)}/$external/strict`;
    const scramPath = `${usersPath(groupId)}/admin/scram`;
    const otherGroup = '0123456789abcdef01234567';
    const cases: Array<[string, Record<string, unknown>, ErrorExpectation]> = [
      [
        x509Path,
        { password: 'password-2' },
        {
          status: 400,
          errorCode: 'ATLAS_X509_USER_CANNOT_USE_SCRAM',
          detail: 'Users cannot be configured for SCRAM and X.509 authentication.',
        },
      ],
      [
        x509Path,
        { deleteAfterDate: '2024-03-11T00:00:00Z' },
        {
          status: 400,
          errorCode: 'ATLAS_X509_USER_CANNOT_BE_TEMPORARY',
          detail: 'X.509 users cannot be temporary.',
        },
      ],
      [
        x509Path,
        { roles: [{ roleName: 'atlasAdmin', databaseName: 'app' }] },
        {
          status: 400,
          errorCode: 'ATLAS_INVALID_ROLE_DATABASE',
          detail: 'The specified role atlasAdmin only exists for database admin.',
          parameters: ['atlasAdmin', 'admin'],
        },
      ],
      [
        x509Path,
        { roles: [{ roleName: 'notARole', databaseName: 'app' }] },
        {
          status: 400,
          errorCode: 'ATLAS_INVALID_ROLE',
          detail: 'The specified role notARole@app does not exist.',
          parameters: ['notARole', 'app'],
        },
      ],
      [
        x509Path,
        {
          roles: [
            { roleName: 'read', databaseName: 'a' },
            { roleName: 'read', databaseName: 'a' },
          ],
        },
        {
          status: 400,
          errorCode: 'DUPLICATE_DATABASE_ROLES',
          detail: 'Duplicate database roles specified for user strict: read@a.',
          parameters: ['strict', 'read@a'],
        },
      ],
      [
        x509Path,
        { groupId: otherGroup },
        {
          status: 400,
          errorCode: 'GROUP_MISMATCH',
          detail: `The specified group ID ${otherGroup} does not match the URL.`,
          parameters: [otherGroup],
        },
      ],
      [x509Path, { nickname: 'x' }, invalidAttribute('nickname')],
      [
        x509Path,
        { x509Type: 'SOMETIMES' },
        {
          status: 400,
          errorCode: 'INVALID_ENUM_VALUE',
          detail: 'An invalid enumeration value SOMETIMES was specified.',
          parameters: ['SOMETIMES'],
        },
      ],
      [
        x509Path,
        { roles: 'readWrite' },
        {
          status: 400,
          errorCode: 'INVALID_JSON_ATTRIBUTE',
          detail: 'Received JSON for the roles attribute does not match expected format.',
          parameters: ['roles'],
        },
      ],
      [scramPath, { password: 'short' }, invalidAttribute('password')],
      [
        scramPath,
        { deleteAfterDate: '2024-03-09T10:00:00Z' },
        {
          status: 400,
          errorCode: 'INVALID_DELETE_AFTER_DATE',
          detail: 'The deleteAfterDate 2024-03-09T10:00:00.000Z must be in the future and within one week.',
          parameters: ['2024-03-09T10:00:00.000Z'],
        },
      ],
      [`${usersPath(groupId)}/admin/ghost`, { description: 'boo' }, usernameNotFound('ghost')],
      [`${usersPath(groupId)}/admin/strict`, { description: 'wrong database' }, usernameNotFound('strict')],
    ];
    for (const [path, body, expected] of cases) {
      await assertRefused(() => server.client.patch(path, body), expected);
    }
  });

  test('a SCRAM user may become temporary through PATCH', async () => {
    server.clock.set(START);
    const groupId = await newProject();
    await create(groupId, { username: 'soon-gone', password: 'password-1', roles: READ_WRITE_APP });
    const response = await server.client.patch(`${usersPath(groupId)}/admin/soon-gone`, {
      deleteAfterDate: '2024-03-12T10:00:00Z',
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.json().deleteAfterDate, '2024-03-12T10:00:00Z');
  });
});

describe('DELETE', () => {
  test('204 with an empty body; afterwards GET, PATCH and DELETE are 404 USERNAME_NOT_FOUND', async () => {
    const groupId = await newProject();
    await create(groupId, { username: 'doomed', password: 'password-1', roles: READ_WRITE_APP });
    await create(groupId, managed('survivor'));
    const path = `${usersPath(groupId)}/admin/doomed`;
    const response = await server.client.delete(path);
    assert.equal(response.status, 204);
    assert.equal(response.text, '');
    assertAtlasError(await server.client.get(path), usernameNotFound('doomed'));
    await assertRefused(() => server.client.patch(path, { description: 'x' }), usernameNotFound('doomed'));
    await assertRefused(() => server.client.delete(path), usernameNotFound('doomed'));
    assert.equal(await storedRow(groupId, 'admin', 'doomed'), undefined);
    const list = (await server.client.get(usersPath(groupId))).json();
    assert.deepEqual(
      list.results.map((user: { username: string }) => user.username),
      ['survivor'],
    );
    assert.equal(list.totalCount, 1);
  });

  test('deleting a managed X.509 user revokes its certificates: they leave the certs list', async () => {
    server.clock.set(START);
    const groupId = await newProject();
    await create(groupId, managed('certHolder'));
    const certs = `${usersPath(groupId)}/certHolder/certs`;
    for (const months of [3, 6]) {
      const issued = await server.client.post(certs, { monthsUntilExpiration: months });
      assert.equal(issued.status, 201, issued.text);
    }
    const listed = (await server.client.get(certs)).json();
    assert.equal(listed.totalCount, 2);
    const serials = listed.results.map((certificate: { _id: bigint | number }) => BigInt(certificate._id));

    server.clock.set('2024-03-10T12:34:56.000Z');
    const response = await server.client.delete(`${usersPath(groupId)}/$external/certHolder`);
    assert.equal(response.status, 204);
    assert.equal(response.text, '');

    for (const serial of serials) {
      const certificate = await server.store.certificates.find(serial);
      assert.ok(certificate, `certificate ${serial} is kept (revoked), not erased`);
      assert.equal(certificate.revokedAt?.toISOString(), '2024-03-10T12:34:56.000Z');
    }
    assertAtlasError(await server.client.get(certs), usernameNotFound('certHolder'));

    // A new user of the same name does not inherit them.
    await create(groupId, managed('certHolder'));
    const fresh = await server.client.get(certs);
    assert.equal(fresh.status, 200);
    assert.deepEqual(fresh.json().results, []);
    assert.equal(fresh.json().totalCount, 0);
  });
});

describe('uniqueness and the per-project limit', () => {
  test('the same (database, username) twice → 409 USER_ALREADY_EXISTS; the other database is free', async () => {
    const groupId = await newProject();
    await create(groupId, managed('twin'));
    await assertRefused(
      () =>
        server.client.post(usersPath(groupId), managed('twin', { roles: [{ roleName: 'read', databaseName: 'x' }] })),
      {
        status: 409,
        errorCode: 'USER_ALREADY_EXISTS',
        detail: 'A user with username twin already exists.',
        parameters: ['twin'],
      },
    );
    await create(groupId, { username: 'twin', password: 'password-1', roles: READ_WRITE_APP });
    assert.equal((await server.client.get(usersPath(groupId))).json().totalCount, 2);
  });

  test('the same username in another project is another user', async () => {
    const first = await newProject();
    const second = await newProject();
    await create(first, managed('everywhere'));
    await create(second, managed('everywhere'));
    assert.equal((await server.client.delete(`${usersPath(first)}/$external/everywhere`)).status, 204);
    assert.equal((await server.client.get(`${usersPath(second)}/$external/everywhere`)).status, 200);
  });

  test('100 users per project: the 101st → 403 GROUP_USERS_LIMIT_EXCEEDED; expired and deleted users free a place', async () => {
    server.clock.set(START);
    const groupId = await newProject();
    const limit: ErrorExpectation = {
      status: 403,
      errorCode: 'GROUP_USERS_LIMIT_EXCEEDED',
      detail: 'Groups can contain at most 100 database users.',
      parameters: [100],
    };
    // 99 managed users and one temporary AWS IAM user that expires in an hour.
    for (let batch = 0; batch < 99; batch += 33) {
      await Promise.all(
        Array.from({ length: 33 }, (_, i) => create(groupId, managed(`bulk-${String(batch + i).padStart(3, '0')}`))),
      );
    }
    await create(groupId, awsUser('temporary', { deleteAfterDate: iso(Date.parse(START) + HOUR) }));
    assert.equal((await server.client.get(`${usersPath(groupId)}?itemsPerPage=1`)).json().totalCount, 100);

    await assertRefused(() => server.client.post(usersPath(groupId), managed('one-too-many')), limit);
    await assertRefused(
      () =>
        server.client.post(usersPath(groupId), {
          username: 'scram-too-many',
          password: 'password-1',
          roles: READ_WRITE_APP,
        }),
      limit,
    );

    // The temporary user is gone an hour later: its place is free again.
    server.clock.advance(HOUR);
    await create(groupId, managed('replacement'));
    await assertRefused(() => server.client.post(usersPath(groupId), managed('one-too-many')), limit);

    assert.equal((await server.client.delete(`${usersPath(groupId)}/$external/bulk-000`)).status, 204);
    await create(groupId, managed('one-too-many'));
    assert.equal((await server.client.get(`${usersPath(groupId)}?itemsPerPage=1`)).json().totalCount, 100);
  });
});

describe('domain rules (docs/compatibility.md "Database users")', () => {
  let groupId: string;

  before(async () => {
    server.clock.set(START);
    groupId = await newProject();
    // The project's one custom role (roles that are neither built in nor custom are refused).
    const role = await server.client.post(`${V1}/groups/${groupId}/customDBRoles/roles`, {
      actions: [{ action: 'FIND', resources: [{ db: 'app' }] }],
      roleName: 'myCustomRole',
    });
    assert.equal(role.status, 202, role.text);
  });

  const EXTERNAL_ONLY: ErrorExpectation = {
    status: 400,
    errorCode: 'DATABASE_NAME_INVALID_EXTERNAL',
    detail: 'Database name invalid. Externally authenticated users can only be created on the $external database.',
  };
  const adminOnly = (label: string): ErrorExpectation => ({
    status: 400,
    errorCode: 'DATABASE_NAME_INVALID_ADMIN',
    detail: `Database name invalid. ${label} can only be created on the admin database.`,
    parameters: [label],
  });
  const invalidUsername = (username: string): ErrorExpectation => ({
    status: 400,
    errorCode: 'ATLAS_INVALID_USERNAME',
    detail: `The specified username ${username} is not valid for an Atlas database user.`,
    parameters: [username],
  });
  const invalidManaged = (username: string): ErrorExpectation => ({
    status: 400,
    errorCode: 'ATLAS_MANAGED_X509_NAME_INVALID',
    detail: `The username ${username} is invalid for Atlas-managed X.509 user auth. These usernames must take the form CN=<username> with no additional OIDs.`,
    parameters: [username],
  });
  const invalidDn = (username: string): ErrorExpectation => ({
    status: 400,
    errorCode: 'ATLAS_INVALID_LDAP_NAME',
    detail: `The distinguished name specified in the username field, ${username}, is not valid according to RFC 2253.`,
    parameters: [username],
  });
  const invalidRole = (role: string, target: string): ErrorExpectation => ({
    status: 400,
    errorCode: 'ATLAS_INVALID_ROLE',
    detail: `The specified role ${role}@${target} does not exist.`,
    parameters: [role, target],
  });
  const onlyOnAdmin = (role: string): ErrorExpectation => ({
    status: 400,
    errorCode: 'ATLAS_INVALID_ROLE_DATABASE',
    detail: `The specified role ${role} only exists for database admin.`,
    parameters: [role, 'admin'],
  });
  const restrictedRole = (role: string, target: string): ErrorExpectation => ({
    status: 400,
    errorCode: 'ATLAS_RESTRICTED_ROLE',
    detail: `The specified role ${role}@${target} is restricted.`,
    parameters: [role, target],
  });
  const badDeleteAfter = (instant: string): ErrorExpectation => ({
    status: 400,
    errorCode: 'INVALID_DELETE_AFTER_DATE',
    detail: `The deleteAfterDate ${instant} must be in the future and within one week.`,
    parameters: [instant],
  });
  const X509_PASSWORD: ErrorExpectation = {
    status: 400,
    errorCode: 'ATLAS_X509_USER_CANNOT_USE_SCRAM',
    detail: 'Users cannot be configured for SCRAM and X.509 authentication.',
  };
  const X509_TEMPORARY: ErrorExpectation = {
    status: 400,
    errorCode: 'ATLAS_X509_USER_CANNOT_BE_TEMPORARY',
    detail: 'X.509 users cannot be temporary.',
  };
  const DN = 'CN=david@example.com,OU=users,DC=example,DC=com';
  const OIDC = '65f0c0ffee0123456789abcd';
  const inAnHour = iso(Date.parse(START) + HOUR);

  const refusals = (): Array<[string, Record<string, unknown>, ErrorExpectation]> => [
    // X.509 with a password or an expiry
    ['managed X.509 with a password', managed('x', { password: 'password-1' }), X509_PASSWORD],
    [
      'customer X.509 with a password',
      userOn('$external', DN, { x509Type: 'CUSTOMER', password: 'password-1' }),
      X509_PASSWORD,
    ],
    ['managed X.509 with deleteAfterDate', managed('x', { deleteAfterDate: inAnHour }), X509_TEMPORARY],
    [
      'customer X.509 with deleteAfterDate',
      userOn('$external', DN, { x509Type: 'CUSTOMER', deleteAfterDate: inAnHour }),
      X509_TEMPORARY,
    ],
    // external vs admin
    ['managed X.509 on admin', managed('x', { databaseName: 'admin' }), EXTERNAL_ONLY],
    [
      'managed X.509 without databaseName (admin by default)',
      { username: 'x', x509Type: 'MANAGED', roles: READ_WRITE_APP },
      EXTERNAL_ONLY,
    ],
    ['customer X.509 on admin', userOn('admin', DN, { x509Type: 'CUSTOMER' }), EXTERNAL_ONLY],
    ['AWS IAM on admin', awsUser('x', { databaseName: 'admin' }), EXTERNAL_ONLY],
    ['LDAP user on admin', userOn('admin', DN, { ldapAuthType: 'USER' }), EXTERNAL_ONLY],
    ['OIDC workload user on admin', userOn('admin', `${OIDC}/svc`, { oidcAuthType: 'USER' }), EXTERNAL_ONLY],
    ['SCRAM on $external', userOn('$external', 'x', { password: 'password-1' }), adminOnly('SCRAM users')],
    ['LDAP group on $external', userOn('$external', DN, { ldapAuthType: 'GROUP' }), adminOnly('LDAP groups')],
    [
      'OIDC workforce group on $external',
      userOn('$external', `${OIDC}/group`, { oidcAuthType: 'IDP_GROUP' }),
      adminOnly('OIDC Workforce groups'),
    ],
    // one authentication method
    [
      'X.509 with LDAP',
      managed('x', { ldapAuthType: 'USER' }),
      {
        status: 400,
        errorCode: 'ATLAS_X509_USER_CANNOT_USE_LDAP',
        detail: 'Users cannot be configured for X.509 and LDAP authentication.',
      },
    ],
    [
      'AWS IAM with OIDC',
      awsUser('x', { oidcAuthType: 'USER' }),
      {
        status: 400,
        errorCode: 'MULTIPLE_AUTH_TYPES',
        detail: 'A database user can use only one authentication method; awsIAMType, oidcAuthType were specified.',
        parameters: ['awsIAMType, oidcAuthType'],
      },
    ],
    [
      'X.509 with AWS IAM',
      managed('x', { awsIAMType: 'ROLE' }),
      {
        status: 400,
        errorCode: 'MULTIPLE_AUTH_TYPES',
        detail: 'A database user can use only one authentication method; x509Type, awsIAMType were specified.',
        parameters: ['x509Type, awsIAMType'],
      },
    ],
    // passwords
    ['SCRAM without a password', { username: 'nopass', roles: READ_WRITE_APP }, missingAttribute('password')],
    ['AWS IAM with a password', awsUser('x', { password: 'password-1' }), invalidAttribute('password')],
    [
      'LDAP user with a password',
      userOn('$external', DN, { ldapAuthType: 'USER', password: 'password-1' }),
      invalidAttribute('password'),
    ],
    [
      'a password under 8 characters',
      { username: 'shorty', password: 'seven77', roles: READ_WRITE_APP },
      invalidAttribute('password'),
    ],
    // usernames
    [
      'a username with a control character',
      { username: 'bad\u0001name', password: 'password-1', roles: READ_WRITE_APP },
      invalidUsername('bad\u0001name'),
    ],
    ['a username with DEL', managed('bad\u007fname'), invalidUsername('bad\u007fname')],
    [
      'a 1025-character username',
      { username: 'u'.repeat(1025), password: 'password-1', roles: READ_WRITE_APP },
      invalidUsername('u'.repeat(1025)),
    ],
    ['an empty username', { username: '', password: 'password-1', roles: READ_WRITE_APP }, invalidUsername('')],
    ['managed DN with two RDNs', managed('CN=a,OU=b'), invalidManaged('CN=a,OU=b')],
    ['managed DN that is not a CN', managed('OU=b'), invalidManaged('OU=b')],
    ['managed multi-valued RDN', managed('CN=a+OU=b'), invalidManaged('CN=a+OU=b')],
    ['managed empty CN', managed('CN='), invalidManaged('CN=')],
    ['managed DN that does not parse', managed('XYZZY=a'), invalidManaged('XYZZY=a')],
    [
      'customer X.509 name that is not a DN',
      userOn('$external', 'david', { x509Type: 'CUSTOMER' }),
      invalidDn('david'),
    ],
    [
      'customer X.509 DN with a dangling comma',
      userOn('$external', 'CN=a,', { x509Type: 'CUSTOMER' }),
      invalidDn('CN=a,'),
    ],
    ['LDAP user name that is not a DN', userOn('$external', 'jdoe', { ldapAuthType: 'USER' }), invalidDn('jdoe')],
    ['LDAP group name that is not a DN', userOn('admin', 'admins', { ldapAuthType: 'GROUP' }), invalidDn('admins')],
    ['AWS IAM name that is not an ARN', userOn('$external', 'alice', { awsIAMType: 'USER' }), invalidUsername('alice')],
    [
      'AWS IAM ARN with a short account',
      userOn('$external', 'arn:aws:iam::12345:user/alice', { awsIAMType: 'USER' }),
      invalidUsername('arn:aws:iam::12345:user/alice'),
    ],
    [
      'AWS IAM ARN of a group',
      userOn('$external', 'arn:aws:iam::123456789012:group/devs', { awsIAMType: 'ROLE' }),
      invalidUsername('arn:aws:iam::123456789012:group/devs'),
    ],
    ['OIDC name without an IdP id', userOn('$external', 'svc', { oidcAuthType: 'USER' }), invalidUsername('svc')],
    [
      'OIDC name with a short IdP id',
      userOn('admin', '65f0c0ffee/group', { oidcAuthType: 'IDP_GROUP' }),
      invalidUsername('65f0c0ffee/group'),
    ],
    // roles
    ['no roles', { databaseName: '$external', username: 'x', x509Type: 'MANAGED' }, missingAttribute('roles')],
    ['empty roles', managed('x', { roles: [] }), missingAttribute('roles')],
    ...[
      'atlasAdmin',
      'backup',
      'clusterMonitor',
      'enableSharding',
      'readAnyDatabase',
      'readWriteAnyDatabase',
      'dbAdminAnyDatabase',
      'myCustomRole',
    ].map((role): [string, Record<string, unknown>, ErrorExpectation] => [
      `admin-only role ${role} on another database`,
      managed('x', { roles: [{ roleName: role, databaseName: 'app' }] }),
      onlyOnAdmin(role),
    ]),
    ...['root', 'dbOwner', 'userAdmin', 'userAdminAnyDatabase', 'clusterAdmin', 'restore', '__system'].map(
      (role): [string, Record<string, unknown>, ErrorExpectation] => [
        `${role}, a MongoDB role Atlas does not grant`,
        managed('x', { roles: [{ roleName: role, databaseName: 'admin' }] }),
        restrictedRole(role, 'admin'),
      ],
    ),
    [
      'a role that is neither built in nor a custom role of the project',
      managed('x', { roles: [{ roleName: 'readOnlyAnalytics', databaseName: 'admin' }] }),
      invalidRole('readOnlyAnalytics', 'admin'),
    ],
    [
      'a custom role on a collection of admin',
      managed('x', { roles: [{ roleName: 'myCustomRole', databaseName: 'admin', collectionName: 'c' }] }),
      invalidRole('myCustomRole', 'admin.c'),
    ],
    [
      'a built-in role in another case',
      managed('x', { roles: [{ roleName: 'ReadWrite', databaseName: 'app' }] }),
      invalidRole('ReadWrite', 'app'),
    ],
    [
      'admin-only role on a collection of admin',
      managed('x', { roles: [{ roleName: 'backup', databaseName: 'admin', collectionName: 'c' }] }),
      invalidRole('backup', 'admin.c'),
    ],
    [
      'a repeated role',
      managed('dup', {
        roles: [
          { roleName: 'read', databaseName: 'app' },
          { roleName: 'readWrite', databaseName: 'app' },
          { roleName: 'read', databaseName: 'app' },
        ],
      }),
      {
        status: 400,
        errorCode: 'DUPLICATE_DATABASE_ROLES',
        detail: 'Duplicate database roles specified for user dup: read@app.',
        parameters: ['dup', 'read@app'],
      },
    ],
    [
      'a repeated collection role',
      managed('dup', {
        roles: [
          { roleName: 'read', databaseName: 'app', collectionName: 'c' },
          { roleName: 'read', databaseName: 'app', collectionName: 'c' },
        ],
      }),
      {
        status: 400,
        errorCode: 'DUPLICATE_DATABASE_ROLES',
        detail: 'Duplicate database roles specified for user dup: read@app.c.',
        parameters: ['dup', 'read@app.c'],
      },
    ],
    // deleteAfterDate window
    [
      'deleteAfterDate in the past',
      awsUser('t', { deleteAfterDate: '2024-03-10T09:59:59Z' }),
      badDeleteAfter('2024-03-10T09:59:59.000Z'),
    ],
    ['deleteAfterDate now', awsUser('t', { deleteAfterDate: START }), badDeleteAfter(START)],
    [
      'deleteAfterDate a second over 7 days',
      awsUser('t', { deleteAfterDate: '2024-03-17T10:00:01Z' }),
      badDeleteAfter('2024-03-17T10:00:01.000Z'),
    ],
    [
      'deleteAfterDate that is not a date-time',
      awsUser('t', { deleteAfterDate: 'tomorrow' }),
      invalidAttribute('deleteAfterDate'),
    ],
    // the project
    [
      'a groupId other than the path’s',
      managed('x', { groupId: '0123456789abcdef01234567' }),
      {
        status: 400,
        errorCode: 'GROUP_MISMATCH',
        detail: 'The specified group ID 0123456789abcdef01234567 does not match the URL.',
        parameters: ['0123456789abcdef01234567'],
      },
    ],
  ];

  test('every refused create has its exact Atlas error and changes nothing', async (t) => {
    server.clock.set(START);
    for (const [name, body, expected] of refusals()) {
      await t.test(name, async () => {
        await assertRefused(() => server.client.post(usersPath(groupId), body), expected);
      });
    }
  });

  test('the accepted counterparts: each method on its own database, with its username form', async (t) => {
    server.clock.set(START);
    const accepted: Array<[string, Record<string, unknown>]> = [
      ['customer X.509 with a DN', userOn('$external', DN, { x509Type: 'CUSTOMER' })],
      ['LDAP user with a DN', userOn('$external', 'CN=jdoe,OU=people,DC=example,DC=com', { ldapAuthType: 'USER' })],
      ['LDAP group on admin', userOn('admin', 'CN=admins,OU=groups,DC=example,DC=com', { ldapAuthType: 'GROUP' })],
      ['AWS IAM user ARN', awsUser('alice')],
      ['AWS IAM role ARN', userOn('$external', 'arn:aws:iam::123456789012:role/app-server', { awsIAMType: 'ROLE' })],
      ['OIDC workload user', userOn('$external', `${OIDC}/svc-account`, { oidcAuthType: 'USER' })],
      ['OIDC workforce group on admin', userOn('admin', `${OIDC}/engineers`, { oidcAuthType: 'IDP_GROUP' })],
      ['a 1024-character username', { username: 'u'.repeat(1024), password: 'password-1', roles: READ_WRITE_APP }],
      [
        'admin-only roles on admin',
        managed('admin-roles', {
          roles: [
            { roleName: 'atlasAdmin', databaseName: 'admin' },
            { roleName: 'readWriteAnyDatabase', databaseName: 'admin' },
            { roleName: 'clusterMonitor', databaseName: 'admin' },
          ],
        }),
      ],
      [
        'one role on a database and on one of its collections',
        managed('scoped-roles', {
          roles: [
            { roleName: 'read', databaseName: 'app' },
            { roleName: 'read', databaseName: 'app', collectionName: 'c' },
            { roleName: 'readWrite', databaseName: 'app' },
          ],
        }),
      ],
      [
        'a custom role of the project (on admin), with a built-in role',
        managed('custom-role', {
          roles: [
            { roleName: 'myCustomRole', databaseName: 'admin' },
            { roleName: 'read', databaseName: 'app' },
          ],
        }),
      ],
      ['a groupId equal to the path’s', managed('same-group', { groupId })],
      ['deleteAfterDate exactly 7 days ahead', awsUser('week', { deleteAfterDate: '2024-03-17T10:00:00Z' })],
      ['deleteAfterDate a second ahead', awsUser('second', { deleteAfterDate: '2024-03-10T10:00:01Z' })],
    ];
    for (const [name, body] of accepted) {
      await t.test(name, async () => {
        const response = await server.client.post(usersPath(groupId), body);
        assert.equal(response.status, 201, response.text);
        const { password: _password, groupId: _groupId, ...fields } = body;
        const expected = userBody(groupId, { databaseName: 'admin', ...fields } as unknown as UserFields);
        if (typeof body.deleteAfterDate === 'string') expected.deleteAfterDate = body.deleteAfterDate;
        assert.deepEqual(response.json(), JSON.parse(JSON.stringify(expected)));
      });
    }
  });

  test('managed X.509: `CN=alice` is accepted and its certificate subject is CN=alice', async () => {
    server.clock.set(START);
    const project = await newProject();
    const response = await server.client.post(usersPath(project), managed('CN=alice'));
    assert.equal(response.status, 201, response.text);
    assert.equal(response.json().username, 'CN=alice');
    const certs = `${usersPath(project)}/${encodeURIComponent('CN=alice')}/certs`;
    assert.equal((await server.client.post(certs, {})).status, 201);
    const listed = (await server.client.get(certs)).json();
    assert.equal(listed.totalCount, 1);
    assert.equal(listed.results[0].subject, 'CN=alice');
  });

  test('managed X.509: a plain name with RFC 2253 specials gets an escaped CN subject', async () => {
    server.clock.set(START);
    const project = await newProject();
    await create(project, managed('Smith, John+Jr'));
    const certs = `${usersPath(project)}/${encodeURIComponent('Smith, John+Jr')}/certs`;
    assert.equal((await server.client.post(certs, {})).status, 201);
    assert.equal((await server.client.get(certs)).json().results[0].subject, 'CN=Smith\\, John\\+Jr');
  });
});

describe('temporary users', () => {
  test('a temporary user disappears at its deleteAfterDate, from every read, and its name is free again', async () => {
    server.clock.set(START);
    const groupId = await newProject();
    await create(groupId, managed('permanent'));
    const deleteAfter = '2024-03-10T13:00:00Z';
    await create(groupId, {
      username: 'temp',
      password: 'password-1',
      roles: READ_WRITE_APP,
      deleteAfterDate: deleteAfter,
    });
    const path = `${usersPath(groupId)}/admin/temp`;

    server.clock.set('2024-03-10T12:59:59.999Z');
    const before = await server.client.get(path);
    assert.equal(before.status, 200);
    assert.equal(before.json().deleteAfterDate, deleteAfter);
    assert.equal((await server.client.get(usersPath(groupId))).json().totalCount, 2);

    server.clock.set(deleteAfter);
    assertAtlasError(await server.client.get(path), usernameNotFound('temp'));
    const list = (await server.client.get(usersPath(groupId))).json();
    assert.deepEqual(
      list.results.map((user: { username: string }) => user.username),
      ['permanent'],
    );
    assert.equal(list.totalCount, 1);
    assertAtlasError(await server.client.patch(path, { description: 'late' }), usernameNotFound('temp'));
    assertAtlasError(await server.client.delete(path), usernameNotFound('temp'));

    // The next write purges it; the name can be taken again.
    const again = await server.client.post(usersPath(groupId), {
      username: 'temp',
      password: 'password-2',
      roles: READ_WRITE_APP,
    });
    assert.equal(again.status, 201, again.text);
    assert.equal('deleteAfterDate' in again.json(), false);
    assert.equal((await server.client.get(path)).status, 200);
  });
});

describe('request bodies', () => {
  let groupId: string;

  before(async () => {
    groupId = await newProject();
  });

  const cases = (): Array<[string, unknown, ErrorExpectation]> => [
    ['an unknown attribute', { ...managed('x'), nickname: 'y' }, invalidAttribute('nickname')],
    ['the read-only links', { ...managed('x'), links: [] }, invalidAttribute('links')],
    [
      'an unknown attribute inside a role',
      managed('x', { roles: [{ roleName: 'read', databaseName: 'app', db: 'app' }] }),
      invalidAttribute('db'),
    ],
    [
      'a numeric username',
      managed('x', { username: 42 }),
      {
        status: 400,
        errorCode: 'INVALID_JSON_ATTRIBUTE',
        detail: 'Received JSON for the username attribute does not match expected format.',
        parameters: ['username'],
      },
    ],
    [
      'roles as a string',
      managed('x', { roles: 'readWrite' }),
      {
        status: 400,
        errorCode: 'INVALID_JSON_ATTRIBUTE',
        detail: 'Received JSON for the roles attribute does not match expected format.',
        parameters: ['roles'],
      },
    ],
    [
      'labels as an object',
      managed('x', { labels: { key: 'k', value: 'v' } }),
      {
        status: 400,
        errorCode: 'INVALID_JSON_ATTRIBUTE',
        detail: 'Received JSON for the labels attribute does not match expected format.',
        parameters: ['labels'],
      },
    ],
    [
      'an unknown x509Type',
      managed('x', { x509Type: 'SELF_SIGNED' }),
      {
        status: 400,
        errorCode: 'INVALID_ENUM_VALUE',
        detail: 'An invalid enumeration value SELF_SIGNED was specified.',
        parameters: ['SELF_SIGNED'],
      },
    ],
    [
      'a lowercase enum value',
      managed('x', { x509Type: 'managed' }),
      {
        status: 400,
        errorCode: 'INVALID_ENUM_VALUE',
        detail: 'An invalid enumeration value managed was specified.',
        parameters: ['managed'],
      },
    ],
    [
      'an unknown databaseName',
      managed('x', { databaseName: 'local' }),
      {
        status: 400,
        errorCode: 'INVALID_ENUM_VALUE',
        detail: 'An invalid enumeration value local was specified.',
        parameters: ['local'],
      },
    ],
    [
      'an unknown scope type',
      managed('x', { scopes: [{ name: 'Cluster0', type: 'SERVERLESS' }] }),
      {
        status: 400,
        errorCode: 'INVALID_ENUM_VALUE',
        detail: 'An invalid enumeration value SERVERLESS was specified.',
        parameters: ['SERVERLESS'],
      },
    ],
    [
      'no username',
      { databaseName: '$external', x509Type: 'MANAGED', roles: READ_WRITE_APP },
      missingAttribute('username'),
    ],
    [
      'a description over 100 characters',
      managed('x', { description: 'd'.repeat(101) }),
      invalidAttribute('description'),
    ],
    [
      'a body that is an array',
      [managed('x')],
      {
        status: 400,
        errorCode: 'INVALID_JSON',
        detail: 'Received JSON does not match expected format.',
      },
    ],
  ];

  test('each malformed body has its exact Atlas error and changes nothing', async (t) => {
    for (const [name, body, expected] of cases()) {
      await t.test(name, async () => {
        await assertRefused(() => server.client.post(usersPath(groupId), body), expected);
      });
    }
  });

  test('unparseable JSON → 400 MALFORMED_JSON', async () => {
    await assertRefused(
      () =>
        server.client.request(usersPath(groupId), {
          method: 'POST',
          rawBody: '{"username": ',
          headers: { 'content-type': 'application/json' },
        }),
      { status: 400, errorCode: 'MALFORMED_JSON', detail: 'Received JSON is malformed.' },
    );
  });

  test('the same body rules apply to PATCH', async () => {
    await create(groupId, managed('patchable'));
    const path = `${usersPath(groupId)}/$external/patchable`;
    await assertRefused(() => server.client.patch(path, { labels: [{ key: 'k' }] }), missingAttribute('labels.value'));
    await assertRefused(() => server.client.patch(path, { description: 7 }), {
      status: 400,
      errorCode: 'INVALID_JSON_ATTRIBUTE',
      detail: 'Received JSON for the description attribute does not match expected format.',
      parameters: ['description'],
    });
    await assertRefused(() => server.client.patch(path, { ldapAuthType: 'BOTH' }), {
      status: 400,
      errorCode: 'INVALID_ENUM_VALUE',
      detail: 'An invalid enumeration value BOTH was specified.',
      parameters: ['BOTH'],
    });
  });
});

describe('usernames that need care in paths', () => {
  const SPECIAL = ['first.last', 'with space', 'a,b', 'a=b', 'a/b', 'Jane Doe, Jr.'];

  /** Both encodings a client may send: everything encoded, or sub-delimiters left readable. */
  const encodings = (username: string) => [encodeURIComponent(username), hrefSegment(username)];

  test('SCRAM users on admin: GET, PATCH and DELETE by the encoded name', async () => {
    const groupId = await newProject();
    for (const username of SPECIAL) {
      const created = await create(groupId, { username, password: 'password-1', roles: READ_WRITE_APP });
      let expected = userBody(groupId, { username, databaseName: 'admin' });
      assert.deepEqual(created.json(), expected);
      for (const segment of encodings(username)) {
        const path = `${usersPath(groupId)}/admin/${segment}`;
        const got = await server.client.get(path);
        assert.equal(got.status, 200, `${path}: ${got.text}`);
        assert.deepEqual(got.json(), expected);
        const patched = await server.client.patch(path, { description: `via ${segment}` });
        assert.equal(patched.status, 200, `${path}: ${patched.text}`);
        expected = userBody(groupId, { username, databaseName: 'admin', description: `via ${segment}` });
        assert.deepEqual(patched.json(), expected);
      }
      // The self link leads back to the user.
      const self = new URL((expected.links as Array<{ href: string }>)[0]!.href);
      assert.equal((await server.client.get(self.pathname)).status, 200);
      const deleted = await server.client.delete(`${usersPath(groupId)}/admin/${encodeURIComponent(username)}`);
      assert.equal(deleted.status, 204, `${username}: ${deleted.text}`);
      assertAtlasError(
        await server.client.get(`${usersPath(groupId)}/admin/${encodeURIComponent(username)}`),
        usernameNotFound(username),
      );
    }
    assert.equal((await server.client.get(usersPath(groupId))).json().totalCount, 0);
  });

  test('users on $external, sent as $external and as %24external', async () => {
    const groupId = await newProject();
    const users: Array<[string, Record<string, unknown>]> = [
      ...['first.last', 'with space', 'a,b', 'a/b', 'CN=alice'].map((username): [string, Record<string, unknown>] => [
        username,
        managed(username),
      ]),
      [
        'CN=Jane Doe,OU=a/b,O=Example\\, Inc.',
        userOn('$external', 'CN=Jane Doe,OU=a/b,O=Example\\, Inc.', { x509Type: 'CUSTOMER' }),
      ],
    ];
    for (const [username, body] of users) {
      const created = await create(groupId, body);
      assert.equal(created.json().username, username);
      const expectedHref = `${server.origin}${usersPath(groupId)}/$external/${hrefSegment(username)}`;
      assert.equal(created.json().links[0].href, expectedHref);
      for (const database of ['$external', '%24external']) {
        for (const segment of encodings(username)) {
          const path = `${usersPath(groupId)}/${database}/${segment}`;
          const got = await server.client.get(path);
          assert.equal(got.status, 200, `${path}: ${got.text}`);
          assert.equal(got.json().username, username);
          assert.equal(got.json().databaseName, '$external');
          assert.equal(got.json().links[0].href, expectedHref);
          const patched = await server.client.patch(path, {
            labels: [{ key: 'via', value: `${database}/${segment}` }],
          });
          assert.equal(patched.status, 200, `${path}: ${patched.text}`);
          assert.deepEqual(patched.json().labels, [{ key: 'via', value: `${database}/${segment}` }]);
        }
      }
    }
    // Delete half through each spelling of $external.
    for (const [index, [username]] of users.entries()) {
      const database = index % 2 === 0 ? '$external' : '%24external';
      const path = `${usersPath(groupId)}/${database}/${encodeURIComponent(username)}`;
      const deleted = await server.client.delete(path);
      assert.equal(deleted.status, 204, `${path}: ${deleted.text}`);
      assert.equal(deleted.text, '');
      assertAtlasError(await server.client.get(path), usernameNotFound(username));
    }
    assert.equal((await server.client.get(usersPath(groupId))).json().totalCount, 0);
  });

  test('a slash sent percent-encoded is part of the name, not a path separator', async () => {
    const groupId = await newProject();
    await create(groupId, managed('a/b'));
    await create(groupId, managed('a'));
    const got = await server.client.get(`${usersPath(groupId)}/$external/a%2Fb`);
    assert.equal(got.status, 200);
    assert.equal(got.json().username, 'a/b');
    // Unencoded, `a/b` is two segments, and no route has that many.
    const rawPath = `${usersPath(groupId)}/$external/a/b`;
    assertAtlasError(await server.client.get(rawPath), resourceNotFound(rawPath));
  });
});
