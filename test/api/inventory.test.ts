import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { atlasError, assertAtlasError, invalidQueryParameter, usernameNotFound } from '../helpers/atlas-assert.js';
import { TestClock } from '../helpers/clock.js';
import { DigestClient, jsonSerial } from '../helpers/digest-client.js';
import { openssl } from '../helpers/openssl.js';
import { certsPath, createManagedUser, startTestServer, type TestServer, V1 } from '../helpers/server.js';

/**
 * The certificate inventory (a dbcerts extension): a user's certificates in every state
 * through `GET …/databaseUsers/{u}/certs?status=…&expiresBefore=…` (without those
 * parameters the Atlas list, unchanged), and the project's through
 * `GET …/userSecurity/managedX509/certs`. Certificates are made with the TestClock in
 * every state (active, expired, revoked, revoked after expiring) for two users.
 */

const T0 = Date.parse('2031-03-10T12:00:00Z');
const DAY = 24 * 60 * 60 * 1000;
/** When the listings are read. */
const NOW = new Date('2031-04-24T12:00:00Z');

interface Issued {
  name: string;
  username: string;
  serial: bigint;
  createdAt: Date;
  notAfter: Date;
  keyAlgorithm: string;
  source: 'generated' | 'csr';
  revokedAt?: Date;
  revocationReason?: string;
}

function atlasDate(instant: Date): string {
  return `${instant.toISOString().slice(0, 19)}Z`;
}

function addMonths(instant: Date, months: number): Date {
  const result = new Date(instant);
  result.setUTCMonth(result.getUTCMonth() + months);
  assert.equal(result.getUTCDate(), instant.getUTCDate(), 'no clamping in this data set');
  return result;
}

let server: TestServer;
let groupId: string;
let scratch: string;
const certificates = new Map<string, Issued>();
const cert = (name: string): Issued => {
  const found = certificates.get(name);
  assert.ok(found, name);
  return found;
};

async function issue(name: string, username: string, at: number, months: number, csr?: string): Promise<void> {
  server.clock.set(new Date(at));
  const response = await server.client.post(certsPath(server, username), {
    monthsUntilExpiration: months,
    ...(csr ? { csr } : {}),
  });
  assert.equal(response.status, 201, response.text);
  const certificate = new X509Certificate(response.text);
  const createdAt = new Date(at);
  const issued: Issued = {
    name,
    username,
    serial: BigInt(`0x${certificate.serialNumber}`),
    createdAt,
    notAfter: addMonths(createdAt, months),
    keyAlgorithm: csr ? 'ec-p384' : 'ec-p256',
    source: csr ? 'csr' : 'generated',
  };
  assert.equal(new Date(certificate.validTo).getTime(), issued.notAfter.getTime());
  certificates.set(name, issued);
}

async function revoke(name: string, at: number, reason?: string): Promise<void> {
  server.clock.set(new Date(at));
  const issued = cert(name);
  const response = await server.client.post(
    `${V1}/groups/${groupId}/userSecurity/managedX509/certs/${issued.serial}/revoke`,
    reason === undefined ? {} : { reason },
  );
  assert.equal(response.status, 200, response.text);
  issued.revokedAt = new Date(at);
  issued.revocationReason = reason ?? 'unspecified';
}

/** Atlas' UserCert: exactly these five members. */
function atlasView(name: string) {
  const issued = cert(name);
  return {
    _id: jsonSerial(issued.serial),
    createdAt: atlasDate(issued.createdAt),
    groupId,
    notAfter: atlasDate(issued.notAfter),
    subject: `CN=${issued.username}`,
  };
}

function status(issued: Issued): 'active' | 'expired' | 'revoked' {
  if (issued.revokedAt) return 'revoked';
  return issued.notAfter.getTime() <= NOW.getTime() ? 'expired' : 'active';
}

/** The inventory's entry: Atlas' members and dbcerts' own. */
function inventoryView(name: string) {
  const issued = cert(name);
  return {
    _id: jsonSerial(issued.serial),
    createdAt: atlasDate(issued.createdAt),
    groupId,
    keyAlgorithm: issued.keyAlgorithm,
    notAfter: atlasDate(issued.notAfter),
    ...(issued.revocationReason ? { revocationReason: issued.revocationReason } : {}),
    ...(issued.revokedAt ? { revokedAt: atlasDate(issued.revokedAt) } : {}),
    source: issued.source,
    status: status(issued),
    subject: `CN=${issued.username}`,
  };
}

