import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { newObjectId } from '../../src/domain/ids.js';
import { CertificateAuthoritiesRepository } from '../../src/store/repositories/certificates.js';
import {
  assertAtlasError,
  type ErrorExpectation,
  groupNotFound,
  invalidAttribute,
  invalidGroupId,
  invalidQueryParameter,
  missingAttribute,
} from '../helpers/atlas-assert.js';
import { tableNames } from '../helpers/backend.js';
import { DigestClient } from '../helpers/digest-client.js';
import { TestClock } from '../helpers/clock.js';
import { startTestServer, storeSnapshot, type TestServer, V1 } from '../helpers/server.js';

/**
 * Projects (`/api/atlas/v1.0/groups`): list, get, create, the project-id errors, and
 * isolation between organizations. Expected bodies follow shared/spec/atlas-api.md and
 * docs/compatibility.md ("Projects", "Errors", "Wire format").
 */

const START = '2024-05-01T12:00:00.500Z';
const START_SECOND = '2024-05-01T12:00:00Z';

let server: TestServer;

function groupBody(project: { id: string; name: string; orgId: string; created: string; tags?: unknown[] }) {
  // Alphabetical member order, as the wire format requires.
  return {
    clusterCount: 0,
    created: project.created,
    id: project.id,
    links: [{ href: `${server.origin}${V1}/groups/${project.id}`, rel: 'self' }],
    name: project.name,
    orgId: project.orgId,
    tags: project.tags ?? [],
  };
}

/** The project bootstrap made, as the API answers it. */
const bootstrapProject = () =>
  groupBody({
    id: server.credentials.groupId,
    name: 'Project0',
    orgId: server.credentials.orgId,
    created: START_SECOND,
  });

/** A second organization with one project and an org-owner key, made directly in the store. */
interface OtherOrg {
  orgId: string;
  groupId: string;
  client: DigestClient;
}

async function createOtherOrg(name: string, projectName: string): Promise<OtherOrg> {
  const now = server.clock.now();
  const orgId = newObjectId(now);
  const groupId = newObjectId(now);
  await server.store.organizations.insert({ id: orgId, name, createdAt: now });
  await server.store.projects.insert({ id: groupId, orgId, name: projectName, tags: [], createdAt: now });
  const { key, privateKey } = await server.authority.apiKeys.mint(orgId, 'desc', ['ORG_OWNER']);
  return { orgId, groupId, client: new DigestClient(server.origin, key.publicKey, privateKey) };
}

before(async () => {
  server = await startTestServer({ clock: new TestClock(START) });
});

after(() => server.close());

