import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { newObjectId } from '../../src/domain/ids.js';
import {
  assertAtlasError,
  atlasError,
  type AtlasErrorBody,
  groupNotFound,
  resourceNotFound,
  UNAUTHORIZED_BODY,
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
 * The Digest rules of shared/spec/digest-auth.md, checked with raw HTTP requests against a
 * live server: every Authorization header below is written by hand (no shared Digest code),
 * so each variation real clients send (curl, Go, Python requests, urllib) is exercised as is.
 */

const REALM = 'MMS Public API';
/**
 * With `pretty=true` the 401 may be pretty-printed (docs/compatibility.md: pretty applies to
 * error bodies; only the envelope is ruled out for the Digest 401): either form, exactly.
 */
const UNAUTHORIZED_BODY_PRETTY =
  '{\n  "error" : 401,\n  "reason" : "Unauthorized",\n  "detail" : "You are not authorized for this resource."\n}';
const CHALLENGE =
  /^Digest realm="MMS Public API", domain="", nonce="([0-9a-f]{40})", algorithm=MD5, qop="auth", stale=(true|false)$/;

// ---------------------------------------------------------------------------------------
// Digest, written out by hand.

type Algorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

interface Signing {
  method: string;
  uri: string;
  nonce: string;
  nc?: string;
  cnonce?: string;
  algorithm?: Algorithm;
  username?: string;
  password?: string;
  /** The realm the response is computed with. */
  realm?: string;
}

/** One `name=value` of an Authorization header; `quoted` says how it is written. */
type Field = [name: string, value: string, quoted: boolean];

let server: TestServer;

function digestResponse(signing: Required<Signing>): string {
  const name = signing.algorithm.startsWith('SHA-256') ? 'sha256' : 'md5';
  const h = (text: string) => createHash(name).update(text).digest('hex');
  let ha1 = h(`${signing.username}:${signing.realm}:${signing.password}`);
  if (signing.algorithm.endsWith('-sess')) ha1 = h(`${ha1}:${signing.nonce}:${signing.cnonce}`);
  const ha2 = h(`${signing.method}:${signing.uri}`);
  return h(`${ha1}:${signing.nonce}:${signing.nc}:${signing.cnonce}:auth:${ha2}`);
}

/** curl's field order and quoting: `username="…", realm="…", nonce="…", uri="…", cnonce="…", nc=…, qop=auth, response="…", algorithm=MD5`. */
function fields(signing: Signing): Field[] {
  const full: Required<Signing> = {
    nc: '00000001',
    cnonce: randomBytes(8).toString('hex'),
    algorithm: 'MD5',
    username: server.credentials.publicKey,
    password: server.credentials.privateKey,
    realm: REALM,
    ...signing,
  };
  return [
    ['username', full.username, true],
    ['realm', REALM, true],
    ['nonce', full.nonce, true],
    ['uri', full.uri, true],
    ['cnonce', full.cnonce, true],
    ['nc', full.nc, false],
    ['qop', 'auth', false],
    ['response', digestResponse(full), true],
    ['algorithm', full.algorithm, false],
  ];
}

function format(list: Field[], separator = ', ', scheme = 'Digest'): string {
  return `${scheme} ${list.map(([name, value, quoted]) => (quoted ? `${name}="${value}"` : `${name}=${value}`)).join(separator)}`;
}

function authorization(signing: Signing): string {
  return format(fields(signing));
}

function replaceField(list: Field[], name: string, value: string, quoted?: boolean): Field[] {
  return list.map((field) => (field[0] === name ? [name, value, quoted ?? field[2]] : field));
}

function groupPath(): string {
  return `${V1}/groups/${server.credentials.groupId}`;
}

/** A signed GET of the bootstrap project: 200 when the Authorization is accepted. */
async function getGroup(authorizationHeader: string, target = groupPath()): Promise<RawResponse> {
  return raw(server.origin, 'GET', target, { headers: { authorization: authorizationHeader } });
}

/** The Digest 401 body, exactly (either form where the target asks for pretty=true). */
function assertUnauthorizedBody(response: RawResponse, target = ''): void {
  if (/[?&]pretty=true(&|$)/i.test(target))
    assert.ok([UNAUTHORIZED_BODY, UNAUTHORIZED_BODY_PRETTY].includes(response.text), response.text);
  else assert.equal(response.text, UNAUTHORIZED_BODY);
}

/** The whole Atlas challenge answer, checked exactly; returns the nonce it carries. */
function assertChallenge(response: RawResponse, stale = false, target = ''): string {
  assert.equal(response.status, 401, response.text);
  const challenges = headerValues(response, 'www-authenticate');
  assert.equal(challenges.length, 1, `exactly one WWW-Authenticate header, got ${JSON.stringify(challenges)}`);
  const match = CHALLENGE.exec(challenges[0]!);
  assert.ok(match, `challenge shape: ${challenges[0]}`);
  assert.equal(match[2], String(stale));
  assertUnauthorizedBody(response, target);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  return match[1]!;
}

function assertNoChallenge(response: RawResponse): void {
  assert.deepEqual(headerValues(response, 'www-authenticate'), [], `no WWW-Authenticate on ${response.status}`);
}

/** An Atlas error answer, exactly, that does not ask for credentials. */
function assertErrorWithoutChallenge(response: RawResponse, expected: AtlasErrorBody, message?: string): void {
  assertAtlasError(response, expected, message);
  assertNoChallenge(response);
}

before(async () => {
  server = await startTestServer();
  server.clock.set('2030-01-01T00:00:00.000Z');
  await createManagedUser(server, 'alice');
  const carol = await server.client.post(`${V1}/groups/${server.credentials.groupId}/databaseUsers`, {
    databaseName: '$external',
    username: 'CN=carol,O=acme',
    x509Type: 'CUSTOMER',
    roles: [{ roleName: 'read', databaseName: 'app' }],
  });
  assert.equal(carol.status, 201, carol.text);
});

after(() => server.close());

describe('the challenge', () => {
  test('an unauthenticated request gets exactly one Atlas challenge and the Atlas 401 body', async () => {
    const response = await raw(server.origin, 'GET', `${V1}/groups`);
    assertChallenge(response);
    // The whole header, with nothing but the six parameters Atlas sends.
    const header = headerValues(response, 'www-authenticate')[0]!;
    assert.equal(
      header.replace(/nonce="[0-9a-f]{40}"/, 'nonce="N"'),
      'Digest realm="MMS Public API", domain="", nonce="N", algorithm=MD5, qop="auth", stale=false',
    );
  });

  test('nonces are 40 lowercase hex characters, and differ from one challenge to the next', async () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const nonce = await freshNonce(server.origin);
      assert.match(nonce, /^[0-9a-f]{40}$/);
      nonces.add(nonce);
    }
    assert.equal(nonces.size, 8);
  });

  test('authentication comes before the body: curl’s empty POST (Content-Length: 0) gets the challenge, not 400', async () => {
    const before = await storeSnapshot(server.store);
    const empty = await raw(server.origin, 'POST', certsPath(server, 'alice'), { headers: { 'content-length': '0' } });
    assertChallenge(empty);
    const emptyJson = await raw(server.origin, 'POST', certsPath(server, 'alice'), {
      headers: { 'content-length': '0', 'content-type': 'application/json' },
    });
    assertChallenge(emptyJson);
    const emptyPatch = await raw(server.origin, 'PATCH', `${groupPath()}/databaseUsers/$external/alice`, {
      headers: { 'content-length': '0' },
    });
    assertChallenge(emptyPatch);
    assert.equal(await storeSnapshot(server.store), before);
  });

  test('authentication comes before parsing, validation and media types', async () => {
    const before = await storeSnapshot(server.store);
    const cases: Array<[string, RawOptions]> = [
      ['malformed JSON', { headers: { 'content-type': 'application/json' }, body: '{"monthsUntilExpiration":' }],
      [
        'an invalid attribute',
        { headers: { 'content-type': 'application/json' }, body: '{"monthsUntilExpiration":99}' },
      ],
      ['an unknown field', { headers: { 'content-type': 'application/json' }, body: '{"bogus":1}' }],
      ['a foreign media type', { headers: { 'content-type': 'text/plain' }, body: 'hello' }],
      [
        'an oversized body',
        { headers: { 'content-type': 'application/json' }, body: `{"x":"${'a'.repeat(2 * 1024 * 1024)}"}` },
      ],
    ];
    for (const [name, options] of cases) {
      const response = await raw(server.origin, 'POST', certsPath(server, 'alice'), options);
      assert.equal(response.status, 401, name);
      assertChallenge(response);
    }
    // With bad credentials too: the body is never looked at.
    const nonce = await freshNonce(server.origin);
    const wrong = await raw(server.origin, 'POST', certsPath(server, 'alice'), {
      headers: {
        'content-type': 'application/json',
        authorization: authorization({ method: 'POST', uri: certsPath(server, 'alice'), nonce, password: 'wrong' }),
      },
      body: '{not json',
    });
    assertChallenge(wrong);
    assert.equal(await storeSnapshot(server.store), before);
  });

  test('the curl flow: the nonce of the empty POST’s challenge signs the real POST', async () => {
    const path = certsPath(server, 'alice');
    const nonce = assertChallenge(await raw(server.origin, 'POST', path, { headers: { 'content-length': '0' } }));
    const response = await raw(server.origin, 'POST', path, {
      headers: {
        'content-type': 'application/json',
        authorization: authorization({ method: 'POST', uri: path, nonce }),
      },
      body: '{"monthsUntilExpiration":1}',
    });
    assert.equal(response.status, 201, response.text);
    assert.match(response.text, /^-----BEGIN CERTIFICATE-----\n/);
    assertNoChallenge(response);
  });
});