const INVENTORY_MEMBERS = ['_id', 'createdAt', 'groupId', 'keyAlgorithm', 'notAfter', 'source', 'status', 'subject'];
const REVOKED_MEMBERS = [
  '_id',
  'createdAt',
  'groupId',
  'keyAlgorithm',
  'notAfter',
  'revocationReason',
  'revokedAt',
  'source',
  'status',
  'subject',
];

const link = (rel: string, href: string) => ({ href, rel });
const projectInventoryPath = (query = '') => `${V1}/groups/${groupId}/userSecurity/managedX509/certs${query}`;

before(async () => {
  server = await startTestServer({ clock: new TestClock(new Date(T0 - DAY)) });
  groupId = server.credentials.groupId;
  scratch = mkdtempSync(join(tmpdir(), 'dbcerts-inventory-'));
  await createManagedUser(server, 'alice');
  await createManagedUser(server, 'bob');
  await createManagedUser(server, 'carol');

  const csrPath = join(scratch, 'p384.csr');
  await openssl(
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-384',
    '-nodes',
    '-keyout',
    join(scratch, 'p384.key'),
    '-subj',
    '/CN=whatever',
    '-out',
    csrPath,
  );

  // At NOW (2031-04-24T12:00Z):
  await issue('a1', 'alice', T0, 1); // → 2031-04-10: expired
  await issue('a2', 'alice', T0 + 1 * DAY, 2); // → 2031-05-11: active, expires within 30 days
  await issue('a3', 'alice', T0 + 2 * DAY, 12); // → 2032-03-12: revoked (keyCompromise)
  await issue('a4', 'alice', T0 + 3 * DAY, 3); // → 2031-06-13: active
  await issue('b1', 'bob', T0 + 4 * DAY, 1); // → 2031-04-14: expired
  await issue('b2', 'bob', T0 + 5 * DAY, 24); // → 2033-03-15: active
  await issue('b3', 'bob', T0 + 6 * DAY, 2); // → 2031-05-16: revoked (unspecified), within 30 days
  await issue('a5', 'alice', T0 + 7 * DAY, 1); // → 2031-04-17: revoked, then expired: revoked
  await issue('b4', 'bob', T0 + 9 * DAY, 2, readFileSync(csrPath, 'utf8')); // → 2031-05-19: active, CSR P-384
  await revoke('a3', T0 + 10 * DAY, 'keyCompromise');
  await revoke('b3', T0 + 11 * DAY);
  await revoke('a5', T0 + 12 * DAY, 'superseded');

  // A namesake in another project: never in this project's listings.
  const other = await server.client.post(`${V1}/groups`, { name: 'Elsewhere', orgId: server.credentials.orgId });
  assert.equal(other.status, 200, other.text);
  const otherGroupId = other.json().id as string;
  const otherUser = await server.client.post(`${V1}/groups/${otherGroupId}/databaseUsers`, {
    databaseName: '$external',
    username: 'alice',
    x509Type: 'MANAGED',
    roles: [{ roleName: 'read', databaseName: 'app' }],
  });
  assert.equal(otherUser.status, 201, otherUser.text);
  const foreign = await server.client.post(`${V1}/groups/${otherGroupId}/databaseUsers/alice/certs`, {
    monthsUntilExpiration: 1,
  });
  assert.equal(foreign.status, 201, foreign.text);

  server.clock.set(NOW);
  // The data set is what it claims to be.
  assert.deepEqual(
    ['a1', 'a2', 'a3', 'a4', 'a5', 'b1', 'b2', 'b3', 'b4'].map((name) => status(cert(name))),
    ['expired', 'active', 'revoked', 'active', 'revoked', 'expired', 'active', 'revoked', 'active'],
  );
  assert.ok(cert('a5').notAfter < NOW, 'a5 is revoked and expired');
});

