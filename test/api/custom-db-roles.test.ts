import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import atlasClientModule from 'mongodb-atlas-api-client';
import {
  assertAtlasError,
  atlasError,
  type AtlasErrorBody,
  groupNotFound,
  invalidAttribute,
  invalidEnumValue,
  invalidGroupId,
  invalidJsonAttribute,
  missingAttribute,
} from '../helpers/atlas-assert.js';
import { TestClock } from '../helpers/clock.js';
import { curlDigest } from '../helpers/curl.js';
import { type ApiResponse, DigestClient } from '../helpers/digest-client.js';
import { pythonRequests } from '../helpers/python-requests.js';
import { startTestServer, storeSnapshot, type TestServer, V1 } from '../helpers/server.js';

/**
 * Custom database roles (docs/compatibility.md "Custom database roles"):
 * `/groups/{groupId}/customDBRoles/roles[/{roleName}]` under v1.0 and v2, Atlas'
 * UserCustomDBRole bodies (the v1 Go client's and Terraform's exactly as they send them),
 * PATCH replacing only what it sends, every refusal Atlas' code with the store unchanged,
 * deletion taking the role from users and roles (refused when that would strand one), the
 * MONGODB_ROLE_* events, and the same through curl, Python requests and the npm client.
 */

const V2 = '/api/atlas/v2';
const V2_ACCEPT = 'application/vnd.atlas.2023-01-01+json';
const getClient = atlasClientModule as unknown as typeof atlasClientModule.default;

let server: TestServer;
let projects = 0;

before(async () => {
  server = await startTestServer({ clock: new TestClock('2024-06-01T10:00:00Z') });
});

after(() => server.close());

async function newProject(): Promise<string> {
  const response = await server.client.post(`${V1}/groups`, {
    name: `roles-${++projects}`,
    orgId: server.credentials.orgId,
  });
  assert.equal(response.status, 200, response.text);
  return response.json().id;
}

const rolesPath = (groupId: string, prefix = V1) => `${prefix}/groups/${groupId}/customDBRoles/roles`;
const rolePath = (groupId: string, roleName: string, prefix = V1) =>
  `${rolesPath(groupId, prefix)}/${encodeURIComponent(roleName)}`;

async function createRole(groupId: string, body: unknown): Promise<ApiResponse> {
  const response = await server.client.post(rolesPath(groupId), body);
  assert.equal(response.status, 202, response.text);
  return response;
}

const find = (db: string, collection = '') => ({ cluster: false, collection, db });
const CLUSTER = { cluster: true, collection: '', db: '' };

/** A role as every read shows it: members alphabetical, resources with all three members. */
function roleBody(roleName: string, actions: unknown[] = [], inheritedRoles: unknown[] = []) {
  return { actions, inheritedRoles, roleName };
}

function assertRoleText(response: ApiResponse, status: number, expected: object) {
  assert.equal(response.status, status, response.text);
  assert.equal(response.text, JSON.stringify(expected));
}

async function assertRefused(send: () => Promise<ApiResponse>, expected: AtlasErrorBody, what?: string) {
  const before = await storeSnapshot(server.store);
  assertAtlasError(await send(), expected, what);
  assert.equal(await storeSnapshot(server.store), before, `${what ?? expected.errorCode}: the store changed`);
}

const notFound = (roleName: string) =>
  atlasError(404, 'ATLAS_CUSTOM_ROLE_NOT_FOUND', `The specified custom db role ${roleName} does not exist.`, [
    roleName,
  ]);
const invalidResource = atlasError(
  400,
  'ATLAS_INVALID_RESOURCE',
  'One or more of the selected actions was applied to an incorrect resource.',
);

