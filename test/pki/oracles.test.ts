import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { KeyAlgorithm } from '../../src/pki/key-algorithms.js';
import { storedCells, tableNames, TEST_BACKEND } from '../helpers/backend.js';
import { extensionsOf, openssl } from '../helpers/openssl.js';
import { clientCertificateHandshake } from '../helpers/tls-handshake.js';
import { certsPath, createManagedUser, startTestServer, type TestServer, V1 } from '../helpers/server.js';
import { filesBelow, scratchDirectory } from '../helpers/scratch.js';

/**
 * Independent oracles on certificates issued through the API: the OpenSSL command line,
 * Node's TLS stack (OpenSSL's verifier, as mongod uses it) and node:crypto. None of them
 * shares code with dbcerts' own X.509 writer.
 */

const { write: writeScratch } = scratchDirectory('oracles');

/** `openssl verify` with the client purpose; resolves to its stdout, or to its failure text. */
async function opensslVerify(caPath: string, certPath: string): Promise<string> {
  try {
    return await openssl('verify', '-CAfile', caPath, '-purpose', 'sslclient', certPath);
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string };
    return `FAILED: ${failure.stdout ?? ''}${failure.stderr ?? ''}`;
  }
}

const PEM_BLOCK = (label: string) =>
  `-----BEGIN ${label}-----\\n(?:[A-Za-z0-9+/=]{64}\\n)*[A-Za-z0-9+/=]{1,64}\\n-----END ${label}-----\\n`;
const ISSUED_PEM = new RegExp(`^(${PEM_BLOCK('CERTIFICATE')})(${PEM_BLOCK('PRIVATE KEY')})$`);
const CA_PEM = new RegExp(`^${PEM_BLOCK('CERTIFICATE')}$`);

interface Issued {
  pem: string;
  certPem: string;
  keyPem: string;
  certPath: string;
  /** The PEM as Atlas returns it (cert + key), in one file. */
  pemPath: string;
}

function splitIssued(pem: string): { certPem: string; keyPem: string } {
  const match = ISSUED_PEM.exec(pem);
  assert.ok(match, `not exactly one CERTIFICATE then one PRIVATE KEY block with LF line ends:\n${pem}`);
  return { certPem: match[1]!, keyPem: match[2]! };
}

async function issue(server: TestServer, username: string, groupId = server.credentials.groupId): Promise<Issued> {
  const path = `${V1}/groups/${groupId}/databaseUsers/${encodeURIComponent(username)}/certs`;
  const response = await server.client.post(path, { monthsUntilExpiration: 3 });
  assert.equal(response.status, 201, response.text);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const { certPem, keyPem } = splitIssued(response.text);
  return {
    pem: response.text,
    certPem,
    keyPem,
    certPath: writeScratch(certPem, 'cert.pem'),
    pemPath: writeScratch(response.text, 'user.pem'),
  };
}

async function caPem(server: TestServer, groupId = server.credentials.groupId): Promise<string> {
  const response = await server.client.get(`${V1}/groups/${groupId}/userSecurity/managedX509/ca`);
  assert.equal(response.status, 200, response.text);
  assert.match(response.headers.get('content-type') ?? '', /^application\/x-pem-file/);
  assert.match(response.text, CA_PEM);
  return response.text;
}

