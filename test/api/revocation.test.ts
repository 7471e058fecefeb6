import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ProjectRole } from '../../src/domain/roles.js';
import { assertAtlasError, atlasError, invalidAttribute } from '../helpers/atlas-assert.js';
import { TestClock } from '../helpers/clock.js';
import { type ApiResponse, authorizationHeader, DigestClient, jsonSerial } from '../helpers/digest-client.js';
import {
  certsPath,
  createManagedUser,
  startTestServer,
  storeSnapshot,
  type TestServer,
  V1,
} from '../helpers/server.js';
import {
  assertRevoked,
  assertVerified,
  type CrlEntry,
  type CrlInfo,
  inspectCrl,
  type OpensslOutcome,
  pemBlocks,
  subjectKeyId,
  subjectOf,
  verifyAt,
  verifyCrlSignature,
} from '../helpers/openssl-verify.js';
import { scratchDirectory } from '../helpers/scratch.js';
import { dbcertsBytes } from '../helpers/cli.js';
import { openssl } from '../helpers/openssl.js';

/**
 * Revocation by serial and the CRLs dbcerts publishes (docs/extensions.md "Revocation and
 * CRLs"). The API is checked with exact bodies; the CRLs with the `openssl` command line as
 * the oracle (it shares no code with dbcerts' X.509 writer): it parses them, verifies their
 * signature, reads their fields, and refuses a revoked certificate with them.
 */

const { write: writeScratch } = scratchDirectory('revocation');

const DAY = 24 * 60 * 60 * 1000;

const REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'privilegeWithdrawn',
  'aACompromise',
] as const;
type Reason = (typeof REASONS)[number];

/**
 * How `openssl crl -text` names each reason code. `unspecified` has none: RFC 5280 §5.3.1
 * says the reasonCode extension SHOULD be absent rather than carry unspecified (0).
 */
const OPENSSL_REASON: Record<Reason, string | undefined> = {
  unspecified: undefined,
  keyCompromise: 'Key Compromise',
  cACompromise: 'CA Compromise',
  affiliationChanged: 'Affiliation Changed',
  superseded: 'Superseded',
  cessationOfOperation: 'Cessation Of Operation',
  privilegeWithdrawn: 'Privilege Withdrawn',
  aACompromise: 'AA Compromise',
};

const REASON_LIST = REASONS.join(', ');

// --- openssl, the oracle ----------------------------------------------------------------

