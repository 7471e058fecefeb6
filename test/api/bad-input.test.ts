import assert from 'node:assert/strict';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  assertAtlasError,
  atlasError,
  type AtlasErrorBody,
  groupNotFound,
  invalidAttribute,
  invalidGroupId,
  invalidQueryParameter,
  resourceNotFound,
  UNAUTHORIZED_BODY,
  usernameNotFound,
} from '../helpers/atlas-assert.js';
import { freshNonce, headerValues, raw, type RawOptions, type RawResponse } from '../helpers/raw-http.js';
import {
  certsPath,
  createManagedUser,
  startTestServer,
  storeSnapshot,
  type TestServer,
  V1,
} from '../helpers/server.js';

/**
 * Every bad input of the issue: each gets its Atlas answer (status and whole body) and
 * leaves the store exactly as it was. No request, however hostile, gets a 500.
 */

const CHALLENGE =
  /^Digest realm="MMS Public API", domain="", nonce="[0-9a-f]+", algorithm=MD5, qop="auth", stale=false$/;
const BODY_LIMIT = 1024 * 1024;

// ---------------------------------------------------------------------------------------
// Digest signing: one nonce reused with an increasing nc, as Python requests does.

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

interface Credentials {
  publicKey: string;
  privateKey: string;
}

let server: TestServer;
let nonce: string | undefined;
let nc = 0;

interface Signed {
  header: string;
  nonce: string;
  cnonce: string;
  nc: string;
}

async function sign(method: string, uri: string, credentials: Credentials = server.credentials): Promise<Signed> {
  if (!nonce || nc >= 0xfff0) {
    nonce = await freshNonce(server.origin);
    nc = 0;
  }
  const count = (++nc).toString(16).padStart(8, '0');
  const cnonce = randomBytes(8).toString('hex');
  return { header: digestHeader(credentials, method, uri, nonce, count, cnonce), nonce, cnonce, nc: count };
}

function digestHeader(
  credentials: Credentials,
  method: string,
  uri: string,
  nonceValue: string,
  count: string,
  cnonce: string,
): string {
  const ha1 = md5(`${credentials.publicKey}:MMS Public API:${credentials.privateKey}`);
  const response = md5(`${ha1}:${nonceValue}:${count}:${cnonce}:auth:${md5(`${method}:${uri}`)}`);
  return (
    `Digest username="${credentials.publicKey}", realm="MMS Public API", nonce="${nonceValue}", uri="${uri}", ` +
    `cnonce="${cnonce}", nc=${count}, qop=auth, response="${response}", algorithm=MD5`
  );
}

/** A signed request; a JSON value as `json` is sent as `application/json`. */
async function call(
  method: string,
  target: string,
  options: RawOptions & { json?: unknown; credentials?: Credentials } = {},
): Promise<RawResponse> {
  const signed = await sign(method, target, options.credentials);
  const headers: Record<string, string> = { authorization: signed.header, ...options.headers };
  let body = options.body;
  // A write without a body says so, as curl does (Node would otherwise send it chunked).
  if (body === undefined && options.json === undefined && method !== 'GET') headers['content-length'] ??= '0';
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const response = await raw(server.origin, method, target, {
    ...options,
    headers,
    ...(body !== undefined ? { body } : {}),
  });
  if (response.status === 401 && headerValues(response, 'www-authenticate').length > 0) {
    throw new Error(`Digest refused a signed request: ${method} ${target}`);
  }
  return response;
}

/** Sends a raw JSON body text (possibly not JSON at all) as application/json. */
function callText(
  method: string,
  target: string,
  text: string | Buffer,
  contentType = 'application/json',
): Promise<RawResponse> {
  return call(method, target, { body: text, headers: { 'content-type': contentType } });
}

/** Compares two store snapshots, naming the tables that differ rather than printing them whole. */
function assertUnchanged(before: string, after: string, message = ''): void {
  if (before === after) return;
  const a = JSON.parse(before) as Record<string, string[]>;
  const b = JSON.parse(after) as Record<string, string[]>;
  const changed = Object.keys(a).filter((table) => JSON.stringify(a[table]) !== JSON.stringify(b[table]));
  assert.fail(`the store changed (${changed.join(', ')}): ${message}`);
}

/**
 * Sends a request that must be refused: it gets exactly `status` and `body`, carries no
 * challenge (it is not about credentials), and the store is the same before and after.
 */
async function refused(send: () => Promise<RawResponse>, expected: AtlasErrorBody, message = ''): Promise<RawResponse> {
  const before = await storeSnapshot(server.store);
  const response = await send();
  assertUnchanged(
    before,
    await storeSnapshot(server.store),
    `${message} → ${response.status} ${response.text.slice(0, 300)}`,
  );
  assertAtlasError(response, expected, message);
  assert.deepEqual(headerValues(response, 'www-authenticate'), [], message);
  return response;
}

/** The Digest 401, exactly: Atlas' body byte for byte and exactly one challenge header. */
function assertUnauthorized(response: RawResponse, message = ''): void {
  assert.equal(response.status, 401, message);
  assert.equal(response.text, UNAUTHORIZED_BODY, message);
  const challenges = headerValues(response, 'www-authenticate');
  assert.equal(challenges.length, 1, `${message}: ${JSON.stringify(challenges)}`);
  assert.match(challenges[0]!, CHALLENGE, message);
  assert.match(String(response.headers['content-type']), /^application\/json/);
}

const groupPath = () => `${V1}/groups/${server.credentials.groupId}`;
const usersPath = () => `${groupPath()}/databaseUsers`;

before(async () => {
  server = await startTestServer();
  server.clock.set('2031-01-01T00:00:00.000Z');
  await createManagedUser(server, 'alice');
  const scram = await server.client.post(usersPath(), {
    databaseName: 'admin',
    username: 'scrammy',
    password: 'correct horse battery staple',
    roles: [{ roleName: 'readWrite', databaseName: 'app' }],
  });
  assert.equal(scram.status, 201, scram.text);
  const customer = await server.client.post(usersPath(), {
    databaseName: '$external',
    username: 'CN=carol,O=acme',
    x509Type: 'CUSTOMER',
    roles: [{ roleName: 'read', databaseName: 'app' }],
  });
  assert.equal(customer.status, 201, customer.text);
  // A CA and a certificate exist, so the snapshots cover them too.
  const issued = await server.client.post(certsPath(server, 'alice'), { monthsUntilExpiration: 2 });
  assert.equal(issued.status, 201, issued.text);
});