describe('nonce counts', () => {
  test('Python requests: one nonce reused with nc 1, 2, 3, 4 is accepted each time; a repeated nc is refused', async () => {
    const nonce = await freshNonce(server.origin);
    const cnonce = randomBytes(8).toString('hex');
    for (const nc of ['00000001', '00000002', '00000003', '00000004']) {
      const response = await getGroup(authorization({ method: 'GET', uri: groupPath(), nonce, nc, cnonce }));
      assert.equal(response.status, 200, `nc ${nc}: ${response.text}`);
    }
    const repeated = await getGroup(authorization({ method: 'GET', uri: groupPath(), nonce, nc: '00000002', cnonce }));
    assertChallenge(repeated);
    // The next unused count still works: the refusal consumed nothing.
    const next = await getGroup(authorization({ method: 'GET', uri: groupPath(), nonce, nc: '00000005', cnonce }));
    assert.equal(next.status, 200);
  });

  test('a Python-style client that rotates its cnonce may reuse nc values under a new cnonce', async () => {
    const nonce = await freshNonce(server.origin);
    const first = await getGroup(
      authorization({ method: 'GET', uri: groupPath(), nonce, nc: '00000001', cnonce: 'aaaa1111' }),
    );
    assert.equal(first.status, 200);
    const second = await getGroup(
      authorization({ method: 'GET', uri: groupPath(), nonce, nc: '00000001', cnonce: 'bbbb2222' }),
    );
    assert.equal(second.status, 200);
    const replay = await getGroup(
      authorization({ method: 'GET', uri: groupPath(), nonce, nc: '00000001', cnonce: 'aaaa1111' }),
    );
    assertChallenge(replay);
  });

  test('out-of-order nc values (concurrent requests) are accepted on first use', async () => {
    const nonce = await freshNonce(server.origin);
    const cnonce = randomBytes(8).toString('hex');
    for (const nc of ['00000005', '00000002', '00000009', '00000003', '00000001']) {
      const response = await getGroup(authorization({ method: 'GET', uri: groupPath(), nonce, nc, cnonce }));
      assert.equal(response.status, 200, `nc ${nc}`);
    }
    assertChallenge(await getGroup(authorization({ method: 'GET', uri: groupPath(), nonce, nc: '00000005', cnonce })));
    assertChallenge(await getGroup(authorization({ method: 'GET', uri: groupPath(), nonce, nc: '00000001', cnonce })));
  });

  test('concurrent requests on one nonce with distinct nc values all succeed', async () => {
    const nonce = await freshNonce(server.origin);
    const cnonce = randomBytes(8).toString('hex');
    const responses = await Promise.all(
      [1, 2, 3, 4, 5, 6, 7, 8].map((n) =>
        getGroup(
          authorization({ method: 'GET', uri: groupPath(), nonce, nc: n.toString(16).padStart(8, '0'), cnonce }),
        ),
      ),
    );
    assert.deepEqual(
      responses.map((response) => response.status),
      [200, 200, 200, 200, 200, 200, 200, 200],
    );
  });

  test('concurrent replays of one (nonce, cnonce, nc): exactly one succeeds', async () => {
    const header = authorization({ method: 'GET', uri: groupPath(), nonce: await freshNonce(server.origin) });
    const responses = await Promise.all([1, 2, 3, 4, 5, 6].map(() => getGroup(header)));
    const statuses = responses.map((response) => response.status).sort();
    assert.deepEqual(statuses, [200, 401, 401, 401, 401, 401]);
  });

  test('urllib: a process-wide counter, so a fresh nonce is first used with nc 7, the next with nc 8', async () => {
    const first = await getGroup(
      authorization({ method: 'GET', uri: groupPath(), nonce: await freshNonce(server.origin), nc: '00000007' }),
    );
    assert.equal(first.status, 200, first.text);
    const second = await getGroup(
      authorization({ method: 'GET', uri: groupPath(), nonce: await freshNonce(server.origin), nc: '00000008' }),
    );
    assert.equal(second.status, 200, second.text);
  });

  test('nc is hashed exactly as sent (upper-case hex digits)', async () => {
    const response = await getGroup(
      authorization({ method: 'GET', uri: groupPath(), nonce: await freshNonce(server.origin), nc: '0000000A' }),
    );
    assert.equal(response.status, 200, response.text);
  });
});