after(async () => {
  await server?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function results(path: string, client: DigestClient = server.client): Promise<unknown[]> {
  const response = await client.get(path);
  assert.equal(response.status, 200, `${path}: ${response.text}`);
  return response.json().results;
}

describe("a user's certificates", () => {
  test('without extension parameters: exactly the Atlas list (unexpired, unrevoked; five members)', async () => {
    for (const [username, names] of [
      ['alice', ['a2', 'a4']],
      ['bob', ['b2', 'b4']],
    ] as const) {
      const path = certsPath(server, username);
      const response = await server.client.get(path);
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.json(), {
        links: [link('self', `${server.origin}${path}?pageNum=1&itemsPerPage=100`)],
        results: names.map(atlasView),
        totalCount: 2,
      });
      for (const entry of response.json().results) {
        assert.deepEqual(Object.keys(entry), ['_id', 'createdAt', 'groupId', 'notAfter', 'subject']);
      }
      assert.ok(!/"(status|source|keyAlgorithm|revokedAt|revocationReason)"/.test(response.text), response.text);
    }
    // Paging parameters alone do not switch to the inventory either.
    assert.deepEqual(await results(certsPath(server, 'alice', '?pageNum=1&itemsPerPage=1')), [atlasView('a2')]);
    assert.deepEqual(await results(certsPath(server, 'carol')), []);
  });

  test('?status=all: every certificate, by creation, with status, revocation, key algorithm and source', async () => {
    const response = await server.client.get(certsPath(server, 'alice', '?status=all'));
    assert.equal(response.status, 200, response.text);
    const body = response.json();
    assert.deepEqual(body.results, ['a1', 'a2', 'a3', 'a4', 'a5'].map(inventoryView));
    assert.equal(body.totalCount, 5);
    // Spelled out once, to pin the view itself.
    assert.deepEqual(body.results[2], {
      _id: cert('a3').serial,
      createdAt: '2031-03-12T12:00:00Z',
      groupId,
      keyAlgorithm: 'ec-p256',
      notAfter: '2032-03-12T12:00:00Z',
      revocationReason: 'keyCompromise',
      revokedAt: '2031-03-20T12:00:00Z',
      source: 'generated',
      status: 'revoked',
      subject: 'CN=alice',
    });
    for (const entry of body.results) {
      assert.deepEqual(Object.keys(entry), entry.revokedAt ? REVOKED_MEMBERS : INVENTORY_MEMBERS);
    }
    const bob = (await results(certsPath(server, 'bob', '?status=all'))) as Array<Record<string, unknown>>;
    assert.deepEqual(bob, ['b1', 'b2', 'b3', 'b4'].map(inventoryView));
    // A CSR's key, and a revocation without a reason.
    assert.equal(bob[3]!.keyAlgorithm, 'ec-p384');
    assert.equal(bob[3]!.source, 'csr');
    assert.equal(bob[2]!.revocationReason, 'unspecified');
    assert.deepEqual(await results(certsPath(server, 'carol', '?status=all')), []);
  });

  test('a revoked certificate that has also expired is "revoked"; expired means expired and not revoked', async () => {
    assert.deepEqual(await results(certsPath(server, 'alice', '?status=revoked')), ['a3', 'a5'].map(inventoryView));
    assert.deepEqual(await results(certsPath(server, 'alice', '?status=expired')), [inventoryView('a1')]);
    assert.deepEqual(await results(certsPath(server, 'alice', '?status=active')), ['a2', 'a4'].map(inventoryView));
  });

  test('several statuses: comma-separated, or the parameter repeated', async () => {
    assert.deepEqual(
      await results(certsPath(server, 'alice', '?status=active,expired')),
      ['a1', 'a2', 'a4'].map(inventoryView),
    );
    assert.deepEqual(
      await results(certsPath(server, 'alice', '?status=expired&status=revoked')),
      ['a1', 'a3', 'a5'].map(inventoryView),
    );
    assert.deepEqual(
      await results(certsPath(server, 'bob', '?status=active&status=revoked,expired')),
      ['b1', 'b2', 'b3', 'b4'].map(inventoryView),
    );
  });

  test('?status with an unknown word: 400 INVALID_QUERY_PARAMETER status', async () => {
    for (const query of ['?status=bogus', '?status=active,bogus', '?status=active&status=bogus', '?status=valid']) {
      assertAtlasError(
        await server.client.get(certsPath(server, 'alice', query)),
        invalidQueryParameter('status'),
        query,
      );
    }
  });

  test('?expiresBefore: a date or a date-time, strictly before; alone it lists every state', async () => {
    // A date is its midnight UTC.
    assert.deepEqual(
      await results(certsPath(server, 'alice', '?expiresBefore=2031-05-12')),
      ['a1', 'a2', 'a5'].map(inventoryView),
    );
    assert.deepEqual(
      await results(certsPath(server, 'alice', '?expiresBefore=2031-05-11')),
      ['a1', 'a5'].map(inventoryView),
    );
    // a5 ends at 2031-04-17T12:00:00Z exactly: not before it.
    assert.deepEqual(await results(certsPath(server, 'alice', '?expiresBefore=2031-04-17T12:00:00Z')), [
      inventoryView('a1'),
    ]);
    assert.deepEqual(
      await results(certsPath(server, 'alice', '?expiresBefore=2031-04-17T12:00:01Z')),
      ['a1', 'a5'].map(inventoryView),
    );
    // An offset is honoured: 13:00+01:00 is 12:00Z.
    assert.deepEqual(
      await results(certsPath(server, 'alice', `?expiresBefore=${encodeURIComponent('2031-04-17T13:00:00+01:00')}`)),
      [inventoryView('a1')],
    );
    // Combined with status.
    assert.deepEqual(await results(certsPath(server, 'bob', '?status=active&expiresBefore=2031-06-01')), [
      inventoryView('b4'),
    ]);
    assert.deepEqual(await results(certsPath(server, 'bob', '?expiresBefore=2030-01-01')), []);
  });

  test('a malformed expiresBefore: 400 INVALID_QUERY_PARAMETER expiresBefore', async () => {
    const malformed = [
      'soon',
      '',
      '2031-13-01',
      '2031-02-30', // no such day (must not roll over to March 2)
      '2031-04-31', // no such day (must not roll over to May 1)
      '31-05-2031',
      '2031-05-01T12:00:00', // a time needs its zone
      '2031-05-01T25:00:00Z',
      '1714000000',
    ];
    const answers = await Promise.all(
      malformed.map((value) =>
        server.client.get(certsPath(server, 'alice', `?expiresBefore=${encodeURIComponent(value)}`)),
      ),
    );
    // Every value first, so a failure names all the accepted ones at once.
    assert.deepEqual(
      malformed.filter((_, index) => answers[index]!.status !== 400),
      [],
      'malformed dates that were accepted',
    );
    for (const [index, response] of answers.entries()) {
      assertAtlasError(response, invalidQueryParameter('expiresBefore'), malformed[index]);
    }
  });

  test('paging and totalCount on the inventory', async () => {
    const base = certsPath(server, 'alice');
    const href = (pageNum: number) => `${server.origin}${base}?status=all&pageNum=${pageNum}&itemsPerPage=2`;
    const page = async (pageNum: number) => {
      const response = await server.client.get(`${base}?status=all&itemsPerPage=2&pageNum=${pageNum}`);
      assert.equal(response.status, 200, response.text);
      return response.json();
    };
    assert.deepEqual(await page(1), {
      links: [link('self', href(1)), link('next', href(2))],
      results: ['a1', 'a2'].map(inventoryView),
      totalCount: 5,
    });
    assert.deepEqual(await page(2), {
      links: [link('self', href(2)), link('previous', href(1)), link('next', href(3))],
      results: ['a3', 'a4'].map(inventoryView),
      totalCount: 5,
    });
    assert.deepEqual(await page(3), {
      links: [link('self', href(3)), link('previous', href(2))],
      results: [inventoryView('a5')],
      totalCount: 5,
    });
    assert.deepEqual(await page(4), {
      links: [link('self', href(4)), link('previous', href(3))],
      results: [],
      totalCount: 5,
    });
    // totalCount counts the filtered set, across pages.
    const filtered = await server.client.get(`${base}?status=revoked,expired&itemsPerPage=1`);
    assert.equal(filtered.json().totalCount, 3);
    assert.deepEqual(filtered.json().results, [inventoryView('a1')]);
    const uncounted = await server.client.get(`${base}?status=all&includeCount=false`);
    assert.equal(uncounted.status, 200);
    assert.equal('totalCount' in uncounted.json(), false);
    assert.deepEqual(uncounted.json().results, ['a1', 'a2', 'a3', 'a4', 'a5'].map(inventoryView));
  });

  test('an unknown user: 404 USERNAME_NOT_FOUND, with or without the inventory parameters', async () => {
    assertAtlasError(await server.client.get(certsPath(server, 'nobody', '?status=all')), usernameNotFound('nobody'));
    assertAtlasError(await server.client.get(certsPath(server, 'nobody')), usernameNotFound('nobody'));
  });
});

describe("the project's inventory: GET …/userSecurity/managedX509/certs", () => {
  const ALL_BY_EXPIRY = ['a1', 'b1', 'a5', 'a2', 'b3', 'b4', 'a4', 'a3', 'b2'];

  test('every certificate of the project (and only its), ordered by notAfter', async () => {
    const sorted = [...certificates.values()]
      .sort((x, y) => x.notAfter.getTime() - y.notAfter.getTime())
      .map((issued) => issued.name);
    assert.deepEqual(sorted, ALL_BY_EXPIRY);
    const response = await server.client.get(projectInventoryPath());
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.json(), {
      links: [link('self', `${server.origin}${projectInventoryPath()}?pageNum=1&itemsPerPage=100`)],
      results: ALL_BY_EXPIRY.map(inventoryView),
      totalCount: 9,
    });
    assert.deepEqual(await results(projectInventoryPath('?status=all')), ALL_BY_EXPIRY.map(inventoryView));
  });

  test('filtered by username, still ordered by notAfter', async () => {
    assert.deepEqual(
      await results(projectInventoryPath('?username=alice')),
      ['a1', 'a5', 'a2', 'a4', 'a3'].map(inventoryView),
    );
    assert.deepEqual(
      await results(projectInventoryPath('?username=bob&status=active')),
      ['b4', 'b2'].map(inventoryView),
    );
    assert.deepEqual(await results(projectInventoryPath('?username=carol')), []);
    assertAtlasError(await server.client.get(projectInventoryPath('?username=nobody')), usernameNotFound('nobody'));
  });

  test('the expiring-soon view: status=active&expiresBefore=now+30d', async () => {
    const soon = new Date(NOW.getTime() + 30 * DAY).toISOString();
    const response = await server.client.get(projectInventoryPath(`?status=active&expiresBefore=${soon}`));
    assert.equal(response.status, 200, response.text);
    // b3 expires in the window but is revoked; a1, b1 and a5 are already over.
    assert.deepEqual(response.json().results, ['a2', 'b4'].map(inventoryView));
    assert.equal(response.json().totalCount, 2);
  });

  test('status and expiresBefore filters, and their 400s', async () => {
    assert.deepEqual(await results(projectInventoryPath('?status=expired')), ['a1', 'b1'].map(inventoryView));
    assert.deepEqual(
      await results(projectInventoryPath('?status=revoked&expiresBefore=2031-12-31')),
      ['a5', 'b3'].map(inventoryView),
    );
    assertAtlasError(await server.client.get(projectInventoryPath('?status=bogus')), invalidQueryParameter('status'));
    assertAtlasError(
      await server.client.get(projectInventoryPath('?expiresBefore=tomorrow')),
      invalidQueryParameter('expiresBefore'),
    );
  });

  test('paging across the project', async () => {
    const href = (pageNum: number) => `${server.origin}${projectInventoryPath()}?pageNum=${pageNum}&itemsPerPage=4`;
    const response = await server.client.get(projectInventoryPath('?itemsPerPage=4&pageNum=3'));
    assert.deepEqual(response.json(), {
      links: [link('self', href(3)), link('previous', href(2))],
      results: [inventoryView('b2')],
      totalCount: 9,
    });
  });

  test('Project Read Only can read both inventories (and cannot revoke)', async () => {
    const { key, privateKey } = await server.authority.apiKeys.mint(server.credentials.orgId, 'inventory reader', [
      'ORG_MEMBER',
    ]);
    await server.store.apiKeys.setProjectRoles(key.id, groupId, ['GROUP_READ_ONLY']);
    const reader = new DigestClient(server.origin, key.publicKey, privateKey);
    assert.deepEqual(await results(projectInventoryPath(), reader), ALL_BY_EXPIRY.map(inventoryView));
    assert.deepEqual(
      await results(certsPath(server, 'alice', '?status=all'), reader),
      ['a1', 'a2', 'a3', 'a4', 'a5'].map(inventoryView),
    );
    assert.deepEqual(await results(certsPath(server, 'alice'), reader), ['a2', 'a4'].map(atlasView));
    assertAtlasError(
      await reader.post(`${V1}/groups/${groupId}/userSecurity/managedX509/certs/${cert('a2').serial}/revoke`, {}),
      atlasError(401, 'USER_UNAUTHORIZED', 'Current user is not authorized to perform this action.'),
    );
    // A key of the organization without a role in the project cannot.
    const { key: outsiderKey, privateKey: outsiderSecret } = await server.authority.apiKeys.mint(
      server.credentials.orgId,
      'no project role',
      ['ORG_MEMBER'],
    );
    const outsider = new DigestClient(server.origin, outsiderKey.publicKey, outsiderSecret);
    assertAtlasError(
      await outsider.get(projectInventoryPath()),
      atlasError(401, 'NOT_IN_GROUP', 'The current user is not in the group, or the group does not exist.'),
    );
  });
});