after(() => server.close());

describe('credentials', () => {
  /** POST alice's certs with exactly this Authorization header. */
  const postCerts = (authorization: string, monthsUntilExpiration = 3) =>
    raw(server.origin, 'POST', certsPath(server, 'alice'), {
      headers: { 'content-type': 'application/json', authorization },
      body: `{"monthsUntilExpiration":${monthsUntilExpiration}}`,
    });

  /** A Digest header for that POST on a fresh nonce (nc 1), computed with `credentials`. */
  const signedAs = async (credentials: Credentials, cnonce: string) =>
    digestHeader(credentials, 'POST', certsPath(server, 'alice'), await freshNonce(server.origin), '00000001', cnonce);

  test('a wrong private key: Atlas’ exact 401 and one challenge, nothing issued', async () => {
    const before = await storeSnapshot(server.store);
    const header = await signedAs({ ...server.credentials, privateKey: 'wrong-key' }, 'abcdef01');
    assertUnauthorized(await postCerts(header));
    assertUnchanged(before, await storeSnapshot(server.store));
  });

  test('an unknown public key: the same 401, nothing issued', async () => {
    const before = await storeSnapshot(server.store);
    const header = await signedAs({ publicKey: 'qqqqqqqq', privateKey: server.credentials.privateKey }, 'abcdef01');
    assertUnauthorized(await postCerts(header));
    assertUnchanged(before, await storeSnapshot(server.store));
  });

  test('a replayed request (same nonce, cnonce and nc): the first issues, the replay is the same 401 and issues nothing', async () => {
    const header = await signedAs(server.credentials, 'feedface');
    const first = await postCerts(header, 1);
    assert.equal(first.status, 201, first.text);
    const before = await storeSnapshot(server.store);
    assertUnauthorized(await postCerts(header, 1), 'replay');
    assertUnchanged(before, await storeSnapshot(server.store));
  });

  test('malformed Authorization headers: each the same 401, nothing issued', async () => {
    const good = await signedAs(server.credentials, '0123abcd');
    const without = (name: string) => good.replace(new RegExp(`, ${name}=("[^"]*"|[^,]*)`), '');
    const malformed: Array<[string, string]> = [
      [
        'Basic',
        `Basic ${Buffer.from(`${server.credentials.publicKey}:${server.credentials.privateKey}`).toString('base64')}`,
      ],
      ['Bearer', 'Bearer abc.def.ghi'],
      ['garbage', 'x!@#$%^&*()'],
      ['the scheme alone', 'Digest'],
      ['the scheme and a space', 'Digest '],
      ['an empty value', ''],
      ['missing response', without('response')],
      ['empty response', good.replace(/response="[0-9a-f]+"/, 'response=""')],
      ['missing nonce', without('nonce')],
      ['missing uri', without('uri')],
      ['missing cnonce with qop', without('cnonce')],
      ['missing nc with qop', without('nc')],
      ['an unterminated quote', good.replace(/response="([0-9a-f]+)"/, 'response="$1')],
      ['an unterminated quote in the middle', good.replace('", uri=', ', uri=')],
      ['bad nc (not hex)', good.replace('nc=00000001', 'nc=0000000g')],
      ['bad nc (too short)', good.replace('nc=00000001', 'nc=1')],
      ['bad nc (too long)', good.replace('nc=00000001', 'nc=000000001')],
      ['bad nc (empty)', good.replace('nc=00000001', 'nc=')],
      ['bad nc (negative)', good.replace('nc=00000001', 'nc=-0000001')],
      ['a qop other than auth', good.replace('qop=auth', 'qop=auth-int')],
      ['a repeated parameter', `${good}, response="${'0'.repeat(32)}"`],
      ['a parameter without a value', `${good}, stray`],
      ['a very long header', `Digest username="${'a'.repeat(8000)}"`],
    ];
    const before = await storeSnapshot(server.store);
    for (const [name, header] of malformed) assertUnauthorized(await postCerts(header), name);
    assertUnchanged(before, await storeSnapshot(server.store));
    // None of those used up the good header's (nonce, cnonce, nc): it still works once.
    const response = await postCerts(good);
    assert.equal(response.status, 201, response.text);
  });
});

