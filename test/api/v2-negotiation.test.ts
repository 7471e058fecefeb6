import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, describe, test } from 'node:test';
import {
  assertAtlasError,
  atlasError,
  type AtlasErrorBody,
  groupNotFound,
  invalidAttribute,
  missingAttribute,
  UNAUTHORIZED_BODY,
  usernameNotFound,
} from '../helpers/atlas-assert.js';
import { negotiateVersion } from '../../src/api/plugins/versioned-media-types.js';
import { type ApiResponse, authorizationHeader, parseChallenge, send } from '../helpers/digest-client.js';
import { headerValues, raw, type RawResponse } from '../helpers/raw-http.js';
import { startTestServer, storeSnapshot, type TestServer, V1, V2 } from '../helpers/server.js';

/**
 * Atlas v2's dialect (shared/spec/atlas-api.md §2, docs/compatibility.md "Atlas
 * Administration API v2"): the `Accept` version date is negotiated after authentication,
 * per operation (its newest resource version on or before the date: 2023-01-01 for most,
 * 2024-08-05 for service accounts), a bad or missing one, or one before the operation's
 * first version, answers Atlas' captured 406 body; successes carry the chosen versioned type
 * (the raw PEM of POST certs included), errors stay application/json; request bodies may
 * use either type; schema 400s carry `badRequestDetail` on v2 only; both versions
 * serve the same data, each linking to its own prefix; a served path with another method
 * is 405; and no answer carries `Deprecation`/`Sunset` (no served operation has a
 * deprecated version).
 */

const VERSIONED = 'application/vnd.atlas.2023-01-01+json';
const NOT_ACCEPTABLE =
  '{"detail":"Invalid accept header or version date.","error":406,"errorCode":"INVALID_VERSION_DATE","parameters":[],"reason":"Not Acceptable"}';

const server: TestServer = await startTestServer();
const GROUP_ID = server.credentials.groupId;
after(() => server.close());

const groupPath = (prefix: string) => `${prefix}/groups/${GROUP_ID}`;
const usersPath = (prefix: string) => `${prefix}/groups/${GROUP_ID}/databaseUsers`;
const userPath = (prefix: string, username: string, databaseName = '$external') =>
  `${prefix}/groups/${GROUP_ID}/databaseUsers/${encodeURIComponent(databaseName)}/${encodeURIComponent(username)}`;
const certsPath = (prefix: string, username: string) =>
  `${prefix}/groups/${GROUP_ID}/databaseUsers/${encodeURIComponent(username)}/certs`;

/** A request of the bootstrap org owner with the given Accept (fetch sends `*\/*` when none is given). */
function withAccept(
  path: string,
  accept: string,
  options: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  return server.client.request(path, { ...options, headers: { accept, ...options.headers } });
}