describe('the v1 Go client (go.mongodb.org/atlas) and Terraform, their bodies verbatim', () => {
  let groupId: string;
  before(async () => {
    groupId = await newProject();
  });

  test('CustomDBRoles.Create: 202 with the role, every member in Atlas order', async () => {
    // The body custom_db_roles_test.go checks: resources without `cluster` (omitempty).
    const body =
      '{"actions":[{"action":"CREATE_INDEX","resources":[{"collection":"test-collection","db":"test-db"}]}],"inheritedRoles":[{"db":"test-db","role":"read"}],"roleName":"test-role-name"}';
    const response = await server.client.request(rolesPath(groupId), {
      method: 'POST',
      rawBody: body,
      headers: { 'content-type': 'application/json' },
    });
    const expected = roleBody(
      'test-role-name',
      [{ action: 'CREATE_INDEX', resources: [find('test-db', 'test-collection')] }],
      [{ db: 'test-db', role: 'read' }],
    );
    assertRoleText(response, 202, expected);
    assertRoleText(await server.client.get(rolePath(groupId, 'test-role-name')), 200, expected);
    assertRoleText(await server.client.get(rolesPath(groupId)), 200, [expected]);
  });

  test('a role without inherited roles: the client sends "inheritedRoles":null (no omitempty)', async () => {
    const response = await server.client.request(rolesPath(groupId), {
      method: 'POST',
      rawBody: '{"actions":[{"action":"FIND","resources":[{"db":"app"}]}],"inheritedRoles":null,"roleName":"reader"}',
      headers: { 'content-type': 'application/json' },
    });
    assertRoleText(response, 202, roleBody('reader', [{ action: 'FIND', resources: [find('app')] }]));
  });

  test('CustomDBRoles.Update sends roleName too; the path names the role', async () => {
    const body =
      '{"actions":[{"action":"CREATE_INDEX","resources":[{"collection":"test-collection","db":"test-db"}]}],"inheritedRoles":[{"db":"test-db","role":"readWrite"}],"roleName":"test-role-name"}';
    const response = await server.client.request(rolePath(groupId, 'test-role-name'), {
      method: 'PATCH',
      rawBody: body,
      headers: { 'content-type': 'application/json' },
    });
    assertRoleText(
      response,
      200,
      roleBody(
        'test-role-name',
        [{ action: 'CREATE_INDEX', resources: [find('test-db', 'test-collection')] }],
        [{ db: 'test-db', role: 'readWrite' }],
      ),
    );
    // Renaming is no update.
    await assertRefused(
      () => server.client.patch(rolePath(groupId, 'test-role-name'), { roleName: 'renamed' }),
      invalidAttribute('roleName'),
    );
  });

  test('Terraform (atlas-sdk-go): every resource member sent, empty lists as []', async () => {
    const body =
      '{"actions":[{"action":"INSERT","resources":[{"cluster":false,"collection":"","db":"sales"}]},{"action":"SERVER_STATUS","resources":[{"cluster":true,"collection":"","db":""}]}],"inheritedRoles":[],"roleName":"tf-role"}';
    const response = await server.client.request(`${rolesPath(groupId, V2)}`, {
      method: 'POST',
      rawBody: body,
      headers: { 'content-type': V2_ACCEPT, accept: V2_ACCEPT },
    });
    const expected = roleBody('tf-role', [
      { action: 'INSERT', resources: [find('sales')] },
      { action: 'SERVER_STATUS', resources: [CLUSTER] },
    ]);
    assertRoleText(response, 202, expected);
    assert.equal(response.headers.get('content-type'), V2_ACCEPT);
    // UpdateCustomDBRole: the actions and the inherited roles, both replaced.
    const update = await server.client.request(rolePath(groupId, 'tf-role', V2), {
      method: 'PATCH',
      rawBody:
        '{"actions":[{"action":"UPDATE","resources":[{"cluster":false,"collection":"orders","db":"sales"}]}],"inheritedRoles":[{"db":"admin","role":"reader"}]}',
      headers: { 'content-type': V2_ACCEPT, accept: V2_ACCEPT },
    });
    assertRoleText(
      update,
      200,
      roleBody(
        'tf-role',
        [{ action: 'UPDATE', resources: [find('sales', 'orders')] }],
        [{ db: 'admin', role: 'reader' }],
      ),
    );
    const deleted = await server.client.request(rolePath(groupId, 'tf-role', V2), {
      method: 'DELETE',
      headers: { accept: V2_ACCEPT },
    });
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal(deleted.text, '');
    assertAtlasError(await server.client.get(rolePath(groupId, 'tf-role')), notFound('tf-role'));
  });
});