describe('request bodies', () => {
  test('malformed JSON: 400 MALFORMED_JSON', async () => {
    const expected = atlasError(400, 'MALFORMED_JSON', 'Received JSON is malformed.');
    for (const text of [
      '{"monthsUntilExpiration":',
      '{monthsUntilExpiration: 3}',
      "{'monthsUntilExpiration': 3}",
      '{"a":1}}',
      'nul',
      '{"a":NaN}',
      '{"a":1} x',
      '\u0000',
    ]) {
      await refused(() => callText('POST', certsPath(server, 'alice'), text), expected, text);
    }
    await refused(() => callText('POST', usersPath(), '{"username": "x", "roles": [}'), expected, 'users');
    await refused(
      () => callText('PATCH', `${usersPath()}/$external/alice`, '{"description": "x",}'),
      expected,
      'patch',
    );
    await refused(() => callText('POST', `${V1}/groups`, '{"name": "x"'), expected, 'groups');
  });

  test('unknown fields: 400 INVALID_ATTRIBUTE naming the field', async () => {
    await refused(
      () => call('POST', certsPath(server, 'alice'), { json: { monthsUntilExpiration: 3, color: 'red' } }),
      invalidAttribute('color'),
    );
    await refused(() => call('POST', certsPath(server, 'alice'), { json: { _id: 5 } }), invalidAttribute('_id'));
    await refused(
      () =>
        call('POST', usersPath(), {
          json: {
            databaseName: '$external',
            username: 'dave',
            x509Type: 'MANAGED',
            roles: [{ roleName: 'read', databaseName: 'app' }],
            bogus: 1,
          },
        }),
      invalidAttribute('bogus'),
    );
    await refused(
      () => call('PATCH', `${usersPath()}/$external/alice`, { json: { nickname: 'al' } }),
      invalidAttribute('nickname'),
    );
    await refused(
      () => call('POST', `${V1}/groups`, { json: { name: 'Another', orgId: server.credentials.orgId, id: 'x' } }),
      invalidAttribute('id'),
    );
  });

  for (const [value, code, detail, parameters] of [
    [
      0,
      'ATTRIBUTE_NEGATIVE_OR_ZERO',
      'The attribute monthsUntilExpiration cannot be negative or zero.',
      ['monthsUntilExpiration'],
    ],
    [
      -3,
      'ATTRIBUTE_NEGATIVE_OR_ZERO',
      'The attribute monthsUntilExpiration cannot be negative or zero.',
      ['monthsUntilExpiration'],
    ],
    [
      25,
      'CERT_EXPIRY_CANNOT_EXCEED_TWO_YEARS',
      'Atlas-generated X.509 certificates have a maximum expiration of 24 months.',
      [],
    ],
    [
      1000000,
      'CERT_EXPIRY_CANNOT_EXCEED_TWO_YEARS',
      'Atlas-generated X.509 certificates have a maximum expiration of 24 months.',
      [],
    ],
    [
      'x',
      'INVALID_JSON_ATTRIBUTE',
      'Received JSON for the monthsUntilExpiration attribute does not match expected format.',
      ['monthsUntilExpiration'],
    ],
    [
      '6',
      'INVALID_JSON_ATTRIBUTE',
      'Received JSON for the monthsUntilExpiration attribute does not match expected format.',
      ['monthsUntilExpiration'],
    ],
    [
      6.5,
      'INVALID_JSON_ATTRIBUTE',
      'Received JSON for the monthsUntilExpiration attribute does not match expected format.',
      ['monthsUntilExpiration'],
    ],
    [
      true,
      'INVALID_JSON_ATTRIBUTE',
      'Received JSON for the monthsUntilExpiration attribute does not match expected format.',
      ['monthsUntilExpiration'],
    ],
    [
      [6],
      'INVALID_JSON_ATTRIBUTE',
      'Received JSON for the monthsUntilExpiration attribute does not match expected format.',
      ['monthsUntilExpiration'],
    ],
    [
      {},
      'INVALID_JSON_ATTRIBUTE',
      'Received JSON for the monthsUntilExpiration attribute does not match expected format.',
      ['monthsUntilExpiration'],
    ],
  ] as const) {
    test(`monthsUntilExpiration ${JSON.stringify(value)}: 400 ${code}`, async () => {
      await refused(
        () => call('POST', certsPath(server, 'alice'), { json: { monthsUntilExpiration: value } }),
        atlasError(400, code, detail, [...parameters]),
      );
    });
  }

  test('monthsUntilExpiration null is not given (as Atlas reads it): 201, a certificate of the default 3 months', async () => {
    const response = await call('POST', certsPath(server, 'alice'), { json: { monthsUntilExpiration: null } });
    assert.equal(response.status, 201, response.text);
    const certificate = new X509Certificate(response.text);
    const from = new Date(certificate.validFrom);
    const to = new Date(certificate.validTo);
    const months = (to.getUTCFullYear() - from.getUTCFullYear()) * 12 + to.getUTCMonth() - from.getUTCMonth();
    assert.equal(months, 3);
  });

  test('a body that is not an object: 400 INVALID_JSON', async () => {
    const expected = atlasError(400, 'INVALID_JSON', 'Received JSON does not match expected format.');
    for (const text of ['null', '[]', '[{"monthsUntilExpiration":3}]', '"text"', '42', 'true']) {
      await refused(() => callText('POST', certsPath(server, 'alice'), text), expected, text);
    }
  });

  test('prototype pollution: __proto__ / constructor.prototype bodies are 400, nothing changes, nothing is polluted', async () => {
    const bodies: Array<[string, string]> = [
      [certsPath(server, 'alice'), '{"__proto__":{"monthsUntilExpiration":30,"polluted":true}}'],
      [certsPath(server, 'alice'), '{"monthsUntilExpiration":3,"__proto__":{"polluted":true}}'],
      [certsPath(server, 'alice'), '{"constructor":{"prototype":{"polluted":true}}}'],
      [
        usersPath(),
        '{"databaseName":"$external","username":"eve","x509Type":"MANAGED","roles":[{"roleName":"read","databaseName":"app","__proto__":{"polluted":true}}]}',
      ],
      [`${V1}/groups`, `{"name":"Polluted","orgId":"${server.credentials.orgId}","__proto__":{"polluted":true}}`],
    ];
    for (const [path, text] of bodies) {
      const before = await storeSnapshot(server.store);
      const response = await callText('POST', path, text);
      assertUnchanged(before, await storeSnapshot(server.store), text);
      assert.equal(response.status, 400, `${text}: ${response.text}`);
      const body = response.json();
      // Refused as unparseable (MALFORMED_JSON) or as an unknown attribute; either way an Atlas 400.
      const allowed = [
        atlasError(400, 'MALFORMED_JSON', 'Received JSON is malformed.'),
        invalidAttribute('__proto__'),
        invalidAttribute('constructor'),
      ];
      assert.ok(
        allowed.some((candidate) => JSON.stringify(candidate) === JSON.stringify(body)),
        response.text,
      );
    }
    const patch = await callText('PATCH', `${usersPath()}/$external/alice`, '{"__proto__":{"x509Type":"NONE"}}');
    assert.equal(patch.status, 400);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
  });

  test('a 10 MB body: 413 REQUEST_TOO_LARGE, and the server answers the next request', async () => {
    const expected = atlasError(
      413,
      'REQUEST_TOO_LARGE',
      `The request body exceeds the limit of ${BODY_LIMIT} bytes.`,
      [BODY_LIMIT],
    );
    const huge = `{"monthsUntilExpiration":3,"pad":"${'a'.repeat(10 * 1024 * 1024)}"}`;
    const json = { 'content-type': 'application/json' };
    // Content-Length says 10 MB: refused on the header, before the upload is read.
    await refused(
      () => call('POST', certsPath(server, 'alice'), { body: huge, headers: json, stallAfter: 64 * 1024 }),
      expected,
      'with Content-Length',
    );
    await refused(
      () => call('PATCH', `${usersPath()}/$external/alice`, { body: huge, headers: json, stallAfter: 64 * 1024 }),
      expected,
      'PATCH with Content-Length',
    );
    // Chunked, no length: refused once more than the limit has arrived.
    await refused(
      () =>
        call('POST', certsPath(server, 'alice'), {
          body: huge,
          headers: json,
          chunkSize: 64 * 1024,
          stallAfter: BODY_LIMIT + 128 * 1024,
        }),
      expected,
      'chunked',
    );
    await refused(
      () =>
        call('POST', usersPath(), {
          body: huge,
          headers: json,
          chunkSize: 64 * 1024,
          stallAfter: BODY_LIMIT + 128 * 1024,
        }),
      expected,
      'chunked, database users',
    );
    const next = await call('GET', groupPath());
    assert.equal(next.status, 200, next.text);
    assert.equal(next.json().id, server.credentials.groupId);
    // Just under the limit is parsed (and refused for its content, not its size).
    const justUnder = `{"pad":"${'a'.repeat(BODY_LIMIT - 20)}"}`;
    await refused(() => callText('POST', certsPath(server, 'alice'), justUnder), invalidAttribute('pad'));
  });

  test('a wrong content type: 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/xml',
      'multipart/form-data; boundary=x',
    ]) {
      await refused(
        () => callText('POST', certsPath(server, 'alice'), '{"monthsUntilExpiration":3}', type),
        atlasError(415, 'UNSUPPORTED_MEDIA_TYPE', `Unsupported media type ${type}.`, [type]),
        type,
      );
    }
    await refused(
      () =>
        callText('POST', usersPath(), '{"username":"x","roles":[{"roleName":"read","databaseName":"a"}]}', 'text/json'),
      atlasError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type text/json.', ['text/json']),
    );
  });
});