describe('searching by serial, expiresAfter, and the order (sortBy, orderBy)', () => {
  const ALL = ['a1', 'b1', 'a5', 'a2', 'b3', 'b4', 'a4', 'a3', 'b2'];
  const hexOf = (serial: bigint) => serial.toString(16).toUpperCase().padStart(16, '0');

  test('?serial= the decimal _id, or the hex openssl prints (0x, colons, any case): that certificate alone', async () => {
    const a3 = cert('a3');
    const hex = hexOf(a3.serial);
    const forms = [String(a3.serial), hex, hex.toLowerCase(), `0x${hex}`, hex.match(/../g)!.join(':')];
    for (const form of forms) {
      const query = `?serial=${encodeURIComponent(form)}`;
      assert.deepEqual(await results(certsPath(server, 'alice', query)), [inventoryView('a3')], form);
      assert.deepEqual(await results(projectInventoryPath(query)), [inventoryView('a3')], form);
    }
    // Another user's serial on alice's list, and a serial of no certificate: nothing.
    assert.deepEqual(await results(certsPath(server, 'alice', `?serial=${cert('b2').serial}`)), []);
    assert.deepEqual(await results(projectInventoryPath('?serial=1')), []);
    // Combined with the other filters.
    assert.deepEqual(await results(certsPath(server, 'alice', `?serial=${a3.serial}&status=active`)), []);
  });

  test("another project's certificate is never found by its serial", async () => {
    const foreign = await server.client.get(`${V1}/groups/${groupId}/userSecurity/managedX509/certs?status=all`);
    const serials = new Set(foreign.json().results.map((entry: { _id: bigint }) => String(entry._id)));
    assert.equal(serials.size, 9);
    const [otherProject] = (await server.client.get(`${V1}/groups?itemsPerPage=500`))
      .json()
      .results.filter((project: { id: string }) => project.id !== groupId);
    const elsewhere = await server.client.get(
      `${V1}/groups/${otherProject.id}/userSecurity/managedX509/certs?status=all`,
    );
    const foreignSerial = String(elsewhere.json().results[0]._id);
    assert.equal(serials.has(foreignSerial), false);
    assert.deepEqual(await results(projectInventoryPath(`?serial=${foreignSerial}`)), []);
  });

  test('a serial that names none: 400 INVALID_QUERY_PARAMETER serial', async () => {
    for (const bad of ['', 'xyz', '-5', '0', '0x8000000000000000', '12 34', '1'.repeat(65)]) {
      assertAtlasError(
        await server.client.get(certsPath(server, 'alice', `?serial=${encodeURIComponent(bad)}`)),
        invalidQueryParameter('serial'),
        bad,
      );
    }
  });

  test('?expiresAfter: notAfter at or after it; with expiresBefore, a window', async () => {
    assert.deepEqual(
      await results(certsPath(server, 'alice', '?expiresAfter=2031-05-11T12:00:00Z')),
      ['a2', 'a3', 'a4'].map(inventoryView),
    );
    assert.deepEqual(
      await results(certsPath(server, 'alice', '?expiresAfter=2031-05-11T12:00:01Z')),
      ['a3', 'a4'].map(inventoryView),
    );
    // Active and outlasting a 30-day lead time (what the console calls active, not expiring).
    const leadEnd = new Date(NOW.getTime() + 30 * DAY).toISOString();
    assert.deepEqual(
      await results(projectInventoryPath(`?status=active&expiresAfter=${leadEnd}`)),
      ['a4', 'b2'].map(inventoryView),
    );
    assert.deepEqual(
      await results(projectInventoryPath('?expiresAfter=2031-04-15&expiresBefore=2031-05-17')),
      ['a5', 'a2', 'b3'].map(inventoryView),
    );
    assertAtlasError(
      await server.client.get(projectInventoryPath('?expiresAfter=later')),
      invalidQueryParameter('expiresAfter'),
    );
  });

  test('?orderBy=desc: newest first (a user), latest expiry first (the project); sortBy switches the key', async () => {
    assert.deepEqual(
      await results(certsPath(server, 'alice', '?orderBy=desc')),
      ['a5', 'a4', 'a3', 'a2', 'a1'].map(inventoryView),
    );
    assert.deepEqual(
      await results(certsPath(server, 'alice', '?sortBy=notAfter')),
      ['a1', 'a5', 'a2', 'a4', 'a3'].map(inventoryView),
    );
    assert.deepEqual(
      await results(certsPath(server, 'alice', '?sortBy=notAfter&orderBy=desc&status=active')),
      ['a4', 'a2'].map(inventoryView),
    );
    assert.deepEqual(await results(projectInventoryPath('?orderBy=desc')), [...ALL].reverse().map(inventoryView));
    assert.deepEqual(
      await results(projectInventoryPath('?sortBy=createdAt&username=bob')),
      ['b1', 'b2', 'b3', 'b4'].map(inventoryView),
    );
    // Paging follows the order: page 2 of the newest first.
    assert.deepEqual(await results(certsPath(server, 'alice', '?orderBy=desc&itemsPerPage=2&pageNum=2')), [
      inventoryView('a3'),
      inventoryView('a2'),
    ]);
    for (const [name, value] of [
      ['orderBy', 'down'],
      ['sortBy', 'serial'],
    ]) {
      const response = await server.client.get(certsPath(server, 'alice', `?${name}=${value}`));
      assert.equal(response.status, 400, response.text);
      assert.equal(response.json().errorCode, 'INVALID_QUERY_PARAMETER', response.text);
    }
  });
});

