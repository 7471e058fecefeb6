import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import atlasClientModule from 'mongodb-atlas-api-client';
import { MAX_DATABASE_USERS_PER_PROJECT } from '../../src/domain/database-user.js';
import { DATABASE_USERS_LIMIT } from '../../src/domain/project-limits.js';
import {
  assertAtlasError,
  atlasError,
  type ErrorExpectation,
  groupNotFound,
  invalidAttribute,
  invalidJsonAttribute,
  missingAttribute,
  resourceNotFound,
} from '../helpers/atlas-assert.js';
import { TestClock } from '../helpers/clock.js';
import { curlDigest } from '../helpers/curl.js';
import { DigestClient } from '../helpers/digest-client.js';
import { pythonRequests } from '../helpers/python-requests.js';
import { startInstances, startTestServer, storeSnapshot, type TestServer, V1 } from '../helpers/server.js';

/**
 * What Terraform's `mongodbatlas_project` reads besides the project: `/settings`,
 * `/limits`, `/teams`, `/ipAddresses`, `/managedSlowMs` (docs/compatibility.md "Project
 * settings, limits, teams"), with Atlas' shapes, over real clients: the repo's Digest
 * client, curl --digest, Python requests and the npm mongodb-atlas-api-client; and the
 * requests the provider's Create, Read, Update and Delete make, in its order, answered as
 * the provider (atlas-sdk-go) decodes them.
 */

const getClient = atlasClientModule as unknown as typeof atlasClientModule.default;
const V2 = '/api/atlas/v2';
const SDK_HEADERS = {
  accept: 'application/vnd.atlas.2023-01-01+json',
  'user-agent': 'terraform-provider-mongodbatlas/1.35.0 atlas-sdk-go/v20250312005',
};
const DEFAULT_SETTINGS = {
  isCollectDatabaseSpecificsStatisticsEnabled: true,
  isDataExplorerEnabled: true,
  isDataExplorerGenAIFeaturesEnabled: true,
  isDataExplorerGenAISampleDocumentPassingEnabled: false,
  isExtendedStorageSizesEnabled: false,
  isPerformanceAdvisorEnabled: true,
  isRealtimePerformancePanelEnabled: true,
  isSchemaAdvisorEnabled: true,
};

let server: TestServer;
const group = () => `${V1}/groups/${server.credentials.groupId}`;
const usersLimit = () => `${group()}/limits/${DATABASE_USERS_LIMIT}`;
const limitBody = (value: number, currentUsage: number) => ({
  currentUsage,
  defaultLimit: MAX_DATABASE_USERS_PER_PROJECT,
  maximumLimit: MAX_DATABASE_USERS_PER_PROJECT,
  name: DATABASE_USERS_LIMIT,
  value,
});

async function createUser(username: string, extra: Record<string, unknown> = {}) {
  return server.client.post(`${group()}/databaseUsers`, {
    databaseName: '$external',
    username,
    x509Type: 'MANAGED',
    roles: [{ roleName: 'read', databaseName: 'app' }],
    ...extra,
  });
}

/** Sends a request that must be refused with `expected`, leaving the store as it was. */
async function refused(method: string, path: string, body: unknown, expected: ErrorExpectation, label = '') {
  const before = await storeSnapshot(server.store);
  const response = await server.client.request(path, { method, ...(body !== undefined ? { body } : {}) });
  assertAtlasError(response, expected, `${method} ${path} ${label}`);
  assert.equal(await storeSnapshot(server.store), before, `${method} ${path} ${label}: the store changed`);
}

before(async () => {
  server = await startTestServer({ clock: new TestClock('2025-03-01T09:00:00Z') });
});
after(() => server.close());