describe('resources that do not exist', () => {
  const unknownGroup = 'aaaaaaaaaaaaaaaaaaaaaaaa';

  test('an unknown project: 404 GROUP_NOT_FOUND', async () => {
    const expected = groupNotFound(unknownGroup);
    const base = `${V1}/groups/${unknownGroup}`;
    await refused(() => call('GET', base), expected);
    await refused(() => call('GET', `${base}/databaseUsers/alice/certs`), expected);
    await refused(
      () => call('POST', `${base}/databaseUsers/alice/certs`, { json: { monthsUntilExpiration: 3 } }),
      expected,
    );
    await refused(
      () =>
        call('POST', `${base}/databaseUsers`, {
          json: {
            databaseName: '$external',
            username: 'dave',
            x509Type: 'MANAGED',
            roles: [{ roleName: 'read', databaseName: 'app' }],
          },
        }),
      expected,
    );
  });

  test('a malformed project id: 404 INVALID_GROUP_ID', async () => {
    for (const id of [
      'not-a-group',
      'AAAAAAAAAAAAAAAAAAAAAAAA',
      'aaaaaaaaaaaaaaaaaaaaaaa',
      'aaaaaaaaaaaaaaaaaaaaaaaaa',
      'gggggggggggggggggggggggg',
    ]) {
      const expected = invalidGroupId(id);
      await refused(() => call('GET', `${V1}/groups/${id}`), expected, id);
      await refused(() => call('GET', `${V1}/groups/${id}/databaseUsers/alice/certs`), expected, id);
      await refused(() => call('POST', `${V1}/groups/${id}/databaseUsers/alice/certs`, { json: {} }), expected, id);
    }
  });

  test('an unknown user on GET and POST certs: 404 USERNAME_NOT_FOUND', async () => {
    for (const username of ['nobody', 'CN=nobody', 'ALICE']) {
      const expected = usernameNotFound(username);
      await refused(() => call('GET', certsPath(server, username)), expected, username);
      await refused(
        () => call('POST', certsPath(server, username), { json: { monthsUntilExpiration: 3 } }),
        expected,
        username,
      );
    }
  });

  test('a username as long as Atlas allows (1024 characters) is looked up, not refused by the router', async () => {
    for (const username of ['n'.repeat(101), 'n'.repeat(1024), 'ü'.repeat(1024)]) {
      const expected = usernameNotFound(username);
      await refused(() => call('GET', certsPath(server, username)), expected, `${username.length} characters`);
      await refused(
        () => call('POST', certsPath(server, username), { json: {} }),
        expected,
        `${username.length} characters`,
      );
      await refused(
        () => call('GET', `${usersPath()}/$external/${encodeURIComponent(username)}`),
        expected,
        `${username.length} characters`,
      );
    }
  });

  test('a path that is not valid percent-encoding: 404 RESOURCE_NOT_FOUND naming it', async () => {
    for (const path of [
      `${usersPath()}/%ff/certs`,
      `${usersPath()}/%E0%A4%A/certs`,
      `${V1}/groups/%`,
      `${usersPath()}/$external/%C0%AE`,
    ]) {
      for (const method of ['GET', 'POST'] as const) {
        await refused(
          () => call(method, path, method === 'POST' ? { json: {} } : {}),
          resourceNotFound(path),
          `${method} ${path}`,
        );
      }
    }
  });

  test('a SCRAM or a customer X.509 user asking for a certificate: 400 USER_NOT_MANAGED_X509', async () => {
    const expected = atlasError(400, 'USER_NOT_MANAGED_X509', 'The user does not have managed mode X.509 enabled.');
    await refused(
      () => call('POST', certsPath(server, 'scrammy'), { json: { monthsUntilExpiration: 3 } }),
      expected,
      'SCRAM',
    );
    await refused(
      () => call('POST', certsPath(server, 'CN=carol,O=acme'), { json: { monthsUntilExpiration: 3 } }),
      expected,
      'CUSTOMER',
    );
    await refused(() => call('POST', certsPath(server, 'scrammy')), expected, 'SCRAM, no body');
  });

  test('an unknown path: 404 RESOURCE_NOT_FOUND with the path (no query) in parameters', async () => {
    for (const [method, path, query] of [
      ['GET', `${V1}/nothing/here`, '?foo=bar'],
      ['GET', `${V1}/orgs/${server.credentials.orgId}/invoices`, ''],
      ['GET', `${groupPath()}/clusters`, ''],
      ['DELETE', `${groupPath()}/clusters`, ''],
      ['GET', `${certsPath(server, 'alice')}/extra`, ''],
      // Atlas has service accounts only in v2.
      ['GET', `${V1}/orgs/${server.credentials.orgId}/serviceAccounts`, ''],
    ] as const) {
      const options = method === 'GET' || method === 'DELETE' ? {} : { json: { monthsUntilExpiration: 3 } };
      await refused(() => call(method, `${path}${query}`, options), resourceNotFound(path), `${method} ${path}`);
    }
  });

  test('a served path with a method it is not served with: 405 METHOD_NOT_ALLOWED, Allow naming its methods', async () => {
    for (const [method, path, query, allow] of [
      ['PUT', `${V1}/groups`, '', 'GET, POST'],
      ['DELETE', `${V1}/groups`, '?pretty=false', 'GET, POST'],
      ['PUT', `${usersPath()}`, '', 'GET, POST'],
      ['POST', `${usersPath()}/$external/alice`, '?envelope=false', 'DELETE, GET, PATCH'],
      // Also the user named `certs` on database `alice` (docs/compatibility.md, "Path ambiguity").
      ['PUT', certsPath(server, 'alice'), '', 'DELETE, GET, PATCH, POST'],
      ['DELETE', `${groupPath()}/userSecurity`, '', 'GET, PATCH'],
      ['PUT', `${V1}/orgs/${server.credentials.orgId}/apiKeys/aaaaaaaaaaaaaaaaaaaaaaaa`, '', 'DELETE, GET, PATCH'],
    ] as const) {
      const options = method === 'DELETE' ? {} : { json: { monthsUntilExpiration: 3 } };
      const response = await refused(
        () => call(method, `${path}${query}`, options),
        atlasError(405, 'METHOD_NOT_ALLOWED', `Method ${method} is not allowed on resource ${path}.`, [method, path]),
        `${method} ${path}`,
      );
      assert.deepEqual(headerValues(response, 'allow'), [allow], `${method} ${path}`);
    }
  });
});