describe('lenient parsing of Authorization', () => {
  const variants: Array<[string, (list: Field[]) => string]> = [
    ['curl: bare qop, nc and algorithm', (list) => format(list)],
    [
      'Go digest transport: every value quoted, algorithm="MD5"',
      (list) => format(list.map(([name, value]) => [name, value, true])),
    ],
    [
      'bare values wherever possible (username, nonce, cnonce, response, uri)',
      (list) => format(list.map(([name, value]) => [name, value, name === 'realm'])),
    ],
    ['no spaces after commas', (list) => format(list, ',')],
    [
      'spaces around "=" and commas',
      (list) => `Digest ${list.map(([n, v, q]) => (q ? `${n} = "${v}"` : `${n} = ${v}`)).join(' , ')}`,
    ],
    [
      'upper-case parameter names',
      (list) => format(list.map(([name, value, quoted]) => [name.toUpperCase(), value, quoted])),
    ],
    [
      'mixed-case parameter names',
      (list) => format(list.map(([name, value, quoted]) => [name[0]!.toUpperCase() + name.slice(1), value, quoted])),
    ],
    ['lower-case scheme', (list) => format(list, ', ', 'digest')],
    ['upper-case scheme', (list) => format(list, ', ', 'DIGEST')],
    ['no algorithm (urllib): MD5', (list) => format(list.filter(([name]) => name !== 'algorithm'))],
    ['algorithm in lower case', (list) => format(replaceField(list, 'algorithm', 'md5'))],
    ['qop quoted', (list) => format(replaceField(list, 'qop', 'auth', true))],
    ['parameters in another order', (list) => format([...list].reverse())],
    ['an opaque parameter the server never sent is ignored', (list) => format([...list, ['opaque', 'abc', true]])],
    [
      'an upper-case response digest',
      (list) => format(list.map(([n, v, q]) => (n === 'response' ? [n, v.toUpperCase(), q] : [n, v, q]))),
    ],
  ];

  for (const [name, write] of variants) {
    test(`accepted: ${name}`, async () => {
      const header = write(fields({ method: 'GET', uri: groupPath(), nonce: await freshNonce(server.origin) }));
      const response = await getGroup(header);
      assert.equal(response.status, 200, `${header}\n${response.text}`);
      assert.equal(response.json().id, server.credentials.groupId);
    });
  }

  for (const algorithm of ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess'] as const) {
    test(`accepted: a response computed with ${algorithm}`, async () => {
      const header = authorization({
        method: 'GET',
        uri: groupPath(),
        nonce: await freshNonce(server.origin),
        algorithm,
      });
      const response = await getGroup(header);
      assert.equal(response.status, 200, response.text);
    });
  }

  test('a SHA-256 response is checked: the MD5 response under algorithm=SHA-256 is refused', async () => {
    const nonce = await freshNonce(server.origin);
    const md5 = fields({ method: 'GET', uri: groupPath(), nonce, algorithm: 'MD5' });
    assertChallenge(await getGroup(format(replaceField(md5, 'algorithm', 'SHA-256'))));
  });

  test('an unknown algorithm is refused with the challenge', async () => {
    const list = fields({ method: 'GET', uri: groupPath(), nonce: await freshNonce(server.origin) });
    assertChallenge(await getGroup(format(replaceField(list, 'algorithm', 'SHA-512-256'))));
  });
});