describe('one certificate: GET …/managedX509/certs/{serial}', () => {
  test('its inventory entry, notBefore, issuer and CA, its user, the PEM and the SHA-256 fingerprint', async () => {
    const a3 = cert('a3');
    const response = await server.client.get(projectInventoryPath(`/${a3.serial}`));
    assert.equal(response.status, 200, response.text);
    const body = response.json();
    const pem = body.pem as string;
    const x509 = new X509Certificate(pem);
    assert.equal(BigInt(`0x${x509.serialNumber}`), a3.serial);
    const [ca] = (await server.client.get(`${V1}/groups/${groupId}/userSecurity/managedX509/cas`)).json().results;
    assert.deepEqual(body, {
      ...inventoryView('a3'),
      caId: ca.id,
      databaseName: '$external',
      issuer: ca.subject,
      notBefore: atlasDate(new Date(x509.validFrom)),
      pem,
      sha256Fingerprint: x509.fingerprint256,
      username: 'alice',
    });
    assert.match(pem, /^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n$/);
    assert.doesNotMatch(response.text, /PRIVATE KEY/);
    const file = join(scratch, 'a3.pem');
    writeFileSync(file, pem);
    assert.equal(
      (await openssl('x509', '-in', file, '-noout', '-fingerprint', '-sha256')).trim(),
      `sha256 Fingerprint=${x509.fingerprint256}`,
    );
    assert.equal((await openssl('x509', '-in', file, '-noout', '-serial')).trim(), `serial=${hexOf(a3.serial)}`);
  });

  test('unknown, another project’s, or malformed serials: Atlas’ 404s', async () => {
    const [otherProject] = (await server.client.get(`${V1}/groups?itemsPerPage=500`))
      .json()
      .results.filter((project: { id: string }) => project.id !== groupId);
    const elsewhere = `${V1}/groups/${otherProject.id}/userSecurity/managedX509/certs`;
    const foreignSerial = String((await server.client.get(elsewhere)).json().results[0]._id);
    assert.equal((await server.client.get(`${elsewhere}/${foreignSerial}`)).status, 200, 'it is there');
    for (const serial of ['1', foreignSerial]) {
      assertAtlasError(
        await server.client.get(projectInventoryPath(`/${serial}`)),
        atlasError(
          404,
          'CERTIFICATE_DOES_NOT_EXIST',
          'Certificate does not exist.  It may have expired or been revoked.',
        ),
        serial,
      );
    }
    for (const bad of ['abc', '0', '-1', '9223372036854775808']) {
      const response = await server.client.get(projectInventoryPath(`/${bad}`));
      assert.equal(response.status, 404, bad);
      assert.equal(response.json().errorCode, 'INVALID_CERTIFICATE_SERIAL', bad);
    }
  });

  function hexOf(serial: bigint): string {
    const hex = serial.toString(16).toUpperCase();
    return hex.length % 2 === 1 ? `0${hex}` : hex;
  }
});