describe('PATCH replaces the members it sends and keeps the others', () => {
  test('actions alone, inherited roles alone, and the result of each', async () => {
    const groupId = await newProject();
    await createRole(groupId, {
      actions: [{ action: 'FIND', resources: [{ db: 'a' }] }],
      inheritedRoles: [{ db: 'b', role: 'read' }],
      roleName: 'mixed',
    });
    const path = rolePath(groupId, 'mixed');
    assertRoleText(
      await server.client.patch(path, { actions: [{ action: 'INSERT', resources: [{ db: 'c', collection: 'x' }] }] }),
      200,
      roleBody('mixed', [{ action: 'INSERT', resources: [find('c', 'x')] }], [{ db: 'b', role: 'read' }]),
    );
    assertRoleText(
      await server.client.patch(path, { inheritedRoles: [{ db: 'admin', role: 'readAnyDatabase' }] }),
      200,
      roleBody(
        'mixed',
        [{ action: 'INSERT', resources: [find('c', 'x')] }],
        [{ db: 'admin', role: 'readAnyDatabase' }],
      ),
    );
    // An empty list is a value: the role keeps only its inherited role.
    assertRoleText(
      await server.client.patch(path, { actions: [] }),
      200,
      roleBody('mixed', [], [{ db: 'admin', role: 'readAnyDatabase' }]),
    );
    // Nothing left to grant: refused.
    await assertRefused(
      () => server.client.patch(path, { inheritedRoles: [] }),
      atlasError(
        400,
        'ATLAS_CUSTOM_ROLE_HAS_NO_PERMISSIONS',
        'Custom roles must have one or more user privilege actions or inherited roles.',
      ),
    );
    // Repeated inherited roles are one (Atlas keeps a set).
    assertRoleText(
      await server.client.patch(path, {
        inheritedRoles: [
          { db: 'app', role: 'read' },
          { db: 'app', role: 'read' },
        ],
      }),
      200,
      roleBody('mixed', [], [{ db: 'app', role: 'read' }]),
    );
  });
});

