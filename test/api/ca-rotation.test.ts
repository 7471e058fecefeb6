import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PROJECT_ROLES, type OrgRole, type ProjectRole } from '../../src/domain/roles.js';
import { assertAtlasError, atlasError } from '../helpers/atlas-assert.js';
import { TestClock } from '../helpers/clock.js';
import { authorizationHeader, DigestClient, jsonSerial } from '../helpers/digest-client.js';
import { createManagedUser, startTestServer, storeSnapshot, type TestServer, V1 } from '../helpers/server.js';
import {
  assertRevoked,
  assertUntrusted,
  assertVerified,
  inspectCrl,
  issuerOf,
  pemBlocks,
  subjectOf,
  verifyAt as verify,
  verifyCrlSignature,
} from '../helpers/openssl-verify.js';
import { scratchDirectory } from '../helpers/scratch.js';
import { dbcerts } from '../helpers/cli.js';
import { openssl } from '../helpers/openssl.js';

/**
 * Rotation of a project's Atlas-managed CA (docs/extensions.md "The managed CA"): the new
 * CA signs from the rotation on, the old one stays trusted (in the bundle, with its CRL)
 * while it has live certificates, and is retired once the last one expires. The chains and
 * CRLs are checked with the `openssl` command line as the oracle, at the test clock's
 * instant (`-attime`).
 */

const { write: writeScratch } = scratchDirectory('rotation');

const caSubject = (groupId: string, generation = 1) =>
  `CN=dbcerts Atlas-managed X.509 CA${generation > 1 ? ` G${generation}` : ''},OU=${groupId},O=dbcerts`;

// --- openssl, the oracle ----------------------------------------------------------------

// --- the API ----------------------------------------------------------------------------

interface Issued {
  serial: bigint;
  certFile: string;
  certificate: X509Certificate;
}

function managedX509(server: TestServer, groupId = server.credentials.groupId): string {
  return `${V1}/groups/${groupId}/userSecurity/managedX509`;
}

async function issue(server: TestServer, username: string, months = 3): Promise<Issued> {
  const response = await server.client.post(
    `${V1}/groups/${server.credentials.groupId}/databaseUsers/${username}/certs`,
    { monthsUntilExpiration: months },
  );
  assert.equal(response.status, 201, response.text);
  const [pem] = pemBlocks(response.text, 'CERTIFICATE');
  assert.ok(pem);
  const certificate = new X509Certificate(pem);
  return {
    serial: BigInt(`0x${certificate.serialNumber}`),
    certFile: writeScratch(pem, `${username}.pem`),
    certificate,
  };
}

