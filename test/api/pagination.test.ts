import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { invalidQueryParameter, usernameNotFound } from '../helpers/atlas-assert.js';
import { TestClock } from '../helpers/clock.js';
import { certsPath, createManagedUser, startTestServer, type TestServer, V1 } from '../helpers/server.js';

/**
 * Atlas list arithmetic (pageNum, itemsPerPage, includeCount, links, envelope) on the
 * certificate list of one user, then a quick check that the database-user and project
 * lists follow the same rules. See docs/compatibility.md "Paging limits", "List links",
 * "`envelope=true`" and "Certificates".
 */

interface Cert {
  _id: bigint | number;
  createdAt: string;
  groupId: string;
  notAfter: string;
  subject: string;
}

const T0 = Date.parse('2024-01-01T00:00:00Z');
const NOW = '2024-01-01T01:00:00Z';
const atMinute = (minute: number) => new Date(T0 + minute * 60_000).toISOString().replace('.000Z', 'Z');
/** Adds calendar months to a first-of-month instant (no day clamping involved). */
function addMonths(iso: string, months: number): string {
  const date = new Date(iso);
  date.setUTCMonth(date.getUTCMonth() + months);
  return date.toISOString().replace('.000Z', 'Z');
}

/**
 * Seven certificates of `pager`, issued one minute apart. The serials are deliberately
 * not in issuance order (two are above 2^53), so the list order can only come from
 * createdAt. Certificate 1 lives one month, certificate 3 two; the rest a year.
 */
const PAGER_SERIALS = [9007199254740993n, 42n, 5433027191242719574n, 7n, 946028664465903704n, 1234567n, 3n];
const PAGER_MONTHS = [12, 1, 12, 2, 12, 12, 12];

let server: TestServer;
let groupId: string;
let pager: Cert[];
let nextSerial = 1_000_000n;
const serialQueue = [...PAGER_SERIALS];

const toNumber = (value: bigint | number) =>
  typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;

async function issue(username: string, monthsUntilExpiration: number): Promise<void> {
  const response = await server.client.post(certsPath(server, username), { monthsUntilExpiration });
  assert.equal(response.status, 201, response.text);
}

before(async () => {
  server = await startTestServer({
    clock: new TestClock(new Date(T0)),
    serials: () => serialQueue.shift() ?? nextSerial++,
  });
  groupId = server.credentials.groupId;
  await createManagedUser(server, 'pager');
  pager = [];
  for (let i = 0; i < PAGER_SERIALS.length; i++) {
    server.clock.set(new Date(T0 + i * 60_000 + 250));
    await issue('pager', PAGER_MONTHS[i]!);
    pager.push({
      _id: toNumber(PAGER_SERIALS[i]!),
      createdAt: atMinute(i),
      groupId,
      notAfter: addMonths(atMinute(i), PAGER_MONTHS[i]!),
      subject: 'CN=pager',
    });
  }
  server.clock.set(NOW);
});

after(() => server.close());

const pagerBase = () => `${server.origin}${certsPath(server, 'pager')}`;
const getPager = (query: string) => server.client.get(certsPath(server, 'pager', query));
const link = (rel: string, href: string) => ({ href, rel });