/** `openssl verify -crl_check` at the test clock's instant. */
function verifyWithCrl(certFile: string, caFile: string, crlFile: string, at: Date): Promise<OpensslOutcome> {
  return verifyAt(certFile, caFile, at, { file: crlFile, flag: '-crl_check' });
}

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----(BEGIN|END) [^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

// --- the API ----------------------------------------------------------------------------

function managedX509(server: TestServer, groupId = server.credentials.groupId): string {
  return `${V1}/groups/${groupId}/userSecurity/managedX509`;
}

interface Issued {
  serial: bigint;
  /** The certificate alone, in a file, for openssl. */
  certFile: string;
  certificate: X509Certificate;
}

async function issue(
  server: TestServer,
  username: string,
  months = 3,
  groupId = server.credentials.groupId,
): Promise<Issued> {
  const path = `${V1}/groups/${groupId}/databaseUsers/${encodeURIComponent(username)}/certs`;
  const response = await server.client.post(path, { monthsUntilExpiration: months });
  assert.equal(response.status, 201, response.text);
  const [pem] = pemBlocks(response.text, 'CERTIFICATE');
  assert.ok(pem, response.text);
  const certificate = new X509Certificate(pem);
  return {
    serial: BigInt(`0x${certificate.serialNumber}`),
    certFile: writeScratch(pem, `${username.replace(/\W/g, '_')}.pem`),
    certificate,
  };
}

function revoke(server: TestServer, serial: bigint | string, body?: unknown, client = server.client) {
  return client.post(`${managedX509(server)}/certs/${serial}/revoke`, body);
}

function atlasDate(instant: Date): string {
  return `${new Date(Math.floor(instant.getTime() / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

type Entry = Record<string, unknown> & { _id: number | bigint };

function findEntry(results: Entry[], serial: bigint): Entry | undefined {
  return results.find((entry) => BigInt(entry._id) === serial);
}

/** GET with Digest, the body as bytes (DER must not go through a text decoder). */
async function getBytes(client: DigestClient, path: string) {
  const challenge = await client.challenge(path);
  const authorization = authorizationHeader({
    username: client.publicKey,
    password: client.privateKey,
    method: 'GET',
    uri: path,
    challenge,
  });
  const response = await fetch(client.baseUrl + path, { headers: { authorization } });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: Buffer.from(await response.arrayBuffer()),
  };
}

async function crlDer(server: TestServer, path = `${managedX509(server)}/crl`): Promise<Buffer> {
  const response = await getBytes(server.client, path);
  assert.equal(response.status, 200, response.body.toString('utf8'));
  assert.equal(response.contentType, 'application/pkix-crl');
  return response.body;
}

async function crlPem(server: TestServer): Promise<string> {
  const response = await server.client.get(`${managedX509(server)}/crl.pem`);
  assert.equal(response.status, 200, response.text);
  assert.equal(response.headers.get('content-type'), 'application/x-pem-file');
  return response.text;
}

async function caFile(server: TestServer): Promise<string> {
  const response = await server.client.get(`${managedX509(server)}/ca`);
  assert.equal(response.status, 200, response.text);
  return writeScratch(response.text, 'ca.pem');
}

/** A key of the bootstrap organization holding `roles` alone in the test project. */
async function keyWithProjectRoles(server: TestServer, roles: ProjectRole[]): Promise<DigestClient> {
  const { key, privateKey } = await server.authority.apiKeys.mint(server.credentials.orgId, `revocation ${roles}`, [
    'ORG_MEMBER',
  ]);
  await server.store.apiKeys.setProjectRoles(key.id, server.credentials.groupId, roles);
  return new DigestClient(server.origin, key.publicKey, privateKey);
}

async function revokedEvents(server: TestServer): Promise<Entry[]> {
  const response = await server.client.get(
    `${V1}/groups/${server.credentials.groupId}/events?eventType=MONGODB_USER_X509_CERT_REVOKED&itemsPerPage=500`,
  );
  assert.equal(response.status, 200, response.text);
  return response.json().results;
}

function certificateDoesNotExist() {
  return atlasError(
    404,
    'CERTIFICATE_DOES_NOT_EXIST',
    'Certificate does not exist.  It may have expired or been revoked.',
  );
}

// --- revoking by serial -------------------------------------------------------------------

describe('POST …/managedX509/certs/{serial}/revoke', () => {
  let server: TestServer;
  let groupId: string;

  before(async () => {
    server = await startTestServer({ clock: new TestClock('2026-03-02T09:00:00.250Z') });
    groupId = server.credentials.groupId;
    for (const username of ['alice', 'bob', 'carol', 'dave']) await createManagedUser(server, username);
  });
  after(() => server.close());

  /** The user's inventory entry for `serial` (`?status=all`). */
  async function inventoryEntry(username: string, serial: bigint): Promise<Entry> {
    const response = await server.client.get(certsPath(server, username, '?status=all'));
    assert.equal(response.status, 200, response.text);
    const entry = findEntry(response.json().results, serial);
    assert.ok(entry, `${serial} is not in ${response.text}`);
    return entry;
  }

  test('each RFC 5280 reason: 200 with the exact inventory entry, revoked now for that reason', async () => {
    for (const reason of REASONS) {
      const issued = await issue(server, 'alice');
      const active = await inventoryEntry('alice', issued.serial);
      assert.deepEqual(active, {
        _id: jsonSerial(issued.serial),
        createdAt: atlasDate(new Date(issued.certificate.validFrom)),
        groupId,
        keyAlgorithm: 'ec-p256',
        notAfter: atlasDate(new Date(issued.certificate.validTo)),
        source: 'generated',
        status: 'active',
        subject: 'CN=alice',
      });
      server.clock.advance(95_000);
      const revokedAt = atlasDate(server.clock.now());
      const response = await revoke(server, issued.serial, { reason });
      assert.equal(response.status, 200, response.text);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      const expected = { ...active, revocationReason: reason, revokedAt, status: 'revoked' };
      assert.deepEqual(response.json(), expected, reason);
      // Members in alphabetical order, as every dbcerts body.
      assert.deepEqual(Object.keys(response.json()), Object.keys(expected).sort());
      // The same entry as the inventory shows from now on, in both inventories.
      assert.deepEqual(await inventoryEntry('alice', issued.serial), expected);
      const project = await server.client.get(`${managedX509(server)}/certs?status=revoked&username=alice`);
      assert.deepEqual(findEntry(project.json().results, issued.serial), expected);
    }
  });

  test('without a reason (empty object, or no body at all) the reason is unspecified', async () => {
    for (const body of [{}, undefined]) {
      const issued = await issue(server, 'alice');
      server.clock.advance(1000);
      const response = await revoke(server, issued.serial, body);
      assert.equal(response.status, 200, response.text);
      assert.equal(response.json().revocationReason, 'unspecified');
      assert.equal(response.json().revokedAt, atlasDate(server.clock.now()));
      assert.equal(response.json().status, 'revoked');
    }
  });

  test('a revoked certificate leaves the Atlas list and its totalCount, and stays in status=all and status=revoked', async () => {
    const first = await issue(server, 'bob');
    server.clock.advance(1000);
    const second = await issue(server, 'bob');
    server.clock.advance(1000);
    const third = await issue(server, 'bob');
    const serialsOf = (response: ApiResponse) =>
      response.json().results.map((entry: Entry) => BigInt(entry._id)) as bigint[];

    const beforeList = await server.client.get(certsPath(server, 'bob'));
    assert.deepEqual(serialsOf(beforeList), [first.serial, second.serial, third.serial]);
    assert.equal(beforeList.json().totalCount, 3);

    assert.equal((await revoke(server, second.serial, { reason: 'superseded' })).status, 200);

    const list = await server.client.get(certsPath(server, 'bob'));
    assert.deepEqual(serialsOf(list), [first.serial, third.serial]);
    assert.equal(list.json().totalCount, 2);
    // Atlas' list keeps Atlas' members only.
    for (const entry of list.json().results) {
      assert.deepEqual(Object.keys(entry), ['_id', 'createdAt', 'groupId', 'notAfter', 'subject']);
    }
    const all = await server.client.get(certsPath(server, 'bob', '?status=all'));
    assert.deepEqual(serialsOf(all), [first.serial, second.serial, third.serial]);
    assert.equal(all.json().totalCount, 3);
    assert.deepEqual(
      all.json().results.map((entry: Entry) => entry.status),
      ['active', 'revoked', 'active'],
    );
    const revoked = await server.client.get(certsPath(server, 'bob', '?status=revoked'));
    assert.deepEqual(serialsOf(revoked), [second.serial]);
    assert.equal(revoked.json().totalCount, 1);
    const active = await server.client.get(certsPath(server, 'bob', '?status=active'));
    assert.deepEqual(serialsOf(active), [first.serial, third.serial]);
    const project = await server.client.get(`${managedX509(server)}/certs?username=bob&status=revoked`);
    assert.deepEqual(serialsOf(project), [second.serial]);
  });

  test('each revocation is recorded as MONGODB_USER_X509_CERT_REVOKED with its serial and reason', async () => {
    const issued = await issue(server, 'bob');
    server.clock.advance(1000);
    assert.equal((await revoke(server, issued.serial, { reason: 'keyCompromise' })).status, 200);
    const events = (await revokedEvents(server)).filter((event) => BigInt(event.serial as bigint) === issued.serial);
    assert.equal(
      events.length,
      1,
      JSON.stringify(events, (_, v) => (typeof v === 'bigint' ? String(v) : v)),
    );
    const event = events[0]!;
    assert.deepEqual(
      {
        created: event.created,
        database: event.database,
        eventTypeName: event.eventTypeName,
        groupId: event.groupId,
        outcome: event.outcome,
        publicKey: event.publicKey,
        reason: event.reason,
        serial: event.serial,
        targetUsername: event.targetUsername,
      },
      {
        created: atlasDate(server.clock.now()),
        database: '$external',
        eventTypeName: 'MONGODB_USER_X509_CERT_REVOKED',
        groupId,
        outcome: 'SUCCESS',
        publicKey: server.credentials.publicKey,
        reason: 'keyCompromise',
        serial: jsonSerial(issued.serial),
        targetUsername: 'bob',
      },
    );
    // Every revocation so far has its event, with its reason.
    const all = await revokedEvents(server);
    const inventory = (await server.client.get(`${managedX509(server)}/certs?status=revoked`)).json()
      .results as Entry[];
    assert.equal(all.length, inventory.length);
    for (const entry of inventory) {
      const matching = all.filter((event) => BigInt(event.serial as bigint) === BigInt(entry._id));
      assert.equal(matching.length, 1);
      assert.equal(matching[0]!.reason, entry.revocationReason);
    }
  });

  test('deleting a user revokes all its certificates (cessationOfOperation); they are in the CRL', async () => {
    const earlier = await issue(server, 'carol');
    const live = [await issue(server, 'carol'), await issue(server, 'carol', 1)];
    server.clock.advance(1000);
    const earlierRevocation = atlasDate(server.clock.now());
    assert.equal((await revoke(server, earlier.serial, { reason: 'superseded' })).status, 200);
    server.clock.advance(60_000);
    const deletedAt = atlasDate(server.clock.now());

    const deleted = await server.client.delete(`${V1}/groups/${groupId}/databaseUsers/%24external/carol`);
    assert.equal(deleted.status, 204, deleted.text);

    const inventory = (await server.client.get(`${managedX509(server)}/certs?status=all`)).json().results as Entry[];
    for (const issued of live) {
      const entry = findEntry(inventory, issued.serial);
      assert.ok(entry);
      assert.deepEqual(
        [entry.status, entry.revocationReason, entry.revokedAt],
        ['revoked', 'cessationOfOperation', deletedAt],
      );
    }
    // A certificate revoked before keeps its own reason and instant.
    const kept = findEntry(inventory, earlier.serial);
    assert.deepEqual(
      [kept?.status, kept?.revocationReason, kept?.revokedAt],
      ['revoked', 'superseded', earlierRevocation],
    );

    const crl = await inspectCrl(writeScratch(await crlDer(server), 'crl.der'), 'DER');
    for (const issued of live) {
      assert.deepEqual(crl.entries.get(issued.serial), {
        revocationDate: new Date(deletedAt),
        reason: 'Cessation Of Operation',
      });
    }
    assert.deepEqual(crl.entries.get(earlier.serial), {
      revocationDate: new Date(earlierRevocation),
      reason: 'Superseded',
    });
    const ca = await caFile(server);
    const pemFile = writeScratch(await crlPem(server), 'crl.pem');
    for (const issued of live) assertRevoked(await verifyWithCrl(issued.certFile, ca, pemFile, server.clock.now()));

    // One event per certificate, with the reason.
    const events = await revokedEvents(server);
    for (const issued of live) {
      const matching = events.filter((event) => BigInt(event.serial as bigint) === issued.serial);
      assert.deepEqual(
        matching.map((event) => [event.targetUsername, event.database, event.reason, event.created]),
        [['carol', '$external', 'cessationOfOperation', deletedAt]],
      );
    }
  });

  describe('refusals leave the store unchanged', () => {
    let target: Issued;
    before(async () => {
      target = await issue(server, 'dave');
    });

    async function assertRefusal(
      request: () => Promise<ApiResponse>,
      expected: ReturnType<typeof atlasError>,
      message: string,
    ) {
      const snapshot = await storeSnapshot(server.store);
      const response = await request();
      assertAtlasError(response, expected, message);
      assert.equal(response.headers.get('www-authenticate'), null, message);
      assert.equal(await storeSnapshot(server.store), snapshot, `${message}: the store changed`);
      return response;
    }

    test('an unknown serial and a serial of another project: the same 404 CERTIFICATE_DOES_NOT_EXIST', async () => {
      const created = await server.client.post(`${V1}/groups`, { name: 'Elsewhere', orgId: server.credentials.orgId });
      assert.equal(created.status, 200, created.text);
      const otherGroupId = created.json().id as string;
      const user = await server.client.post(`${V1}/groups/${otherGroupId}/databaseUsers`, {
        databaseName: '$external',
        username: 'dave',
        x509Type: 'MANAGED',
        roles: [{ roleName: 'read', databaseName: 'app' }],
      });
      assert.equal(user.status, 201, user.text);
      const foreign = await issue(server, 'dave', 3, otherGroupId);

      const unknownSerials = ['1', String((1n << 63n) - 1n), String(target.serial + 1n)];
      const bodies: string[] = [];
      for (const serial of [...unknownSerials, String(foreign.serial)]) {
        for (const body of [{}, { reason: 'keyCompromise' }]) {
          const response = await assertRefusal(
            () => revoke(server, serial, body),
            certificateDoesNotExist(),
            `serial ${serial}`,
          );
          bodies.push(response.text);
        }
      }
      assert.equal(new Set(bodies).size, 1, 'a foreign serial is answered exactly like an unknown one');
      // The other project's certificate is untouched, and its own project can revoke it.
      const theirs = await server.client.get(`${V1}/groups/${otherGroupId}/databaseUsers/dave/certs?status=all`);
      assert.equal(findEntry(theirs.json().results, foreign.serial)?.status, 'active');
      const own = await server.client.post(`${managedX509(server, otherGroupId)}/certs/${foreign.serial}/revoke`, {
        reason: 'keyCompromise',
      });
      assert.equal(own.status, 200, own.text);
    });

    test('malformed serials: 404 INVALID_CERTIFICATE_SERIAL', async () => {
      for (const serial of ['0', '-1', 'abc', String(1n << 63n), '18446744073709551616', '1e3', '0x1f']) {
        await assertRefusal(
          () => revoke(server, serial, {}),
          atlasError(
            404,
            'INVALID_CERTIFICATE_SERIAL',
            `An invalid certificate serial number ${serial} was specified.`,
            [serial],
          ),
          `serial ${serial}`,
        );
      }
    });

    test('revoking twice: 409 CERTIFICATE_ALREADY_REVOKED, the first revocation stands', async () => {
      const issued = await issue(server, 'dave');
      server.clock.advance(1000);
      const first = await revoke(server, issued.serial, { reason: 'affiliationChanged' });
      assert.equal(first.status, 200, first.text);
      server.clock.advance(1000);
      for (const body of [{ reason: 'affiliationChanged' }, { reason: 'keyCompromise' }, {}]) {
        await assertRefusal(
          () => revoke(server, issued.serial, body),
          atlasError(409, 'CERTIFICATE_ALREADY_REVOKED', `Certificate ${issued.serial} is already revoked.`, [
            String(issued.serial),
          ]),
          JSON.stringify(body),
        );
      }
      const entry = findEntry(
        (await server.client.get(certsPath(server, 'dave', '?status=revoked'))).json().results,
        issued.serial,
      );
      assert.deepEqual(entry, first.json());
    });

    test('holds and unknown reasons: 400 INVALID_REVOCATION_REASON', async () => {
      for (const reason of [
        'certificateHold',
        'removeFromCRL',
        'KeyCompromise',
        'keycompromise',
        'key compromise',
        '1',
        '',
        'toString',
        '__proto__',
      ]) {
        await assertRefusal(
          () => revoke(server, target.serial, { reason }),
          atlasError(
            400,
            'INVALID_REVOCATION_REASON',
            `The revocation reason ${reason} is not one of ${REASON_LIST}.`,
            [reason, REASON_LIST],
          ),
          `reason ${JSON.stringify(reason)}`,
        );
      }
    });

    test('a reason that is not a string, and unknown members: 400', async () => {
      await assertRefusal(
        () => revoke(server, target.serial, { reason: 1 }),
        atlasError(
          400,
          'INVALID_JSON_ATTRIBUTE',
          'Received JSON for the reason attribute does not match expected format.',
          ['reason'],
        ),
        'reason 1',
      );
      await assertRefusal(
        () => revoke(server, target.serial, { reason: 'keyCompromise', comment: 'lost laptop' }),
        invalidAttribute('comment'),
        'unknown member',
      );
      await assertRefusal(
        () => revoke(server, target.serial, { revocationReason: 'keyCompromise' }),
        invalidAttribute('revocationReason'),
        'unknown member alone',
      );
    });

    test('Project Database Access Admin and Read Only may not revoke (401 USER_UNAUTHORIZED); Project Owner may', async () => {
      const unauthorized = atlasError(
        401,
        'USER_UNAUTHORIZED',
        'Current user is not authorized to perform this action.',
      );
      for (const roles of [['GROUP_DATABASE_ACCESS_ADMIN'], ['GROUP_READ_ONLY']] as ProjectRole[][]) {
        const client = await keyWithProjectRoles(server, roles);
        await assertRefusal(
          () => revoke(server, target.serial, { reason: 'keyCompromise' }, client),
          unauthorized,
          roles.join(),
        );
        // It may still read the CRL (Project Read Only).
        assert.equal((await getBytes(client, `${managedX509(server)}/crl`)).status, 200);
      }
      const owner = await keyWithProjectRoles(server, ['GROUP_OWNER']);
      const response = await revoke(server, target.serial, { reason: 'privilegeWithdrawn' }, owner);
      assert.equal(response.status, 200, response.text);
      assert.equal(response.json().revocationReason, 'privilegeWithdrawn');
    });
  });
});

// --- CRLs, with openssl as the oracle ------------------------------------------------------

describe('the CRLs (openssl as the oracle)', () => {
  let server: TestServer;
  let ca: string;
  let caSubject: string;
  let caKeyId: string;
  /** Every CRL number seen, in order: they must strictly increase. */
  const numbers: bigint[] = [];

  before(async () => {
    server = await startTestServer({ clock: new TestClock('2026-05-04T10:00:00Z') });
    await createManagedUser(server, 'erin');
    // The CA and its first CRL before any certificate: reads never create the CA, a rotation does.
    const created = await server.client.post(
      `${V1}/groups/${server.credentials.groupId}/userSecurity/managedX509/ca/rotate`,
    );
    assert.equal(created.status, 200, created.text);
    ca = await caFile(server);
    caSubject = await subjectOf(ca);
    caKeyId = await subjectKeyId(ca);
  });
  after(() => server.close());

  async function currentCrl(): Promise<{ der: Buffer; file: string; info: CrlInfo }> {
    const der = await crlDer(server);
    const file = writeScratch(der, 'crl.der');
    const info = await inspectCrl(file, 'DER');
    if (numbers.at(-1) !== info.crlNumber) numbers.push(info.crlNumber);
    return { der, file, info };
  }

  function assertIncreasing() {
    for (let i = 1; i < numbers.length; i++) {
      assert.ok(numbers[i]! > numbers[i - 1]!, `CRL numbers ${numbers.join(', ')} do not strictly increase`);
    }
  }

  test('GET crl is DER (application/pkix-crl) and crl.pem the same CRL in PEM; openssl parses both and verifies them with the CA', async () => {
    const { der, file, info } = await currentCrl();
    const pem = await crlPem(server);
    const blocks = pemBlocks(pem, 'X509 CRL');
    assert.equal(blocks.length, 1);
    assert.equal(blocks.join(''), pem);
    assert.deepEqual(pemToDer(blocks[0]!), der);
    const pemFile = writeScratch(pem, 'crl.pem');
    assert.deepEqual(await inspectCrl(pemFile, 'PEM'), info);

    for (const [crlFile, inform] of [
      [file, 'DER'],
      [pemFile, 'PEM'],
    ] as const) {
      const verified = await verifyCrlSignature(crlFile, inform, ca);
      assert.equal(verified.code, 0, verified.stderr);
      assert.match(verified.stderr, /^verify OK$/m);
    }
    // The oracle can say no: another project's CA did not sign it.
    const created = await server.client.post(`${V1}/groups`, { name: 'OtherCa', orgId: server.credentials.orgId });
    assert.equal(created.status, 200, created.text);
    const otherCa = writeScratch(
      (await server.client.get(`${managedX509(server, created.json().id)}/ca`)).text,
      'other-ca.pem',
    );
    const refused = await verifyCrlSignature(file, 'DER', otherCa);
    assert.notEqual(refused.code, 0);
    assert.doesNotMatch(refused.stderr, /verify OK/);
  });

  test('version 2, issuer the CA, lastUpdate now, nextUpdate 7 days later, a CRL Number, AKI = the CA SKI, no entries yet', async () => {
    const { info } = await currentCrl();
    assert.deepEqual(
      { ...info, entries: [...info.entries] },
      {
        version: 2,
        issuer: caSubject,
        lastUpdate: new Date('2026-05-04T10:00:00Z'),
        nextUpdate: new Date('2026-05-11T10:00:00Z'),
        crlNumber: info.crlNumber,
        authorityKeyId: caKeyId,
        entries: [],
      },
    );
    assert.equal(caSubject, `CN=dbcerts Atlas-managed X.509 CA,OU=${server.credentials.groupId},O=dbcerts`);
    assert.ok(info.crlNumber >= 1n);
    // Read again with nothing changed: the very same CRL.
    assert.deepEqual((await currentCrl()).der, (await currentCrl()).der);
  });

  const revokedByReason = new Map<Reason, Issued>();
  let good: Issued;

  test('every revocation reissues the CRL at once: each serial with its reason code, the CRL number growing', async () => {
    good = await issue(server, 'erin');
    const expected = new Map<bigint, CrlEntry>();
    for (const reason of REASONS) {
      const issued = await issue(server, 'erin');
      server.clock.advance(61_000);
      const revokedAt = new Date(atlasDate(server.clock.now()));
      const response = await revoke(server, issued.serial, { reason });
      assert.equal(response.status, 200, response.text);
      revokedByReason.set(reason, issued);
      expected.set(issued.serial, { revocationDate: revokedAt, reason: OPENSSL_REASON[reason] });

      const before = numbers.at(-1)!;
      const { info } = await currentCrl();
      assert.ok(info.crlNumber > before, `${reason}: CRL number ${info.crlNumber} after ${before}`);
      assert.deepEqual(info.entries, expected, reason);
      assert.deepEqual(info.lastUpdate, revokedAt);
      assert.deepEqual(info.nextUpdate, new Date(revokedAt.getTime() + 7 * DAY));
      assert.equal(info.authorityKeyId, caKeyId);
    }
    assert.ok(!expected.has(good.serial));
    // Two revocations within one second still get two CRL numbers.
    const a = await issue(server, 'erin');
    const b = await issue(server, 'erin');
    assert.equal((await revoke(server, a.serial, {})).status, 200);
    const afterA = (await currentCrl()).info.crlNumber;
    assert.equal((await revoke(server, b.serial, {})).status, 200);
    const afterB = (await currentCrl()).info;
    assert.ok(afterB.crlNumber > afterA);
    assert.ok(afterB.entries.has(a.serial) && afterB.entries.has(b.serial));
    assertIncreasing();
  });

  test('openssl verify -crl_check with crl.pem refuses a revoked certificate ("certificate revoked") and accepts a good one', async () => {
    const pemFile = writeScratch(await crlPem(server), 'crl.pem');
    const now = server.clock.now();
    for (const issued of revokedByReason.values())
      assertRevoked(await verifyWithCrl(issued.certFile, ca, pemFile, now));
    assertVerified(await verifyWithCrl(good.certFile, ca, pemFile, now), good.certFile);
    // The DER CRL says the same.
    const derFile = writeScratch(await crlDer(server), 'crl.der');
    const pemOfDer = writeScratch(
      (await openssl('crl', '-in', derFile, '-inform', 'DER', '-outform', 'PEM')).toString(),
      'crl-from-der.pem',
    );
    assertRevoked(await verifyWithCrl(revokedByReason.get('keyCompromise')!.certFile, ca, pemOfDer, now));
    assertVerified(await verifyWithCrl(good.certFile, ca, pemOfDer, now), good.certFile);
  });

  test('half-way to nextUpdate, reading the CRL reissues it with a larger number and a new lastUpdate', async () => {
    const start = await currentCrl();
    server.clock.set(new Date(start.info.lastUpdate.getTime() + 3 * DAY));
    const early = await currentCrl();
    assert.deepEqual(early.der, start.der, 'reissued before half its validity');

    server.clock.set(new Date(start.info.lastUpdate.getTime() + 3.5 * DAY + 1000));
    const renewed = await currentCrl();
    assert.ok(renewed.info.crlNumber > start.info.crlNumber);
    assert.deepEqual(renewed.info.lastUpdate, new Date(atlasDate(server.clock.now())));
    assert.deepEqual(renewed.info.nextUpdate, new Date(renewed.info.lastUpdate.getTime() + 7 * DAY));
    assert.deepEqual(renewed.info.entries, start.info.entries);
    // crl.pem is the renewed CRL, and a second read changes nothing.
    assert.deepEqual(pemToDer(await crlPem(server)), renewed.der);
    assert.deepEqual((await currentCrl()).der, renewed.der);
    const pemFile = writeScratch(await crlPem(server), 'crl.pem');
    assertRevoked(await verifyWithCrl(revokedByReason.get('unspecified')!.certFile, ca, pemFile, server.clock.now()));
    assertVerified(await verifyWithCrl(good.certFile, ca, pemFile, server.clock.now()), good.certFile);
    assertIncreasing();
  });

  test('expired revoked certificates leave the CRL; unexpired ones stay', async () => {
    const short = await issue(server, 'erin', 1);
    const long = await issue(server, 'erin', 6);
    server.clock.advance(1000);
    assert.equal((await revoke(server, short.serial, { reason: 'keyCompromise' })).status, 200);
    assert.equal((await revoke(server, long.serial, { reason: 'keyCompromise' })).status, 200);
    const listed = await currentCrl();
    assert.ok(listed.info.entries.has(short.serial) && listed.info.entries.has(long.serial));

    server.clock.set(new Date(new Date(short.certificate.validTo).getTime() + 1000));
    const later = await currentCrl();
    assert.ok(later.info.crlNumber > listed.info.crlNumber);
    assert.ok(!later.info.entries.has(short.serial), 'an expired certificate is still listed');
    assert.ok(later.info.entries.has(long.serial));
    // Each earlier revoked certificate is listed exactly while it is unexpired.
    for (const issued of revokedByReason.values()) {
      assert.equal(later.info.entries.has(issued.serial), new Date(issued.certificate.validTo) > server.clock.now());
    }
    // The inventory still calls it revoked (revocation wins over expiry).
    const inventory = (await server.client.get(certsPath(server, 'erin', '?status=revoked'))).json().results as Entry[];
    assert.equal(findEntry(inventory, short.serial)?.status, 'revoked');
    const pemFile = writeScratch(await crlPem(server), 'crl.pem');
    assertRevoked(await verifyWithCrl(long.certFile, ca, pemFile, server.clock.now()));
    assertIncreasing();
  });
});

// --- the crl command ---------------------------------------------------------------------

describe('`dbcerts crl` prints the CRLs the API serves', () => {
  let server: TestServer;

  before(async () => {
    // The command line opens the server's store (server.cliArgs).
    server = await startTestServer();
    await createManagedUser(server, 'frank');
  });
  after(() => server.close());

  test('crl --data DIR --group ID: the PEM of crl.pem; --der: the DER of crl', async () => {
    const revoked = await issue(server, 'frank');
    const good = await issue(server, 'frank');
    assert.equal((await revoke(server, revoked.serial, { reason: 'keyCompromise' })).status, 200);
    const pem = await crlPem(server);
    const der = await crlDer(server);

    const group = server.credentials.groupId;
    const printed = await dbcertsBytes(['crl', ...server.cliArgs, '--group', group]);
    assert.equal(printed.code, 0, printed.stderr);
    assert.equal(printed.stdout.toString('utf8'), pem);
    const printedDer = await dbcertsBytes(['crl', ...server.cliArgs, '--group', group, '--der']);
    assert.equal(printedDer.code, 0, printedDer.stderr);
    assert.deepEqual(printedDer.stdout, der);

    // What it printed is a CRL openssl reads, listing the revoked serial, and nothing changed.
    const file = writeScratch(printed.stdout, 'cli-crl.pem');
    const info = await inspectCrl(file, 'PEM');
    assert.deepEqual([...info.entries.keys()], [revoked.serial]);
    assert.equal(info.entries.get(revoked.serial)?.reason, 'Key Compromise');
    const ca = await caFile(server);
    assertRevoked(await verifyWithCrl(revoked.certFile, ca, file, new Date()));
    assertVerified(await verifyWithCrl(good.certFile, ca, file, new Date()), good.certFile);
    assert.equal(await crlPem(server), pem);
  });
});