describe('GET/PATCH /groups/{groupId}/settings', () => {
  test("a new project has Atlas' defaults, every flag present, alphabetical", async () => {
    const response = await server.client.get(`${group()}/settings`);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.text, JSON.stringify(DEFAULT_SETTINGS));
  });

  test('PATCH changes the flags sent and keeps the others; the answer is the whole document', async () => {
    const response = await server.client.patch(`${group()}/settings`, {
      isDataExplorerEnabled: false,
      isExtendedStorageSizesEnabled: true,
    });
    const expected = { ...DEFAULT_SETTINGS, isDataExplorerEnabled: false, isExtendedStorageSizesEnabled: true };
    assert.equal(response.status, 200, response.text);
    assert.equal(response.text, JSON.stringify(expected));
    assert.equal((await server.client.get(`${group()}/settings`)).text, JSON.stringify(expected));
  });

  test('the whole GET body sent back, with null members (not given), is accepted and changes nothing', async () => {
    const read = await server.client.get(`${group()}/settings`);
    const before = await storeSnapshot(server.store);
    const written = await server.client.patch(`${group()}/settings`, {
      ...(read.json() as object),
      isSchemaAdvisorEnabled: null,
    });
    assert.equal(written.status, 200, written.text);
    assert.equal(written.text, read.text);
    assert.equal(await storeSnapshot(server.store), before);
  });

  test('settings persist: another instance over the same store reads what one wrote', async () => {
    const deployment = await startInstances(2, new TestClock('2025-03-01T09:00:00Z'));
    try {
      const [first, second] = deployment.instances.map(
        (instance) =>
          new DigestClient(instance.origin, deployment.credentials.publicKey, deployment.credentials.privateKey),
      );
      const path = `${V1}/groups/${deployment.credentials.groupId}`;
      assert.equal((await first!.patch(`${path}/settings`, { isPerformanceAdvisorEnabled: false })).status, 200);
      assert.equal((await first!.delete(`${path}/managedSlowMs/disable`)).status, 204);
      assert.equal((await first!.patch(`${path}/limits/${DATABASE_USERS_LIMIT}`, { value: 7 })).status, 200);
      assert.equal((await second!.get(`${path}/settings`)).json().isPerformanceAdvisorEnabled, false);
      assert.equal((await second!.get(`${path}/managedSlowMs`)).text, 'false');
      assert.equal((await second!.get(`${path}/limits/${DATABASE_USERS_LIMIT}`)).json().value, 7);
    } finally {
      await deployment.close();
    }
  });

  test('refusals: wrong types, unknown members, another project; nothing changes', async () => {
    for (const [body, expected] of [
      [{ isDataExplorerEnabled: 'false' }, invalidJsonAttribute('isDataExplorerEnabled')],
      [{ isDataExplorerEnabled: 0 }, invalidJsonAttribute('isDataExplorerEnabled')],
      [{ isDataExplorerEnabled: [true] }, invalidJsonAttribute('isDataExplorerEnabled')],
      [{ isSlowOperationThresholdingEnabled: true }, invalidAttribute('isSlowOperationThresholdingEnabled')],
      [{ links: [] }, invalidAttribute('links')],
    ] as const) {
      await refused('PATCH', `${group()}/settings`, body, expected, JSON.stringify(body));
    }
    const unknown = '5f0123456789abcdef012345';
    await refused('PATCH', `${V1}/groups/${unknown}/settings`, {}, groupNotFound(unknown));
  });
});