describe('GET /groups and /groups/{id} on a fresh deployment', () => {
  test('the list holds just the bootstrap project, exactly as Atlas writes it', async () => {
    const response = await server.client.get(`${V1}/groups`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const expected = {
      links: [{ href: `${server.origin}${V1}/groups?pageNum=1&itemsPerPage=100`, rel: 'self' }],
      results: [bootstrapProject()],
      totalCount: 1,
    };
    assert.deepEqual(response.json(), expected);
    assert.equal(response.text, JSON.stringify(expected));
  });

  test('get by id: exact body (clusterCount 0, created to the second, self link, tags [])', async () => {
    const response = await server.client.get(`${V1}/groups/${server.credentials.groupId}`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const expected = bootstrapProject();
    assert.equal(response.text, JSON.stringify(expected));
  });

  test('envelope=true on a single project: {"content":…,"status":200}, HTTP status unchanged', async () => {
    const response = await server.client.get(`${V1}/groups/${server.credentials.groupId}?envelope=true`);
    assert.equal(response.status, 200);
    const content = bootstrapProject();
    assert.equal(response.text, JSON.stringify({ content, status: 200 }));
  });

  test('envelope=true on the list adds status between results and totalCount', async () => {
    const response = await server.client.get(`${V1}/groups?envelope=true`);
    assert.equal(response.status, 200);
    const expected = {
      links: [{ href: `${server.origin}${V1}/groups?envelope=true&pageNum=1&itemsPerPage=100`, rel: 'self' }],
      results: [bootstrapProject()],
      status: 200,
      totalCount: 1,
    };
    assert.equal(response.text, JSON.stringify(expected));
  });

  test('envelope=true on an error envelopes the error body, HTTP status unchanged', async () => {
    const unknown = 'aaaaaaaaaaaaaaaaaaaaaaaa';
    const response = await server.client.get(`${V1}/groups/${unknown}?envelope=true`);
    assert.equal(response.status, 404);
    assert.deepEqual(response.json(), {
      content: groupNotFound(unknown),
      status: 404,
    });
  });
});

describe('project id errors', () => {
  for (const malformed of ['xyz', '0123456789ABCDEF01234567', '0123456789abcdef0123456', '0123456789abcdef012345678']) {
    test(`malformed id ${malformed} → 404 INVALID_GROUP_ID`, async () => {
      const response = await server.client.get(`${V1}/groups/${malformed}`);
      assertAtlasError(response, invalidGroupId(malformed));
    });
  }

  test('well-formed unknown id → 404 GROUP_NOT_FOUND', async () => {
    const unknown = '5f0123456789abcdef012345';
    const response = await server.client.get(`${V1}/groups/${unknown}`);
    assertAtlasError(response, groupNotFound(unknown));
  });

  test('the same errors under a project sub-resource (databaseUsers)', async () => {
    assertAtlasError(await server.client.get(`${V1}/groups/nothex/databaseUsers`), invalidGroupId('nothex'));
    const unknown = '5f0123456789abcdef012345';
    assertAtlasError(await server.client.get(`${V1}/groups/${unknown}/databaseUsers`), groupNotFound(unknown));
  });
});

describe('POST /groups', () => {
  test('creates a project: 200 with the Group body; readable by id and in the list', async () => {
    server.clock.set('2024-05-02T08:30:15.999Z');
    const response = await server.client.post(`${V1}/groups`, {
      name: 'Created-Project_1',
      orgId: server.credentials.orgId,
      tags: [{ key: 'env', value: 'test' }],
      withDefaultAlertsSettings: false,
    });
    assert.equal(response.status, 200, response.text);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const body = response.json();
    assert.match(body.id, /^[0-9a-f]{24}$/);
    assert.notEqual(body.id, server.credentials.groupId);
    const expected = groupBody({
      id: body.id,
      name: 'Created-Project_1',
      orgId: server.credentials.orgId,
      created: '2024-05-02T08:30:15Z',
      tags: [{ key: 'env', value: 'test' }],
    });
    assert.equal(response.text, JSON.stringify(expected));

    const got = await server.client.get(`${V1}/groups/${body.id}`);
    assert.equal(got.status, 200);
    assert.equal(got.text, JSON.stringify(expected));

    const list = (await server.client.get(`${V1}/groups`)).json();
    assert.equal(list.totalCount, 2);
    assert.deepEqual(
      list.results.map((project: { id: string }) => project.id),
      [server.credentials.groupId, body.id],
    );
  });

  test('projectOwnerId is accepted and ignored; the name pattern allows its punctuation', async () => {
    const name = "Équipe.(a),b:c&d@e+f'g-9";
    const response = await server.client.post(`${V1}/groups?projectOwnerId=0123456789abcdef01234567`, {
      name,
      orgId: server.credentials.orgId,
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.json().name, name);
    assert.deepEqual(response.json().tags, []);
  });

  test('envelope=true on create: {"content":…,"status":200}', async () => {
    const response = await server.client.post(`${V1}/groups?envelope=true`, {
      name: 'Enveloped',
      orgId: server.credentials.orgId,
    });
    assert.equal(response.status, 200);
    const body = response.json();
    assert.deepEqual(Object.keys(body), ['content', 'status']);
    assert.equal(body.status, 200);
    assert.equal(body.content.name, 'Enveloped');
    assert.equal(body.content.clusterCount, 0);
  });

  interface Refusal {
    name: string;
    body: unknown;
    expected: ErrorExpectation;
  }

  const refusals = (): Refusal[] => [
    {
      name: 'no orgId → 400 API_KEY_CREATED_GROUPS_MUST_HAVE_ORG',
      body: { name: 'NoOrg' },
      expected: {
        status: 400,
        errorCode: 'API_KEY_CREATED_GROUPS_MUST_HAVE_ORG',
        detail: 'Projects created by API keys must belong to an existing organization.',
      },
    },
    {
      name: 'an unknown organization → 401 NOT_ORG_GROUP_CREATOR',
      body: { name: 'Elsewhere', orgId: '0123456789abcdef01234567' },
      expected: {
        status: 401,
        errorCode: 'NOT_ORG_GROUP_CREATOR',
        detail:
          'The currently logged in user does not have the group creator role in organization 0123456789abcdef01234567.',
        parameters: ['0123456789abcdef01234567'],
      },
    },
    {
      name: 'a name with a space → 400 INVALID_GROUP_NAME',
      body: { name: 'bad name', orgId: server.credentials.orgId },
      expected: {
        status: 400,
        errorCode: 'INVALID_GROUP_NAME',
        detail: 'An invalid group name "bad name" was specified.',
        parameters: ['bad name'],
      },
    },
    {
      name: 'a name with a slash → 400 INVALID_GROUP_NAME',
      body: { name: 'a/b', orgId: server.credentials.orgId },
      expected: {
        status: 400,
        errorCode: 'INVALID_GROUP_NAME',
        detail: 'An invalid group name "a/b" was specified.',
        parameters: ['a/b'],
      },
    },
    {
      name: 'an empty name → 400 INVALID_GROUP_NAME',
      body: { name: '', orgId: server.credentials.orgId },
      expected: {
        status: 400,
        errorCode: 'INVALID_GROUP_NAME',
        detail: 'An invalid group name "" was specified.',
        parameters: [''],
      },
    },
    {
      name: 'a 65-character name → 400 INVALID_GROUP_NAME',
      body: { name: 'n'.repeat(65), orgId: server.credentials.orgId },
      expected: {
        status: 400,
        errorCode: 'INVALID_GROUP_NAME',
        detail: `An invalid group name "${'n'.repeat(65)}" was specified.`,
        parameters: ['n'.repeat(65)],
      },
    },
    {
      name: 'a duplicate name in the organization → 409 GROUP_ALREADY_EXISTS',
      body: { name: 'Created-Project_1', orgId: server.credentials.orgId },
      expected: {
        status: 409,
        errorCode: 'GROUP_ALREADY_EXISTS',
        detail: 'A group with name "Created-Project_1" already exists.',
        parameters: ['Created-Project_1'],
      },
    },
    {
      name: 'regionUsageRestrictions → 400 INVALID_ATTRIBUTE',
      body: { name: 'Gov', orgId: server.credentials.orgId, regionUsageRestrictions: 'GOV_REGIONS_ONLY' },
      expected: invalidAttribute('regionUsageRestrictions'),
    },
    {
      name: 'an unknown attribute → 400 INVALID_ATTRIBUTE naming it',
      body: { name: 'Unknown', orgId: server.credentials.orgId, colour: 'blue' },
      expected: invalidAttribute('colour'),
    },
    ...(['id', 'created', 'clusterCount', 'links'] as const).map((field) => ({
      name: `read-only ${field} → 400 INVALID_ATTRIBUTE`,
      body: {
        name: `ReadOnly-${field}`,
        orgId: server.credentials.orgId,
        [field]: { id: '0123456789abcdef01234567', created: '2024-01-01T00:00:00Z', clusterCount: 0, links: [] }[field],
      },
      expected: invalidAttribute(field),
    })),
    {
      name: 'no name → 400 MISSING_ATTRIBUTE',
      body: { orgId: server.credentials.orgId },
      expected: missingAttribute('name'),
    },
    {
      name: 'a numeric name → 400 INVALID_JSON_ATTRIBUTE',
      body: { name: 42, orgId: server.credentials.orgId },
      expected: {
        status: 400,
        errorCode: 'INVALID_JSON_ATTRIBUTE',
        detail: 'Received JSON for the name attribute does not match expected format.',
        parameters: ['name'],
      },
    },
  ];

  test('each refused create has its exact Atlas error and changes nothing', async (t) => {
    for (const refusal of refusals()) {
      await t.test(refusal.name, async () => {
        const before = await storeSnapshot(server.store);
        const response = await server.client.post(`${V1}/groups`, refusal.body);
        assertAtlasError(response, refusal.expected);
        assert.equal(await storeSnapshot(server.store), before);
      });
    }
  });
});

describe('two organizations', () => {
  let other: OtherOrg;

  before(async () => {
    server.clock.set('2024-06-01T00:00:00Z');
    other = await createOtherOrg('Other org', 'Other project');
  });

  test('a project of another organization → 401 NOT_IN_GROUP, without WWW-Authenticate', async () => {
    for (const [client, groupId] of [
      [server.client, other.groupId],
      [other.client, server.credentials.groupId],
    ] as const) {
      for (const path of [`${V1}/groups/${groupId}`, `${V1}/groups/${groupId}/databaseUsers`]) {
        const response = await client.get(path);
        assertAtlasError(response, {
          status: 401,
          errorCode: 'NOT_IN_GROUP',
          detail: 'The current user is not in the group, or the group does not exist.',
        });
        assert.equal(response.headers.get('www-authenticate'), null);
      }
    }
  });

  test('neither key sees the other organization’s projects in its list', async () => {
    const mine = (await server.client.get(`${V1}/groups`)).json();
    const ids = mine.results.map((project: { id: string }) => project.id);
    assert.ok(ids.includes(server.credentials.groupId));
    assert.ok(!ids.includes(other.groupId));
    assert.ok(mine.results.every((project: { orgId: string }) => project.orgId === server.credentials.orgId));
    assert.equal(mine.totalCount, ids.length);

    const response = await other.client.get(`${V1}/groups`);
    assert.equal(response.status, 200);
    const expected = {
      links: [{ href: `${server.origin}${V1}/groups?pageNum=1&itemsPerPage=100`, rel: 'self' }],
      results: [
        groupBody({ id: other.groupId, name: 'Other project', orgId: other.orgId, created: '2024-06-01T00:00:00Z' }),
      ],
      totalCount: 1,
    };
    assert.equal(response.text, JSON.stringify(expected));
  });

  test('the other key reads its own project by id', async () => {
    const response = await other.client.get(`${V1}/groups/${other.groupId}`);
    assert.equal(response.status, 200);
    assert.equal(
      response.text,
      JSON.stringify(
        groupBody({ id: other.groupId, name: 'Other project', orgId: other.orgId, created: '2024-06-01T00:00:00Z' }),
      ),
    );
  });

  test('creating in the other organization → 401 NOT_ORG_GROUP_CREATOR, store unchanged', async () => {
    for (const [client, orgId] of [
      [server.client, other.orgId],
      [other.client, server.credentials.orgId],
    ] as const) {
      const before = await storeSnapshot(server.store);
      const response = await client.post(`${V1}/groups`, { name: 'Intruder', orgId });
      assertAtlasError(response, {
        status: 401,
        errorCode: 'NOT_ORG_GROUP_CREATOR',
        detail: `The currently logged in user does not have the group creator role in organization ${orgId}.`,
        parameters: [orgId],
      });
      assert.equal(await storeSnapshot(server.store), before);
    }
  });

  test('a name taken in one organization is free in another', async () => {
    const response = await other.client.post(`${V1}/groups`, { name: 'Created-Project_1', orgId: other.orgId });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.json().orgId, other.orgId);
    const list = (await other.client.get(`${V1}/groups`)).json();
    assert.equal(list.totalCount, 2);
    const mine = (await server.client.get(`${V1}/groups`)).json();
    assert.ok(!mine.results.some((project: { id: string }) => project.id === response.json().id));
  });
});

describe('paging the project list', () => {
  let org: OtherOrg;
  const names = ['Page-A', 'Page-B', 'Page-C', 'Page-D', 'Page-E'];
  const ids: string[] = [];

  before(async () => {
    server.clock.set('2024-07-01T00:00:00Z');
    org = await createOtherOrg('Paging org', 'Page-0');
    ids.push(org.groupId);
    for (const name of names) {
      server.clock.advance(1000);
      const response = await org.client.post(`${V1}/groups`, { name, orgId: org.orgId });
      assert.equal(response.status, 200, response.text);
      ids.push(response.json().id);
    }
  });

  const link = (rel: string, query: string) => ({ href: `${server.origin}${V1}/groups?${query}`, rel });

  /** GETs `/groups?{query}`, checks its links and its projects' ids, and returns the body. */
  async function assertPage(query: string, links: Array<ReturnType<typeof link>>, projectIds: string[]) {
    const body = (await org.client.get(`${V1}/groups?${query}`)).json();
    assert.deepEqual(body.links, links);
    assert.deepEqual(
      body.results.map((project: { id: string }) => project.id),
      projectIds,
    );
    return body;
  }

  test('first page: self and next, totalCount counts every page', async () => {
    const body = await assertPage(
      'itemsPerPage=2',
      [link('self', 'pageNum=1&itemsPerPage=2'), link('next', 'pageNum=2&itemsPerPage=2')],
      ids.slice(0, 2),
    );
    assert.equal(body.totalCount, 6);
  });

  test('middle page: self, previous, next', async () => {
    await assertPage(
      'pageNum=2&itemsPerPage=2',
      [
        link('self', 'pageNum=2&itemsPerPage=2'),
        link('previous', 'pageNum=1&itemsPerPage=2'),
        link('next', 'pageNum=3&itemsPerPage=2'),
      ],
      ids.slice(2, 4),
    );
  });

  test('last page: no next; includeCount=false drops totalCount and is kept in the links', async () => {
    const body = await assertPage(
      'pageNum=3&itemsPerPage=2&includeCount=false',
      [
        link('self', 'includeCount=false&pageNum=3&itemsPerPage=2'),
        link('previous', 'includeCount=false&pageNum=2&itemsPerPage=2'),
      ],
      ids.slice(4, 6),
    );
    assert.equal('totalCount' in body, false);
  });

  test('a page past the end is 200 with results []', async () => {
    const response = await org.client.get(`${V1}/groups?pageNum=9&itemsPerPage=2`);
    assert.equal(response.status, 200);
    const body = response.json();
    assert.deepEqual(body.results, []);
    assert.equal(body.totalCount, 6);
  });

  test('itemsPerPage above 500 → 400 INVALID_QUERY_PARAMETER', async () => {
    assertAtlasError(await org.client.get(`${V1}/groups?itemsPerPage=501`), invalidQueryParameter('itemsPerPage'));
  });
});

describe('PATCH /groups/{groupId}', () => {
  let project: { id: string; created: string };
  const path = () => `${V1}/groups/${project.id}`;

  before(async () => {
    server.clock.set('2024-08-01T10:00:00.250Z');
    const created = await server.client.post(`${V1}/groups`, { name: 'Patch-Me', orgId: server.credentials.orgId });
    assert.equal(created.status, 200, created.text);
    project = { id: created.json().id, created: '2024-08-01T10:00:00Z' };
  });

  const body = (name: string, tags: unknown[] = []) =>
    groupBody({ id: project.id, name, orgId: server.credentials.orgId, created: project.created, tags });

  test("Terraform's GroupUpdate ({name, tags}) renames and re-tags: the whole Group, and GET agrees", async () => {
    const tags = [{ key: 'env', value: 'prod' }];
    const response = await server.client.patch(path(), { name: 'Patched', tags });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.text, JSON.stringify(body('Patched', tags)));
    assert.equal((await server.client.get(path())).text, JSON.stringify(body('Patched', tags)));
    const events = await server.store.events.list(
      { orgId: server.credentials.orgId, groupId: project.id, eventTypes: ['DBCERTS_GROUP_UPDATED'] },
      0,
      10,
    );
    assert.equal(events.length, 1);
  });

  test('a full GET body sent back (id, orgId, created, clusterCount, links) with a new name is accepted', async () => {
    const read = (await server.client.get(path())).json();
    const response = await server.client.patch(path(), { ...read, name: 'Patched-Again', tags: [] });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.text, JSON.stringify(body('Patched-Again')));
  });

  test('null members are not given, {} changes nothing: 200 with the project as it is', async () => {
    const before = await storeSnapshot(server.store);
    for (const sent of [{}, { name: null, tags: null, withDefaultAlertsSettings: null, links: null }]) {
      const response = await server.client.patch(path(), sent);
      assert.equal(response.status, 200, response.text);
      assert.equal(response.text, JSON.stringify(body('Patched-Again')));
    }
    assert.equal(await storeSnapshot(server.store), before);
  });

  test('withDefaultAlertsSettings is accepted and changes nothing; envelope=true wraps the answer', async () => {
    const response = await server.client.patch(`${path()}?envelope=true`, { withDefaultAlertsSettings: false });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.text, JSON.stringify({ content: body('Patched-Again'), status: 200 }));
  });

  test('each refused update has its exact Atlas error and changes nothing', async (t) => {
    const otherOrgId = '0123456789abcdef01234567';
    const refusals: Array<[string, unknown, ErrorExpectation, string?]> = [
      [
        'another id',
        { id: otherOrgId },
        {
          status: 400,
          errorCode: 'GROUP_MISMATCH',
          detail: `The specified group ID ${otherOrgId} does not match the URL.`,
          parameters: [otherOrgId],
        },
      ],
      [
        'another orgId',
        { orgId: otherOrgId },
        {
          status: 400,
          errorCode: 'ATTRIBUTE_READ_ONLY',
          detail: 'The attribute orgId is read-only and cannot be changed by the user.',
          parameters: ['orgId'],
        },
      ],
      ['a malformed id', { id: 'nothex' }, invalidAttribute('id')],
      [
        'a name with a space',
        { name: 'bad name' },
        {
          status: 400,
          errorCode: 'INVALID_GROUP_NAME',
          detail: 'An invalid group name "bad name" was specified.',
          parameters: ['bad name'],
        },
      ],
      [
        'a name taken in the organization',
        { name: 'Created-Project_1' },
        {
          status: 409,
          errorCode: 'GROUP_ALREADY_EXISTS',
          detail: 'A group with name "Created-Project_1" already exists.',
          parameters: ['Created-Project_1'],
        },
      ],
      ['an unknown attribute', { colour: 'blue' }, invalidAttribute('colour')],
      [
        'regionUsageRestrictions',
        { regionUsageRestrictions: 'GOV_REGIONS_ONLY' },
        invalidAttribute('regionUsageRestrictions'),
      ],
      [
        'a numeric name',
        { name: 42 },
        {
          status: 400,
          errorCode: 'INVALID_JSON_ATTRIBUTE',
          detail: 'Received JSON for the name attribute does not match expected format.',
          parameters: ['name'],
        },
      ],
      [
        'links that are not a list',
        { links: 'self' },
        {
          status: 400,
          errorCode: 'INVALID_JSON_ATTRIBUTE',
          detail: 'Received JSON for the links attribute does not match expected format.',
          parameters: ['links'],
        },
      ],
      ['a tag with an empty key', { tags: [{ key: '', value: 'v' }] }, invalidAttribute('tags.key')],
      [
        'an unknown project',
        { name: 'X' },
        groupNotFound('5f0123456789abcdef012345'),
        `${V1}/groups/5f0123456789abcdef012345`,
      ],
      ['a malformed project id', { name: 'X' }, invalidGroupId('nothex'), `${V1}/groups/nothex`],
    ];
    for (const [name, sent, expected, target] of refusals) {
      await t.test(name, async () => {
        const before = await storeSnapshot(server.store);
        assertAtlasError(await server.client.patch(target ?? path(), sent), expected);
        assert.equal(await storeSnapshot(server.store), before);
      });
    }
  });
});