describe('the certificate list', () => {
  test('itemsPerPage=3: pages 1, 2 and 3 hold 3, 3 and 1 certificates; page 4 is empty', async () => {
    const href = (pageNum: number) => `${pagerBase()}?pageNum=${pageNum}&itemsPerPage=3`;
    const expected = [
      { links: [link('self', href(1)), link('next', href(2))], results: pager.slice(0, 3) },
      { links: [link('self', href(2)), link('previous', href(1)), link('next', href(3))], results: pager.slice(3, 6) },
      { links: [link('self', href(3)), link('previous', href(2))], results: pager.slice(6) },
      { links: [link('self', href(4)), link('previous', href(3))], results: [] },
    ];
    for (const [index, page] of expected.entries()) {
      const response = await getPager(`?itemsPerPage=3&pageNum=${index + 1}`);
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.json(), { ...page, totalCount: 7 }, `page ${index + 1}`);
    }
  });

  test("links keep the request's own query as sent; pageNum and itemsPerPage are replaced and appended", async () => {
    const base = pagerBase();
    const cases: Array<[string, Array<[string, string]>]> = [
      [
        '?pretty=false&itemsPerPage=3&pageNum=2',
        [
          ['self', '?pretty=false&pageNum=2&itemsPerPage=3'],
          ['previous', '?pretty=false&pageNum=1&itemsPerPage=3'],
          ['next', '?pretty=false&pageNum=3&itemsPerPage=3'],
        ],
      ],
      ['', [['self', '?pageNum=1&itemsPerPage=100']]],
      ['?pageNum=1', [['self', '?pageNum=1&itemsPerPage=100']]],
      [
        '?itemsPerPage=2&foo=a%20b&includeCount=true',
        [
          ['self', '?foo=a%20b&includeCount=true&pageNum=1&itemsPerPage=2'],
          ['next', '?foo=a%20b&includeCount=true&pageNum=2&itemsPerPage=2'],
        ],
      ],
      [
        '?pageNum=4&itemsPerPage=2&pretty=false',
        [
          ['self', '?pretty=false&pageNum=4&itemsPerPage=2'],
          ['previous', '?pretty=false&pageNum=3&itemsPerPage=2'],
        ],
      ],
    ];
    for (const [query, links] of cases) {
      const response = await getPager(query);
      assert.equal(response.status, 200, `${query}: ${response.text}`);
      assert.deepEqual(
        response.json().links,
        links.map(([rel, suffix]) => link(rel, `${base}${suffix}`)),
        query,
      );
    }
  });

  test("totalCount counts every unexpired certificate of the user, not the page, and no other user's", async () => {
    await createManagedUser(server, 'neighbour');
    server.clock.set('2024-01-01T00:30:00Z');
    await issue('neighbour', 3);
    await issue('neighbour', 3);
    server.clock.set(NOW);

    for (const query of ['?itemsPerPage=1', '?itemsPerPage=1&pageNum=7', '?itemsPerPage=5&pageNum=2', '?pageNum=9']) {
      const body = (await getPager(query)).json();
      assert.equal(body.totalCount, 7, query);
    }
    const neighbour = (await server.client.get(certsPath(server, 'neighbour'))).json();
    assert.equal(neighbour.totalCount, 2);
    assert.deepEqual(
      neighbour.results.map((certificate: Cert) => certificate.subject),
      ['CN=neighbour', 'CN=neighbour'],
    );
  });

  test('includeCount=false omits totalCount and still links the next page', async () => {
    const href = (query: string, pageNum: number) => `${pagerBase()}?${query}&pageNum=${pageNum}&itemsPerPage=3`;
    const first = await getPager('?includeCount=false&itemsPerPage=3');
    assert.equal(first.status, 200, first.text);
    assert.ok(!first.text.includes('totalCount'), first.text);
    assert.deepEqual(first.json(), {
      links: [link('self', href('includeCount=false', 1)), link('next', href('includeCount=false', 2))],
      results: pager.slice(0, 3),
    });
    const last = await getPager('?includeCount=false&itemsPerPage=3&pageNum=3');
    assert.deepEqual(last.json(), {
      links: [link('self', href('includeCount=false', 3)), link('previous', href('includeCount=false', 2))],
      results: pager.slice(6),
    });
    // Exactly at the end: a full last page has no next.
    const exact = await server.client.get(certsPath(server, 'pager', '?includeCount=false&itemsPerPage=7'));
    assert.deepEqual(exact.json().links, [link('self', `${pagerBase()}?includeCount=false&pageNum=1&itemsPerPage=7`)]);
  });

  test('boolean flags accept true/false in any case, and the links keep them as sent', async () => {
    const uncounted = await getPager('?includeCount=FALSE&itemsPerPage=3');
    assert.equal(uncounted.status, 200, uncounted.text);
    assert.deepEqual(uncounted.json(), {
      links: [
        link('self', `${pagerBase()}?includeCount=FALSE&pageNum=1&itemsPerPage=3`),
        link('next', `${pagerBase()}?includeCount=FALSE&pageNum=2&itemsPerPage=3`),
      ],
      results: pager.slice(0, 3),
    });

    const pretty = await getPager('?pretty=True&itemsPerPage=1');
    assert.equal(pretty.status, 200, pretty.text);
    assert.ok(pretty.text.startsWith('{\n  "links" : [ {\n'), pretty.text);

    const enveloped = await getPager('?envelope=TRUE&includeCount=True&itemsPerPage=1');
    assert.equal(enveloped.status, 200, enveloped.text);
    assert.deepEqual(Object.keys(enveloped.json()), ['links', 'results', 'status', 'totalCount']);
  });

  test('itemsPerPage 500 is accepted; 501, 0, non-integers and pageNum < 1 are 400 INVALID_QUERY_PARAMETER', async () => {
    const max = await getPager('?itemsPerPage=500');
    assert.equal(max.status, 200);
    assert.deepEqual(max.json(), {
      links: [link('self', `${pagerBase()}?pageNum=1&itemsPerPage=500`)],
      results: pager,
      totalCount: 7,
    });

    const refused: Array<[string, string]> = [
      ['?itemsPerPage=501', 'itemsPerPage'],
      ['?itemsPerPage=0', 'itemsPerPage'],
      ['?itemsPerPage=-3', 'itemsPerPage'],
      ['?itemsPerPage=2.5', 'itemsPerPage'],
      ['?itemsPerPage=ten', 'itemsPerPage'],
      ['?pageNum=0', 'pageNum'],
      ['?pageNum=-1&itemsPerPage=3', 'pageNum'],
      ['?includeCount=maybe', 'includeCount'],
      ['?envelope=yes', 'envelope'],
    ];
    for (const [query, name] of refused) {
      const response = await getPager(query);
      assert.equal(response.status, 400, `${query}: ${response.text}`);
      assert.deepEqual(response.json(), invalidQueryParameter(name), query);
    }
  });

  test('pageNum and itemsPerPage take plain decimal integers only', async () => {
    for (const [query, name] of [
      ['?itemsPerPage=1e1', 'itemsPerPage'],
      ['?itemsPerPage=0x3', 'itemsPerPage'],
      ['?itemsPerPage=%203', 'itemsPerPage'],
      ['?itemsPerPage=', 'itemsPerPage'],
      ['?pageNum=1e0', 'pageNum'],
    ] as const) {
      const response = await getPager(query);
      assert.equal(response.status, 400, `${query}: ${response.text}`);
      assert.deepEqual(response.json(), invalidQueryParameter(name), query);
    }
  });

  test('ascending createdAt, whatever the serials; equal instants fall back to serial order', async () => {
    const body = (await getPager('')).json();
    assert.deepEqual(body.results, pager);
    const createdAt = body.results.map((certificate: Cert) => certificate.createdAt);
    assert.deepEqual(createdAt, [...createdAt].sort());
    const serials = body.results.map((certificate: Cert) => BigInt(certificate._id));
    assert.notDeepEqual(
      serials,
      [...serials].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    );

    // Two certificates in the same instant: 1000 then 99 issued, listed 99 then 1000
    // (numeric serial order, not text order).
    await createManagedUser(server, 'twins');
    serialQueue.push(1000n, 99n);
    server.clock.set('2024-01-01T00:45:00.500Z');
    await issue('twins', 3);
    await issue('twins', 3);
    server.clock.set(NOW);
    const twins = (await server.client.get(certsPath(server, 'twins'))).json();
    assert.deepEqual(
      twins.results.map((certificate: Cert) => certificate._id),
      [99, 1000],
    );
  });

  test('expired certificates leave the results and totalCount', async () => {
    try {
      const oneMonth = Date.parse(pager[1]!.notAfter);
      const twoMonths = Date.parse(pager[3]!.notAfter);
      const check = async (instant: number, visible: Cert[]) => {
        server.clock.set(new Date(instant));
        const all = (await getPager('')).json();
        assert.deepEqual(all.results, visible, new Date(instant).toISOString());
        assert.equal(all.totalCount, visible.length);
        const page2 = (await getPager('?itemsPerPage=2&pageNum=2')).json();
        assert.deepEqual(page2.results, visible.slice(2, 4));
        assert.equal(page2.totalCount, visible.length);
        assert.equal(
          page2.links.some((entry: { rel: string }) => entry.rel === 'next'),
          visible.length > 4,
        );
      };
      await check(oneMonth - 1000, pager);
      await check(
        oneMonth + 1000,
        pager.filter((_, index) => index !== 1),
      );
      await check(
        twoMonths - 1000,
        pager.filter((_, index) => index !== 1),
      );
      await check(
        twoMonths + 1000,
        pager.filter((_, index) => index !== 1 && index !== 3),
      );
      // A year on, everything has expired: an empty list, still 200.
      server.clock.set('2025-06-01T00:00:00Z');
      assert.deepEqual((await getPager('?itemsPerPage=3')).json(), {
        links: [link('self', `${pagerBase()}?pageNum=1&itemsPerPage=3`)],
        results: [],
        totalCount: 0,
      });
    } finally {
      server.clock.set(NOW);
    }
  });

  test('certificates revoked by deleting the user do not leak into a recreated user of the same name', async () => {
    await createManagedUser(server, 'phoenix');
    await issue('phoenix', 6);
    await issue('phoenix', 6);
    const old = (await server.client.get(certsPath(server, 'phoenix'))).json();
    assert.equal(old.totalCount, 2);

    const deleted = await server.client.delete(`${V1}/groups/${groupId}/databaseUsers/$external/phoenix`);
    assert.equal(deleted.status, 204);
    const missing = await server.client.get(certsPath(server, 'phoenix'));
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json(), usernameNotFound('phoenix'));
    for (const certificate of old.results as Cert[]) {
      const stored = await server.store.certificates.find(BigInt(certificate._id));
      assert.ok(stored?.revokedAt, `certificate ${certificate._id} is revoked`);
    }

    await createManagedUser(server, 'phoenix');
    assert.deepEqual((await server.client.get(certsPath(server, 'phoenix'))).json(), {
      links: [link('self', `${server.origin}${certsPath(server, 'phoenix')}?pageNum=1&itemsPerPage=100`)],
      results: [],
      totalCount: 0,
    });
    server.clock.set('2024-01-01T01:00:07Z');
    await issue('phoenix', 1);
    server.clock.set(NOW);
    const reborn = (await server.client.get(certsPath(server, 'phoenix'))).json();
    assert.equal(reborn.totalCount, 1);
    assert.equal(reborn.results.length, 1);
    assert.equal(reborn.results[0].createdAt, '2024-01-01T01:00:07Z');
    assert.ok(!(old.results as Cert[]).some((certificate) => certificate._id === reborn.results[0]._id));
  });

  test('envelope=true adds "status":200 (members links, results, status, totalCount); the HTTP status stays 200', async () => {
    const response = await getPager('?envelope=true&itemsPerPage=3&pageNum=2');
    assert.equal(response.status, 200);
    const href = (pageNum: number) => `${pagerBase()}?envelope=true&pageNum=${pageNum}&itemsPerPage=3`;
    const body = response.json();
    assert.deepEqual(Object.keys(body), ['links', 'results', 'status', 'totalCount']);
    assert.deepEqual(body, {
      links: [link('self', href(2)), link('previous', href(1)), link('next', href(3))],
      results: pager.slice(3, 6),
      status: 200,
      totalCount: 7,
    });
    assert.ok(response.text.endsWith(',"status":200,"totalCount":7}'), response.text);

    const uncounted = await getPager('?envelope=true&includeCount=false&itemsPerPage=3');
    assert.equal(uncounted.status, 200);
    assert.deepEqual(Object.keys(uncounted.json()), ['links', 'results', 'status']);
    assert.ok(uncounted.text.endsWith(',"status":200}'), uncounted.text);

    const plain = await getPager('?envelope=false&itemsPerPage=3');
    assert.deepEqual(Object.keys(plain.json()), ['links', 'results', 'totalCount']);
  });

  test('envelope=true with pretty=true is pretty-printed like Atlas', async () => {
    const response = await getPager('?envelope=true&pretty=true&itemsPerPage=2&pageNum=2');
    assert.equal(response.status, 200);
    const href = (pageNum: number) => `${pagerBase()}?envelope=true&pretty=true&pageNum=${pageNum}&itemsPerPage=2`;
    const certificate = (cert: Cert) => `{
    "_id" : ${cert._id},
    "createdAt" : "${cert.createdAt}",
    "groupId" : "${cert.groupId}",
    "notAfter" : "${cert.notAfter}",
    "subject" : "${cert.subject}"
  }`;
    assert.equal(
      response.text,
      `{
  "links" : [ {
    "href" : "${href(2)}",
    "rel" : "self"
  }, {
    "href" : "${href(1)}",
    "rel" : "previous"
  }, {
    "href" : "${href(3)}",
    "rel" : "next"
  } ],
  "results" : [ ${certificate(pager[2]!)}, ${certificate(pager[3]!)} ],
  "status" : 200,
  "totalCount" : 7
}`,
    );
  });
});