describe('GET /groups/{groupId}/limits and /limits/{limitName}', () => {
  test('the database-users limit: its value, default and maximum are the enforced 100, its usage the real count', async () => {
    const before = (await server.client.get(`${group()}/limits`)).json();
    assert.deepEqual(before, [limitBody(MAX_DATABASE_USERS_PER_PROJECT, 0)]);
    assert.equal((await createUser('limit-a')).status, 201);
    assert.equal((await createUser('limit-b')).status, 201);
    // A temporary user past its deleteAfterDate is gone, and not counted.
    const temporary = await server.client.post(`${group()}/databaseUsers`, {
      databaseName: 'admin',
      username: 'limit-temp',
      password: 'correct horse battery',
      roles: [{ roleName: 'read', databaseName: 'app' }],
      deleteAfterDate: '2025-03-01T10:00:00Z',
    });
    assert.equal(temporary.status, 201, temporary.text);
    assert.deepEqual((await server.client.get(usersLimit())).json(), limitBody(100, 3));
    server.clock.set('2025-03-01T10:00:01Z');
    const response = await server.client.get(usersLimit());
    assert.equal(response.status, 200);
    assert.equal(response.text, JSON.stringify(limitBody(100, 2)));
    assert.equal(
      (await server.client.get(`${group()}/limits?envelope=true`)).text,
      JSON.stringify({ content: [limitBody(100, 2)], status: 200 }),
    );
  });

  test('PATCH the limit: creating users is held to it (403 GROUP_USERS_LIMIT_EXCEEDED); DELETE puts back 100', async () => {
    // The SDK's SetProjectLimit body, as a shell script writes it.
    const set = await curlDigest(server.credentials, [
      '--request',
      'PATCH',
      '--header',
      'Content-Type: application/json',
      '--data',
      '{"value": 3}',
      `${server.origin}${usersLimit()}`,
    ]);
    assert.equal(set.status, 200, set.body);
    assert.deepEqual(JSON.parse(set.body), limitBody(3, 2));
    assert.equal((await createUser('limit-c')).status, 201);
    const before = await storeSnapshot(server.store);
    assertAtlasError(
      await createUser('limit-d'),
      atlasError(403, 'GROUP_USERS_LIMIT_EXCEEDED', 'Groups can contain at most 3 database users.', [3]),
    );
    assert.equal(await storeSnapshot(server.store), before);

    // What a client read, sent back with a new value.
    const read = (await server.client.get(usersLimit())).json();
    const raised = await server.client.patch(usersLimit(), { ...read, value: 4 });
    assert.equal(raised.status, 200, raised.text);
    assert.equal((await createUser('limit-d')).status, 201);

    const reset = await server.client.delete(usersLimit());
    assert.equal(reset.status, 204, reset.text);
    assert.deepEqual((await server.client.get(usersLimit())).json(), limitBody(100, 4));
    assert.equal((await createUser('limit-e')).status, 201);
    assert.equal((await server.client.delete(usersLimit())).status, 204);
  });

  test('refusals: above the maximum, zero, wrong types, another name; unknown limits; nothing changes', async () => {
    const cases: Array<[unknown, ErrorExpectation]> = [
      // A body from a public setup script: Atlas raised its own maximum since; dbcerts' is 100.
      [{ value: 300, name: 'atlas.project.security.databaseAccess.users' }, invalidAttribute('value')],
      [{ value: 101 }, invalidAttribute('value')],
      [
        { value: 0 },
        atlasError(400, 'ATTRIBUTE_NEGATIVE_OR_ZERO', 'The attribute value cannot be negative or zero.', ['value']),
      ],
      [
        { value: -5 },
        atlasError(400, 'ATTRIBUTE_NEGATIVE_OR_ZERO', 'The attribute value cannot be negative or zero.', ['value']),
      ],
      [{ value: '50' }, invalidJsonAttribute('value')],
      [{ value: 5.5 }, invalidJsonAttribute('value')],
      [{}, missingAttribute('value')],
      [{ value: null }, missingAttribute('value')],
      [
        { value: 5, name: 'atlas.project.deployment.clusters' },
        atlasError(400, 'ATTRIBUTE_READ_ONLY', 'The attribute name is read-only and cannot be changed by the user.', [
          'name',
        ]),
      ],
      [{ value: 5, overrunPolicy: 'BLOCK' }, invalidAttribute('overrunPolicy')],
    ];
    for (const [body, expected] of cases) await refused('PATCH', usersLimit(), body, expected, JSON.stringify(body));
    for (const name of ['atlas.project.deployment.clusters', 'nope', 'atlas.project.security.databaseAccess.USERS']) {
      const path = `${group()}/limits/${name}`;
      await refused('GET', path, undefined, resourceNotFound(path));
      await refused('PATCH', path, { value: 5 }, resourceNotFound(path));
      await refused('DELETE', path, undefined, resourceNotFound(path));
    }
  });
});