describe('nonce lifetime and integrity', () => {
  test('a nonce is still good 299 seconds after it was issued', async () => {
    server.clock.set('2030-02-01T00:00:00.000Z');
    const nonce = await freshNonce(server.origin);
    server.clock.advance(299_000);
    const response = await getGroup(authorization({ method: 'GET', uri: groupPath(), nonce }));
    assert.equal(response.status, 200, response.text);
  });

  test('an expired nonce with a correct response: 401 stale=true with a fresh nonce, which then works', async () => {
    server.clock.set('2030-03-01T00:00:00.000Z');
    const nonce = await freshNonce(server.origin);
    server.clock.advance(301_000);
    const stale = await getGroup(authorization({ method: 'GET', uri: groupPath(), nonce }));
    const fresh = assertChallenge(stale, true);
    assert.notEqual(fresh, nonce);
    const retried = await getGroup(authorization({ method: 'GET', uri: groupPath(), nonce: fresh }));
    assert.equal(retried.status, 200, retried.text);
  });

  test('a Python-style client whose reused nonce expires gets stale=true, and goes on with the new one', async () => {
    server.clock.set('2030-03-02T00:00:00.000Z');
    const nonce = await freshNonce(server.origin);
    const cnonce = randomBytes(8).toString('hex');
    assert.equal(
      (await getGroup(authorization({ method: 'GET', uri: groupPath(), nonce, nc: '00000001', cnonce }))).status,
      200,
    );
    server.clock.advance(400_000);
    const stale = await getGroup(authorization({ method: 'GET', uri: groupPath(), nonce, nc: '00000002', cnonce }));
    const fresh = assertChallenge(stale, true);
    const retried = await getGroup(
      authorization({ method: 'GET', uri: groupPath(), nonce: fresh, nc: '00000001', cnonce }),
    );
    assert.equal(retried.status, 200);
  });

  test('an expired nonce with a wrong password gets stale=false', async () => {
    server.clock.set('2030-04-01T00:00:00.000Z');
    const nonce = await freshNonce(server.origin);
    server.clock.advance(301_000);
    const response = await getGroup(
      authorization({ method: 'GET', uri: groupPath(), nonce, password: 'not-the-private-key' }),
    );
    assertChallenge(response, false);
  });

  test('an expired nonce from an unknown key gets stale=false', async () => {
    server.clock.set('2030-04-02T00:00:00.000Z');
    const nonce = await freshNonce(server.origin);
    server.clock.advance(301_000);
    const response = await getGroup(authorization({ method: 'GET', uri: groupPath(), nonce, username: 'zzzzzzzz' }));
    assertChallenge(response, false);
  });

  test('a nonce with a tampered MAC (or a tampered timestamp) is refused, stale=false', async () => {
    const nonce = await freshNonce(server.origin);
    const flip = (text: string, index: number) =>
      text.slice(0, index) + (text[index] === '0' ? '1' : '0') + text.slice(index + 1);
    const tampered = [
      flip(nonce, 39), // the MAC
      flip(nonce, 20),
      flip(nonce, 3), // the timestamp
      flip(nonce, 12), // the random part
      nonce.slice(0, 39), // truncated
      `${nonce}0`, // extended
      nonce.toUpperCase(),
      'f'.repeat(40),
    ];
    for (const candidate of tampered) {
      const response = await getGroup(authorization({ method: 'GET', uri: groupPath(), nonce: candidate }));
      assertChallenge(response, false);
    }
    // The genuine nonce is untouched by all of that.
    assert.equal((await getGroup(authorization({ method: 'GET', uri: groupPath(), nonce }))).status, 200);
  });

  test('a nonce issued more than a minute in the future (a forged clock) is refused', async () => {
    server.clock.set('2030-05-01T00:00:00.000Z');
    server.clock.advance(3_600_000);
    const future = await freshNonce(server.origin);
    server.clock.set('2030-05-01T00:00:00.000Z');
    assertChallenge(await getGroup(authorization({ method: 'GET', uri: groupPath(), nonce: future })), false);
  });
});

