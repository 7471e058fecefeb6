import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { storedCells } from '../helpers/backend.js';
import { certsPath, createManagedUser, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The key pool behind `POST …/certs` when the server generates user keys: /metrics shows
 * its depth, a burst larger than the pool still gets a distinct key per certificate, the
 * pool refills afterwards, and pooled keys are as secret as on-demand ones.
 */

const POOL_SIZE = 4;

async function poolDepth(server: TestServer, algorithm: string): Promise<number | undefined> {
  const text = await (await fetch(`${server.origin}/metrics`)).text();
  const line = text.split('\n').find((row) => row.startsWith(`dbcerts_key_pool_depth{algorithm="${algorithm}"}`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

async function waitForDepth(server: TestServer, algorithm: string, depth: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await poolDepth(server, algorithm)) !== depth) {
    assert.ok(Date.now() < deadline, `the ${algorithm} pool never reached ${depth}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('key pool through the API (ec-p256 user keys, pool of 4)', () => {
  let server: TestServer;
  const issuedKeys: string[] = [];

  before(async () => {
    server = await startTestServer({ keyAlgorithm: 'ec-p256', keyPool: { sizes: { 'ec-p256': POOL_SIZE } } });
    await createManagedUser(server, 'pooled');
  });
  after(() => server?.close());

  test('/metrics shows the pool full once the server is ready', async () => {
    await waitForDepth(server, 'ec-p256', POOL_SIZE);
  });

  test('a burst of 3× the pool gets a distinct key per certificate, matching its certificate', async () => {
    const responses = await Promise.all(
      Array.from({ length: POOL_SIZE * 3 }, () =>
        server.client.post(certsPath(server, 'pooled'), { monthsUntilExpiration: 1 }),
      ),
    );
    const publicKeys = new Set<string>();
    for (const response of responses) {
      assert.equal(response.status, 201, response.text);
      const [certificatePem, keyPem] = response.text.split(/(?<=-----END CERTIFICATE-----\n)/);
      const certificate = new X509Certificate(certificatePem!);
      const privateKey = createPrivateKey(keyPem!);
      assert.ok(certificate.checkPrivateKey(privateKey));
      publicKeys.add(certificate.publicKey.export({ type: 'spki', format: 'der' }).toString('hex'));
      issuedKeys.push(keyPem!);
    }
    assert.equal(publicKeys.size, POOL_SIZE * 3, 'a key was handed out twice');
  });

  test('the pool refills after the burst', async () => {
    await waitForDepth(server, 'ec-p256', POOL_SIZE);
  });

  test('no key that came from the pool is in the store', async () => {
    const needles = issuedKeys.map((pem) => createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' }));
    for (const { table, column, bytes } of await storedCells(server.store)) {
      for (const needle of needles) assert.ok(!bytes.includes(needle), `a private key found in ${table}.${column}`);
    }
  });
});

describe('key pool turned off', () => {
  test('no pool metric, and certificates are still issued with fresh keys', async () => {
    const server = await startTestServer({ keyAlgorithm: 'ec-p256', keyPool: { sizes: {} } });
    try {
      assert.equal(await poolDepth(server, 'ec-p256'), undefined);
      await createManagedUser(server, 'unpooled');
      const first = await server.client.post(certsPath(server, 'unpooled'), { monthsUntilExpiration: 1 });
      const second = await server.client.post(certsPath(server, 'unpooled'), { monthsUntilExpiration: 1 });
      assert.equal(first.status, 201, first.text);
      assert.equal(second.status, 201, second.text);
      const spki = (text: string) =>
        new X509Certificate(text).publicKey.export({ type: 'spki', format: 'der' }).toString('hex');
      assert.notEqual(spki(first.text), spki(second.text));
    } finally {
      await server.close();
    }
  });
});