describe('teams, IP addresses, the managed slow operation threshold', () => {
  test('GET /teams: dbcerts has no teams, an empty Atlas page (not a 404)', async () => {
    const response = await server.client.get(`${group()}/teams`);
    assert.equal(response.status, 200);
    assert.equal(
      response.text,
      JSON.stringify({
        links: [{ href: `${server.origin}${group()}/teams?pageNum=1&itemsPerPage=100`, rel: 'self' }],
        results: [],
        totalCount: 0,
      }),
    );
    const second = (await server.client.get(`${group()}/teams?pageNum=2&includeCount=false`)).json();
    assert.deepEqual(second, {
      links: [
        { href: `${server.origin}${group()}/teams?includeCount=false&pageNum=2&itemsPerPage=100`, rel: 'self' },
        { href: `${server.origin}${group()}/teams?includeCount=false&pageNum=1&itemsPerPage=100`, rel: 'previous' },
      ],
      results: [],
    });
  });

  test("GET /ipAddresses: Atlas' GroupIPAddresses, with no clusters", async () => {
    const response = await server.client.get(`${group()}/ipAddresses`);
    assert.equal(response.status, 200);
    assert.equal(response.text, JSON.stringify({ groupId: server.credentials.groupId, services: { clusters: [] } }));
  });

  test('managedSlowMs: on by default; disable and enable answer 204 and hold; envelope and pretty', async () => {
    const state = async () => (await server.client.get(`${group()}/managedSlowMs`)).text;
    assert.equal(await state(), 'true');
    assert.equal((await server.client.delete(`${group()}/managedSlowMs/disable`)).status, 204);
    assert.equal(await state(), 'false');
    assert.equal((await server.client.delete(`${group()}/managedSlowMs/disable`)).status, 204);
    assert.equal((await server.client.post(`${group()}/managedSlowMs/enable`)).status, 204);
    assert.equal(await state(), 'true');
    assert.equal(
      (await server.client.get(`${group()}/managedSlowMs?envelope=true`)).text,
      '{"content":true,"status":200}',
    );
    assert.equal((await server.client.get(`${group()}/managedSlowMs?pretty=true`)).text, 'true');
  });
});

describe("Terraform's mongodbatlas_project, request by request (v2, atlas-sdk-go)", () => {
  const v2 = (path: string, method = 'GET', body?: unknown) =>
    server.client.request(`${V2}${path}`, { method, headers: SDK_HEADERS, ...(body !== undefined ? { body } : {}) });
  let groupId = '';

  /** The provider's Read: the project, then GetProjectPropsFromAPI's five calls, in its order. */
  async function terraformRead(id: string) {
    const project = await v2(`/groups/${id}`);
    if (project.status === 404) return undefined; // the provider removes the resource from state
    assert.equal(project.status, 200, project.text);
    const answers: Record<string, any> = { project: project.json() };
    for (const [name, path] of [
      ['teams', 'teams'],
      ['limits', 'limits'],
      ['settings', 'settings'],
      ['ipAddresses', 'ipAddresses'],
      ['managedSlowMs', 'managedSlowMs'],
    ] as const) {
      const response = await v2(`/groups/${id}/${path}`);
      assert.equal(response.status, 200, `${path}: ${response.text}`);
      assert.equal(response.headers.get('content-type'), 'application/vnd.atlas.2023-01-01+json', path);
      answers[name] = response.json();
    }
    return answers;
  }

  test('Create: POST /groups, GET and PATCH /settings (the document read, changed), then Read', async () => {
    const created = await v2('/groups', 'POST', {
      name: 'tf-project',
      orgId: server.credentials.orgId,
      tags: [{ key: 'Owner', value: 'Terraform' }],
      withDefaultAlertsSettings: true,
    });
    assert.equal(created.status, 200, created.text);
    groupId = created.json().id;
    const settings = await v2(`/groups/${groupId}/settings`);
    assert.equal(settings.status, 200);
    const updated = await v2(`/groups/${groupId}/settings`, 'PATCH', {
      ...(settings.json() as object),
      isSchemaAdvisorEnabled: false,
    });
    assert.equal(updated.status, 200, updated.text);

    const read = (await terraformRead(groupId))!;
    assert.equal(read.project.name, 'tf-project');
    assert.equal(read.project.clusterCount, 0);
    assert.deepEqual(read.project.tags, [{ key: 'Owner', value: 'Terraform' }]);
    // The provider dereferences the six settings flags it keeps: every one must be there.
    for (const flag of [
      'isCollectDatabaseSpecificsStatisticsEnabled',
      'isDataExplorerEnabled',
      'isExtendedStorageSizesEnabled',
      'isPerformanceAdvisorEnabled',
      'isRealtimePerformancePanelEnabled',
      'isSchemaAdvisorEnabled',
    ]) {
      assert.equal(typeof read.settings[flag], 'boolean', flag);
    }
    assert.equal(read.settings.isSchemaAdvisorEnabled, false);
    assert.deepEqual(read.teams.results, []);
    assert.equal(read.teams.totalCount, 0);
    assert.deepEqual(read.limits, [limitBody(100, 0)]);
    assert.deepEqual(read.ipAddresses, { groupId, services: { clusters: [] } });
    assert.equal(read.managedSlowMs, true);
  });

  test('Update: PATCH /groups/{id} with GroupUpdate {name, tags}; PATCH a limit; Read again', async () => {
    const renamed = await v2(`/groups/${groupId}`, 'PATCH', { name: 'tf-project-2', tags: [] });
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.headers.get('content-type'), 'application/vnd.atlas.2023-01-01+json');
    const limit = await v2(`/groups/${groupId}/limits/${DATABASE_USERS_LIMIT}`, 'PATCH', { value: 40 });
    assert.equal(limit.status, 200, limit.text);
    const read = (await terraformRead(groupId))!;
    assert.equal(read.project.name, 'tf-project-2');
    assert.deepEqual(read.project.tags, []);
    assert.deepEqual(read.limits, [limitBody(40, 0)]);
  });

  test('Delete: the cluster list it polls first is not found (it proceeds), DELETE answers 204; Read drops it', async () => {
    const clusters = await v2(`/groups/${groupId}/clusters`);
    assert.equal(clusters.status, 404);
    const deleted = await v2(`/groups/${groupId}`, 'DELETE');
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal(await terraformRead(groupId), undefined);
  });
});

