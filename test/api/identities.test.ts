import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Principal } from '../../src/authority/identities/principal.js';
import { AtlasError } from '../../src/domain/errors.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The two kinds of identity as the authority sees them: each credential yields its own
 * kind of Principal, named on the audit trail alike; one kind's credential never
 * authenticates the other; and admission applies an access list whatever the kind.
 */

const REQUEST = { method: 'GET', resource: 'api/atlas/v2/orgs' };

describe('identities', () => {
  let server: TestServer;
  let owner: Principal;
  let account: { id: string; clientId: string };
  let secret: string;

  before(async () => {
    server = await startTestServer();
    const { publicKey, privateKey } = server.credentials;
    const record = await server.authority.digestKeys.verify(publicKey, privateKey);
    assert.ok(record);
    owner = await server.authority.admission.admit({ kind: 'API_KEY', record, via: 'digest' }, '127.0.0.1', REQUEST);
    const created = await server.authority.serviceAccounts.create(
      owner,
      { orgId: server.credentials.orgId },
      { name: 'robot', description: 'identities test', roles: ['ORG_READ_ONLY'], secretExpiresAfterHours: 24 },
    );
    account = { id: created.account.id, clientId: created.account.clientId };
    secret = created.secretValue;
  });
  after(() => server.close());

  test('a Digest key is admitted as an API key principal', () => {
    assert.equal(owner.kind, 'API_KEY');
    assert.equal(owner.via, 'digest');
    assert.equal(owner.publicKey, server.credentials.publicKey);
    assert.equal(owner.orgId, server.credentials.orgId);
    assert.deepEqual(owner.orgRoles, ['ORG_OWNER']);
  });

  test("a bearer token's account is admitted as a service account principal, named as keys are", async () => {
    const { accessToken } = await server.authority.oauth.issue(account.clientId, secret);
    const record = await server.authority.oauth.authenticate(accessToken);
    assert.ok(record);
    const principal = await server.authority.admission.admit(
      { kind: 'SERVICE_ACCOUNT', record, via: 'accessToken' },
      '::ffff:127.0.0.1',
      REQUEST,
    );
    assert.equal(principal.kind, 'SERVICE_ACCOUNT');
    assert.equal(principal.via, 'accessToken');
    assert.equal(principal.apiKeyId, account.id);
    assert.equal(principal.publicKey, account.clientId);
    assert.equal(principal.remoteAddress, '127.0.0.1');
    assert.deepEqual(principal.orgRoles, ['ORG_READ_ONLY']);
  });

  test("one kind's credential does not authenticate the other", async () => {
    assert.equal(await server.authority.digestKeys.identity(account.clientId), undefined);
    await assert.rejects(server.authority.oauth.issue(server.credentials.publicKey, server.credentials.privateKey), {
      code: 'invalid_client',
    });
  });

  test("a service account's access list refuses other addresses at admission", async () => {
    await server.authority.serviceAccounts.addAccessListEntries(owner, { orgId: owner.orgId }, account.clientId, [
      { ipAddress: '192.0.2.7' },
    ]);
    const record = await server.authority.oauth.authenticate(
      (await server.authority.oauth.issue(account.clientId, secret)).accessToken,
    );
    assert.ok(record);
    const identity = { kind: 'SERVICE_ACCOUNT', record, via: 'console' } as const;
    await assert.rejects(
      server.authority.admission.admit(identity, '198.51.100.1', REQUEST),
      (error: unknown) => error instanceof AtlasError && error.errorCode === 'IP_ADDRESS_NOT_ON_ACCESS_LIST',
    );
    const admitted = await server.authority.admission.admit(identity, '192.0.2.7', REQUEST);
    assert.equal(admitted.kind, 'SERVICE_ACCOUNT');
    assert.equal(admitted.via, 'console');
  });
});