describe('GET /groups/byName/{groupName}', () => {
  test('answers exactly what GET /groups/{id} answers, for a name with punctuation (percent-encoded)', async () => {
    const name = "Équipe.(a),b:c&d@e+f'g-9";
    const list = (await server.client.get(`${V1}/groups?itemsPerPage=500`)).json();
    const project = list.results.find((candidate: { name: string }) => candidate.name === name);
    assert.ok(project);
    const response = await server.client.get(`${V1}/groups/byName/${encodeURIComponent(name)}`);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.text, (await server.client.get(`${V1}/groups/${project.id}`)).text);
  });

  test('an unknown name, another case, another organization’s project: 404 GROUP_NAME_NOT_FOUND', async () => {
    for (const name of ['No-Such-Project', 'project0', 'Other project']) {
      assertAtlasError(await server.client.get(`${V1}/groups/byName/${encodeURIComponent(name)}`), {
        status: 404,
        errorCode: 'GROUP_NAME_NOT_FOUND',
        detail: `No group with name "${name}" exists.`,
        parameters: [name],
      });
    }
  });
});

describe('the name filter of GET /orgs and GET /orgs/{orgId}/groups', () => {
  let org: OtherOrg;
  const names = ['Alpha_1', 'alphaX1', 'ALPHA-2', 'Éclair', 'Beta'];

  before(async () => {
    server.clock.set('2024-09-01T00:00:00Z');
    org = await createOtherOrg('Filter Org', 'Zeta');
    for (const name of names) {
      server.clock.advance(1000);
      const response = await org.client.post(`${V1}/groups`, { name, orgId: org.orgId });
      assert.equal(response.status, 200, response.text);
    }
  });

  const namesOf = async (query: string) => {
    const response = await org.client.get(`${V1}/orgs/${org.orgId}/groups?${query}`);
    assert.equal(response.status, 200, response.text);
    const body = response.json();
    return { names: body.results.map((project: { name: string }) => project.name), totalCount: body.totalCount };
  };

  test('a prefix, ignoring case (non-ASCII letters too), oldest first, counted', async () => {
    assert.deepEqual(await namesOf('name=alpha'), { names: ['Alpha_1', 'alphaX1', 'ALPHA-2'], totalCount: 3 });
    assert.deepEqual(await namesOf('name=éCL'), { names: ['Éclair'], totalCount: 1 });
    assert.deepEqual(await namesOf('name=Zeta'), { names: ['Zeta'], totalCount: 1 });
    assert.deepEqual(await namesOf('name=zz'), { names: [], totalCount: 0 });
  });

  test('_ and % in the filter are themselves, not wildcards', async () => {
    assert.deepEqual(await namesOf('name=alpha_'), { names: ['Alpha_1'], totalCount: 1 });
    assert.deepEqual(await namesOf(`name=${encodeURIComponent('alpha%')}`), { names: [], totalCount: 0 });
    assert.deepEqual(await namesOf(`name=${encodeURIComponent('\\')}`), { names: [], totalCount: 0 });
  });

  test('pages of the filtered list: links keep the filter', async () => {
    const response = await org.client.get(`${V1}/orgs/${org.orgId}/groups?name=ALPHA&itemsPerPage=2`);
    const body = response.json();
    assert.deepEqual(
      body.results.map((project: { name: string }) => project.name),
      ['Alpha_1', 'alphaX1'],
    );
    assert.deepEqual(body.links, [
      { href: `${server.origin}${V1}/orgs/${org.orgId}/groups?name=ALPHA&pageNum=1&itemsPerPage=2`, rel: 'self' },
      { href: `${server.origin}${V1}/orgs/${org.orgId}/groups?name=ALPHA&pageNum=2&itemsPerPage=2`, rel: 'next' },
    ]);
    assert.equal(body.totalCount, 3);
  });

  test('GET /orgs?name=: the key’s organization when its name starts with the filter, ignoring case', async () => {
    const listed = async (query: string) => (await org.client.get(`${V1}/orgs?${query}`)).json();
    const match = await listed('name=filter%20o');
    assert.deepEqual(
      match.results.map((entry: { id: string }) => entry.id),
      [org.orgId],
    );
    assert.equal(match.totalCount, 1);
    const none = await listed('name=Org');
    assert.deepEqual(none.results, []);
    assert.equal(none.totalCount, 0);
    const page2 = await listed('name=filter&pageNum=2');
    assert.deepEqual(page2.results, []);
    assert.equal(page2.totalCount, 1);
  });
});