function spkiDer(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

/** The private key in the PEM matches the certificate's public key. */
function assertKeyMatchesCertificate(issued: Issued): void {
  const privateKey = createPrivateKey(issued.keyPem);
  const certificate = new X509Certificate(issued.certPem);
  assert.deepEqual(spkiDer(createPublicKey(privateKey)), spkiDer(certificate.publicKey));
  assert.ok(certificate.checkPrivateKey(privateKey));
}

async function opensslText(certPath: string): Promise<string> {
  return openssl('x509', '-in', certPath, '-noout', '-text');
}

async function rfc2253Subject(certPath: string): Promise<string> {
  const out = await openssl('x509', '-in', certPath, '-noout', '-subject', '-nameopt', 'RFC2253');
  assert.ok(out.startsWith('subject='), out);
  assert.ok(out.endsWith('\n'));
  return out.slice('subject='.length, -1);
}

async function rfc2253Issuer(certPath: string): Promise<string> {
  const out = await openssl('x509', '-in', certPath, '-noout', '-issuer', '-nameopt', 'RFC2253');
  assert.ok(out.startsWith('issuer='), out);
  return out.slice('issuer='.length, -1);
}

function signatureAlgorithm(text: string): string {
  const match = /Signature Algorithm: (\S+)/.exec(text);
  assert.ok(match, text);
  return match[1]!;
}

// ---------------------------------------------------------------------------------------------
// Key algorithm combinations: openssl verify, PEM shape, key/cert match.

interface Combination {
  keyAlgorithm: KeyAlgorithm;
  caKeyAlgorithm: KeyAlgorithm;
  /** node:crypto's view of the user key. */
  userKey: { type: 'rsa'; modulusLength: number } | { type: 'ec'; namedCurve: string };
  caKey: { type: 'rsa'; modulusLength: number } | { type: 'ec'; namedCurve: string };
  signature: string;
}

function assertKeyShape(key: KeyObject, expected: Combination['userKey']): void {
  assert.equal(key.asymmetricKeyType, expected.type);
  if (expected.type === 'rsa') {
    assert.equal(key.asymmetricKeyDetails?.modulusLength, expected.modulusLength);
    assert.equal(key.asymmetricKeyDetails?.publicExponent, 65537n);
  } else {
    assert.equal(key.asymmetricKeyDetails?.namedCurve, expected.namedCurve);
  }
}

const COMBINATIONS: Combination[] = [
  {
    keyAlgorithm: 'rsa-4096',
    caKeyAlgorithm: 'rsa-4096',
    userKey: { type: 'rsa', modulusLength: 4096 },
    caKey: { type: 'rsa', modulusLength: 4096 },
    signature: 'sha256WithRSAEncryption',
  },
  {
    keyAlgorithm: 'ec-p256',
    caKeyAlgorithm: 'ec-p256',
    userKey: { type: 'ec', namedCurve: 'prime256v1' },
    caKey: { type: 'ec', namedCurve: 'prime256v1' },
    signature: 'ecdsa-with-SHA256',
  },
  {
    keyAlgorithm: 'rsa-2048',
    caKeyAlgorithm: 'ec-p384',
    userKey: { type: 'rsa', modulusLength: 2048 },
    caKey: { type: 'ec', namedCurve: 'secp384r1' },
    signature: 'ecdsa-with-SHA384',
  },
  {
    keyAlgorithm: 'ec-p256',
    caKeyAlgorithm: 'rsa-2048',
    userKey: { type: 'ec', namedCurve: 'prime256v1' },
    caKey: { type: 'rsa', modulusLength: 2048 },
    signature: 'sha256WithRSAEncryption',
  },
  {
    keyAlgorithm: 'ec-p521',
    caKeyAlgorithm: 'ec-p521',
    userKey: { type: 'ec', namedCurve: 'secp521r1' },
    caKey: { type: 'ec', namedCurve: 'secp521r1' },
    signature: 'ecdsa-with-SHA512',
  },
  {
    keyAlgorithm: 'ec-p521',
    caKeyAlgorithm: 'rsa-2048',
    userKey: { type: 'ec', namedCurve: 'secp521r1' },
    caKey: { type: 'rsa', modulusLength: 2048 },
    signature: 'sha256WithRSAEncryption',
  },
];

for (const combination of COMBINATIONS) {
  describe(`${combination.keyAlgorithm} user key under an ${combination.caKeyAlgorithm} CA`, () => {
    let server: TestServer;
    let issued: Issued;
    let caPath: string;
    let ca: string;

    before(async () => {
      server = await startTestServer({
        keyAlgorithm: combination.keyAlgorithm,
        caKeyAlgorithm: combination.caKeyAlgorithm,
      });
      await createManagedUser(server, 'alice');
      issued = await issue(server, 'alice');
      ca = await caPem(server);
      caPath = writeScratch(ca, 'ca.pem');
    });
    after(() => server?.close());

    test('openssl verify -purpose sslclient accepts the certificate against the project CA', async () => {
      assert.equal(await opensslVerify(caPath, issued.certPath), `${issued.certPath}: OK\n`);
      // The whole response as one file (what drivers load as tlsCertificateKeyFile) verifies too.
      assert.equal(await opensslVerify(caPath, issued.pemPath), `${issued.pemPath}: OK\n`);
    });

    test('the PEM is one CERTIFICATE then one PKCS#8 PRIVATE KEY, LF only, and the key matches', () => {
      assert.ok(!issued.pem.includes('\r'));
      assert.ok(!issued.pem.includes('RSA PRIVATE KEY'));
      assert.ok(!issued.pem.includes('EC PRIVATE KEY'));
      assert.equal(issued.pem.match(/-----BEGIN /g)?.length, 2);
      assert.ok(issued.pem.endsWith('-----END PRIVATE KEY-----\n'));
      // PKCS#8 (the DER parses as such, with no other hint).
      const der = Buffer.from(issued.keyPem.replace(/-----[^-]+-----|\n/g, ''), 'base64');
      const pkcs8 = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      assertKeyShape(pkcs8, combination.userKey);
      assertKeyMatchesCertificate(issued);
    });

    test('user key, CA key and signature algorithm are the configured ones', async () => {
      const certificate = new X509Certificate(issued.certPem);
      assertKeyShape(certificate.publicKey, combination.userKey);
      assertKeyShape(new X509Certificate(ca).publicKey, combination.caKey);
      const text = await opensslText(issued.certPath);
      assert.equal(signatureAlgorithm(text), combination.signature);
      if (combination.userKey.type === 'rsa') {
        assert.match(text, new RegExp(`Public-Key: \\(${combination.userKey.modulusLength} bit\\)`));
      }
      assert.ok(certificate.verify(new X509Certificate(ca).publicKey));
    });

    test('the CRL is signed with the CA key and openssl verifies it', async () => {
      const response = await server.client.get(
        `${V1}/groups/${server.credentials.groupId}/userSecurity/managedX509/crl.pem`,
      );
      assert.equal(response.status, 200, response.text);
      const crlPath = writeScratch(response.text, 'crl.pem');
      const { stdout, stderr } = await promisify(execFile)(
        'openssl',
        ['crl', '-in', crlPath, '-noout', '-text', '-verify', '-CAfile', caPath],
        { encoding: 'utf8' },
      );
      assert.match(stderr, /^verify OK$/m);
      assert.equal(signatureAlgorithm(stdout), combination.signature);
      // With the CRL checked too, the certificate still verifies (it is not revoked).
      const chain = writeScratch(`${ca}${response.text}`, 'ca-crl.pem');
      assert.equal(
        await openssl('verify', '-crl_check', '-CAfile', chain, '-purpose', 'sslclient', issued.certPath),
        `${issued.certPath}: OK\n`,
      );
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Subjects, serials, dates, extensions, the CA, TLS, and the key never being stored.

describe('certificate contents (ec-p256 under ec-p256)', () => {
  let server: TestServer;
  let ca: string;
  let caPath: string;

  before(async () => {
    server = await startTestServer();
    // The CA before any certificate, as an operator sets up mongod first: reads never create it, a rotation does.
    const created = await server.client.post(
      `${V1}/groups/${server.credentials.groupId}/userSecurity/managedX509/ca/rotate`,
    );
    assert.equal(created.status, 200, created.text);
    ca = await caPem(server);
    caPath = writeScratch(ca, 'ca.pem');
  });
  after(() => server?.close());

  /** Username -> the subject mongod (and OpenSSL's RFC 2253 printer) uses, written by hand. */
  const AWKWARD: Array<[string, string]> = [
    ['alice', 'CN=alice'],
    ['a.b-c_d', 'CN=a.b-c_d'],
    ['with space', 'CN=with space'],
    [' leading', 'CN=\\ leading'],
    ['trailing ', 'CN=trailing\\ '],
    ['#hash', 'CN=\\#hash'],
    ['a,b', 'CN=a\\,b'],
    ['a+b', 'CN=a\\+b'],
    ['a"b', 'CN=a\\"b'],
    ['a\\b', 'CN=a\\\\b'],
    ['a<b>c', 'CN=a\\<b\\>c'],
    ['a;b', 'CN=a\\;b'],
    ['é', 'CN=\\C3\\A9'],
    ['日本', 'CN=\\E6\\97\\A5\\E6\\9C\\AC'],
    ['🔐', 'CN=\\F0\\9F\\94\\90'],
    ['CN=alice', 'CN=alice'],
  ];

  for (const [username, expectedSubject] of AWKWARD) {
    test(`openssl prints the listed subject for username ${JSON.stringify(username)}`, async () => {
      await createManagedUser(server, username);
      const issued = await issue(server, username);
      const list = await server.client.get(certsPath(server, username));
      assert.equal(list.status, 200, list.text);
      const results = list.json().results as Array<{ _id: bigint | number; subject: string }>;
      assert.equal(results.length, 1);
      const printed = await rfc2253Subject(issued.certPath);
      assert.equal(printed, results[0]!.subject);
      assert.equal(results[0]!.subject, expectedSubject);
      assert.equal(await opensslVerify(caPath, issued.certPath), `${issued.certPath}: OK\n`);
    });
  }

  test('the serial openssl prints is the _id; notBefore/notAfter are createdAt/notAfter', async () => {
    await createManagedUser(server, 'dates');
    server.clock.set(new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000 + 789));
    const issued = await issue(server, 'dates');
    const list = await server.client.get(certsPath(server, 'dates'));
    const [entry] = list.json().results as Array<{ _id: bigint | number; createdAt: string; notAfter: string }>;
    assert.ok(entry);
    const serialLine = await openssl('x509', '-in', issued.certPath, '-noout', '-serial');
    const serialHex = /^serial=([0-9A-F]+)\n$/.exec(serialLine)?.[1];
    assert.ok(serialHex, serialLine);
    assert.equal(BigInt(`0x${serialHex}`), BigInt(entry._id));
    assert.ok(BigInt(entry._id) > 0n && BigInt(entry._id) < 2n ** 63n);

    const dates = await openssl(
      'x509',
      '-in',
      issued.certPath,
      '-noout',
      '-startdate',
      '-enddate',
      '-dateopt',
      'iso_8601',
    );
    const match =
      /^notBefore=(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)Z\nnotAfter=(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)Z\n$/.exec(dates);
    assert.ok(match, dates);
    assert.equal(`${match[1]}T${match[2]}Z`, entry.createdAt);
    assert.equal(`${match[3]}T${match[4]}Z`, entry.notAfter);
    assert.equal(entry.createdAt, `${server.clock.now().toISOString().slice(0, 19)}Z`);
    server.clock.set(new Date());
  });

  test('user certificate extensions: the mongod client profile, AKI = the CA SKI', async () => {
    await createManagedUser(server, 'profile');
    const issued = await issue(server, 'profile');
    const extensions = await extensionsOf(issued.certPath);
    const caExtensions = await extensionsOf(caPath);
    assert.deepEqual([...extensions.keys()].sort(), [
      'X509v3 Authority Key Identifier',
      'X509v3 Basic Constraints',
      'X509v3 Extended Key Usage',
      'X509v3 Key Usage',
      'X509v3 Subject Key Identifier',
    ]);
    assert.deepEqual(extensions.get('X509v3 Key Usage'), { critical: true, value: 'Digital Signature' });
    assert.deepEqual(extensions.get('X509v3 Extended Key Usage'), {
      critical: false,
      value: 'TLS Web Client Authentication',
    });
    assert.deepEqual(extensions.get('X509v3 Basic Constraints'), { critical: true, value: 'CA:FALSE' });
    const ski = extensions.get('X509v3 Subject Key Identifier');
    assert.ok(ski && /^([0-9A-F]{2}:)+[0-9A-F]{2}$/.test(ski.value), ski?.value);
    const caSki = caExtensions.get('X509v3 Subject Key Identifier')?.value;
    assert.ok(caSki);
    const aki = extensions.get('X509v3 Authority Key Identifier')?.value;
    assert.equal(aki?.replace(/^keyid:/, ''), caSki);
    assert.notEqual(ski.value, caSki);
    const text = await opensslText(issued.certPath);
    assert.match(text, /Version: 3 \(0x2\)/);
    assert.equal(
      await rfc2253Issuer(issued.certPath),
      `CN=dbcerts Atlas-managed X.509 CA,OU=${server.credentials.groupId},O=dbcerts`,
    );
  });

  test('the project CA: self-signed, CA:TRUE pathlen:0, keyCertSign+cRLSign, its subject', async () => {
    const subject = `CN=dbcerts Atlas-managed X.509 CA,OU=${server.credentials.groupId},O=dbcerts`;
    assert.equal(await rfc2253Subject(caPath), subject);
    assert.equal(await rfc2253Issuer(caPath), subject);
    // Self-signed: it verifies against itself alone.
    assert.equal(await openssl('verify', '-CAfile', caPath, caPath), `${caPath}: OK\n`);
    const certificate = new X509Certificate(ca);
    assert.ok(certificate.ca);
    assert.ok(certificate.verify(certificate.publicKey));
    const extensions = await extensionsOf(caPath);
    assert.deepEqual(extensions.get('X509v3 Basic Constraints'), { critical: true, value: 'CA:TRUE, pathlen:0' });
    assert.deepEqual(extensions.get('X509v3 Key Usage'), { critical: true, value: 'Certificate Sign, CRL Sign' });
    assert.ok(extensions.get('X509v3 Subject Key Identifier'));
    // The same CA is served on every call.
    assert.equal(await caPem(server), ca);
  });

  test('a Node TLS server trusting the project CA authorizes the issued certificate', async () => {
    await createManagedUser(server, 'tls-user');
    const issued = await issue(server, 'tls-user');
    const result = await clientCertificateHandshake(ca, issued.pem, issued.pem);
    assert.equal(result.authorizationError, null);
    assert.equal(result.authorized, true);
    assert.equal(result.peerCN, 'tls-user');
  });

  test("a certificate from another project's CA is not authorized", async () => {
    const created = await server.client.post(`${V1}/groups`, {
      name: 'Other-project',
      orgId: server.credentials.orgId,
    });
    assert.equal(created.status, 200, created.text);
    const otherGroupId = created.json().id as string;
    const user = await server.client.post(`${V1}/groups/${otherGroupId}/databaseUsers`, {
      databaseName: '$external',
      username: 'tls-user',
      x509Type: 'MANAGED',
      roles: [{ roleName: 'readWrite', databaseName: 'app' }],
    });
    assert.equal(user.status, 201, user.text);
    const issued = await issue(server, 'tls-user', otherGroupId);
    const otherCa = await caPem(server, otherGroupId);
    assert.notEqual(otherCa, ca);
    const result = await clientCertificateHandshake(ca, issued.pem, issued.pem);
    assert.equal(result.authorized, false);
    assert.ok(result.authorizationError, 'an authorization error is reported');
    // ... and the certificate is good under its own project's CA.
    const trusted = await clientCertificateHandshake(otherCa, issued.pem, issued.pem);
    assert.equal(trusted.authorized, true);
    assert.equal(await opensslVerify(caPath, issued.certPath).then((out) => out.includes(': OK')), false);
  });

  test('the generated private key is stored nowhere: no table, no file of the data directory', async () => {
    await createManagedUser(server, 'secret-keeper');
    const issued = await issue(server, 'secret-keeper');
    const keyBase64 = issued.keyPem.replace(/-----[^-]+-----|\n/g, '');
    const keyDer = Buffer.from(keyBase64, 'base64');
    const privateKey = createPrivateKey(issued.keyPem);
    const jwk = privateKey.export({ format: 'jwk' });
    const scalar = Buffer.from(jwk.d!, 'base64url');
    assert.equal(scalar.length, 32);
    const needles: Array<[string, Buffer]> = [
      ['PKCS#8 DER', keyDer],
      ['PEM base64 body', Buffer.from(keyBase64, 'ascii')],
      ['first PEM line', Buffer.from(issued.keyPem.split('\n')[1]!, 'ascii')],
      ['DER base64url', Buffer.from(keyDer.toString('base64url'), 'ascii')],
      ['DER hex', Buffer.from(keyDer.toString('hex'), 'ascii')],
      ['private scalar', scalar],
      ['private scalar hex', Buffer.from(scalar.toString('hex'), 'ascii')],
      ['private scalar base64url', Buffer.from(jwk.d!, 'ascii')],
    ];
    // Sanity: the search finds what is there (the certificate itself is stored).
    const certDer = Buffer.from(issued.certPem.replace(/-----[^-]+-----|\n/g, ''), 'base64');

    // Every cell of every table, on either engine (on PostgreSQL, the whole store).
    assert.ok((await tableNames(server.store)).includes('certificates'));
    let certificateFoundInTables = false;
    for (const { table, column, bytes } of await storedCells(server.store)) {
      if (bytes.includes(certDer)) certificateFoundInTables = true;
      for (const [what, needle] of needles) {
        assert.ok(!bytes.includes(needle), `${what} found in ${table}.${column}`);
      }
    }
    assert.ok(certificateFoundInTables, 'the search of the tables sees the stored certificate');

    // The files of the data directory: on SQLite, the database file (and WAL) as stored.
    let certificateFoundInFiles = false;
    const files = filesBelow(server.dataDir);
    if (TEST_BACKEND === 'sqlite') assert.ok(files.length > 0);
    for (const file of files) {
      const bytes = readFileSync(file);
      if (bytes.includes(certDer)) certificateFoundInFiles = true;
      for (const [what, needle] of needles) {
        assert.ok(!bytes.includes(needle), `${what} found in ${file}`);
      }
    }
    if (TEST_BACKEND === 'sqlite')
      assert.ok(certificateFoundInFiles, 'the search of the files sees the stored certificate');
  });
});

// ---------------------------------------------------------------------------------------------
// TLS: a Node server requesting client certificates, trusting only `trustedCa`.