const v2 = (path: string, options: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
  withAccept(path, VERSIONED, options);

/**
 * A Digest-authenticated request whose headers go on the wire exactly as given: with no
 * `Accept` at all unless one is passed (fetch would add `Accept: *\/*`).
 */
async function rawDigest(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawResponse> {
  const challenge = await raw(server.origin, method, path);
  assert.equal(challenge.status, 401, challenge.text);
  const authorization = authorizationHeader({
    username: server.credentials.publicKey,
    password: server.credentials.privateKey,
    method,
    uri: path,
    challenge: parseChallenge(headerValues(challenge, 'www-authenticate')[0] ?? null),
  });
  return raw(server.origin, method, path, { headers: { authorization, ...headers }, ...(body ? { body } : {}) });
}

function contentType(response: ApiResponse | RawResponse): string {
  return response.headers instanceof Headers
    ? (response.headers.get('content-type') ?? '')
    : String(response.headers['content-type'] ?? '');
}

function wwwAuthenticate(response: ApiResponse | RawResponse): string | undefined {
  return response.headers instanceof Headers
    ? (response.headers.get('www-authenticate') ?? undefined)
    : (response.headers['www-authenticate'] as string | undefined);
}

/** Atlas' 406, exactly: the captured body byte for byte, as application/json, no challenge. */
function assertNotAcceptable(response: ApiResponse | RawResponse, message: string): void {
  assert.equal(response.status, 406, `${message}: ${response.status} ${response.text}`);
  assert.equal(response.text, NOT_ACCEPTABLE, message);
  assert.match(contentType(response), /^application\/json/, message);
  assert.equal(wwwAuthenticate(response), undefined, message);
}

/** A body of one version, its links rewritten to the other version's prefix. */
function relinked(body: unknown, from: string, to: string): unknown {
  return JSON.parse(JSON.stringify(body).replaceAll(`${server.origin}${from}/`, `${server.origin}${to}/`));
}

let userCount = 0;
function newUserBody(extra: Record<string, unknown> = {}) {
  return {
    databaseName: '$external',
    username: `v2-user-${++userCount}`,
    x509Type: 'MANAGED',
    roles: [{ roleName: 'readWrite', databaseName: 'app' }],
    ...extra,
  };
}

// --- negotiation ----------------------------------------------------------------------

describe('Accept negotiation (GET /groups/{groupId} under v2)', () => {
  for (const accept of [
    'application/vnd.atlas.2023-01-01+json',
    'application/vnd.atlas.2023-06-01+json',
    'application/vnd.atlas.2025-03-12+json',
    'application/vnd.atlas.2099-01-01+json',
  ]) {
    test(`${accept}: 200 under resource version 2023-01-01, the v1.0 document with v2 links`, async () => {
      const response = await withAccept(groupPath(V2), accept);
      assert.equal(response.status, 200, response.text);
      assert.equal(contentType(response), VERSIONED);
      const v1 = await server.client.get(groupPath(V1));
      assert.equal(v1.status, 200, v1.text);
      assert.match(contentType(v1), /^application\/json/);
      assert.deepEqual(response.json(), relinked(v1.json(), V1, V2));
      assert.deepEqual(response.json().links, [{ href: `${server.origin}${groupPath(V2)}`, rel: 'self' }]);
    });
  }

  const refused: Array<[label: string, accept: string]> = [
    ['a date before 2023-01-01', 'application/vnd.atlas.2022-12-31+json'],
    ['a date that is no date', 'application/vnd.atlas.garbage+json'],
    ['a date without leading zeros', 'application/vnd.atlas.2023-1-1+json'],
    ['an unreal date (2023-02-30)', 'application/vnd.atlas.2023-02-30+json'],
    ['application/json', 'application/json'],
    ['*/*', '*/*'],
    ['a list with no versioned type that resolves', 'application/vnd.atlas.2022-06-01+json, application/json, */*'],
  ];
  for (const [label, accept] of refused) {
    test(`${label} (${accept}): 406 INVALID_VERSION_DATE`, async () => {
      assertNotAcceptable(await withAccept(groupPath(V2), accept), accept);
    });
  }

  test('no Accept header at all: 406 INVALID_VERSION_DATE', async () => {
    const response = await rawDigest('GET', groupPath(V2));
    assertNotAcceptable(response, 'no Accept');
  });

  test('the same request with the versioned Accept, on the wire as sent: 200', async () => {
    const response = await rawDigest('GET', groupPath(V2), { accept: VERSIONED });
    assert.equal(response.status, 200, response.text);
    assert.equal(contentType(response), VERSIONED);
  });

  const lists: Array<[label: string, accept: string]> = [
    ['application/json first, then the versioned type', `application/json, ${VERSIONED}`],
    ['*/* first, then a later date', '*/*, application/vnd.atlas.2025-03-12+json'],
    [
      'garbage and an unreal date first, with parameters',
      'application/vnd.atlas.garbage+json;q=0.9, application/vnd.atlas.2023-02-30+json, application/vnd.atlas.2099-01-01+json;q=0.5',
    ],
    [
      'a too-early date first, then a good one',
      'application/vnd.atlas.2022-12-31+json,application/vnd.atlas.2023-01-01+json',
    ],
  ];
  for (const [label, accept] of lists) {
    test(`a list of media types, ${label}: the first versioned type that resolves wins (200)`, async () => {
      const response = await withAccept(groupPath(V2), accept);
      assert.equal(response.status, 200, response.text);
      assert.equal(contentType(response), VERSIONED);
    });
  }

  test('a refused version date changes nothing, even on a write', async () => {
    const before = await storeSnapshot(server.store);
    const body = newUserBody();
    for (const accept of ['application/vnd.atlas.2022-12-31+json', 'application/json', '*/*']) {
      assertNotAcceptable(await withAccept(usersPath(V2), accept, { method: 'POST', body }), `POST with ${accept}`);
    }
    assertNotAcceptable(
      await rawDigest('POST', usersPath(V2), { 'content-type': 'application/json' }, JSON.stringify(body)),
      'POST without Accept',
    );
    assert.equal(await storeSnapshot(server.store), before);
    assertAtlasError(await server.client.get(userPath(V1, body.username)), usernameNotFound(body.username));
  });

  test('v1.0 ignores Accept: application/json answers, whatever is asked', async () => {
    for (const accept of ['application/vnd.atlas.garbage+json', VERSIONED, '*/*']) {
      const response = await withAccept(groupPath(V1), accept);
      assert.equal(response.status, 200, `${accept}: ${response.text}`);
      assert.match(contentType(response), /^application\/json/, accept);
    }
    const response = await rawDigest('GET', groupPath(V1));
    assert.equal(response.status, 200, response.text);
    assert.match(contentType(response), /^application\/json/);
  });
});

// --- authentication first ---------------------------------------------------------------

describe('authentication happens before negotiation', () => {
  const badAccepts: Array<string | undefined> = [undefined, 'application/vnd.atlas.garbage+json', 'application/json'];

  for (const accept of badAccepts) {
    test(`no credentials, Accept ${accept ?? '(none)'}: the Digest 401 challenge, not 406`, async () => {
      for (const [method, path] of [
        ['GET', groupPath(V2)],
        ['POST', usersPath(V2)],
      ] as const) {
        const response = await raw(server.origin, method, path, {
          headers: {
            ...(accept ? { accept } : {}),
            ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
          },
          ...(method === 'POST' ? { body: JSON.stringify(newUserBody()) } : {}),
        });
        assert.equal(response.status, 401, `${method} ${path}: ${response.text}`);
        assert.equal(response.text, UNAUTHORIZED_BODY);
        const challenge = parseChallenge(headerValues(response, 'www-authenticate')[0] ?? null);
        assert.equal(challenge.realm, 'MMS Public API');
        assert.ok(challenge.nonce);
      }
    });
  }

  test('wrong credentials with a bad Accept: the Digest 401, not 406', async () => {
    const challengeResponse = await raw(server.origin, 'GET', groupPath(V2));
    const authorization = authorizationHeader({
      username: server.credentials.publicKey,
      password: 'not-the-private-key',
      method: 'GET',
      uri: groupPath(V2),
      challenge: parseChallenge(headerValues(challengeResponse, 'www-authenticate')[0] ?? null),
    });
    const response = await send(server.origin + groupPath(V2), 'GET', authorization, {
      headers: { accept: 'application/vnd.atlas.garbage+json' },
    });
    assert.equal(response.status, 401, response.text);
    assert.equal(response.text, UNAUTHORIZED_BODY);
    assert.match(response.headers.get('www-authenticate') ?? '', /^Digest /);
  });

  test('a forged Bearer token with a bad Accept: the Digest 401, not 406', async () => {
    const response = await send(server.origin + groupPath(V2), 'GET', 'Bearer not.a.token', {
      headers: { accept: 'application/vnd.atlas.2022-12-31+json' },
    });
    assert.equal(response.status, 401, response.text);
    assert.equal(response.text, UNAUTHORIZED_BODY);
    assert.match(response.headers.get('www-authenticate') ?? '', /^Digest /);
  });
});

// --- content types ----------------------------------------------------------------------

describe('content types', () => {
  test('GET group, list users, create user: the versioned type on 200 and 201', async () => {
    const group = await v2(groupPath(V2));
    assert.equal(group.status, 200, group.text);
    assert.equal(contentType(group), VERSIONED);

    const created = await v2(usersPath(V2), { method: 'POST', body: newUserBody() });
    assert.equal(created.status, 201, created.text);
    assert.equal(contentType(created), VERSIONED);
    assert.equal(created.json().username, `v2-user-${userCount}`);

    const list = await v2(usersPath(V2));
    assert.equal(list.status, 200, list.text);
    assert.equal(contentType(list), VERSIONED);
    assert.ok(list.json().totalCount >= 1);
  });

  test('POST certs: 201, the raw PEM (not a JSON string) under the versioned type', async () => {
    const user = newUserBody();
    assert.equal((await v2(usersPath(V2), { method: 'POST', body: user })).status, 201);
    const response = await v2(certsPath(V2, user.username), { method: 'POST', body: { monthsUntilExpiration: 1 } });
    assert.equal(response.status, 201, response.text);
    assert.equal(contentType(response), VERSIONED);
    assert.match(
      response.text,
      /^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n?$/,
    );
    assert.ok(!response.text.startsWith('"'), 'JSON-quoted PEM');
    const certificate = new X509Certificate(response.text);
    assert.equal(certificate.subject, `CN=${user.username}`);

    // The same request under v1.0: the same raw PEM form, as application/json.
    const v1 = await server.client.post(certsPath(V1, user.username), { monthsUntilExpiration: 1 });
    assert.equal(v1.status, 201, v1.text);
    assert.match(contentType(v1), /^application\/json/);
    assert.ok(v1.text.startsWith('-----BEGIN CERTIFICATE-----'), v1.text.slice(0, 40));
  });

  test('PATCH userSecurity: 202 under the versioned type', async () => {
    const response = await v2(`${groupPath(V2)}/userSecurity`, {
      method: 'PATCH',
      body: { ldap: { authenticationEnabled: false } },
    });
    assert.equal(response.status, 202, response.text);
    assert.equal(contentType(response), VERSIONED);
    assert.deepEqual(response.json().links, [{ href: `${server.origin}${groupPath(V2)}/userSecurity`, rel: 'self' }]);
  });

  test('pretty and envelope keep the versioned type', async () => {
    const pretty = await v2(`${groupPath(V2)}?pretty=true`);
    assert.equal(pretty.status, 200, pretty.text);
    assert.equal(contentType(pretty), VERSIONED);
    assert.ok(pretty.text.includes('\n'), pretty.text);
    const enveloped = await v2(`${groupPath(V2)}?envelope=true`);
    assert.equal(enveloped.status, 200, enveloped.text);
    assert.equal(contentType(enveloped), VERSIONED);
    assert.equal(enveloped.json().status, 200);
    assert.equal(enveloped.json().content.id, GROUP_ID);
  });

  test('errors under v2 stay application/json, with Atlas bodies', async () => {
    const unknownGroup = '0123456789abcdef01234567';
    assertAtlasError(await v2(`${V2}/groups/${unknownGroup}`), groupNotFound(unknownGroup));
    assertAtlasError(await v2(userPath(V2, 'nobody-here')), usernameNotFound('nobody-here'));
    assertAtlasError(
      await v2(usersPath(V2), { method: 'POST', body: newUserBody(), headers: { 'content-type': 'text/plain' } }),
      atlasError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type text/plain.', ['text/plain']),
    );
    const malformed = await server.client.request(usersPath(V2), {
      method: 'POST',
      rawBody: '{"username": ',
      headers: { accept: VERSIONED, 'content-type': VERSIONED },
    });
    assertAtlasError(malformed, atlasError(400, 'MALFORMED_JSON', 'Received JSON is malformed.'));
  });
});

// --- request bodies ---------------------------------------------------------------------

describe('request bodies', () => {
  for (const [prefix, type] of [
    [V2, 'application/json'],
    [V2, VERSIONED],
    [V1, 'application/json'],
    [V1, VERSIONED],
  ] as const) {
    test(`${prefix === V2 ? 'v2' : 'v1.0'} accepts a body sent as ${type}`, async () => {
      const body = newUserBody();
      const headers = { 'content-type': type, ...(prefix === V2 ? { accept: VERSIONED } : {}) };
      const created = await server.client.request(usersPath(prefix), {
        method: 'POST',
        rawBody: JSON.stringify(body),
        headers,
      });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.json().username, body.username);
      const patched = await server.client.request(userPath(prefix, body.username), {
        method: 'PATCH',
        rawBody: JSON.stringify({ description: `sent as ${type}` }),
        headers,
      });
      assert.equal(patched.status, 200, patched.text);
      assert.equal(patched.json().description, `sent as ${type}`);
      const read = await server.client.get(userPath(V1, body.username));
      assert.equal(read.json().description, `sent as ${type}`);
    });
  }
});

// --- badRequestDetail -------------------------------------------------------------------

describe('schema 400s: badRequestDetail on v2 only', () => {
  const cases: Array<[label: string, body: Record<string, unknown>, expected: AtlasErrorBody, field: string]> = [
    ['an unknown attribute', { ...newUserBody(), colour: 'blue' }, invalidAttribute('colour'), 'colour'],
    [
      'a missing attribute',
      { databaseName: '$external', username: 'v2-missing-roles', x509Type: 'MANAGED' },
      missingAttribute('roles'),
      'roles',
    ],
    [
      'a wrong type',
      { ...newUserBody(), description: 5 },
      atlasError(
        400,
        'INVALID_JSON_ATTRIBUTE',
        'Received JSON for the description attribute does not match expected format.',
        ['description'],
      ),
      'description',
    ],
  ];

  for (const [label, body, expected, field] of cases) {
    test(`${label}: v2 names the field in badRequestDetail.fields, v1.0 does not`, async () => {
      const before = await storeSnapshot(server.store);
      const response = await v2(usersPath(V2), { method: 'POST', body });
      assert.equal(response.status, 400, response.text);
      assert.match(contentType(response), /^application\/json/);
      const actual = response.json();
      const fields = actual.badRequestDetail?.fields;
      assert.ok(Array.isArray(fields) && fields.length >= 1, response.text);
      for (const violation of fields) {
        assert.deepEqual(Object.keys(violation), ['description', 'field'], response.text);
        assert.equal(typeof violation.description, 'string');
        assert.notEqual(violation.description, '');
      }
      assert.equal(fields[0].field, field, response.text);
      assert.deepEqual(actual, { badRequestDetail: { fields }, ...expected });
      // Members in alphabetical order, badRequestDetail first.
      assert.deepEqual(Object.keys(actual), [
        'badRequestDetail',
        'detail',
        'error',
        'errorCode',
        'parameters',
        'reason',
      ]);
      assert.ok(response.text.startsWith('{"badRequestDetail":{"fields":[{"description":'), response.text);

      // v1.0: the same Atlas error, without badRequestDetail.
      assertAtlasError(await server.client.post(usersPath(V1), body), expected);
      assert.equal(await storeSnapshot(server.store), before);
    });
  }

  test('a 400 that is not a schema violation has no badRequestDetail on v2 either', async () => {
    const response = await server.client.request(usersPath(V2), {
      method: 'POST',
      rawBody: '{"roles": [',
      headers: { accept: VERSIONED, 'content-type': 'application/json' },
    });
    assertAtlasError(response, atlasError(400, 'MALFORMED_JSON', 'Received JSON is malformed.'));
  });
});

// --- one store, two versions --------------------------------------------------------------

describe('the same data through both versions', () => {
  test('a user created via v1.0 is read via v2, with v2 links', async () => {
    const body = newUserBody();
    const created = await server.client.post(usersPath(V1), body);
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.json().links, [
      { href: `${server.origin}${usersPath(V1)}/$external/${body.username}`, rel: 'self' },
    ]);

    const read = await v2(userPath(V2, body.username));
    assert.equal(read.status, 200, read.text);
    assert.equal(contentType(read), VERSIONED);
    assert.deepEqual(read.json().links, [
      { href: `${server.origin}${usersPath(V2)}/$external/${body.username}`, rel: 'self' },
    ]);
    assert.deepEqual(read.json(), relinked(created.json(), V1, V2));
  });

  test('a user created via v2 is read via v1.0, with v1.0 links', async () => {
    const body = newUserBody();
    const created = await v2(usersPath(V2), { method: 'POST', body });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.json().links, [
      { href: `${server.origin}${usersPath(V2)}/$external/${body.username}`, rel: 'self' },
    ]);

    const read = await server.client.get(userPath(V1, body.username));
    assert.equal(read.status, 200, read.text);
    assert.match(contentType(read), /^application\/json/);
    assert.deepEqual(read.json().links, [
      { href: `${server.origin}${usersPath(V1)}/$external/${body.username}`, rel: 'self' },
    ]);
    assert.deepEqual(read.json(), relinked(created.json(), V2, V1));
  });

  test('lists agree, each linking to its own version', async () => {
    const v1 = await server.client.get(`${usersPath(V1)}?itemsPerPage=500`);
    const v2List = await v2(`${usersPath(V2)}?itemsPerPage=500`);
    assert.equal(v1.status, 200, v1.text);
    assert.equal(v2List.status, 200, v2List.text);
    assert.deepEqual(v2List.json().links, [
      { href: `${server.origin}${usersPath(V2)}?pageNum=1&itemsPerPage=500`, rel: 'self' },
    ]);
    assert.deepEqual(v2List.json(), relinked(v1.json(), V1, V2));
    assert.ok(v1.json().totalCount >= 2);
  });

  test('certificates issued via v2 are listed via v1.0, and a user deleted via v2 is gone from v1.0', async () => {
    const body = newUserBody();
    assert.equal((await server.client.post(usersPath(V1), body)).status, 201);
    const issued = await v2(certsPath(V2, body.username), { method: 'POST', body: {} });
    assert.equal(issued.status, 201, issued.text);
    const serial = BigInt(`0x${new X509Certificate(issued.text).serialNumber}`);
    const listed = await server.client.get(certsPath(V1, body.username));
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(
      listed.json().results.map((certificate: { _id: bigint | number }) => BigInt(certificate._id)),
      [serial],
    );
    const deleted = await v2(userPath(V2, body.username), { method: 'DELETE' });
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal(deleted.text, '');
    assertAtlasError(await server.client.get(userPath(V1, body.username)), usernameNotFound(body.username));
  });
});

