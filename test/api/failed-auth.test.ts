import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { atlasError, assertAtlasError } from '../helpers/atlas-assert.js';
import { authorizationHeader, DigestClient, parseChallenge, send } from '../helpers/digest-client.js';
import { startTestServer, type TestServer, V1 } from '../helpers/server.js';

let server: TestServer;
const POLICY = { capacity: 3, refillRate: 3, refillSeconds: 60 };

before(async () => {
  server = await startTestServer({ failedAuthPolicy: POLICY });
});
after(() => server.close());

const path = () => `${V1}/groups/${server.credentials.groupId}`;

async function attempt(password: string) {
  const probe = await fetch(server.origin + path());
  await probe.arrayBuffer();
  const challenge = parseChallenge(probe.headers.get('www-authenticate'));
  const authorization = authorizationHeader({
    username: server.credentials.publicKey,
    password,
    method: 'GET',
    uri: path(),
    challenge,
  });
  return send(server.origin + path(), 'GET', authorization);
}

test('a source that keeps failing is throttled, without locking out the right credential', async () => {
  for (let i = 0; i < POLICY.capacity; i++) assert.equal((await attempt('wrong')).status, 401);

  const throttled = await attempt('wrong');
  assertAtlasError(
    throttled,
    atlasError(
      429,
      'RATE_LIMITED_TOKEN_BUCKET',
      'Rate limit exceeded for authentication. Please retry after 60 seconds. Request capacity: 3. Refill rate: 3 per 60 seconds.',
      ['authentication', 60, 3, 3, 60],
    ),
  );
  assert.equal(throttled.headers.get('retry-after'), '60');
  assert.equal(throttled.headers.get('www-authenticate'), null);

  // The legitimate user behind the same address still gets in, and probes still get the challenge.
  assert.equal((await attempt(server.credentials.privateKey)).status, 200);
  assert.equal(
    (await new DigestClient(server.origin, server.credentials.publicKey, server.credentials.privateKey).get(path()))
      .status,
    200,
  );

  server.clock.advance(60_000);
  assert.equal((await attempt('wrong')).status, 401, 'one period later the source may fail again');
});

test('failed authentications are counted by reason in /metrics', async () => {
  const response = await fetch(`${server.origin}/metrics`);
  const text = await response.text();
  assert.equal(response.status, 200);
  assert.match(text, /dbcerts_digest_failures_total\{reason="wrong_response"\} 5/);
  assert.match(text, /dbcerts_authentication_throttled_total 1/);
});