describe('the same paging rules on other lists', () => {
  test('database users: itemsPerPage=1 walks the whole list; links, totalCount, includeCount, limits', async () => {
    const path = `${V1}/groups/${groupId}/databaseUsers`;
    const base = `${server.origin}${path}`;
    const all = (await server.client.get(`${path}?itemsPerPage=500`)).json();
    const total = all.results.length as number;
    assert.ok(total >= 4, `users: ${total}`);
    assert.equal(all.totalCount, total);
    assert.deepEqual(all.links, [link('self', `${base}?pageNum=1&itemsPerPage=500`)]);

    const href = (pageNum: number) => `${base}?pageNum=${pageNum}&itemsPerPage=1`;
    for (let pageNum = 1; pageNum <= total + 1; pageNum++) {
      const response = await server.client.get(`${path}?itemsPerPage=1&pageNum=${pageNum}`);
      assert.equal(response.status, 200);
      const links = [link('self', href(pageNum))];
      if (pageNum > 1) links.push(link('previous', href(pageNum - 1)));
      if (pageNum < total) links.push(link('next', href(pageNum + 1)));
      assert.deepEqual(
        response.json(),
        { links, results: all.results.slice(pageNum - 1, pageNum), totalCount: total },
        `page ${pageNum}`,
      );
    }

    const uncounted = await server.client.get(`${path}?includeCount=false&itemsPerPage=2`);
    assert.deepEqual(uncounted.json(), {
      links: [
        link('self', `${base}?includeCount=false&pageNum=1&itemsPerPage=2`),
        link('next', `${base}?includeCount=false&pageNum=2&itemsPerPage=2`),
      ],
      results: all.results.slice(0, 2),
    });

    const enveloped = await server.client.get(`${path}?envelope=true&itemsPerPage=2`);
    assert.equal(enveloped.status, 200);
    assert.deepEqual(Object.keys(enveloped.json()), ['links', 'results', 'status', 'totalCount']);
    assert.equal(enveloped.json().status, 200);

    for (const [query, name] of [
      ['?itemsPerPage=501', 'itemsPerPage'],
      ['?pageNum=0', 'pageNum'],
    ] as const) {
      const response = await server.client.get(`${path}${query}`);
      assert.equal(response.status, 400);
      assert.deepEqual(response.json(), invalidQueryParameter(name), query);
    }
  });

  test('projects: two projects page one by one; links, totalCount, includeCount, limits', async () => {
    const created = await server.client.post(`${V1}/groups`, {
      name: 'Second-project',
      orgId: server.credentials.orgId,
    });
    assert.equal(created.status, 200, created.text);

    const base = `${server.origin}${V1}/groups`;
    const all = (await server.client.get(`${V1}/groups`)).json();
    assert.equal(all.totalCount, 2);
    assert.deepEqual(all.links, [link('self', `${base}?pageNum=1&itemsPerPage=100`)]);
    assert.deepEqual(
      all.results.map((project: { id: string }) => project.id).sort(),
      [groupId, created.json().id].sort(),
    );

    const href = (pageNum: number) => `${base}?pretty=false&pageNum=${pageNum}&itemsPerPage=1`;
    const pages = [
      { links: [link('self', href(1)), link('next', href(2))], results: all.results.slice(0, 1), totalCount: 2 },
      { links: [link('self', href(2)), link('previous', href(1))], results: all.results.slice(1), totalCount: 2 },
      { links: [link('self', href(3)), link('previous', href(2))], results: [], totalCount: 2 },
    ];
    for (const [index, page] of pages.entries()) {
      const response = await server.client.get(`${V1}/groups?pageNum=${index + 1}&pretty=false&itemsPerPage=1`);
      assert.equal(response.status, 200);
      assert.deepEqual(response.json(), page, `page ${index + 1}`);
    }

    const uncounted = await server.client.get(`${V1}/groups?includeCount=false&itemsPerPage=1`);
    assert.deepEqual(uncounted.json(), {
      links: [
        link('self', `${base}?includeCount=false&pageNum=1&itemsPerPage=1`),
        link('next', `${base}?includeCount=false&pageNum=2&itemsPerPage=1`),
      ],
      results: all.results.slice(0, 1),
    });

    const enveloped = await server.client.get(`${V1}/groups?envelope=true`);
    assert.deepEqual(enveloped.json(), {
      ...all,
      links: [link('self', `${base}?envelope=true&pageNum=1&itemsPerPage=100`)],
      status: 200,
    });
    assert.deepEqual(Object.keys(enveloped.json()), ['links', 'results', 'status', 'totalCount']);

    const max = await server.client.get(`${V1}/groups?itemsPerPage=500`);
    assert.equal(max.status, 200);
    for (const [query, name] of [
      ['?itemsPerPage=501', 'itemsPerPage'],
      ['?pageNum=0', 'pageNum'],
    ] as const) {
      const response = await server.client.get(`${V1}/groups${query}`);
      assert.equal(response.status, 400);
      assert.deepEqual(response.json(), invalidQueryParameter(name), query);
    }
  });
});