describe('independent clients', () => {
  test('Python requests: the Read sequence in one session, and a settings PATCH with "null" members', async () => {
    const base = group();
    const answers = await pythonRequests(server.origin, server.credentials, [
      { method: 'GET', target: base },
      { method: 'GET', target: `${base}/teams` },
      { method: 'GET', target: `${base}/limits` },
      { method: 'GET', target: `${base}/settings` },
      { method: 'GET', target: `${base}/ipAddresses` },
      { method: 'GET', target: `${base}/managedSlowMs` },
      {
        method: 'PATCH',
        target: `${base}/settings`,
        body: '{"isRealtimePerformancePanelEnabled": false, "isDataExplorerEnabled": null}',
      },
    ]);
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [200, 200, 200, 200, 200, 200, 200],
    );
    assert.equal(answers[5]!.text, 'true');
    assert.equal(answers[6]!.json().isRealtimePerformancePanelEnabled, false);
    assert.equal(answers[6]!.json().isDataExplorerEnabled, answers[3]!.json().isDataExplorerEnabled);
  });

  test('curl --digest: GET /ipAddresses and /teams', async () => {
    for (const [path, expected] of [
      [`${group()}/ipAddresses`, { groupId: server.credentials.groupId, services: { clusters: [] } }],
      [
        `${group()}/teams?itemsPerPage=5`,
        {
          links: [{ href: `${server.origin}${group()}/teams?pageNum=1&itemsPerPage=5`, rel: 'self' }],
          results: [],
          totalCount: 0,
        },
      ],
    ] as const) {
      const result = await curlDigest(server.credentials, [`${server.origin}${path}`]);
      assert.equal(result.status, 200, result.body);
      assert.deepEqual(JSON.parse(result.body), expected);
    }
  });

  test('mongodb-atlas-api-client: project.getByName, getTeamsByProjectId and delete', async () => {
    const { publicKey, privateKey, orgId } = server.credentials;
    const client = getClient({ publicKey, privateKey, baseUrl: `${server.origin}/api/atlas/v1.0`, projectId: '' });
    const made = await client.project.create({ name: 'npm-client-project', orgId });
    const byName = (await client.project.getByName('npm-client-project')) as any;
    assert.deepEqual(byName, made);
    const teams = (await client.project.getTeamsByProjectId(byName.id)) as any;
    assert.deepEqual(teams.results, []);
    assert.equal(teams.totalCount, 0);
    assert.equal(await client.project.delete(byName.id), true);
    assertAtlasError(await server.client.get(`${V1}/groups/${byName.id}`), groupNotFound(byName.id));
  });
});