describe('what the response is bound to', () => {
  test('the signed uri must name the request: another path is refused', async () => {
    const nonce = await freshNonce(server.origin);
    const response = await getGroup(authorization({ method: 'GET', uri: `${V1}/groups`, nonce }));
    assertChallenge(response);
  });

  test('the signed uri includes the query: a missing or different query is refused, the exact one accepted', async () => {
    const target = `${groupPath()}?pretty=true`;
    assertChallenge(
      await getGroup(
        authorization({ method: 'GET', uri: groupPath(), nonce: await freshNonce(server.origin) }),
        target,
      ),
      false,
      target,
    );
    assertChallenge(
      await getGroup(
        authorization({ method: 'GET', uri: `${groupPath()}?pretty=false`, nonce: await freshNonce(server.origin) }),
        target,
      ),
      false,
      target,
    );
    const exact = await getGroup(
      authorization({ method: 'GET', uri: target, nonce: await freshNonce(server.origin) }),
      target,
    );
    assert.equal(exact.status, 200);
    assert.match(exact.text, /^\{\n {2}"clusterCount" : 0,/);
  });

  test('`$external` and `%24external` name the same path whichever way each side encodes it', async () => {
    const plain = `${groupPath()}/databaseUsers/$external/alice`;
    const encoded = `${groupPath()}/databaseUsers/%24external/alice`;
    for (const [signed, target] of [
      [plain, encoded],
      [encoded, plain],
      [encoded, encoded],
      [plain, plain],
    ] as const) {
      const response = await getGroup(
        authorization({ method: 'GET', uri: signed, nonce: await freshNonce(server.origin) }),
        target,
      );
      assert.equal(response.status, 200, `signed ${signed}, sent ${target}: ${response.text}`);
      assert.equal(response.json().username, 'alice');
    }
  });

  test('a DN username signed decoded but sent percent-encoded is accepted', async () => {
    const signed = `${groupPath()}/databaseUsers/$external/CN=carol,O=acme`;
    const target = `${groupPath()}/databaseUsers/%24external/CN%3Dcarol%2CO%3Dacme`;
    const response = await getGroup(
      authorization({ method: 'GET', uri: signed, nonce: await freshNonce(server.origin) }),
      target,
    );
    assert.equal(response.status, 200, response.text);
    assert.equal(response.json().username, 'CN=carol,O=acme');
  });

  test('a response signed for GET does not authorise a POST to the same uri', async () => {
    const path = certsPath(server, 'alice');
    const before = await storeSnapshot(server.store);
    const response = await raw(server.origin, 'POST', path, {
      headers: {
        'content-type': 'application/json',
        authorization: authorization({ method: 'GET', uri: path, nonce: await freshNonce(server.origin) }),
      },
      body: '{}',
    });
    assertChallenge(response);
    assert.equal(await storeSnapshot(server.store), before);
  });

  test('a realm other than "MMS Public API" is refused', async () => {
    // Named in the header, though the response itself is computed with the right realm…
    const named = replaceField(
      fields({ method: 'GET', uri: groupPath(), nonce: await freshNonce(server.origin) }),
      'realm',
      'Other Realm',
    );
    assertChallenge(await getGroup(format(named)));
    // …and computed with the other realm, as a client that believed it would.
    const nonce = await freshNonce(server.origin);
    const computed = replaceField(
      fields({ method: 'GET', uri: groupPath(), nonce, realm: 'Other Realm' }),
      'realm',
      'Other Realm',
    );
    assertChallenge(await getGroup(format(computed)));
    assertChallenge(
      await getGroup(
        format(
          replaceField(
            fields({ method: 'GET', uri: groupPath(), nonce: await freshNonce(server.origin) }),
            'realm',
            'mms public api',
          ),
        ),
      ),
    );
  });
});

describe('where the challenge is, and is not, sent', () => {
  test('404 for an unknown project, with valid credentials, carries no WWW-Authenticate', async () => {
    const unknown = 'aaaaaaaaaaaaaaaaaaaaaaaa';
    const path = `${V1}/groups/${unknown}`;
    const response = await getGroup(
      authorization({ method: 'GET', uri: path, nonce: await freshNonce(server.origin) }),
      path,
    );
    assertErrorWithoutChallenge(response, groupNotFound(unknown));
  });

  test('404 for an unknown /api/atlas path, with valid credentials, carries no WWW-Authenticate', async () => {
    const path = `${V1}/nothing/here`;
    const response = await getGroup(
      authorization({ method: 'GET', uri: path, nonce: await freshNonce(server.origin) }),
      path,
    );
    assertErrorWithoutChallenge(response, resourceNotFound(path));
  });

  test('401 about permissions (USER_UNAUTHORIZED, NOT_IN_GROUP) carries no WWW-Authenticate', async () => {
    const { key, privateKey } = await server.authority.apiKeys.mint(server.credentials.orgId, 'read only', [
      'ORG_READ_ONLY',
    ]);
    const path = certsPath(server, 'alice');
    const before = await storeSnapshot(server.store);
    const forbidden = await raw(server.origin, 'POST', path, {
      headers: {
        'content-type': 'application/json',
        authorization: authorization({
          method: 'POST',
          uri: path,
          nonce: await freshNonce(server.origin),
          username: key.publicKey,
          password: privateKey,
        }),
      },
      body: '{}',
    });
    assertErrorWithoutChallenge(
      forbidden,
      atlasError(401, 'USER_UNAUTHORIZED', 'Current user is not authorized to perform this action.'),
    );
    assert.equal(await storeSnapshot(server.store), before);

    const now = server.clock.now();
    const otherOrg = newObjectId(now);
    const otherGroup = newObjectId(now);
    await server.store.organizations.insert({ id: otherOrg, name: 'elsewhere', createdAt: now });
    await server.store.projects.insert({ id: otherGroup, orgId: otherOrg, name: 'Theirs', tags: [], createdAt: now });
    const otherPath = `${V1}/groups/${otherGroup}`;
    const foreign = await getGroup(
      authorization({ method: 'GET', uri: otherPath, nonce: await freshNonce(server.origin) }),
      otherPath,
    );
    assertErrorWithoutChallenge(
      foreign,
      atlasError(401, 'NOT_IN_GROUP', 'The current user is not in the group, or the group does not exist.'),
    );
  });

  test('403 (GROUP_USERS_LIMIT_EXCEEDED) carries no WWW-Authenticate', async () => {
    const created = await server.client.post(`${V1}/groups`, { name: 'crowded', orgId: server.credentials.orgId });
    assert.equal(created.status, 200, created.text);
    const groupId = created.json().id as string;
    const usersPath = `${V1}/groups/${groupId}/databaseUsers`;
    for (let i = 0; i < 100; i++) {
      const response = await server.client.post(usersPath, {
        databaseName: '$external',
        username: `user${i}`,
        x509Type: 'MANAGED',
        roles: [{ roleName: 'read', databaseName: 'app' }],
      });
      assert.equal(response.status, 201, response.text);
    }
    const body = JSON.stringify({
      databaseName: '$external',
      username: 'one-too-many',
      x509Type: 'MANAGED',
      roles: [{ roleName: 'read', databaseName: 'app' }],
    });
    const response = await raw(server.origin, 'POST', usersPath, {
      headers: {
        'content-type': 'application/json',
        authorization: authorization({ method: 'POST', uri: usersPath, nonce: await freshNonce(server.origin) }),
      },
      body,
    });
    assertErrorWithoutChallenge(
      response,
      atlasError(403, 'GROUP_USERS_LIMIT_EXCEEDED', 'Groups can contain at most 100 database users.', [100]),
    );
  });

  test('400 answers carry no WWW-Authenticate', async () => {
    const path = certsPath(server, 'alice');
    const response = await raw(server.origin, 'POST', path, {
      headers: {
        'content-type': 'application/json',
        authorization: authorization({ method: 'POST', uri: path, nonce: await freshNonce(server.origin) }),
      },
      body: '{"monthsUntilExpiration":25}',
    });
    assert.equal(response.status, 400);
    assert.equal(response.json().errorCode, 'CERT_EXPIRY_CANNOT_EXCEED_TWO_YEARS');
    assertNoChallenge(response);
  });

  test('every /api/atlas/ path requires Digest, including unknown ones and unsupported methods', async () => {
    const targets: Array<[string, string]> = [
      ['GET', `${V1}/groups`],
      ['HEAD', `${V1}/groups`],
      ['GET', `${V1}/groups?pretty=true&envelope=true`],
      ['GET', groupPath()],
      ['GET', `${groupPath()}/databaseUsers`],
      ['GET', `${groupPath()}/databaseUsers/$external/alice`],
      ['DELETE', `${groupPath()}/databaseUsers/$external/alice`],
      ['GET', certsPath(server, 'alice')],
      ['GET', `${groupPath()}/userSecurity/managedX509/ca`],
      ['GET', `${V1}/nothing`],
      ['GET', `${V1}/groups/aaaaaaaaaaaaaaaaaaaaaaaa`],
      ['GET', `${V1}/groups/not-a-group`],
      ['PUT', `${V1}/groups`],
      ['DELETE', certsPath(server, 'alice')],
      ['GET', '/api/atlas/v2/groups'],
      ['GET', '/api/atlas/v1.5/anything'],
      ['GET', '/api/atlas/'],
      ['OPTIONS', `${V1}/groups`],
    ];
    const before = await storeSnapshot(server.store);
    for (const [method, target] of targets) {
      const response = await raw(server.origin, method, target);
      assert.equal(response.status, 401, `${method} ${target}: ${response.status} ${response.text}`);
      const challenges = headerValues(response, 'www-authenticate');
      assert.equal(challenges.length, 1, `${method} ${target}`);
      assert.match(challenges[0]!, CHALLENGE);
      if (method !== 'HEAD') assertUnauthorizedBody(response, target);
    }
    assert.equal(await storeSnapshot(server.store), before);
  });

  test('spellings of an /api/atlas path that the router resolves to a route still require Digest', async () => {
    // Whatever the router makes of these, none may reach a handler unauthenticated.
    const targets = [
      `/api/%61tlas/v1.0/groups`,
      `/%61pi/atlas/v1.0/groups`,
      `/api/atlas/v1%2E0/groups`,
      `/api/atlas/v1.0/%67roups`,
      `/api/atlas/v1.0/groups/${server.credentials.groupId}/databaseUsers/%24external/alice`,
      `//api/atlas/v1.0/groups`,
      `/api/atlas/v1.0/groups/`,
      `/api/atlas/v1.0/groups;x=1`,
      `/api/atlas/v1.0/./groups`,
      `/api/atlas/v1.0/x/../groups`,
      `/api%2Fatlas/v1.0/groups`,
      `/%61pi/atlas/v1.0/groups/${server.credentials.groupId}`,
      `/%61pi/atlas/v1.0/groups/${server.credentials.groupId}/databaseUsers`,
      `/%61pi/atlas/v1.0/groups/${server.credentials.groupId}/userSecurity/managedX509/ca`,
      `/%61pi/atlas/v1.0/groups/${server.credentials.groupId}/databaseUsers/alice/certs`,
    ];
    const problems: string[] = [];
    for (const target of targets) {
      const response = await raw(server.origin, 'GET', target);
      const challenges = headerValues(response, 'www-authenticate');
      const challenged =
        response.status === 401 &&
        challenges.length === 1 &&
        CHALLENGE.test(challenges[0]!) &&
        response.text === UNAUTHORIZED_BODY;
      const notFound =
        response.status === 404 && challenges.length === 0 && /"errorCode":"RESOURCE_NOT_FOUND"/.test(response.text);
      if (!challenged && !notFound) problems.push(`${target}: ${response.status} ${response.text}`);
    }
    assert.deepEqual(problems, []);
  });

  test('a path outside /api/atlas answers 404 RESOURCE_NOT_FOUND without asking for credentials', async () => {
    for (const path of ['/nothing', '/', '/api', '/api/atlas', '/api/atlasx/v1.0/groups', '/API/ATLAS/v1.0/groups']) {
      const response = await raw(server.origin, 'GET', `${path}?q=1`);
      assertErrorWithoutChallenge(response, resourceNotFound(path), path);
    }
  });

  test('a 401 challenge is never enveloped', async () => {
    assertChallenge(await raw(server.origin, 'GET', `${V1}/groups?envelope=true`));
    const target = `${V1}/groups?envelope=true&pretty=true`;
    assertChallenge(await raw(server.origin, 'GET', target), false, target);
  });
});