describe('DELETE /groups/{groupId}', () => {
  /** A project of the bootstrap organization, with a managed user holding a certificate. */
  async function populatedProject(name: string): Promise<string> {
    const created = await server.client.post(`${V1}/groups`, { name, orgId: server.credentials.orgId });
    assert.equal(created.status, 200, created.text);
    const groupId = created.json().id as string;
    const base = `${V1}/groups/${groupId}`;
    const steps: Array<[string, string, unknown, number]> = [
      [
        'POST',
        `${base}/databaseUsers`,
        {
          databaseName: '$external',
          username: 'doomed',
          x509Type: 'MANAGED',
          roles: [{ roleName: 'read', databaseName: 'app' }],
        },
        201,
      ],
      ['POST', `${base}/databaseUsers/doomed/certs`, { monthsUntilExpiration: 1 }, 201],
      ['GET', `${base}/userSecurity/managedX509/crl`, undefined, 200],
      ['PATCH', `${base}/userSecurity/managedX509/alerts`, { leadTimeDays: 10 }, 200],
      ['PATCH', `${base}/settings`, { isDataExplorerEnabled: false }, 200],
      ['PATCH', `${base}/limits/atlas.project.security.databaseAccess.users`, { value: 10 }, 200],
      ['DELETE', `${base}/managedSlowMs/disable`, undefined, 204],
    ];
    for (const [method, target, sent, status] of steps) {
      const response = await server.client.request(target, { method, ...(sent !== undefined ? { body: sent } : {}) });
      assert.equal(response.status, status, `${method} ${target}: ${response.text}`);
    }
    return groupId;
  }

  /** Every row of every table that names the project (events aside: the trail keeps them). */
  async function rowsNaming(groupId: string): Promise<string[]> {
    const found: string[] = [];
    for (const table of await tableNames(server.store)) {
      if (['events', 'kysely_migration', 'kysely_migration_lock'].includes(table)) continue;
      const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(server.store.db);
      for (const row of rows) {
        if (Object.values(row).some((value) => typeof value === 'string' && value.includes(groupId))) found.push(table);
      }
    }
    return found;
  }

  test('refused while the project has database users: 409, nothing changes', async () => {
    const groupId = await populatedProject('Delete-Refused');
    const before = await storeSnapshot(server.store);
    assertAtlasError(await server.client.delete(`${V1}/groups/${groupId}`), {
      status: 409,
      errorCode: 'CANNOT_CLOSE_GROUP_ACTIVE_DATABASE_USERS',
      detail: 'Cannot close group while it has database users; please delete all database users.',
    });
    assert.equal(await storeSnapshot(server.store), before);
    assert.equal((await server.client.get(`${V1}/groups/${groupId}`)).status, 200);
  });

  test('once its users are gone: 204, and nothing of it is left but its events; keys keep existing', async () => {
    const groupId = await populatedProject('Delete-Allowed');
    const { key } = await server.authority.apiKeys.mint(server.credentials.orgId, 'assigned key', ['ORG_MEMBER']);
    await server.store.apiKeys.setProjectRoles(key.id, groupId, ['GROUP_OWNER']);
    assert.equal((await server.client.delete(`${V1}/groups/${groupId}/databaseUsers/$external/doomed`)).status, 204);
    assert.deepEqual([...new Set(await rowsNaming(groupId))].sort(), [
      'api_key_project_roles',
      'certificate_authorities',
      'certificates',
      'project_limits',
      'project_settings',
      'projects',
      'x509_alert_settings',
    ]);
    const caIds = (await server.store.certificateAuthorities.listByProject(groupId)).map((ca) => ca.id);
    const crls = () =>
      server.store.db.selectFrom('certificate_revocation_lists').select('ca_id').where('ca_id', 'in', caIds).execute();
    assert.equal((await crls()).length, 1);

    const response = await server.client.delete(`${V1}/groups/${groupId}`);
    assert.equal(response.status, 204, response.text);
    assert.equal(response.text, '');
    assert.deepEqual(await rowsNaming(groupId), []);
    assert.deepEqual(await crls(), []);
    assertAtlasError(await server.client.get(`${V1}/groups/${groupId}`), groupNotFound(groupId));
    assertAtlasError(await server.client.get(`${V1}/groups/${groupId}/events`), groupNotFound(groupId));
    assertAtlasError(await server.client.delete(`${V1}/groups/${groupId}`), groupNotFound(groupId));

    const remaining = await server.store.apiKeys.find(server.credentials.orgId, key.id);
    assert.ok(remaining);
    assert.deepEqual(
      remaining.projectRoles.filter((assignment) => assignment.groupId === groupId),
      [],
    );
    const events = await server.store.events.list(
      { orgId: server.credentials.orgId, groupId, eventTypes: ['GROUP_DELETED', 'MONGODB_USER_X509_CERT_CREATED'] },
      0,
      10,
    );
    assert.deepEqual(
      events.map((event) => event.eventTypeName),
      ['GROUP_DELETED', 'MONGODB_USER_X509_CERT_CREATED'],
    );
    // Its name is free again.
    const again = await server.client.post(`${V1}/groups`, { name: 'Delete-Allowed', orgId: server.credentials.orgId });
    assert.equal(again.status, 200, again.text);
    assert.notEqual(again.json().id, groupId);
  });

  test('atomic: a failure half-way through deletes nothing', async () => {
    const groupId = await populatedProject('Delete-Interrupted');
    assert.equal((await server.client.delete(`${V1}/groups/${groupId}/databaseUsers/$external/doomed`)).status, 204);
    const before = await storeSnapshot(server.store);
    const original = CertificateAuthoritiesRepository.prototype.deleteAllOfProject;
    CertificateAuthoritiesRepository.prototype.deleteAllOfProject = async () => {
      throw new Error('the disk is full');
    };
    try {
      const response = await server.client.delete(`${V1}/groups/${groupId}`);
      assert.equal(response.status, 500, response.text);
      assert.equal(response.json().errorCode, 'UNEXPECTED_ERROR');
    } finally {
      CertificateAuthoritiesRepository.prototype.deleteAllOfProject = original;
    }
    assert.equal(await storeSnapshot(server.store), before);
    assert.equal((await server.client.delete(`${V1}/groups/${groupId}`)).status, 204);
  });

  test('two deletes at once: one 204, the other 404 GROUP_NOT_FOUND', async () => {
    const created = await server.client.post(`${V1}/groups`, { name: 'Delete-Race', orgId: server.credentials.orgId });
    const groupId = created.json().id as string;
    const answers = await Promise.all([1, 2].map(() => server.client.delete(`${V1}/groups/${groupId}`)));
    assert.deepEqual(answers.map((answer) => answer.status).sort(), [204, 404]);
    assert.deepEqual(answers.find((answer) => answer.status === 404)!.json(), groupNotFound(groupId));
  });
});