function atlasDate(instant: Date): string {
  return `${new Date(Math.floor(instant.getTime() / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

async function getText(server: TestServer, path: string, contentType: string): Promise<string> {
  const response = await server.client.get(path);
  assert.equal(response.status, 200, response.text);
  assert.equal(response.headers.get('content-type'), contentType);
  return response.text;
}

const caPem = (server: TestServer, groupId?: string) =>
  getText(server, `${managedX509(server, groupId)}/ca`, 'application/x-pem-file');
const bundlePem = (server: TestServer, groupId?: string) =>
  getText(server, `${managedX509(server, groupId)}/ca/bundle`, 'application/x-pem-file');
const crlPem = (server: TestServer, groupId?: string) =>
  getText(server, `${managedX509(server, groupId)}/crl.pem`, 'application/x-pem-file');

/** GET with Digest, the body as bytes (DER). */
async function getDer(server: TestServer, path: string): Promise<Buffer> {
  const client = server.client;
  const challenge = await client.challenge(path);
  const authorization = authorizationHeader({
    username: client.publicKey,
    password: client.privateKey,
    method: 'GET',
    uri: path,
    challenge,
  });
  const response = await fetch(client.baseUrl + path, { headers: { authorization } });
  const body = Buffer.from(await response.arrayBuffer());
  assert.equal(response.status, 200, body.toString('utf8'));
  assert.equal(response.headers.get('content-type'), 'application/pkix-crl');
  return body;
}

interface CaView {
  createdAt: string;
  id: string;
  keyAlgorithm: string;
  links: Array<{ href: string; rel: string }>;
  notAfter: string;
  notBefore: string;
  retiredAt?: string;
  serial: number | bigint;
  status: string;
  subject: string;
}

async function listCas(server: TestServer, groupId = server.credentials.groupId): Promise<CaView[]> {
  const response = await server.client.get(`${managedX509(server, groupId)}/cas`);
  assert.equal(response.status, 200, response.text);
  const body = response.json();
  assert.equal(body.totalCount, body.results.length);
  return body.results;
}

/** The view of a CA whose certificate is `pem`, as GET cas and POST ca/rotate show it. */
function caView(
  server: TestServer,
  pem: string,
  id: string,
  status: string,
  retiredAt?: Date,
  groupId = server.credentials.groupId,
): CaView {
  const certificate = new X509Certificate(pem);
  const notBefore = new Date(certificate.validFrom);
  return {
    createdAt: atlasDate(notBefore),
    id,
    keyAlgorithm: 'ec-p256',
    links: [{ href: `${server.origin}${managedX509(server, groupId)}/cas/${id}`, rel: 'self' }],
    notAfter: atlasDate(new Date(certificate.validTo)),
    notBefore: atlasDate(notBefore),
    ...(retiredAt ? { retiredAt: atlasDate(retiredAt) } : {}),
    serial: jsonSerial(BigInt(`0x${certificate.serialNumber}`)),
    status,
    subject: certificate.subject.split('\n').reverse().join(','),
  };
}

async function clientWith(server: TestServer, orgRoles: OrgRole[], projectRoles: ProjectRole[]): Promise<DigestClient> {
  const { key, privateKey } = await server.authority.apiKeys.mint(
    server.credentials.orgId,
    `rotation ${orgRoles} ${projectRoles}`,
    orgRoles,
  );
  if (projectRoles.length > 0)
    await server.store.apiKeys.setProjectRoles(key.id, server.credentials.groupId, projectRoles);
  return new DigestClient(server.origin, key.publicKey, privateKey);
}

// --- rotation -------------------------------------------------------------------------------

describe('rotating the managed CA', () => {
  const START = new Date('2026-06-01T08:00:00Z');
  const ROTATION = new Date('2026-06-02T08:00:00Z');
  let server: TestServer;
  let groupId: string;
  let oldCaPem: string;
  let oldCaFile: string;
  let oldCaId: string;
  let newCaPem: string;
  let newCaFile: string;
  let newCaId: string;
  let oldKept: Issued;
  let oldRevoked: Issued;
  let oldShort: Issued;
  let fresh: Issued;

  before(async () => {
    server = await startTestServer({ clock: new TestClock(START) });
    groupId = server.credentials.groupId;
    await createManagedUser(server, 'olduser');
    await createManagedUser(server, 'newuser');
    oldKept = await issue(server, 'olduser');
    oldRevoked = await issue(server, 'olduser');
    oldShort = await issue(server, 'olduser', 1);
    oldCaPem = await caPem(server);
    oldCaFile = writeScratch(oldCaPem, 'ca-g1.pem');
  });
  after(() => server.close());

  test('before: one ACTIVE CA, CN=dbcerts Atlas-managed X.509 CA,OU=<groupId>,O=dbcerts', async () => {
    const cas = await listCas(server);
    assert.equal(cas.length, 1);
    oldCaId = cas[0]!.id;
    assert.match(oldCaId, /^[0-9a-f]{24}$/);
    assert.deepEqual(cas, [caView(server, oldCaPem, oldCaId, 'ACTIVE')]);
    assert.equal(cas[0]!.subject, caSubject(groupId));
    assert.equal(await subjectOf(oldCaFile), caSubject(groupId));
    assert.deepEqual([cas[0]!.createdAt, cas[0]!.notAfter], ['2026-06-01T08:00:00Z', '2036-06-01T08:00:00Z']);
    assert.equal(await bundlePem(server), oldCaPem);
  });

  test('only a Project Owner may rotate: every other role gets 401 USER_UNAUTHORIZED and nothing changes', async () => {
    const unauthorized = atlasError(401, 'USER_UNAUTHORIZED', 'Current user is not authorized to perform this action.');
    // Every caller's key is made before the first snapshot, one after the other: a key still
    // being made while a refused request runs would change the store under the check.
    const callers: Array<[string, DigestClient]> = [];
    for (const role of PROJECT_ROLES.filter((candidate) => candidate !== 'GROUP_OWNER')) {
      callers.push([role, await clientWith(server, ['ORG_MEMBER'], [role])]);
    }
    callers.push(['ORG_READ_ONLY', await clientWith(server, ['ORG_READ_ONLY'], [])]);
    for (const [name, client] of callers) {
      const snapshot = await storeSnapshot(server.store);
      const response = await client.post(`${managedX509(server)}/ca/rotate`);
      assertAtlasError(response, unauthorized, name);
      assert.equal(response.headers.get('www-authenticate'), null);
      assert.equal(await storeSnapshot(server.store), snapshot, `${name}: the store changed`);
    }
    assert.equal(await caPem(server), oldCaPem);
  });

  test('POST ca/rotate (Project Owner): 200 with the new ACTIVE CA, CN=… CA G2; GET ca returns it', async () => {
    server.clock.set(ROTATION);
    const owner = await clientWith(server, ['ORG_MEMBER'], ['GROUP_OWNER']);
    const response = await owner.post(`${managedX509(server)}/ca/rotate`);
    assert.equal(response.status, 200, response.text);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const body = response.json() as CaView;
    newCaId = body.id;
    assert.match(newCaId, /^[0-9a-f]{24}$/);
    assert.notEqual(newCaId, oldCaId);

    newCaPem = await caPem(server);
    assert.notEqual(newCaPem, oldCaPem);
    newCaFile = writeScratch(newCaPem, 'ca-g2.pem');
    const expected = caView(server, newCaPem, newCaId, 'ACTIVE');
    assert.deepEqual(body, expected);
    assert.deepEqual(Object.keys(body), Object.keys(expected).sort());
    assert.equal(body.subject, caSubject(groupId, 2));
    assert.deepEqual(
      [body.createdAt, body.notBefore, body.notAfter],
      ['2026-06-02T08:00:00Z', '2026-06-02T08:00:00Z', '2036-06-02T08:00:00Z'],
    );
    // The certificate itself, read by openssl: a self-signed CA named G2.
    assert.equal(await subjectOf(newCaFile), caSubject(groupId, 2));
    assert.equal(await issuerOf(newCaFile), caSubject(groupId, 2));
    const text = await openssl('x509', '-in', newCaFile, '-noout', '-text');
    assert.match(text, /X509v3 Basic Constraints: critical\n\s+CA:TRUE, pathlen:0/);
    assert.match(text, /X509v3 Key Usage: critical\n\s+Certificate Sign, CRL Sign/);

    // The audit trail names the rotation, its actor and the new CA's serial.
    const events = await server.client.get(`${V1}/groups/${groupId}/events?eventType=DBCERTS_CA_ROTATED`);
    assert.equal(events.status, 200, events.text);
    const results = events.json().results;
    assert.equal(results.length, 1);
    assert.deepEqual(
      {
        created: results[0].created,
        eventTypeName: results[0].eventTypeName,
        groupId: results[0].groupId,
        outcome: results[0].outcome,
        publicKey: results[0].publicKey,
        serial: results[0].serial,
      },
      {
        created: '2026-06-02T08:00:00Z',
        eventTypeName: 'DBCERTS_CA_ROTATED',
        groupId,
        outcome: 'SUCCESS',
        publicKey: owner.publicKey,
        serial: body.serial,
      },
    );
  });

  test('GET cas lists both: the new one ACTIVE, the old one RETIRED_TRUSTED since the rotation', async () => {
    assert.deepEqual(await listCas(server), [
      caView(server, newCaPem, newCaId, 'ACTIVE'),
      caView(server, oldCaPem, oldCaId, 'RETIRED_TRUSTED', ROTATION),
    ]);
  });

  test('new certificates are signed by the new CA; old ones still verify against the bundle, which holds both', async () => {
    server.clock.advance(60_000);
    fresh = await issue(server, 'newuser');
    const now = server.clock.now();
    assert.equal(await issuerOf(fresh.certFile), caSubject(groupId, 2));
    assertVerified(await verify(fresh.certFile, newCaFile, now), fresh.certFile, 'new cert, new CA');
    assertUntrusted(await verify(fresh.certFile, oldCaFile, now), 'new cert, old CA');

    const bundle = await bundlePem(server);
    assert.deepEqual(pemBlocks(bundle, 'CERTIFICATE').sort(), [oldCaPem, newCaPem].sort());
    assert.equal(pemBlocks(bundle, 'CERTIFICATE').join(''), bundle);
    const bundleFile = writeScratch(bundle, 'bundle.pem');
    for (const issued of [oldKept, oldRevoked, oldShort]) {
      assert.equal(await issuerOf(issued.certFile), caSubject(groupId));
      assertVerified(await verify(issued.certFile, bundleFile, now), issued.certFile, 'old cert, bundle');
      assertUntrusted(await verify(issued.certFile, newCaFile, now), 'old cert, new CA alone');
    }
    assertVerified(await verify(fresh.certFile, bundleFile, now), fresh.certFile, 'new cert, bundle');
  });

  test('crl.pem holds one CRL per trusted CA; revoking an old-CA certificate updates the old CA’s CRL', async () => {
    const pem = await crlPem(server);
    const blocks = pemBlocks(pem, 'X509 CRL');
    assert.equal(blocks.length, 2);
    assert.equal(blocks.join(''), pem);
    const crlFiles = blocks.map((block) => writeScratch(block, 'crl-block.pem'));
    const infos = await Promise.all(crlFiles.map((file) => inspectCrl(file, 'PEM')));
    assert.deepEqual(infos.map((info) => info.issuer).sort(), [caSubject(groupId, 2), caSubject(groupId)].sort());
    for (const [index, info] of infos.entries()) {
      const [own, other] = info.issuer === caSubject(groupId) ? [oldCaFile, newCaFile] : [newCaFile, oldCaFile];
      const verified = await verifyCrlSignature(crlFiles[index]!, 'PEM', own);
      assert.equal(verified.code, 0, verified.stderr);
      assert.match(verified.stderr, /^verify OK$/m);
      assert.notEqual((await verifyCrlSignature(crlFiles[index]!, 'PEM', other)).code, 0);
      assert.deepEqual([...info.entries.keys()], []);
    }

    const oldCrlPath = `${managedX509(server)}/cas/${oldCaId}/crl`;
    const newCrlPath = `${managedX509(server)}/cas/${newCaId}/crl`;
    const oldBefore = await inspectCrl(writeScratch(await getDer(server, oldCrlPath), 'old.der'), 'DER');
    const activeBefore = await getDer(server, `${managedX509(server)}/crl`);
    assert.deepEqual(await getDer(server, newCrlPath), activeBefore, 'GET crl is the active CA’s');
    assert.equal(oldBefore.issuer, caSubject(groupId));

    server.clock.advance(60_000);
    const revoked = await server.client.post(`${managedX509(server)}/certs/${oldRevoked.serial}/revoke`, {
      reason: 'keyCompromise',
    });
    assert.equal(revoked.status, 200, revoked.text);

    const oldAfter = await inspectCrl(writeScratch(await getDer(server, oldCrlPath), 'old.der'), 'DER');
    assert.equal(oldAfter.issuer, caSubject(groupId));
    assert.deepEqual([...oldAfter.entries.keys()], [oldRevoked.serial]);
    assert.ok(oldAfter.crlNumber > oldBefore.crlNumber);
    // The active CA's CRL did not list it, and was not reissued.
    const activeAfter = await getDer(server, `${managedX509(server)}/crl`);
    assert.deepEqual(activeAfter, activeBefore);
    assert.deepEqual([...(await inspectCrl(writeScratch(activeAfter, 'new.der'), 'DER')).entries.keys()], []);
    // crl.pem has the old CA's new CRL.
    const updated = pemBlocks(await crlPem(server), 'X509 CRL');
    const updatedInfos = await Promise.all(
      updated.map((block) => inspectCrl(writeScratch(block, 'crl-block.pem'), 'PEM')),
    );
    const oldInPem = updatedInfos.find((info) => info.issuer === caSubject(groupId));
    assert.deepEqual(oldInPem, oldAfter);
  });

  test('a CA id of another project, or none, is 404 RESOURCE_NOT_FOUND', async () => {
    const created = await server.client.post(`${V1}/groups`, { name: 'Neighbour', orgId: server.credentials.orgId });
    assert.equal(created.status, 200, created.text);
    const otherGroupId = created.json().id as string;
    // Its first CA, made by a rotation (reads never create one).
    assert.equal((await server.client.post(`${managedX509(server, otherGroupId)}/ca/rotate`)).status, 200);
    const [otherCa] = await listCas(server, otherGroupId);
    assert.ok(otherCa);
    for (const caId of [otherCa.id, '0123456789abcdef01234567', 'not-a-ca']) {
      const response = await server.client.get(`${managedX509(server)}/cas/${caId}/crl`);
      assert.equal(response.status, 404, `${caId}: ${response.text}`);
      assert.equal(response.json().errorCode, 'RESOURCE_NOT_FOUND');
    }
  });

  test('openssl verify -crl_check / -crl_check_all with the bundle and crl.pem: the revoked old certificate is refused, good ones pass', async () => {
    const bundleFile = writeScratch(await bundlePem(server), 'bundle.pem');
    const crlFile = writeScratch(await crlPem(server), 'crl.pem');
    const now = server.clock.now();
    for (const flag of ['-crl_check', '-crl_check_all']) {
      const crl = { file: crlFile, flag };
      assertRevoked(await verify(oldRevoked.certFile, bundleFile, now, crl), flag);
      assertVerified(await verify(fresh.certFile, bundleFile, now, crl), fresh.certFile, `${flag}: new cert`);
      assertVerified(await verify(oldKept.certFile, bundleFile, now, crl), oldKept.certFile, `${flag}: old cert`);
    }
  });

  test('the old CA stays trusted until its last certificate expires, then is RETIRED and leaves the bundle and crl.pem', async () => {
    const lastOldExpiry = new Date(
      Math.max(...[oldKept, oldRevoked, oldShort].map((issued) => new Date(issued.certificate.validTo).getTime())),
    );
    // After the short one expired, the others still hold the old CA.
    server.clock.set(new Date(new Date(oldShort.certificate.validTo).getTime() + 1000));
    assert.equal((await listCas(server))[1]!.status, 'RETIRED_TRUSTED');

    server.clock.set(new Date(lastOldExpiry.getTime() - 1000));
    assert.deepEqual(await listCas(server), [
      caView(server, newCaPem, newCaId, 'ACTIVE'),
      caView(server, oldCaPem, oldCaId, 'RETIRED_TRUSTED', ROTATION),
    ]);
    assert.equal(pemBlocks(await bundlePem(server), 'CERTIFICATE').length, 2);
    assert.equal(pemBlocks(await crlPem(server), 'X509 CRL').length, 2);

    server.clock.set(lastOldExpiry);
    assert.deepEqual(await listCas(server), [
      caView(server, newCaPem, newCaId, 'ACTIVE'),
      caView(server, oldCaPem, oldCaId, 'RETIRED', ROTATION),
    ]);
    const bundle = await bundlePem(server);
    assert.equal(bundle, newCaPem);
    assert.equal(await caPem(server), newCaPem);
    const crl = await crlPem(server);
    const blocks = pemBlocks(crl, 'X509 CRL');
    assert.equal(blocks.length, 1);
    assert.equal((await inspectCrl(writeScratch(crl, 'crl.pem'), 'PEM')).issuer, caSubject(groupId, 2));
    // The new CA's certificates need nothing else.
    const now = server.clock.now();
    assertVerified(
      await verify(fresh.certFile, writeScratch(bundle, 'bundle.pem'), now, {
        file: writeScratch(crl, 'crl.pem'),
        flag: '-crl_check_all',
      }),
      fresh.certFile,
    );
  });

  test('a second rotation makes G3; the G2 CA, with live certificates, stays trusted', async () => {
    server.clock.advance(3_600_000);
    const response = await server.client.post(`${managedX509(server)}/ca/rotate`);
    assert.equal(response.status, 200, response.text);
    const third = response.json() as CaView;
    assert.equal(third.subject, caSubject(groupId, 3));
    const thirdPem = await caPem(server);
    assert.deepEqual(third, caView(server, thirdPem, third.id, 'ACTIVE'));
    assert.deepEqual(await listCas(server), [
      third,
      caView(server, newCaPem, newCaId, 'RETIRED_TRUSTED', server.clock.now()),
      caView(server, oldCaPem, oldCaId, 'RETIRED', ROTATION),
    ]);
    assert.deepEqual(pemBlocks(await bundlePem(server), 'CERTIFICATE').sort(), [thirdPem, newCaPem].sort());
    assert.equal(pemBlocks(await crlPem(server), 'X509 CRL').length, 2);
  });

  test('a CA that never signed a certificate is RETIRED at once when rotated', async () => {
    const created = await server.client.post(`${V1}/groups`, { name: 'Unused', orgId: server.credentials.orgId });
    assert.equal(created.status, 200, created.text);
    const otherGroupId = created.json().id as string;
    const made = await server.client.post(`${managedX509(server, otherGroupId)}/ca/rotate`);
    assert.equal(made.status, 200, made.text);
    assert.equal(made.json().subject, caSubject(otherGroupId, 1), 'the first rotation makes the first CA');
    const firstPem = await caPem(server, otherGroupId);
    const [first] = await listCas(server, otherGroupId);
    assert.deepEqual(made.json(), caView(server, firstPem, first!.id, 'ACTIVE', undefined, otherGroupId));
    const rotated = await server.client.post(`${managedX509(server, otherGroupId)}/ca/rotate`);
    assert.equal(rotated.status, 200, rotated.text);
    const second = rotated.json() as CaView;
    assert.equal(second.subject, caSubject(otherGroupId, 2));
    assert.deepEqual(await listCas(server, otherGroupId), [
      second,
      caView(server, firstPem, first!.id, 'RETIRED', server.clock.now(), otherGroupId),
    ]);
    assert.equal(await bundlePem(server, otherGroupId), await caPem(server, otherGroupId));
    assert.equal(pemBlocks(await crlPem(server, otherGroupId), 'X509 CRL').length, 1);
  });
});

// --- a project without a CA -----------------------------------------------------------------

describe('reading a project that has no CA yet creates none', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  test('GET cas is an empty list; ca, ca/bundle, crl and crl.pem are 404 MANAGED_X509_CA_NOT_FOUND; nothing is written', async () => {
    const { groupId } = server.credentials;
    const reader = await clientWith(server, ['ORG_MEMBER'], ['GROUP_READ_ONLY']);
    const before = await storeSnapshot(server.store);
    for (const client of [reader, server.client]) {
      const cas = await client.get(`${managedX509(server)}/cas`);
      assert.equal(cas.status, 200, cas.text);
      assert.deepEqual(cas.json().results, []);
      assert.equal(cas.json().totalCount, 0);
      for (const path of ['ca', 'ca/bundle', 'crl', 'crl.pem']) {
        assertAtlasError(
          await client.get(`${managedX509(server)}/${path}`),
          atlasError(
            404,
            'MANAGED_X509_CA_NOT_FOUND',
            `Project ${groupId} has no Atlas-managed X.509 CA yet: it is created when its first certificate is issued.`,
            [groupId],
          ),
        );
      }
    }
    assert.equal(await storeSnapshot(server.store), before, 'the reads changed nothing in the store');
    const created = await server.client.get(`${V1}/groups/${groupId}/events?eventType=DBCERTS_CA_CREATED`);
    assert.equal(created.json().totalCount, 0);
  });

  test('issuing the first certificate creates the CA (DBCERTS_CA_CREATED), and the reads answer it', async () => {
    await createManagedUser(server, 'first');
    await issue(server, 'first');
    const cas = await listCas(server);
    assert.equal(cas.length, 1);
    assert.equal(cas[0]!.status, 'ACTIVE');
    assert.equal(new X509Certificate(await caPem(server)).subject.includes('dbcerts Atlas-managed X.509 CA'), true);
    const events = await server.client.get(
      `${V1}/groups/${server.credentials.groupId}/events?eventType=DBCERTS_CA_CREATED`,
    );
    assert.equal(events.json().totalCount, 1);
  });
});

// --- the ca-cert command -------------------------------------------------------------------

describe('`dbcerts ca-cert --bundle` during a rotation', () => {
  let server: TestServer;

  before(async () => {
    // The command line opens the server's store (server.cliArgs). The clock is the real
    // time's (the CLI's own) and stays put.
    server = await startTestServer();
    await createManagedUser(server, 'cliuser');
  });
  after(() => server.close());

  test('ca-cert --bundle prints GET ca/bundle (both CAs), ca-cert GET ca, crl GET crl.pem (both CRLs)', async () => {
    const old = await issue(server, 'cliuser');
    const rotated = await server.client.post(`${managedX509(server)}/ca/rotate`);
    assert.equal(rotated.status, 200, rotated.text);
    const bundle = await bundlePem(server);
    assert.equal(pemBlocks(bundle, 'CERTIFICATE').length, 2);
    const ca = await caPem(server);
    const crls = await crlPem(server);
    assert.equal(pemBlocks(crls, 'X509 CRL').length, 2);

    const group = server.credentials.groupId;
    const cli = (...args: string[]) => dbcerts([...args, ...server.cliArgs, '--group', group]);
    const printedBundle = await cli('ca-cert', '--bundle');
    assert.equal(printedBundle.code, 0, printedBundle.stderr);
    assert.equal(printedBundle.stdout, bundle);
    const printedCa = await cli('ca-cert');
    assert.equal(printedCa.code, 0, printedCa.stderr);
    assert.equal(printedCa.stdout, ca);
    const printedCrls = await cli('crl');
    assert.equal(printedCrls.code, 0, printedCrls.stderr);
    assert.equal(printedCrls.stdout, crls);

    // The printed bundle is what a relying party needs: the old certificate verifies with it.
    const bundleFile = writeScratch(printedBundle.stdout, 'cli-bundle.pem');
    assertVerified(await verify(old.certFile, bundleFile, new Date()), old.certFile);
    assertUntrusted(await verify(old.certFile, writeScratch(printedCa.stdout, 'cli-ca.pem'), new Date()));
  });
});