describe('what each managed user’s certificates cover: GET …/managedX509/users', () => {
  const usersPath = (query = '') => `${V1}/groups/${groupId}/userSecurity/managedX509/users${query}`;

  test('every Atlas-managed X.509 user by name: valid certificates, until when, how many ever, last issued', async () => {
    const response = await server.client.get(usersPath());
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.json(), {
      links: [link('self', `${server.origin}${usersPath()}?pageNum=1&itemsPerPage=100`)],
      results: [
        {
          certificateStatus: 'valid',
          certificates: 5,
          databaseName: '$external',
          lastIssuedAt: atlasDate(cert('a5').createdAt),
          username: 'alice',
          validCertificates: 2,
          validUntil: atlasDate(cert('a4').notAfter),
        },
        {
          certificateStatus: 'valid',
          certificates: 4,
          databaseName: '$external',
          lastIssuedAt: atlasDate(cert('b4').createdAt),
          username: 'bob',
          validCertificates: 2,
          validUntil: atlasDate(cert('b2').notAfter),
        },
        {
          certificateStatus: 'none',
          certificates: 0,
          databaseName: '$external',
          username: 'carol',
          validCertificates: 0,
        },
      ],
      totalCount: 3,
    });
  });

  test('?certificateStatus filters (none, expiring by the project’s lead time, valid), with paging and counts', async () => {
    const names = async (query: string) =>
      ((await results(usersPath(query))) as Array<{ username: string }>).map((entry) => entry.username);
    assert.deepEqual(await names('?certificateStatus=none'), ['carol']);
    assert.deepEqual(await names('?certificateStatus=expiring'), []);
    // A 60-day lead time: alice's last valid certificate (2031-06-13) now ends within it.
    const patched = await server.client.patch(`${V1}/groups/${groupId}/userSecurity/managedX509/alerts`, {
      leadTimeDays: 60,
    });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(await names('?certificateStatus=expiring'), ['alice']);
    assert.deepEqual(await names('?certificateStatus=valid'), ['bob']);
    assert.deepEqual(await names('?certificateStatus=none,expiring'), ['alice', 'carol']);
    assert.deepEqual(await names('?certificateStatus=none&certificateStatus=valid'), ['bob', 'carol']);
    const page = await server.client.get(usersPath('?certificateStatus=none,expiring&itemsPerPage=1&pageNum=2'));
    assert.equal(page.json().totalCount, 2);
    assert.deepEqual(
      page
        .json()
        .results.map((entry: { username: string; certificateStatus: string }) => [
          entry.username,
          entry.certificateStatus,
        ]),
      [['carol', 'none']],
    );
    assertAtlasError(
      await server.client.get(usersPath('?certificateStatus=active')),
      invalidQueryParameter('certificateStatus'),
    );
    // Back to the default for the tests that follow.
    await server.client.patch(`${V1}/groups/${groupId}/userSecurity/managedX509/alerts`, { leadTimeDays: 30 });
  });
});
