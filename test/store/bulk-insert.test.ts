import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { UserCertificate } from '../../src/domain/certificate.js';
import { TEST_BACKEND } from '../helpers/backend.js';
import { startTestServer, type TestServer, V1 } from '../helpers/server.js';

/**
 * `certificates.insertMany`, the bulk load the benchmark seeds its store with: rows copied
 * from a real certificate are served like issued ones, in statements of a thousand rows
 * (the last one shorter), and a taken serial is left out without failing the rest.
 */

describe(`bulk insert of certificates (${TEST_BACKEND})`, () => {
  let server: TestServer;
  let issued: UserCertificate;
  const certsPath = () => `${V1}/groups/${server.credentials.groupId}/databaseUsers/bulk/certs`;

  before(async () => {
    server = await startTestServer();
    const created = await server.client.post(`${V1}/groups/${server.credentials.groupId}/databaseUsers`, {
      databaseName: '$external',
      username: 'bulk',
      x509Type: 'MANAGED',
      roles: [{ databaseName: 'app', roleName: 'readWrite' }],
    });
    assert.equal(created.status, 201, created.text);
    const first = await server.client.post(certsPath(), { monthsUntilExpiration: 12 });
    assert.equal(first.status, 201, first.text);
    const [oldest] = await server.store.certificates.listInventory(
      { groupId: server.credentials.groupId, now: server.clock.now(), order: 'created' },
      0,
      1,
    );
    issued = oldest!;
  });
  after(() => server?.close());

  test('2,500 copies, one with a taken serial and one repeated: 2,498 go in and are listed', async () => {
    const copies = Array.from({ length: 2500 }, (_, index) => ({
      ...issued,
      serial: 1_000_000n + BigInt(index),
      createdAt: new Date(issued.createdAt.getTime() + 1000 * (index + 1)),
    }));
    copies[7]!.serial = issued.serial;
    copies[2001]!.serial = copies[2000]!.serial;
    const inserted = await server.store.transaction((repositories) => repositories.certificates.insertMany(copies));
    assert.equal(inserted, 2498);
    await server.store.settleAfterBulkLoad();

    assert.equal((await server.store.certificates.counts()).issued, 2499);
    const stored = await server.store.certificates.find(copies[2500 - 1]!.serial);
    assert.deepEqual(stored, copies[2500 - 1]);
    const page = await server.client.get(`${certsPath()}?itemsPerPage=1&pageNum=2499`);
    assert.equal(page.status, 200, page.text);
    assert.equal(page.json().totalCount, 2499);
    assert.equal(String(page.json().results[0]._id), String(copies[2500 - 1]!.serial));
  });
});