// --- versions per operation -------------------------------------------------------------

describe('resource versions are per operation', () => {
  const SERVICE_ACCOUNTS = 'application/vnd.atlas.2024-08-05+json';
  const accountsPath = `${V2}/orgs/${server.credentials.orgId}/serviceAccounts`;

  test('negotiateVersion: the newest version of the operation on or before the date asked', () => {
    const versions = ['2023-01-01', '2024-08-05'] as const;
    for (const [accept, expected] of [
      ['application/vnd.atlas.2023-01-01+json', '2023-01-01'],
      ['application/vnd.atlas.2024-08-04+json', '2023-01-01'],
      ['application/vnd.atlas.2024-08-05+json', '2024-08-05'],
      ['application/vnd.atlas.2025-03-12+json', '2024-08-05'],
      ['application/vnd.atlas.2022-12-31+json', undefined],
      ['application/vnd.atlas.2022-12-31+json, application/vnd.atlas.2024-09-01+json', '2024-08-05'],
      ['application/json', undefined],
      [undefined, undefined],
    ] as const) {
      assert.equal(negotiateVersion(accept, versions), expected, accept);
    }
    assert.equal(negotiateVersion('application/vnd.atlas.2024-08-04+json', ['2024-08-05']), undefined);
    assert.equal(negotiateVersion('application/vnd.atlas.2099-01-01+json', ['2024-08-05']), '2024-08-05');
  });

  test('one Accept date, two operations: each answers as its own newest version on or before it', async () => {
    for (const accept of ['application/vnd.atlas.2024-08-05+json', 'application/vnd.atlas.2025-03-12+json']) {
      const group = await withAccept(groupPath(V2), accept);
      assert.equal(group.status, 200, group.text);
      assert.equal(contentType(group), VERSIONED, accept);
      const accounts = await withAccept(accountsPath, accept);
      assert.equal(accounts.status, 200, accounts.text);
      assert.equal(contentType(accounts), SERVICE_ACCOUNTS, accept);
      assert.deepEqual(accounts.json().links, [
        { href: `${server.origin}${accountsPath}?pageNum=1&itemsPerPage=100`, rel: 'self' },
      ]);
    }
  });

  test('service accounts have no version before 2024-08-05: 406, Atlas’ body, even on a write; store unchanged', async () => {
    const before = await storeSnapshot(server.store);
    const body = { description: 'too early', name: 'too early', roles: ['ORG_MEMBER'], secretExpiresAfterHours: 8 };
    for (const accept of [VERSIONED, 'application/vnd.atlas.2024-08-04+json', 'application/json']) {
      assertNotAcceptable(await withAccept(accountsPath, accept), `GET with ${accept}`);
      assertNotAcceptable(await withAccept(accountsPath, accept, { method: 'POST', body }), `POST with ${accept}`);
    }
    assertNotAcceptable(await rawDigest('GET', accountsPath), 'no Accept');
    assert.equal(await storeSnapshot(server.store), before);
  });

  test('a list naming 2023-01-01 first: for service accounts the first type that resolves is the later one', async () => {
    const accept = `${VERSIONED}, ${SERVICE_ACCOUNTS}`;
    const accounts = await withAccept(accountsPath, accept);
    assert.equal(accounts.status, 200, accounts.text);
    assert.equal(contentType(accounts), SERVICE_ACCOUNTS);
    const group = await withAccept(groupPath(V2), accept);
    assert.equal(group.status, 200, group.text);
    assert.equal(contentType(group), VERSIONED);
  });

  test('no credentials on a service-account route with a version it lacks: the Digest 401 challenge, not 406', async () => {
    const response = await raw(server.origin, 'GET', accountsPath, { headers: { accept: VERSIONED } });
    assert.equal(response.status, 401, response.text);
    assert.equal(response.text, UNAUTHORIZED_BODY);
    assert.equal(parseChallenge(headerValues(response, 'www-authenticate')[0] ?? null).realm, 'MMS Public API');
  });
});

