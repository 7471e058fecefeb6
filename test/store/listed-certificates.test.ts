import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { UserCertificate } from '../../src/domain/certificate.js';
import { formatAtlasDate } from '../../src/domain/validity.js';
import { TEST_BACKEND } from '../helpers/backend.js';
import { parseJsonExact } from '../helpers/digest-client.js';
import {
  certsPath,
  createManagedUser,
  startTestServer,
  storedDatabaseUser,
  type TestServer,
} from '../helpers/server.js';

/**
 * The Atlas list's items are written as JSON by the database (printf on SQLite, concat on
 * PostgreSQL): every item must read back as the certificate it stands for, whatever its
 * subject holds and however large its serial, and in the list's order.
 */

const SUBJECTS = [
  'CN=plain',
  'CN=quote \\"and\\" backslash \\\\',
  'CN=Smith\\, John\\+Jr',
  'CN=tab\there\nnewline\u0001control\u001f',
  'CN=ünïcödé ✓ 𝄞 漢字',
  'CN=</script><!--',
  'CN=percent %s %d %% dollar $1',
];
const SERIALS = [2n ** 63n - 1n, 2n ** 53n + 1n, 1000n, 12_345_678_901_234_567n];

describe(`list items written by the database (${TEST_BACKEND})`, () => {
  let server: TestServer;
  let copies: UserCertificate[];
  let issued: UserCertificate;
  const listedPath = (query: string) => certsPath(server, 'listed', query);

  before(async () => {
    server = await startTestServer();
    await createManagedUser(server, 'listed');
    const first = await server.client.post(listedPath(''), { monthsUntilExpiration: 12 });
    assert.equal(first.status, 201, first.text);
    [issued] = (await server.store.certificates.listInventory(
      { groupId: server.credentials.groupId, now: server.clock.now(), order: 'created' },
      0,
      1,
    )) as [UserCertificate];
    // Two certificates per instant (the list orders by creation, then serial; the twin
    // inserted first has the larger serial), with milliseconds Atlas' dates drop.
    copies = SUBJECTS.flatMap((subject, index) =>
      [0, 1].map((twin) => ({
        ...issued,
        subject,
        serial: SERIALS[index % SERIALS.length]! - BigInt(index * 2 + 1 - twin),
        createdAt: new Date(issued.createdAt.getTime() + 60_000 * (index + 1) + 789),
        notAfter: new Date(issued.notAfter.getTime() + 1000 * index + 456),
      })),
    );
    await server.store.transaction((repositories) => repositories.certificates.insertMany(copies));
  });
  after(() => server?.close());

  test('every item reads back as its certificate: exact serial, dates to the second, subject as stored', async () => {
    const page = await server.client.get(listedPath('?itemsPerPage=500'));
    assert.equal(page.status, 200, page.text);
    const body = parseJsonExact(page.text);
    const listed = body.results.filter((item: { subject: string }) => item.subject !== 'CN=listed');
    const expected = [...copies]
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.serial < b.serial ? -1 : 1))
      .map((copy) => ({
        _id: copy.serial,
        createdAt: formatAtlasDate(copy.createdAt),
        groupId: copy.groupId,
        notAfter: formatAtlasDate(copy.notAfter),
        subject: copy.subject,
      }));
    // parseJsonExact answers a bigint above 2^53 only: compare serials as decimal text.
    const asText = (items: unknown[]) =>
      items.map((item) => JSON.stringify(item, (key, value) => (key === '_id' ? String(value) : value)));
    assert.deepEqual(asText(listed), asText(expected));
    assert.equal(body.totalCount, copies.length + 1);
    // Members in the response schema's order, as the serialiser writes every other object.
    for (const item of listed)
      assert.deepEqual(Object.keys(item), ['_id', 'createdAt', 'groupId', 'notAfter', 'subject']);
  });

  for (const includeCount of [true, false]) {
    test(`pages split the same list (includeCount=${includeCount}): itemsPerPage=3 walks it with the next link, the last page has none`, async () => {
      const whole = parseJsonExact((await server.client.get(listedPath('?itemsPerPage=500'))).text).results;
      const walked: unknown[] = [];
      for (let pageNum = 1; ; pageNum++) {
        const page = await server.client.get(
          listedPath(`?itemsPerPage=3&pageNum=${pageNum}&includeCount=${includeCount}`),
        );
        assert.equal(page.status, 200, page.text);
        const body = parseJsonExact(page.text);
        walked.push(...body.results);
        const hasNext = body.links.some((link: { rel: string }) => link.rel === 'next');
        assert.equal(hasNext, walked.length < whole.length, `page ${pageNum}`);
        if (!hasNext) break;
      }
      assert.deepEqual(walked, whole);
      const beyond = await server.client.get(listedPath(`?itemsPerPage=3&pageNum=100&includeCount=${includeCount}`));
      assert.deepEqual(parseJsonExact(beyond.text).results, []);
      assert.equal(parseJsonExact(beyond.text).totalCount, includeCount ? whole.length : undefined);
    });
  }

  test('a stored instant in any ISO-8601 form it can take is shown to the second, as formatAtlasDate prints it', async () => {
    // Forms toISOString writes (six-digit years among them) and two it does not.
    const createdForms = [
      '1969-12-31T23:59:59.500Z',
      '1970-01-01T00:00:00.000Z',
      '2019-12-03T21:00:42.987Z',
      '2049-12-31T23:59:59.999Z',
      '9999-12-31T23:59:59.999Z',
      '+010000-01-01T00:00:00.000Z',
      '-000001-06-15T12:00:00.000Z',
      '2019-12-03T21:00:42Z',
      '2019-12-03T21:00:43.5Z',
    ];
    const notAfterForms = ['9999-12-31T23:59:59.999Z', '2999-01-01T00:00:00Z', '2999-01-01T00:00:01.25Z'];
    await createManagedUser(server, 'dated');
    const dated = await storedDatabaseUser(server.store, server.credentials.groupId, '$external', 'dated');
    const rows = createdForms.map((createdAt, index) => ({
      serial: 7_000_000n + BigInt(index),
      createdAt,
      notAfter: notAfterForms[index % notAfterForms.length]!,
    }));
    await server.store.transaction((repositories) =>
      repositories.certificates.insertMany(
        rows.map((row) => ({ ...issued, serial: row.serial, userId: dated!.id, subject: 'CN=dated' })),
      ),
    );
    for (const row of rows) {
      await server.store.db
        .updateTable('certificates')
        .set({ created_at: row.createdAt, not_after: row.notAfter })
        .where('serial', '=', row.serial)
        .execute();
    }
    const page = await server.client.get(certsPath(server, 'dated', '?itemsPerPage=500'));
    assert.equal(page.status, 200, page.text);
    const shown = new Map(
      (parseJsonExact(page.text).results as Array<{ _id: number | bigint; createdAt: string; notAfter: string }>).map(
        (item) => [String(item._id), { createdAt: item.createdAt, notAfter: item.notAfter }],
      ),
    );
    assert.equal(shown.size, rows.length);
    for (const row of rows) {
      assert.deepEqual(
        shown.get(String(row.serial)),
        { createdAt: formatAtlasDate(new Date(row.createdAt)), notAfter: formatAtlasDate(new Date(row.notAfter)) },
        row.createdAt,
      );
    }
  });
});
