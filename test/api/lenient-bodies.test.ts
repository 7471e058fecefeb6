import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { dropNullMembers } from '../../src/api/plugins/atlas-conventions.js';
import { readOnlyMemberDropper } from '../../src/api/read-only-members.js';
import { assertAtlasError, invalidAttribute, invalidJsonAttribute } from '../helpers/atlas-assert.js';
import { pythonRequests } from '../helpers/python-requests.js';
import { startTestServer, storeSnapshot, type TestServer, V1 } from '../helpers/server.js';

/**
 * The two leniencies Atlas clients rely on: a JSON `null` member is a member not sent,
 * and what a client read (links, server-set fields) may be sent back on a write.
 * Wire tests with the Go clients' exact bodies live beside each resource's tests.
 */

describe('dropNullMembers', () => {
  test('removes null members at any depth and keeps null array elements', () => {
    const body = { a: null, b: { c: null, d: 1 }, e: [{ f: null, g: 2 }, null], h: 'x' };
    dropNullMembers(body);
    assert.deepEqual(body, { b: { d: 1 }, e: [{ g: 2 }, null], h: 'x' });
  });

  test('leaves non-objects alone and survives nesting deeper than the stack', () => {
    for (const value of [null, 1, 'x', true, undefined]) dropNullMembers(value);
    let deep: Record<string, unknown> = { leaf: null };
    for (let i = 0; i < 100_000; i++) deep = { next: deep };
    dropNullMembers(deep);
  });
});

describe('readOnlyMemberDropper', () => {
  const schema = {
    type: 'object',
    properties: {
      links: { type: 'array', readOnly: true },
      name: { type: 'string' },
      nested: { type: 'object', properties: { created: { type: 'string', readOnly: true }, kept: {} } },
      items: { type: 'array', items: { type: 'object', properties: { id: { readOnly: true }, value: {} } } },
    },
  };

  test('drops the declared members, in objects and in every element of arrays', () => {
    const drop = readOnlyMemberDropper(schema)!;
    const body = {
      links: [],
      name: 'n',
      nested: { created: 'c', kept: 1 },
      items: [{ id: 1, value: 2 }, { value: 3 }, 'x'],
    };
    drop(body);
    assert.deepEqual(body, { name: 'n', nested: { kept: 1 }, items: [{ value: 2 }, { value: 3 }, 'x'] });
  });

  test('is undefined for a schema without read-only members, and copes with wrong shapes', () => {
    assert.equal(readOnlyMemberDropper({ type: 'object', properties: { a: { type: 'string' } } }), undefined);
    const drop = readOnlyMemberDropper(schema)!;
    for (const body of [null, 1, [], { nested: 'x', items: { id: 1 } }]) drop(body);
  });
});

describe('over HTTP', () => {
  let server: TestServer;
  const usersPath = () => `${V1}/groups/${server.credentials.groupId}/databaseUsers`;
  const role = { roleName: 'read', databaseName: 'app' };

  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('null optional members create a user with the defaults; the answer is the same as without them', async () => {
    const response = await server.client.post(usersPath(), {
      databaseName: '$external',
      username: 'nulls',
      x509Type: 'MANAGED',
      roles: [{ ...role, collectionName: null }],
      scopes: null,
      labels: null,
      description: null,
      deleteAfterDate: null,
    });
    assert.equal(response.status, 201, response.text);
    const user = response.json();
    assert.deepEqual(user.scopes, []);
    assert.deepEqual(user.labels, []);
    assert.deepEqual(user.roles, [role]);
    assert.equal('description' in user, false);
  });

  test('Python requests: "scopes":null and "labels":null, as written by hand, are not given', async () => {
    const [created, read] = await pythonRequests(server.origin, server.credentials, [
      {
        method: 'POST',
        target: usersPath(),
        body: '{"databaseName":"$external","username":"py-nulls","x509Type":"MANAGED","roles":[{"roleName":"read","databaseName":"app"}],"scopes":null,"labels":null}',
      },
      { method: 'GET', target: `${usersPath()}/$external/py-nulls` },
    ]);
    assert.equal(created!.status, 201, created!.text);
    assert.equal(read!.status, 200, read!.text);
    assert.deepEqual(read!.json().scopes, []);
    assert.deepEqual(read!.json().labels, []);
  });

  test('a user read, then sent back whole as PATCH, is accepted and reads the same', async () => {
    const path = `${usersPath()}/$external/nulls`;
    const read = await server.client.get(path);
    assert.equal(read.status, 200, read.text);
    const written = await server.client.patch(path, read.json());
    assert.equal(written.status, 200, written.text);
    assert.equal(written.text, read.text);
    assert.equal((await server.client.get(path)).text, read.text);
  });

  test('read-only members are still checked against their schema; a refused write changes nothing', async () => {
    const path = `${usersPath()}/$external/nulls`;
    const before = await storeSnapshot(server.store);
    assertAtlasError(await server.client.patch(path, { links: 'self' }), invalidJsonAttribute('links'));
    assertAtlasError(await server.client.patch(path, { created: '2024-01-01T00:00:00Z' }), invalidAttribute('created'));
    assert.equal(await storeSnapshot(server.store), before);
  });
});
