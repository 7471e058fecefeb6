import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { certsPath, createManagedUser, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The founding document's example (Atlas' "Get X.509 Certificates for a User"),
 * reproduced: two certificates whose serials are above 2^53, listed with pretty=true.
 * The expected text below is the seed's response, with three substitutions:
 * the origin and project id are this server's, the second `_id` is written
 * 946028664465903704 (the page prints 0946…, which is not valid JSON; Atlas' Go client
 * test uses this value), and each notAfter is createdAt + N calendar months exactly
 * (the seed's are one hour later; dbcerts issues exactly N months, see
 * docs/compatibility.md).
 */
const SEED_RESPONSE = `{
  "links" : [ {
    "href" : "https://cloud.mongodb.com/api/atlas/v1.0/groups/ec13d5f09d521a5206e5d726/databaseUsers/myX509User/certs?pretty=true&pageNum=1&itemsPerPage=100",
    "rel" : "self"
  } ],
  "results" : [ {
    "_id" : 5433027191242719574,
    "createdAt" : "2019-12-03T21:00:42Z",
    "groupId" : "ec13d5f09d521a5206e5d726",
    "notAfter" : "2020-06-03T21:00:42Z",
    "subject" : "CN=myX509User"
  }, {
    "_id" : 946028664465903704,
    "createdAt" : "2019-12-05T13:50:49Z",
    "groupId" : "ec13d5f09d521a5206e5d726",
    "notAfter" : "2020-03-05T13:50:49Z",
    "subject" : "CN=myX509User"
  } ],
  "totalCount" : 2
}`;

let server: TestServer;
const serials = [5433027191242719574n, 946028664465903704n];

before(async () => {
  const queue = [...serials];
  server = await startTestServer({ serials: () => queue.shift()! });
  await createManagedUser(server, 'myX509User');
  server.clock.set('2019-12-03T21:00:42.250Z');
  assert.equal((await server.client.post(certsPath(server, 'myX509User'), { monthsUntilExpiration: 6 })).status, 201);
  server.clock.set('2019-12-05T13:50:49.900Z');
  assert.equal((await server.client.post(certsPath(server, 'myX509User'), { monthsUntilExpiration: 3 })).status, 201);
  server.clock.set('2019-12-06T00:00:00Z');
});

after(() => server.close());

test('the seed example: same fields, order, spacing and link as Atlas, serials exact', async () => {
  const response = await server.client.get(certsPath(server, 'myX509User', '?pretty=true'));
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const expected = SEED_RESPONSE.replaceAll('https://cloud.mongodb.com', server.origin).replaceAll(
    'ec13d5f09d521a5206e5d726',
    server.credentials.groupId,
  );
  assert.equal(response.text, expected);
});

test('serials above 2^53 survive as exact JSON integers, and equal the X.509 serials', async () => {
  const response = await server.client.get(certsPath(server, 'myX509User'));
  const body = response.json();
  assert.deepEqual(
    body.results.map((certificate: { _id: bigint }) => certificate._id),
    serials,
  );
  for (const serial of serials) assert.ok(serial > 2n ** 53n);
  assert.ok(response.text.includes('"_id":5433027191242719574,'));
  const stored = await server.store.certificates.find(serials[0]!);
  const { X509Certificate } = await import('node:crypto');
  assert.equal(BigInt(`0x${new X509Certificate(Buffer.from(stored!.der)).serialNumber}`), serials[0]);
});

test('without pretty, the same document is compact', async () => {
  const response = await server.client.get(certsPath(server, 'myX509User'));
  assert.equal(response.text, response.text.replace(/\n/g, ''));
  assert.ok(response.text.startsWith('{"links":[{"href":'));
  assert.ok(response.text.endsWith('"totalCount":2}'));
});