describe('query parameters', () => {
  const lists = () => [
    certsPath(server, 'alice'),
    `${V1}/groups`,
    usersPath(),
    `${groupPath()}/teams`,
    `${V1}/orgs/${server.credentials.orgId}/groups?name=Project`,
  ];

  for (const [query, parameter] of [
    ['pageNum=0', 'pageNum'],
    ['pageNum=-1', 'pageNum'],
    ['pageNum=abc', 'pageNum'],
    ['pageNum=1.5', 'pageNum'],
    ['pageNum=', 'pageNum'],
    ['itemsPerPage=0', 'itemsPerPage'],
    ['itemsPerPage=501', 'itemsPerPage'],
    ['itemsPerPage=abc', 'itemsPerPage'],
    ['itemsPerPage=-5', 'itemsPerPage'],
    ['includeCount=maybe', 'includeCount'],
    ['includeCount=yes', 'includeCount'],
    ['pretty=maybe', 'pretty'],
    ['envelope=2', 'envelope'],
  ] as const) {
    test(`${query}: 400 INVALID_QUERY_PARAMETER ${parameter}`, async () => {
      const expected = invalidQueryParameter(parameter);
      for (const path of lists()) {
        await refused(() => call('GET', `${path}${path.includes('?') ? '&' : '?'}${query}`), expected, path);
      }
    });
  }

  test('only decimal integers are integers: 0x10, 1e2, " 5" and 010.0 are INVALID_QUERY_PARAMETER', async () => {
    const problems: string[] = [];
    for (const [query, parameter] of [
      ['pageNum=0x10', 'pageNum'],
      ['itemsPerPage=1e2', 'itemsPerPage'],
      ['itemsPerPage=%205', 'itemsPerPage'],
      ['pageNum=1.0', 'pageNum'],
    ] as const) {
      const expected = invalidQueryParameter(parameter);
      const response = await call('GET', certsPath(server, 'alice', `?${query}`));
      if (response.status !== 400 || JSON.stringify(response.json()) !== JSON.stringify(expected)) {
        problems.push(`${query} → ${response.status} ${response.text.slice(0, 120)}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  test('a bad envelope on POST certs: 400 INVALID_QUERY_PARAMETER, nothing issued', async () => {
    const expected = invalidQueryParameter('envelope');
    await refused(
      () => call('POST', certsPath(server, 'alice', '?envelope=perhaps'), { json: { monthsUntilExpiration: 3 } }),
      expected,
    );
  });
});

describe('hostile input never causes a 500', () => {
  const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  const huge = 'x'.repeat(300_000);

  /** Bodies for every write route, as raw text. */
  const genericBodies = (): Array<string | Buffer> => [
    'null',
    '[]',
    '[null]',
    '[[[]]]',
    '""',
    '0',
    '-1e400',
    '{}',
    ' ',
    '\u0000',
    '{"\u0000":1}',
    deepArray(20_000),
    deepObject(20_000),
    `{"a":${deepArray(20_000)}}`,
    `{"${huge}":1}`,
    JSON.stringify({ [huge]: huge }),
    Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), // {"<invalid UTF-8>":1}
    '{"a":"\\ud800"}',
    '{"a":"\\u0000"}',
    '{"a":1,"a":2}',
    '\ufeff{}',
    `[${'{},'.repeat(50_000)}{}]`,
  ];

  const role = { roleName: 'read', databaseName: 'app' };
  const userBodies = (): unknown[] => [
    { username: null, roles: [role] },
    { username: huge, roles: [role], databaseName: '$external', x509Type: 'MANAGED' },
    { username: 'a'.repeat(1024), roles: [role], databaseName: '$external', x509Type: 'MANAGED' },
    { username: 'a'.repeat(1025), roles: [role], databaseName: '$external', x509Type: 'MANAGED' },
    { username: { $gt: '' }, roles: [role] },
    { username: ['a'], roles: [role] },
    { username: 'x', roles: role },
    { username: 'x', roles: [[role]] },
    { username: 'x', roles: [null] },
    { username: 'x', roles: [{ roleName: { $ne: 1 }, databaseName: 'admin' }] },
    {
      username: 'x',
      roles: Array.from({ length: 5000 }, (_, i) => ({ roleName: `r${i}`, databaseName: 'app' })),
      password: 'longenough1',
    },
    { username: 'x', roles: [{ roleName: huge, databaseName: huge, collectionName: huge }], password: 'longenough1' },
    { username: '😀 \u202e ünïcödé 中文', roles: [role], databaseName: '$external', x509Type: 'MANAGED' },
    { username: 'a\u0000b', roles: [role], databaseName: '$external', x509Type: 'MANAGED' },
    { username: '\ud800', roles: [role], databaseName: '$external', x509Type: 'MANAGED' },
    { username: 'x\r\nSet-Cookie: a=b', roles: [role], databaseName: '$external', x509Type: 'MANAGED' },
    ...[
      'CN=',
      'CN=#',
      'CN=#zz',
      'CN=#0',
      'CN=#04024869',
      'CN=#0403',
      '1.2.3.4=#0000',
      'OID.2.5.4.3=x',
      'CN="unterminated',
      'CN=a\\',
      'CN=\\zz',
      'CN=\\c3\\28',
      '\\',
      '=',
      ',',
      '+',
      'CN=a,,',
      'CN=a+CN=b',
      'CN=a+',
      ',CN=a',
      'CN=a,OU=b,DC=c',
      `CN=${'a'.repeat(1021)}`,
      'CN=a;OU=b',
      ' CN = a ',
      'cn=a',
      'CN=a\u0000',
      `${'CN=a,'.repeat(200)}CN=b`,
    ].flatMap((username) => [
      { username, roles: [role], databaseName: '$external', x509Type: 'MANAGED' },
      { username, roles: [role], databaseName: '$external', x509Type: 'CUSTOMER' },
      { username, roles: [role], databaseName: '$external', ldapAuthType: 'USER' },
    ]),
    {
      username: 'arn:aws:iam::123456789012:user/' + huge,
      roles: [role],
      databaseName: '$external',
      awsIAMType: 'USER',
    },
    { username: 'arn:', roles: [role], databaseName: '$external', awsIAMType: 'ROLE' },
    { username: '/', roles: [role], databaseName: '$external', oidcAuthType: 'USER' },
    { username: 'x', roles: [role], password: huge },
    { username: 'x', roles: [role], password: '\ud800\ud800\ud800\ud800' },
    { username: 'x', roles: [role], password: 12345678 },
    { username: 'x', roles: [role], databaseName: 'local', password: 'longenough1' },
    { username: 'x', roles: [role], password: 'longenough1', deleteAfterDate: 'not a date' },
    { username: 'x', roles: [role], password: 'longenough1', deleteAfterDate: '+275760-09-13T00:00:00.001Z' },
    { username: 'x', roles: [role], password: 'longenough1', deleteAfterDate: '2031-01-01T23:59:60Z' },
    { username: 'x', roles: [role], password: 'longenough1', deleteAfterDate: '2031-02-30T00:00:00Z' },
    { username: 'x', roles: [role], password: 'longenough1', deleteAfterDate: '9999-12-31T23:59:59Z' },
    { username: 'x', roles: [role], password: 'longenough1', deleteAfterDate: '2031-01-02T00:00:00+99:99' },
    { username: 'x', roles: [role], password: 'longenough1', deleteAfterDate: 0 },
    { username: 'x', roles: [role], password: 'longenough1', labels: [{ key: huge, value: 'v' }] },
    {
      username: 'x',
      roles: [role],
      password: 'longenough1',
      labels: Array.from({ length: 10_000 }, () => ({ key: 'k', value: 'v' })),
    },
    { username: 'x', roles: [role], password: 'longenough1', scopes: [{ name: '-', type: 'CLUSTER' }] },
    { username: 'x', roles: [role], password: 'longenough1', scopes: [{ name: huge, type: 'NOPE' }] },
    { username: 'x', roles: [role], password: 'longenough1', description: huge },
    { username: 'x', roles: [role], password: 'longenough1', groupId: { $ne: null } },
    { username: 'x', roles: [role], password: 'longenough1', groupId: huge },
    {
      username: 'x',
      roles: [role],
      x509Type: 'MANAGED',
      ldapAuthType: 'GROUP',
      awsIAMType: 'ROLE',
      oidcAuthType: 'USER',
    },
  ];

  const patchBodies = (): unknown[] => [
    { roles: [] },
    { roles: null },
    { x509Type: 'NONE' },
    { username: 'alice2' },
    { databaseName: 'admin' },
    { password: 'longenough1' },
    { deleteAfterDate: '2031-01-02T00:00:00Z' },
    { deleteAfterDate: '+275760-09-13T00:00:00.001Z' },
    { description: huge },
    { labels: [{ key: '😀', value: '\ud800' }] },
    { scopes: [{ name: 'Cluster0', type: 'CLUSTER' }], labels: null },
  ];

  const groupBodies = (): unknown[] => [
    { name: huge, orgId: '' },
    { name: '', orgId: 'x' },
    { name: null },
    { name: 'x', orgId: { $ne: null } },
    { name: 'x', orgId: 'aaaaaaaaaaaaaaaaaaaaaaaa' },
    { name: '😀\u0000\u202e', orgId: 'AAAAAAAAAAAAAAAAAAAAAAAA' },
    { name: 'x'.repeat(65), orgId: 'not-an-org' },
    { name: 'x', tags: [{ key: huge, value: huge }], orgId: 'aaaaaaaaaaaaaaaaaaaaaaaa' },
    { name: 'x', tags: 'tags', orgId: 'aaaaaaaaaaaaaaaaaaaaaaaa' },
    { name: 'x', withDefaultAlertsSettings: 'yes' },
    { name: 'x', regionUsageRestrictions: huge, orgId: 'aaaaaaaaaaaaaaaaaaaaaaaa' },
  ];

  /** PATCH /groups/{groupId}: none may rename the project (the other tests use it). */
  const projectPatchBodies = (): unknown[] => [
    { name: huge },
    { name: '' },
    { name: '😀\u0000\u202e' },
    { name: 'x', id: 'aaaaaaaaaaaaaaaaaaaaaaaa' },
    { name: 'x', orgId: 'aaaaaaaaaaaaaaaaaaaaaaaa' },
    { id: huge },
    { orgId: { $ne: null } },
    { tags: 'tags' },
    { tags: [null] },
    { tags: [{ key: huge, value: 'v' }] },
    { tags: [{ key: 'k' }] },
    { created: 'not a date', name: 'Project0' },
    { clusterCount: 'many' },
    { links: [{ href: huge, rel: 1 }] },
    { withDefaultAlertsSettings: 'yes' },
    { regionUsageRestrictions: huge },
    { name: 'Project0', __proto__: { polluted: true } },
  ];

  const settingsBodies = (): unknown[] => [
    { isDataExplorerEnabled: huge },
    { isDataExplorerEnabled: 'true' },
    { isDataExplorerEnabled: {} },
    { isSchemaAdvisorEnabled: 1, isDataExplorerEnabled: true },
    { '\u0000': true },
    { [huge]: true },
    Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`flag${i}`, true])),
  ];

  const limitBodies = (): unknown[] => [
    { value: 1e308 },
    { value: -1e308 },
    { value: 2 ** 63 },
    // eslint-disable-next-line no-loss-of-precision -- a body integer JavaScript cannot hold exactly
    { value: 9007199254740993 },
    { value: huge },
    { value: '\ud800' },
    { value: [5] },
    { name: huge, value: 5 },
    { name: null, value: 0 },
    { value: 100, currentUsage: 'x' },
    { value: 100, lastModifiedDate: 'yesterday' },
  ];

  const certBodies = (): unknown[] => [
    { monthsUntilExpiration: 1e308 },
    { monthsUntilExpiration: -1e308 },
    { monthsUntilExpiration: 2 ** 31 },
    { monthsUntilExpiration: -(2 ** 31) - 1 },
    // eslint-disable-next-line no-loss-of-precision -- a body integer JavaScript cannot hold exactly
    { monthsUntilExpiration: 9007199254740993 },
    { monthsUntilExpiration: huge },
    { monthsUntilExpiration: 1e-300 },
    { monthsUntilExpiration: '\ud800' },
  ];

  /** Sends one hostile request; a refusal must leave the store unchanged. */
  async function probe(method: string, target: string, body: string | Buffer, problems: string[]): Promise<void> {
    const before = await storeSnapshot(server.store);
    let response: RawResponse;
    try {
      response = await callText(method, target, body);
    } catch (error) {
      problems.push(`${method} ${target} ${String(body).slice(0, 80)}: ${String(error)}`);
      return;
    }
    const label = `${method} ${target} ${String(body).slice(0, 80)} → ${response.status} ${response.text.slice(0, 200)}`;
    if (response.status >= 500) problems.push(label);
    if (response.status >= 400) {
      if ((await storeSnapshot(server.store)) !== before) problems.push(`store changed by a refusal: ${label}`);
      try {
        const parsed = response.json();
        if (parsed.error !== response.status || typeof parsed.errorCode !== 'string')
          problems.push(`not an Atlas error: ${label}`);
      } catch {
        problems.push(`not JSON: ${label}`);
      }
    }
  }

  test('POST /groups', async () => {
    const problems: string[] = [];
    for (const body of [...genericBodies(), ...groupBodies().map((value) => JSON.stringify(value))]) {
      await probe('POST', `${V1}/groups`, body, problems);
    }
    assert.deepEqual(problems, []);
  });

  test('POST /groups/{groupId}/databaseUsers', async () => {
    const problems: string[] = [];
    for (const body of [...genericBodies(), ...userBodies().map((value) => JSON.stringify(value))]) {
      await probe('POST', usersPath(), body, problems);
    }
    assert.deepEqual(problems, []);
  });

  test('PATCH /groups/{groupId}/databaseUsers/{databaseName}/{username}', async () => {
    const problems: string[] = [];
    const targets = [
      `${usersPath()}/$external/alice`,
      `${usersPath()}/admin/scrammy`,
      `${usersPath()}/$external/nobody`,
    ];
    for (const target of targets) {
      for (const body of [...genericBodies(), ...patchBodies().map((value) => JSON.stringify(value))]) {
        await probe('PATCH', target, body, problems);
      }
    }
    assert.deepEqual(problems, []);
  });

  test('PATCH /groups/{groupId}', async () => {
    const problems: string[] = [];
    for (const body of [...genericBodies(), ...projectPatchBodies().map((value) => JSON.stringify(value))]) {
      await probe('PATCH', groupPath(), body, problems);
    }
    assert.deepEqual(problems, []);
    assert.equal((await call('GET', groupPath())).json().name, 'Project0');
  });

  test('PATCH /groups/{groupId}/settings', async () => {
    const problems: string[] = [];
    for (const body of [...genericBodies(), ...settingsBodies().map((value) => JSON.stringify(value))]) {
      await probe('PATCH', `${groupPath()}/settings`, body, problems);
    }
    assert.deepEqual(problems, []);
  });

  test('PATCH /groups/{groupId}/limits/{limitName}', async () => {
    const problems: string[] = [];
    for (const name of ['atlas.project.security.databaseAccess.users', 'atlas.project.deployment.clusters']) {
      for (const body of [...genericBodies(), ...limitBodies().map((value) => JSON.stringify(value))]) {
        await probe('PATCH', `${groupPath()}/limits/${name}`, body, problems);
      }
    }
    assert.deepEqual(problems, []);
    const limit = (await call('GET', `${groupPath()}/limits/atlas.project.security.databaseAccess.users`)).json();
    assert.equal(limit.value, 100);
  });

  test('DELETE /groups/{groupId} of a project with users: 409, whatever the body and query', async () => {
    const expected = atlasError(
      409,
      'CANNOT_CLOSE_GROUP_ACTIVE_DATABASE_USERS',
      'Cannot close group while it has database users; please delete all database users.',
    );
    await refused(() => call('DELETE', groupPath()), expected);
    await refused(() => callText('DELETE', `${groupPath()}?envelope=false`, '{"force":true}'), expected);
    await refused(() => call('DELETE', `${groupPath()}?envelope=maybe`), invalidQueryParameter('envelope'));
  });

  test('POST /groups/{groupId}/databaseUsers/{username}/certs', async () => {
    const problems: string[] = [];
    for (const body of [...genericBodies(), ...certBodies().map((value) => JSON.stringify(value))]) {
      await probe('POST', certsPath(server, 'alice'), body, problems);
    }
    assert.deepEqual(problems, []);
  });

  test('POST and PATCH /groups/{groupId}/customDBRoles/roles[/{roleName}]', async () => {
    const roles = `${groupPath()}/customDBRoles/roles`;
    const created = await callText(
      'POST',
      roles,
      JSON.stringify({ actions: [{ action: 'FIND', resources: [{ db: 'app' }] }], roleName: 'probed' }),
    );
    assert.equal(created.status, 202, created.text);
    const find = { action: 'FIND', resources: [{ db: 'app' }] };
    const roleBodies = (): unknown[] => [
      { roleName: huge, actions: [find] },
      { roleName: 'x', actions: [{ action: huge, resources: [{ db: 'a' }] }] },
      { roleName: 'x', actions: [{ action: 'FIND', resources: [{ db: huge, collection: huge }] }] },
      {
        roleName: 'x',
        actions: [{ action: 'FIND', resources: Array.from({ length: 5000 }, (_, i) => ({ db: `d${i}` })) }],
      },
      { roleName: 'x', actions: Array.from({ length: 5000 }, () => find) },
      { roleName: 'x', inheritedRoles: Array.from({ length: 5000 }, (_, i) => ({ db: 'admin', role: `r${i}` })) },
      { roleName: 'x', inheritedRoles: [{ db: huge, role: huge }] },
      { roleName: 'x', actions: [{ action: 'FIND', resources: [{ cluster: 'yes' }] }] },
      { roleName: 'x', actions: [{ action: 'FIND', resources: [{ db: { $ne: '' } }] }] },
      { roleName: 'x', actions: [{ action: 'FIND', resources: [null] }] },
      { roleName: 'x', actions: [find], inheritedRoles: [null] },
      { roleName: 'x', actions: find },
      { roleName: ['x'], actions: [find] },
      { roleName: '😀', actions: [find] },
      { roleName: 'probed', actions: [find] },
      { roleName: 'a\u0000b', actions: [find] },
      { roleName: 'x\r\nSet-Cookie: a=b', actions: [find] },
    ];
    const problems: string[] = [];
    for (const body of [...genericBodies(), ...roleBodies().map((value) => JSON.stringify(value))]) {
      await probe('POST', roles, body, problems);
      await probe('PATCH', `${roles}/probed`, body, problems);
    }
    for (const name of ['%00', '%ff', '..', 'x'.repeat(3000), '%F0%9F%98%80', 'a%2Fb']) {
      for (const method of ['GET', 'PATCH', 'DELETE']) await probe(method, `${roles}/${name}`, '{}', problems);
    }
    assert.deepEqual(problems, []);
  });

  test('hostile paths and names on every route', async () => {
    const problems: string[] = [];
    const names = [
      '%00',
      '%ff',
      '%E0%A4%A',
      '%',
      '..',
      '%2e%2e',
      'a%2Fb',
      '%F0%9F%98%80',
      'x'.repeat(3000),
      '%C0%AE',
      '%0d%0aX:%20y',
    ];
    for (const name of names) {
      for (const [method, target] of [
        ['POST', `${usersPath()}/${name}/certs`],
        ['GET', `${usersPath()}/${name}/certs`],
        ['PATCH', `${usersPath()}/$external/${name}`],
        ['GET', `${usersPath()}/${name}/${name}`],
        ['DELETE', `${usersPath()}/${name}/${name}`],
        ['GET', `${V1}/groups/${name}`],
        ['POST', `${V1}/groups/${name}/databaseUsers`],
        ['PATCH', `${V1}/groups/${name}`],
        ['DELETE', `${V1}/groups/${name}`],
        ['GET', `${V1}/groups/byName/${name}`],
        ['GET', `${groupPath()}/limits/${name}`],
        ['PATCH', `${groupPath()}/limits/${name}`],
        ['DELETE', `${groupPath()}/limits/${name}`],
        ['PATCH', `${V1}/groups/${name}/settings`],
        ['GET', `${V1}/groups/${name}/teams`],
      ] as const) {
        await probe(method, target, '{}', problems);
      }
    }
    for (const query of [
      '?pageNum=99999999999999999999',
      '?itemsPerPage=1&pageNum=9007199254740993',
      '?pretty=%ff',
      '?%=%',
      '?pageNum[]=1',
      '?pageNum=1&pageNum=2',
      '?name=%ff',
      `?name=${'x'.repeat(3000)}`,
      '?name[]=a&name=b',
      '?name=%25%5F%5C',
    ]) {
      await probe('GET', `${V1}/orgs/${server.credentials.orgId}/groups${query}`, '{}', problems);
      await probe('GET', `${V1}/orgs${query}`, '{}', problems);
      await probe('GET', certsPath(server, 'alice', query), '{}', problems);
      await probe('GET', `${usersPath()}${query}`, '{}', problems);
      await probe('GET', `${groupPath()}/teams${query}`, '{}', problems);
    }
    assert.deepEqual(problems, []);
  });
});