// --- methods ----------------------------------------------------------------------------

describe('a served path with another method: 405 under v2, after authentication', () => {
  const METHOD_NOT_ALLOWED = (method: string, path: string) =>
    atlasError(405, 'METHOD_NOT_ALLOWED', `Method ${method} is not allowed on resource ${path}.`, [method, path]);

  test('PUT on userSecurity, DELETE on the users list, POST on an account: 405, Allow, whatever the Accept', async () => {
    const account = `${V2}/orgs/${server.credentials.orgId}/serviceAccounts/mdb_sa_id_000000000000000000000000`;
    for (const [method, path, allow] of [
      ['PUT', `${groupPath(V2)}/userSecurity`, 'GET, PATCH'],
      ['DELETE', usersPath(V2), 'GET, POST'],
      ['POST', account, 'DELETE, GET, PATCH'],
    ] as const) {
      for (const accept of [VERSIONED, 'application/vnd.atlas.2024-08-05+json', 'application/json']) {
        const response = await withAccept(path, accept, { method, body: {} });
        assertAtlasError(response, METHOD_NOT_ALLOWED(method, path), `${method} ${path} (${accept})`);
        assert.equal(response.headers.get('allow'), allow, `${method} ${path}`);
        assert.match(contentType(response), /^application\/json/);
      }
    }
  });

  test('without credentials: the Digest 401 challenge, not 405', async () => {
    const response = await raw(server.origin, 'PUT', `${groupPath(V2)}/userSecurity`, {
      headers: { accept: VERSIONED, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(response.status, 401, response.text);
    assert.equal(response.text, UNAUTHORIZED_BODY);
    assert.equal(headerValues(response, 'allow').length, 0);
  });

  test('an unknown path stays 404 RESOURCE_NOT_FOUND, with no Allow', async () => {
    const path = `${groupPath(V2)}/clusters`;
    const response = await v2(path, { method: 'PUT', body: {} });
    assertAtlasError(
      response,
      atlasError(404, 'RESOURCE_NOT_FOUND', `Cannot find resource ${path}.`, [path]),
      `PUT ${path}`,
    );
    assert.equal(response.headers.get('allow'), null);
  });
});

// --- deprecation ------------------------------------------------------------------------

describe('Deprecation and Sunset', () => {
  test('no operation dbcerts serves has a deprecated version: no answer carries either header', async () => {
    const orgId = server.credentials.orgId;
    const answers: Array<[string, ApiResponse]> = [
      ['project', await v2(groupPath(V2))],
      ['users', await v2(usersPath(V2))],
      ['org keys', await v2(`${V2}/orgs/${orgId}/apiKeys`)],
      ['project keys', await v2(`${groupPath(V2)}/apiKeys`)],
      ['events', await v2(`${groupPath(V2)}/events`)],
      [
        'org accounts',
        await withAccept(`${V2}/orgs/${orgId}/serviceAccounts`, 'application/vnd.atlas.2025-03-12+json'),
      ],
      [
        'project accounts',
        await withAccept(`${groupPath(V2)}/serviceAccounts`, 'application/vnd.atlas.2024-08-05+json'),
      ],
      ['v1.0 project', await server.client.get(groupPath(V1))],
      ['refused version', await withAccept(groupPath(V2), 'application/vnd.atlas.2022-12-31+json')],
    ];
    for (const [label, response] of answers) {
      assert.equal(response.status, label === 'refused version' ? 406 : 200, `${label}: ${response.text}`);
      assert.equal(response.headers.get('deprecation'), null, label);
      assert.equal(response.headers.get('sunset'), null, label);
    }
  });
});