describe('refusals: Atlas error codes, nothing stored', () => {
  let groupId: string;
  before(async () => {
    groupId = await newProject();
    await createRole(groupId, { actions: [{ action: 'FIND', resources: [{ db: 'app' }] }], roleName: 'existing' });
  });

  const noPermissions = atlasError(
    400,
    'ATLAS_CUSTOM_ROLE_HAS_NO_PERMISSIONS',
    'Custom roles must have one or more user privilege actions or inherited roles.',
  );
  const invalidName = (name: string) =>
    atlasError(
      400,
      'ATLAS_CUSTOM_ROLE_INVALID_NAME',
      `The role name, "${name}", is invalid. A custom role name must be a non-empty string made up of only ASCII letters, numbers, hyphens, and underscores, and should begin with a letter or number.`,
      [name],
    );
  const builtInName = (name: string) =>
    atlasError(
      400,
      'ATLAS_INVALID_CUSTOM_ROLE_RESTRICTED',
      `Cannot create custom role ${name} because a built-in role with that name already exists.`,
      [name],
    );
  const inheritance = atlasError(
    400,
    'ATLAS_INVALID_CUSTOM_ROLE_INHERITANCE',
    'One or more of the specified inherited roles do not exist.',
  );
  const inheritedScope = atlasError(
    400,
    'ATLAS_INVALID_CUSTOM_ROLE_INHERITED_SCOPE',
    'One or more of the specified inherited roles have an invalid scope.',
  );
  const find = (db = 'app') => [{ action: 'FIND', resources: [{ db }] }];

  const CREATES: Array<[string, unknown, AtlasErrorBody]> = [
    ['no roleName', { actions: find() }, missingAttribute('roleName')],
    ['a roleName that is not a string', { actions: find(), roleName: 5 }, invalidJsonAttribute('roleName')],
    ['an empty roleName', { actions: find(), roleName: '' }, invalidName('')],
    ['a space in the name', { actions: find(), roleName: 'bad name' }, invalidName('bad name')],
    ['a name starting with an underscore', { actions: find(), roleName: '_x' }, invalidName('_x')],
    ['a name with a dot', { actions: find(), roleName: 'a.b' }, invalidName('a.b')],
    ['a name of 256 characters', { actions: find(), roleName: 'n'.repeat(256) }, invalidName('n'.repeat(256))],
    [
      'the reserved prefix',
      { actions: find(), roleName: 'xgen-mine' },
      atlasError(
        400,
        'ATLAS_RESERVED_CUSTOM_ROLE_RESTRICTED',
        'Cannot create custom role xgen-mine because the prefix "xgen-" is reserved for built-in roles.',
        ['xgen-mine'],
      ),
    ],
    ...['read', 'atlasAdmin', 'readWriteAnyDatabase', 'root', 'dbOwner'].map(
      (name): [string, unknown, AtlasErrorBody] => [
        `a built-in role's name (${name})`,
        { actions: find(), roleName: name },
        builtInName(name),
      ],
    ),
    [
      'the name of an existing role',
      { actions: find('other'), roleName: 'existing' },
      atlasError(409, 'ATLAS_CUSTOM_ROLE_NAME_ALREADY_EXISTS', 'A custom role with the name existing already exists.', [
        'existing',
      ]),
    ],
    ['an unknown member', { actions: find(), roleName: 'x', privileges: [] }, invalidAttribute('privileges')],
    ['nothing granted', { roleName: 'empty' }, noPermissions],
    ['empty lists', { actions: [], inheritedRoles: [], roleName: 'empty' }, noPermissions],
    [
      'an unknown action',
      { actions: [{ action: 'FLY', resources: [{ db: 'a' }] }], roleName: 'x' },
      invalidEnumValue('FLY'),
    ],
    [
      'an action in lower case',
      { actions: [{ action: 'find', resources: [{ db: 'a' }] }], roleName: 'x' },
      invalidEnumValue('find'),
    ],
    ['an action without resources', { actions: [{ action: 'FIND' }], roleName: 'x' }, invalidResource],
    ['an action with no resource', { actions: [{ action: 'FIND', resources: [] }], roleName: 'x' }, invalidResource],
    ['a resource naming nothing', { actions: [{ action: 'FIND', resources: [{}] }], roleName: 'x' }, invalidResource],
    [
      'a collection without a database',
      { actions: [{ action: 'FIND', resources: [{ collection: 'c' }] }], roleName: 'x' },
      invalidResource,
    ],
    [
      'a data action on the cluster',
      { actions: [{ action: 'FIND', resources: [{ cluster: true }] }], roleName: 'x' },
      invalidResource,
    ],
    [
      'a cluster action on a database',
      { actions: [{ action: 'SERVER_STATUS', resources: [{ db: 'app' }] }], roleName: 'x' },
      invalidResource,
    ],
    [
      'an unknown resource member',
      { actions: [{ action: 'FIND', resources: [{ database: 'app' }] }], roleName: 'x' },
      invalidAttribute('database'),
    ],
    [
      'the same action twice',
      {
        actions: [
          { action: 'FIND', resources: [{ db: 'a' }] },
          { action: 'FIND', resources: [{ db: 'b' }] },
        ],
        roleName: 'x',
      },
      atlasError(400, 'ATLAS_DUPLICATE_CUSTOM_ROLE_ACTION', 'A custom role cannot have duplicate actions.'),
    ],
    [
      'the same resource twice (all collections written two ways)',
      { actions: [{ action: 'FIND', resources: [{ db: 'a' }, { db: 'a', collection: '' }] }], roleName: 'x' },
      atlasError(
        400,
        'ATLAS_DUPLICATE_CUSTOM_ROLE_RESOURCE',
        'A custom role cannot have duplicate resources applied to the same action.',
      ),
    ],
    ['inheriting an unknown role', { inheritedRoles: [{ db: 'admin', role: 'ghost' }], roleName: 'x' }, inheritance],
    [
      'inheriting a role Atlas does not grant',
      { inheritedRoles: [{ db: 'admin', role: 'root' }], roleName: 'x' },
      inheritance,
    ],
    [
      'inheriting an admin-only role elsewhere',
      { inheritedRoles: [{ db: 'app', role: 'atlasAdmin' }], roleName: 'x' },
      inheritedScope,
    ],
    [
      'inheriting a custom role off admin',
      { inheritedRoles: [{ db: 'app', role: 'existing' }], roleName: 'x' },
      inheritedScope,
    ],
    [
      'inheriting itself',
      { inheritedRoles: [{ db: 'admin', role: 'selfish' }], roleName: 'selfish' },
      atlasError(400, 'ATLAS_INVALID_CUSTOM_ROLE_SELF_REFERENTIAL', 'A custom DB role cannot inherit from itself.'),
    ],
    [
      'an inherited role without a database',
      { inheritedRoles: [{ role: 'read' }], roleName: 'x' },
      missingAttribute('inheritedRoles.db'),
    ],
  ];

  for (const [name, body, expected] of CREATES) {
    test(`POST: ${name}`, async () => {
      await assertRefused(() => server.client.post(rolesPath(groupId), body), expected, name);
    });
  }

  test('malformed JSON, and a body that is not an object', async () => {
    for (const rawBody of ['{"roleName":', '[]', '"x"']) {
      const before = await storeSnapshot(server.store);
      const response = await server.client.request(rolesPath(groupId), {
        method: 'POST',
        rawBody,
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(response.status, 400, `${rawBody}: ${response.text}`);
      assert.equal(await storeSnapshot(server.store), before);
    }
  });

  test('unknown roles: GET, PATCH and DELETE answer ATLAS_CUSTOM_ROLE_NOT_FOUND', async () => {
    for (const name of ['ghost', 'bad name', 'read']) {
      const path = rolePath(groupId, name);
      assertAtlasError(await server.client.get(path), notFound(name));
      await assertRefused(() => server.client.patch(path, { actions: find() }), notFound(name));
      await assertRefused(() => server.client.delete(path), notFound(name));
    }
  });

  test('unknown and malformed projects', async () => {
    const unknown = 'aaaaaaaaaaaaaaaaaaaaaaaa';
    assertAtlasError(await server.client.get(rolesPath(unknown)), groupNotFound(unknown));
    await assertRefused(
      () => server.client.post(rolesPath('xyz'), { actions: find(), roleName: 'x' }),
      invalidGroupId('xyz'),
    );
    await assertRefused(() => server.client.delete(rolePath(unknown, 'existing')), groupNotFound(unknown));
  });

  test('PATCH: inheritance cycles, and roles made empty', async () => {
    await createRole(groupId, { inheritedRoles: [{ db: 'admin', role: 'existing' }], roleName: 'child' });
    await createRole(groupId, { inheritedRoles: [{ db: 'admin', role: 'child' }], roleName: 'grandchild' });
    await assertRefused(
      () =>
        server.client.patch(rolePath(groupId, 'existing'), { inheritedRoles: [{ db: 'admin', role: 'grandchild' }] }),
      atlasError(
        400,
        'ATLAS_INVALID_CUSTOM_ROLE_CIRCULAR_DEPENDENCY',
        'One or more of the specified inherited roles creates a circular dependency.',
      ),
    );
    await assertRefused(() => server.client.patch(rolePath(groupId, 'child'), { inheritedRoles: [] }), noPermissions);
    await assertRefused(
      () =>
        server.client.patch(rolePath(groupId, 'child'), { actions: [{ action: 'KILL_OP', resources: [{ db: 'x' }] }] }),
      invalidResource,
    );
  });

  test('at most 100 custom roles in a project: then 403 CUSTOM_ROLES_LIMIT_EXCEEDED', async () => {
    const full = await newProject();
    for (let i = 0; i < 100; i++) {
      await server.authority.store.customDbRoles.insert({
        groupId: full,
        roleName: `r${i}`,
        actions: [{ action: 'FIND', resources: [{ cluster: false, collection: '', db: `d${i}` }] }],
        inheritedRoles: [],
        createdAt: server.clock.now(),
        updatedAt: server.clock.now(),
      });
    }
    assert.equal((await server.client.get(rolesPath(full))).json().length, 100);
    await assertRefused(
      () => server.client.post(rolesPath(full), { actions: find(), roleName: 'one-too-many' }),
      atlasError(403, 'CUSTOM_ROLES_LIMIT_EXCEEDED', 'Exceeded maximum number of custom roles.'),
    );
  });
});

describe('deleting a role takes it from its users and heirs, unless that strands one', () => {
  let groupId: string;
  const users = () => `${V1}/groups/${groupId}/databaseUsers`;
  const user = async (username: string) => (await server.client.get(`${users()}/admin/${username}`)).json();

  before(async () => {
    groupId = await newProject();
    await createRole(groupId, { actions: [{ action: 'FIND', resources: [{ db: 'app' }] }], roleName: 'shared' });
    await createRole(groupId, { actions: [{ action: 'INSERT', resources: [{ db: 'app' }] }], roleName: 'writer' });
    for (const [username, roles] of [
      ['only-shared', [{ roleName: 'shared', databaseName: 'admin' }]],
      [
        'shared-and-read',
        [
          { roleName: 'shared', databaseName: 'admin' },
          { roleName: 'read', databaseName: 'reports' },
        ],
      ],
    ] as const) {
      const response = await server.client.post(users(), {
        databaseName: 'admin',
        password: 'a-password-1',
        roles,
        username,
      });
      assert.equal(response.status, 201, response.text);
    }
  });

  test('a user granted only that role: 409 ATLAS_CUSTOM_ROLE_IN_USE_BY_USERS naming it', async () => {
    await assertRefused(
      () => server.client.delete(rolePath(groupId, 'shared')),
      atlasError(
        409,
        'ATLAS_CUSTOM_ROLE_IN_USE_BY_USERS',
        'Deleting specified custom role would leave the following users without a role: only-shared.',
        ['only-shared'],
      ),
    );
  });

  test('a role inheriting only that role: 409 ATLAS_CUSTOM_ROLE_IN_USE_BY_ROLES naming it', async () => {
    await createRole(groupId, { inheritedRoles: [{ db: 'admin', role: 'writer' }], roleName: 'heir' });
    await createRole(groupId, {
      actions: [{ action: 'REMOVE', resources: [{ db: 'app' }] }],
      inheritedRoles: [
        { db: 'admin', role: 'writer' },
        { db: 'app', role: 'read' },
      ],
      roleName: 'rich-heir',
    });
    await assertRefused(
      () => server.client.delete(rolePath(groupId, 'writer')),
      atlasError(
        409,
        'ATLAS_CUSTOM_ROLE_IN_USE_BY_ROLES',
        'Deleting specified custom role would leave the following roles with no actions or inherited roles: heir.',
        ['heir'],
      ),
    );
    // Once the heir has a privilege of its own, the role goes, and both heirs lose it.
    await server.client.patch(rolePath(groupId, 'heir'), { actions: [{ action: 'FIND', resources: [{ db: 'x' }] }] });
    assert.equal((await server.client.delete(rolePath(groupId, 'writer'))).status, 204);
    assertRoleText(
      await server.client.get(rolePath(groupId, 'heir')),
      200,
      roleBody('heir', [{ action: 'FIND', resources: [{ cluster: false, collection: '', db: 'x' }] }]),
    );
    assert.deepEqual((await server.client.get(rolePath(groupId, 'rich-heir'))).json().inheritedRoles, [
      { db: 'app', role: 'read' },
    ]);
  });

  test('users keeping another role lose the deleted one; the events say who changed', async () => {
    // The stranded user gets another role first.
    const patched = await server.client.patch(`${users()}/admin/only-shared`, {
      roles: [
        { roleName: 'shared', databaseName: 'admin' },
        { roleName: 'readWrite', databaseName: 'app' },
      ],
    });
    assert.equal(patched.status, 200, patched.text);
    const mark = new Set(
      (await server.store.events.list({ orgId: server.credentials.orgId }, 0, 1000)).map((e) => e.id),
    );
    assert.equal((await server.client.delete(rolePath(groupId, 'shared'))).status, 204);
    assert.deepEqual((await user('only-shared')).roles, [{ databaseName: 'app', roleName: 'readWrite' }]);
    assert.deepEqual((await user('shared-and-read')).roles, [{ databaseName: 'reports', roleName: 'read' }]);
    const added = (await server.store.events.list({ orgId: server.credentials.orgId }, 0, 1000))
      .filter((event) => !mark.has(event.id))
      .map((event) => [event.eventTypeName, event.target.targetUsername ?? event.target.customDbRoleName])
      .sort();
    assert.deepEqual(added, [
      ['MONGODB_ROLE_DELETED', 'shared'],
      ['MONGODB_USER_UPDATED', 'only-shared'],
      ['MONGODB_USER_UPDATED', 'shared-and-read'],
    ]);
    // Granting the deleted role again is refused: it is neither built in nor custom now.
    await assertRefused(
      () =>
        server.client.patch(`${users()}/admin/only-shared`, { roles: [{ roleName: 'shared', databaseName: 'admin' }] }),
      atlasError(400, 'ATLAS_INVALID_ROLE', 'The specified role shared@admin does not exist.', ['shared', 'admin']),
    );
  });
});

describe('events: MONGODB_ROLE_ADDED, _UPDATED, _DELETED in the project feed', () => {
  test('each change records its event, naming the role; the organization feed has none', async () => {
    const groupId = await newProject();
    server.clock.set('2024-06-02T08:00:00Z');
    await createRole(groupId, { actions: [{ action: 'FIND', resources: [{ db: 'app' }] }], roleName: 'audited' });
    server.clock.set('2024-06-02T08:01:00Z');
    assert.equal(
      (await server.client.patch(rolePath(groupId, 'audited'), { inheritedRoles: [{ db: 'app', role: 'read' }] }))
        .status,
      200,
    );
    server.clock.set('2024-06-02T08:02:00Z');
    assert.equal((await server.client.delete(rolePath(groupId, 'audited'))).status, 204);
    const feed = await server.client.get(
      `${V1}/groups/${groupId}/events?eventType=MONGODB_ROLE_ADDED&eventType=MONGODB_ROLE_UPDATED&eventType=MONGODB_ROLE_DELETED`,
    );
    assert.equal(feed.status, 200, feed.text);
    const key = await server.store.apiKeys.findByPublicKey(server.credentials.publicKey);
    const event = (eventTypeName: string, created: string, id: string) => ({
      apiKeyId: key!.id,
      created,
      customDbRoleName: 'audited',
      eventTypeName,
      groupId,
      id,
      isGlobalAdmin: false,
      links: [{ href: `${server.origin}${V1}/groups/${groupId}/events/${id}`, rel: 'self' }],
      orgId: server.credentials.orgId,
      outcome: 'SUCCESS',
      publicKey: server.credentials.publicKey,
      remoteAddress: '127.0.0.1',
    });
    const results = feed.json().results;
    assert.deepEqual(results, [
      event('MONGODB_ROLE_DELETED', '2024-06-02T08:02:00Z', results[0].id),
      event('MONGODB_ROLE_UPDATED', '2024-06-02T08:01:00Z', results[1].id),
      event('MONGODB_ROLE_ADDED', '2024-06-02T08:00:00Z', results[2].id),
    ]);
    // Project events are not organization events: Atlas' organization feed knows no such type.
    const orgFeed = await server.client.get(`${V1}/orgs/${server.credentials.orgId}/events?itemsPerPage=500`);
    assert.ok(
      !orgFeed.json().results.some((e: { eventTypeName: string }) => e.eventTypeName.startsWith('MONGODB_ROLE')),
    );
    assertAtlasError(
      await server.client.get(`${V1}/orgs/${server.credentials.orgId}/events?eventType=MONGODB_ROLE_ADDED`),
      invalidEnumValue('MONGODB_ROLE_ADDED'),
    );
  });
});

describe('envelope and pretty', () => {
  test('a role and the list enveloped; pretty-printed as Atlas does', async () => {
    const groupId = await newProject();
    const created = await server.client.post(`${rolesPath(groupId)}?envelope=true`, {
      actions: [{ action: 'FIND', resources: [{ db: 'app' }] }],
      roleName: 'wrapped',
    });
    const view = roleBody('wrapped', [{ action: 'FIND', resources: [{ cluster: false, collection: '', db: 'app' }] }]);
    assert.equal(created.status, 202);
    assert.deepEqual(created.json(), { content: view, status: 202 });
    assert.deepEqual((await server.client.get(`${rolesPath(groupId)}?envelope=true`)).json(), {
      content: [view],
      status: 200,
    });
    const pretty = await server.client.get(`${rolePath(groupId, 'wrapped')}?pretty=true`);
    assert.ok(pretty.text.startsWith('{\n  "actions" : [ {'), pretty.text);
    assert.deepEqual(pretty.json(), view);
  });
});

describe('independent clients', () => {
  test('curl --digest: create, read, update, delete', async () => {
    const groupId = await newProject();
    const url = (path: string) => `${server.origin}${path}`;
    const created = await curlDigest(server.credentials, [
      '--header',
      'Content-Type: application/json',
      '--data',
      '{"actions":[{"action":"FIND","resources":[{"db":"app","collection":"orders"}]}],"roleName":"curl-role"}',
      url(rolesPath(groupId)),
    ]);
    const view = roleBody('curl-role', [{ action: 'FIND', resources: [find('app', 'orders')] }]);
    assert.equal(created.status, 202, created.body);
    assert.equal(created.body, JSON.stringify(view));
    const listed = await curlDigest(server.credentials, [url(rolesPath(groupId))]);
    assert.equal(listed.body, JSON.stringify([view]));
    const patched = await curlDigest(server.credentials, [
      '--request',
      'PATCH',
      '--header',
      'Content-Type: application/json',
      '--data',
      '{"inheritedRoles":[{"db":"app","role":"readWrite"}]}',
      url(rolePath(groupId, 'curl-role')),
    ]);
    assert.equal(patched.status, 200, patched.body);
    assert.deepEqual(JSON.parse(patched.body).inheritedRoles, [{ db: 'app', role: 'readWrite' }]);
    const deleted = await curlDigest(server.credentials, ['--request', 'DELETE', url(rolePath(groupId, 'curl-role'))]);
    assert.equal(deleted.status, 204);
    assert.equal(deleted.body, '');
  });

  test('Python requests (HTTPDigestAuth, one session): the same life cycle, and a refusal', async () => {
    const groupId = await newProject();
    const answers = await pythonRequests(server.origin, server.credentials, [
      {
        method: 'POST',
        target: rolesPath(groupId),
        body: JSON.stringify({
          actions: [{ action: 'LIST_DATABASES', resources: [{ cluster: true }] }],
          roleName: 'py',
        }),
      },
      { method: 'GET', target: rolePath(groupId, 'py') },
      { method: 'PATCH', target: rolePath(groupId, 'py'), body: '{"actions":[]}' },
      { method: 'DELETE', target: rolePath(groupId, 'py') },
      { method: 'GET', target: rolePath(groupId, 'py') },
    ]);
    const view = roleBody('py', [{ action: 'LIST_DATABASES', resources: [CLUSTER] }]);
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [202, 200, 400, 204, 404],
    );
    assert.equal(answers[0]!.text, JSON.stringify(view));
    assert.equal(answers[1]!.text, JSON.stringify(view));
    assert.equal(answers[2]!.json().errorCode, 'ATLAS_CUSTOM_ROLE_HAS_NO_PERMISSIONS');
    assert.deepEqual(answers[4]!.json(), notFound('py'));
  });

  test('mongodb-atlas-api-client: customDbRole.create, get, getAll, update, delete', async () => {
    const groupId = await newProject();
    const client = getClient({
      publicKey: server.credentials.publicKey,
      privateKey: server.credentials.privateKey,
      baseUrl: `${server.origin}/api/atlas/v1.0`,
      projectId: groupId,
    });
    const body = {
      roleName: 'npm-role',
      actions: [{ action: 'UPDATE', resources: [{ db: 'app' }] }],
      inheritedRoles: [{ db: 'admin', role: 'readAnyDatabase' }],
    };
    const view = roleBody('npm-role', [{ action: 'UPDATE', resources: [find('app')] }], body.inheritedRoles);
    // Its typings want every resource member; the package sends whatever it is given.
    assert.deepEqual(await client.customDbRole.create(body as never), view);
    assert.deepEqual(await client.customDbRole.get('npm-role'), view);
    assert.deepEqual(await client.customDbRole.getAll(), [view]);
    assert.deepEqual(await client.customDbRole.update('npm-role', { inheritedRoles: [] } as never), {
      ...view,
      inheritedRoles: [],
    });
    assert.equal(await client.customDbRole.delete('npm-role'), true);
    assert.deepEqual(await client.customDbRole.get('npm-role'), notFound('npm-role'));
    // The package's own module instance, as in clients.test.ts.
    assert.equal(getClient, createRequire(import.meta.url)('mongodb-atlas-api-client'));
  });
});

describe('who may: Project Read Only reads, Database Access Admin writes', () => {
  test('a read-only key lists and reads; its writes are USER_UNAUTHORIZED and change nothing', async () => {
    const groupId = await newProject();
    await createRole(groupId, { actions: [{ action: 'FIND', resources: [{ db: 'app' }] }], roleName: 'guarded' });
    const { key, privateKey } = await server.authority.apiKeys.mint(server.credentials.orgId, 'reader', ['ORG_MEMBER']);
    await server.store.apiKeys.setProjectRoles(key.id, groupId, ['GROUP_READ_ONLY']);
    const reader = new DigestClient(server.origin, key.publicKey, privateKey);
    assert.equal((await reader.get(rolesPath(groupId))).status, 200);
    assert.equal((await reader.get(rolePath(groupId, 'guarded'))).status, 200);
    const unauthorized = atlasError(401, 'USER_UNAUTHORIZED', 'Current user is not authorized to perform this action.');
    await assertRefused(() => reader.post(rolesPath(groupId), { actions: [], roleName: 'x' }), unauthorized);
    await assertRefused(() => reader.patch(rolePath(groupId, 'guarded'), { actions: [] }), unauthorized);
    await assertRefused(() => reader.delete(rolePath(groupId, 'guarded')), unauthorized);
  });
});
