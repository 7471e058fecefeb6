import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { atlasError, assertAtlasError, type AtlasErrorBody } from '../helpers/atlas-assert.js';
import { storedCells, TEST_BACKEND } from '../helpers/backend.js';
import { extensionsOf, openssl, type OpensslExtension, selfSignedP256 } from '../helpers/openssl.js';
import { clientCertificateHandshake } from '../helpers/tls-handshake.js';
import {
  certsPath,
  createManagedUser,
  startTestServer,
  storeSnapshot,
  type TestServer,
  V1,
} from '../helpers/server.js';
import { filesBelow } from '../helpers/scratch.js';
import { jsonSerial } from '../helpers/digest-client.js';

/**
 * Certificate issuance from a client's PKCS#10 request (`{"csr": pem}` on POST …/certs):
 * the client keeps its key, dbcerts signs the request's public key under its own profile
 * (subject CN=<username>, the generated certificates' extensions), and refuses weak keys,
 * broken signatures and anything that is not exactly one request. OpenSSL makes the
 * requests and judges the certificates; a Node TLS handshake proves key and certificate
 * work together.
 */

const scratch = mkdtempSync(join(tmpdir(), 'dbcerts-csr-'));
let counter = 0;
function scratchPath(name: string): string {
  return join(scratch, `${++counter}-${name}`);
}

interface Csr {
  keyPath: string;
  csrPath: string;
  keyPem: string;
  csrPem: string;
}

/** `openssl req -new` with a fresh key, a hostile subject and hostile extensions. */
async function makeCsr(keyArgs: string[]): Promise<Csr> {
  const keyPath = scratchPath('k.pem');
  const csrPath = scratchPath('csr.pem');
  await openssl(
    'req',
    '-new',
    ...keyArgs,
    '-nodes',
    '-keyout',
    keyPath,
    '-subj',
    '/CN=ignored/O=Evil',
    '-addext',
    'basicConstraints=CA:TRUE',
    '-addext',
    'subjectAltName=DNS:evil.example',
    '-addext',
    'extendedKeyUsage=serverAuth',
    '-out',
    csrPath,
  );
  return { keyPath, csrPath, keyPem: readFileSync(keyPath, 'utf8'), csrPem: readFileSync(csrPath, 'utf8') };
}

const rsa = (bits: number) => ['-newkey', `rsa:${bits}`];
const ec = (curve: string) => ['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${curve}`];

const ACCEPTED: Array<{ name: string; keyArgs: string[]; keyAlgorithm: string }> = [
  { name: 'RSA 2048', keyArgs: rsa(2048), keyAlgorithm: 'rsa-2048' },
  { name: 'RSA 3072', keyArgs: rsa(3072), keyAlgorithm: 'rsa-3072' },
  { name: 'RSA 4096', keyArgs: rsa(4096), keyAlgorithm: 'rsa-4096' },
  { name: 'EC P-256', keyArgs: ec('P-256'), keyAlgorithm: 'ec-p256' },
  { name: 'EC P-384', keyArgs: ec('P-384'), keyAlgorithm: 'ec-p384' },
  { name: 'EC P-521', keyArgs: ec('P-521'), keyAlgorithm: 'ec-p521' },
];

const CERTIFICATE_ONLY =
  /^-----BEGIN CERTIFICATE-----\n(?:[A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE-----\n$/;

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
}

function derToPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function atlasDate(instant: Date): string {
  return `${new Date(Math.floor(instant.getTime() / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

function addMonths(instant: Date, months: number): Date {
  const month = instant.getUTCMonth() + months;
  const last = new Date(Date.UTC(instant.getUTCFullYear(), month + 1, 0)).getUTCDate();
  const result = new Date(instant);
  result.setUTCDate(1);
  result.setUTCMonth(month);
  result.setUTCDate(Math.min(instant.getUTCDate(), last));
  return result;
}

const csrError = (reason: string): AtlasErrorBody =>
  atlasError(400, 'INVALID_CERTIFICATE_SIGNING_REQUEST', `The certificate signing request is not valid: ${reason}.`, [
    reason,
  ]);
const ONE_REQUEST = 'expected exactly one PEM CERTIFICATE REQUEST block';
const BAD_SIGNATURE = 'the signature does not verify with the request’s own key';

/** The extensions minus the subject key identifier (a hash of each certificate's own key). */
async function comparableExtensions(certPath: string): Promise<Record<string, OpensslExtension>> {
  const extensions = await extensionsOf(certPath);
  const ski = extensions.get('X509v3 Subject Key Identifier');
  assert.ok(ski, 'a subject key identifier');
  return Object.fromEntries(
    [...extensions].map(([name, value]) =>
      name === 'X509v3 Subject Key Identifier'
        ? [name, { critical: value.critical, value: '<key hash>' }]
        : [name, value],
    ),
  );
}

async function opensslVerify(caPath: string, certPath: string): Promise<string> {
  try {
    return await openssl('verify', '-CAfile', caPath, '-purpose', 'sslclient', certPath);
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string };
    return `FAILED: ${failure.stdout ?? ''}${failure.stderr ?? ''}`;
  }
}

/**
 * What `openssl req -verify` says of a request's self-signature. (OpenSSL 3.0 exits 0 even
 * when the signature fails, so its words are the verdict.)
 */
async function opensslRequestVerdict(path: string): Promise<'OK' | 'FAILURE'> {
  const { stdout, stderr } = await promisify(execFile)('openssl', ['req', '-in', path, '-noout', '-verify'], {
    encoding: 'utf8',
  }).catch((error: { stdout: string; stderr: string }) => error);
  const text = `${stdout}${stderr}`;
  if (/verify OK/.test(text)) return 'OK';
  assert.match(text, /verify fail/);
  return 'FAILURE';
}

// ---------------------------------------------------------------------------------------------

let server: TestServer;
const logLines: string[] = [];
let caPath: string;
let caPem: string;
const csrs = new Map<string, Csr>();
let rsa1024: Csr;
let rsa1536: Csr;
let ed25519: Csr;
/** Extensions of a certificate dbcerts generated the key for: the profile a CSR must get. */
let generatedExtensions: Record<string, OpensslExtension>;
/** Keys whose requests were signed; none of them may reach the server. */
const clientKeys: string[] = [];

before(async () => {
  server = await startTestServer({ logLines });
  const made = await Promise.all([
    ...ACCEPTED.map((kind) => makeCsr(kind.keyArgs)),
    makeCsr(rsa(1024)),
    makeCsr(rsa(1536)),
    makeCsr(['-newkey', 'ed25519']),
  ]);
  ACCEPTED.forEach((kind, index) => csrs.set(kind.name, made[index]!));
  [rsa1024, rsa1536, ed25519] = made.slice(ACCEPTED.length) as [Csr, Csr, Csr];

  // A certificate of dbcerts' own making (this also creates the project CA).
  await createManagedUser(server, 'generated-ref');
  const generated = await server.client.post(certsPath(server, 'generated-ref'), { monthsUntilExpiration: 2 });
  assert.equal(generated.status, 201, generated.text);
  const generatedPath = scratchPath('generated.pem');
  writeFileSync(generatedPath, generated.text.slice(0, generated.text.indexOf('-----BEGIN PRIVATE KEY-----')));
  generatedExtensions = await comparableExtensions(generatedPath);

  const ca = await server.client.get(`${V1}/groups/${server.credentials.groupId}/userSecurity/managedX509/ca`);
  assert.equal(ca.status, 200, ca.text);
  caPem = ca.text;
  caPath = scratchPath('ca.pem');
  writeFileSync(caPath, caPem);

  await createManagedUser(server, 'refused');
});

after(async () => {
  await server?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('a CSR of an accepted key is signed under dbcerts’ own profile', () => {
  test('the generated reference certificate has the documented profile', () => {
    assert.deepEqual(generatedExtensions['X509v3 Basic Constraints'], { critical: true, value: 'CA:FALSE' });
    assert.deepEqual(generatedExtensions['X509v3 Key Usage'], { critical: true, value: 'Digital Signature' });
    assert.deepEqual(generatedExtensions['X509v3 Extended Key Usage'], {
      critical: false,
      value: 'TLS Web Client Authentication',
    });
    assert.equal(generatedExtensions['X509v3 Subject Alternative Name'], undefined);
  });

  for (const kind of ACCEPTED) {
    test(`${kind.name}: 201, the certificate alone, CN=<username>, the request's key, verifiable, usable`, async () => {
      const csr = csrs.get(kind.name)!;
      const username = `csr-${kind.keyAlgorithm}`;
      await createManagedUser(server, username);
      const response = await server.client.post(certsPath(server, username), {
        csr: csr.csrPem,
        monthsUntilExpiration: 2,
      });
      assert.equal(response.status, 201, response.text);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      // Exactly one CERTIFICATE block: no private key (the client has its own).
      assert.match(response.text, CERTIFICATE_ONLY);
      assert.ok(!response.text.includes('PRIVATE KEY'));
      const certPath = scratchPath(`${username}.crt`);
      writeFileSync(certPath, response.text);

      // Subject forced to CN=<username>; the request's CN=ignored/O=Evil is gone.
      assert.equal(
        await openssl('x509', '-in', certPath, '-noout', '-subject', '-nameopt', 'RFC2253'),
        `subject=CN=${username}\n`,
      );
      assert.equal(
        await openssl('x509', '-in', certPath, '-noout', '-issuer', '-nameopt', 'RFC2253'),
        `issuer=CN=dbcerts Atlas-managed X.509 CA,OU=${server.credentials.groupId},O=dbcerts\n`,
      );

      // The request's extensions are ignored: exactly the generated certificate's ones.
      const extensions = await comparableExtensions(certPath);
      assert.deepEqual(extensions, generatedExtensions);
      const certificate = new X509Certificate(response.text);
      assert.equal(certificate.ca, false);
      assert.equal(certificate.subjectAltName, undefined);

      // The public key is the request's (and the key file's).
      const requestKey = await openssl('req', '-in', csr.csrPath, '-noout', '-pubkey');
      const certificateKey = await openssl('x509', '-in', certPath, '-noout', '-pubkey');
      assert.equal(certificateKey, requestKey);
      const clientKey = createPrivateKey(csr.keyPem);
      assert.deepEqual(
        certificate.publicKey.export({ type: 'spki', format: 'der' }),
        createPublicKey(clientKey).export({ type: 'spki', format: 'der' }),
      );
      assert.ok(certificate.checkPrivateKey(clientKey));

      // OpenSSL's client purpose, against the project CA.
      assert.equal(await opensslVerify(caPath, certPath), `${certPath}: OK\n`);

      // The client's key and the certificate authenticate a TLS client.
      const handshake = await clientCertificateHandshake(caPem, response.text, csr.keyPem);
      assert.equal(handshake.authorizationError, null);
      assert.equal(handshake.authorized, true);
      assert.equal(handshake.peerCN, username);

      // Validity: from now (whole seconds), 2 calendar months.
      const now = server.clock.now();
      const createdAt = atlasDate(now);
      assert.equal(atlasDate(new Date(certificate.validFrom)), createdAt);
      assert.equal(atlasDate(new Date(certificate.validTo)), atlasDate(addMonths(new Date(createdAt), 2)));

      // The inventory knows where the key came from.
      const serial = BigInt(`0x${certificate.serialNumber}`);
      const inventory = await server.client.get(certsPath(server, username, '?status=all'));
      assert.equal(inventory.status, 200, inventory.text);
      assert.deepEqual(inventory.json().results, [
        {
          _id: jsonSerial(serial),
          createdAt,
          groupId: server.credentials.groupId,
          keyAlgorithm: kind.keyAlgorithm,
          notAfter: atlasDate(new Date(certificate.validTo)),
          source: 'csr',
          status: 'active',
          subject: `CN=${username}`,
        },
      ]);
      // ... and the Atlas list shows it as any other certificate.
      const list = await server.client.get(certsPath(server, username));
      assert.deepEqual(list.json().results, [
        {
          _id: jsonSerial(serial),
          createdAt,
          groupId: server.credentials.groupId,
          notAfter: atlasDate(new Date(certificate.validTo)),
          subject: `CN=${username}`,
        },
      ]);
      clientKeys.push(csr.keyPem);
    });
  }

  test('the generated reference certificate is listed with source generated', async () => {
    const inventory = await server.client.get(certsPath(server, 'generated-ref', '?status=all'));
    const [entry] = inventory.json().results;
    assert.equal(entry.source, 'generated');
    assert.equal(entry.keyAlgorithm, 'ec-p256');
  });
});

describe('refused requests: 400 with a clear detail, nothing stored', () => {
  async function assertRefused(body: unknown, expected: AtlasErrorBody, username = 'refused'): Promise<void> {
    const before = await storeSnapshot(server.store);
    const response = await server.client.post(certsPath(server, username), body);
    assertAtlasError(response, expected);
    assert.equal(await storeSnapshot(server.store), before, 'the store is unchanged');
  }

  test('RSA 1024 and RSA 1536 keys are too weak', async () => {
    await assertRefused(
      { csr: rsa1024.csrPem, monthsUntilExpiration: 2 },
      csrError('an RSA key must have 2048 to 8192 bits (this one has 1024)'),
    );
    await assertRefused(
      { csr: rsa1536.csrPem, monthsUntilExpiration: 2 },
      csrError('an RSA key must have 2048 to 8192 bits (this one has 1536)'),
    );
  });

  test('Ed25519 keys are not accepted (RSA 2048..8192 and EC P-256/384/521 only)', async () => {
    await assertRefused(
      { csr: ed25519.csrPem, monthsUntilExpiration: 2 },
      csrError('keys of type ed25519 are not accepted'),
    );
  });

  test('a request whose signature was damaged (one byte flipped)', async () => {
    for (const name of ['RSA 2048', 'EC P-256']) {
      const der = pemToDer(csrs.get(name)!.csrPem);
      der[der.length - 1]! ^= 0x01;
      const damaged = derToPem('CERTIFICATE REQUEST', der);
      // OpenSSL agrees the request no longer verifies.
      const path = scratchPath('damaged.csr');
      writeFileSync(path, damaged);
      assert.equal(await opensslRequestVerdict(csrs.get(name)!.csrPath), 'OK');
      assert.equal(await opensslRequestVerdict(path), 'FAILURE');
      await assertRefused({ csr: damaged, monthsUntilExpiration: 2 }, csrError(BAD_SIGNATURE));
    }
  });

  test('a request whose body was altered after signing (CN=ignored became CN=ignorex)', async () => {
    const der = pemToDer(csrs.get('RSA 2048')!.csrPem);
    const at = der.indexOf(Buffer.from('ignored'));
    assert.ok(at > 0);
    der[at + 6] = 'x'.charCodeAt(0);
    const altered = derToPem('CERTIFICATE REQUEST', der);
    const path = scratchPath('altered.csr');
    writeFileSync(path, altered);
    assert.equal(await openssl('req', '-in', path, '-noout', '-subject'), 'subject=CN = ignorex, O = Evil\n');
    assert.equal(await opensslRequestVerdict(path), 'FAILURE');
    await assertRefused({ csr: altered, monthsUntilExpiration: 2 }, csrError(BAD_SIGNATURE));
  });

  test('a certificate instead of a request', async () => {
    await assertRefused({ csr: caPem, monthsUntilExpiration: 2 }, csrError(ONE_REQUEST));
  });

  test('two requests in one string, or a request with a certificate', async () => {
    const first = csrs.get('EC P-256')!.csrPem;
    const second = csrs.get('EC P-384')!.csrPem;
    await assertRefused({ csr: first + second, monthsUntilExpiration: 2 }, csrError(ONE_REQUEST));
    await assertRefused({ csr: first + caPem, monthsUntilExpiration: 2 }, csrError(ONE_REQUEST));
  });

  test('garbage, an empty string, a request block that is not PKCS#10', async () => {
    await assertRefused({ csr: 'this is not a certificate request', monthsUntilExpiration: 2 }, csrError(ONE_REQUEST));
    await assertRefused({ csr: '', monthsUntilExpiration: 2 }, csrError(ONE_REQUEST));
    await assertRefused(
      { csr: derToPem('CERTIFICATE REQUEST', Buffer.from('not DER at all, just text')), monthsUntilExpiration: 2 },
      csrError('the request does not parse as PKCS#10'),
    );
  });

  test('csr of the wrong JSON type: 400 INVALID_JSON_ATTRIBUTE csr', async () => {
    const expected = atlasError(
      400,
      'INVALID_JSON_ATTRIBUTE',
      'Received JSON for the csr attribute does not match expected format.',
      ['csr'],
    );
    // `"csr": null` is a csr not sent (docs/compatibility.md, null members), not a wrong type.
    for (const csr of [42, true, [csrs.get('EC P-256')!.csrPem], { pem: 'x' }]) {
      await assertRefused({ csr, monthsUntilExpiration: 2 }, expected);
    }
  });

  test('"csr": null is no CSR (a null member is one not sent): the key is generated and returned', async () => {
    const response = await server.client.post(certsPath(server, 'refused'), { csr: null, monthsUntilExpiration: 2 });
    assert.equal(response.status, 201, response.text);
    assert.match(
      response.text,
      /^-----BEGIN CERTIFICATE-----\n[^]*-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n/,
    );
  });

  test('a user that is not Atlas-managed X.509: 400 USER_NOT_MANAGED_X509', async () => {
    const created = await server.client.post(`${V1}/groups/${server.credentials.groupId}/databaseUsers`, {
      databaseName: 'admin',
      username: 'scram-user',
      password: 'correct-horse-battery-staple-9',
      roles: [{ roleName: 'readWrite', databaseName: 'app' }],
    });
    assert.equal(created.status, 201, created.text);
    await assertRefused(
      { csr: csrs.get('EC P-256')!.csrPem, monthsUntilExpiration: 2 },
      atlasError(400, 'USER_NOT_MANAGED_X509', 'The user does not have managed mode X.509 enabled.'),
      'scram-user',
    );
  });

  test('while a customer CA is on: 400 CANNOT_GENERATE_CERT_IF_ADVANCED_X509; issuing works again after', async () => {
    const keyPath = scratchPath('customer-ca.key');
    const customerCaPath = scratchPath('customer-ca.pem');
    await openssl(
      ...selfSignedP256(keyPath),
      '-subj',
      '/CN=Customer Root CA',
      '-days',
      '30',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      customerCaPath,
    );
    // The CA was made just now, after the test clock was set: let the clock catch up.
    server.clock.set(new Date());
    const userSecurity = `${V1}/groups/${server.credentials.groupId}/userSecurity`;
    const enabled = await server.client.patch(userSecurity, {
      customerX509: { cas: readFileSync(customerCaPath, 'utf8') },
    });
    assert.equal(enabled.status, 202, enabled.text);
    try {
      await assertRefused(
        { csr: csrs.get('EC P-256')!.csrPem, monthsUntilExpiration: 2 },
        atlasError(
          400,
          'CANNOT_GENERATE_CERT_IF_ADVANCED_X509',
          'The user cannot create managed X.509 certs if advanced mode is on.',
        ),
      );
    } finally {
      const disabled = await server.client.delete(`${userSecurity}/customerX509`);
      assert.equal(disabled.status, 202, disabled.text);
    }
    const issued = await server.client.post(certsPath(server, 'refused'), {
      csr: csrs.get('EC P-256')!.csrPem,
      monthsUntilExpiration: 2,
    });
    assert.equal(issued.status, 201, issued.text);
    assert.match(issued.text, CERTIFICATE_ONLY);
  });
});

describe('the client’s private key never reaches the server', () => {
  test('no request key is in the store (every table; on SQLite its file too), the data directory or the logs', async () => {
    assert.equal(clientKeys.length, ACCEPTED.length, 'every accepted request was issued');
    const needles: Array<[string, Buffer]> = [];
    for (const [index, keyPem] of clientKeys.entries()) {
      const der = pemToDer(keyPem);
      const base64 = keyPem.replace(/-----[^-]+-----|\n/g, '');
      const jwk = createPrivateKey(keyPem).export({ format: 'jwk' });
      const d = Buffer.from(jwk.d!, 'base64url');
      needles.push(
        [`key ${index} PKCS#8 DER`, der],
        [`key ${index} PEM base64`, Buffer.from(base64, 'ascii')],
        [`key ${index} first PEM line`, Buffer.from(keyPem.split('\n')[1]!, 'ascii')],
        [`key ${index} private value`, d],
        [`key ${index} private value hex`, Buffer.from(d.toString('hex'), 'ascii')],
        [`key ${index} private value base64url`, Buffer.from(jwk.d!, 'ascii')],
      );
    }
    // The search sees what is there: the issued certificates are stored.
    const csrCertificates = await server.store.db
      .selectFrom('certificates')
      .select('certificate_der')
      .where('source', '=', 'csr')
      .execute();
    assert.ok(csrCertificates.length >= ACCEPTED.length);
    const storedDer = Buffer.from(csrCertificates[0]!.certificate_der as Uint8Array);

    // Every cell of every table, on either engine (on PostgreSQL, there is no file to read).
    const cells = await storedCells(server.store);
    let certificateSeenInTables = false;
    for (const { table, column, bytes } of cells) {
      if (bytes.includes(storedDer)) certificateSeenInTables = true;
      for (const [what, needle] of needles) assert.ok(!bytes.includes(needle), `${what} found in ${table}.${column}`);
    }
    assert.ok(certificateSeenInTables, 'the search of the tables sees a stored certificate');

    // The files of the data directory: on SQLite the database itself (pages, WAL), as stored.
    const files = filesBelow(server.dataDir);
    if (TEST_BACKEND === 'sqlite') {
      assert.ok(
        files.some((file) => /\.(db|sqlite3?)$/.test(file)),
        `a SQLite file among ${files.join(', ')}`,
      );
    }
    let certificateSeenInFiles = false;
    for (const file of files) {
      const bytes = readFileSync(file);
      if (bytes.includes(storedDer)) certificateSeenInFiles = true;
      for (const [what, needle] of needles) assert.ok(!bytes.includes(needle), `${what} found in ${file}`);
    }
    if (TEST_BACKEND === 'sqlite')
      assert.ok(certificateSeenInFiles, 'the search of the files sees a stored certificate');

    assert.ok(logLines.length > 0, 'the server logged');
    assert.ok(
      logLines.some((line) => line.includes('/certs')),
      'the logs cover the certificate requests',
    );
    const logs = Buffer.from(logLines.join('\n'));
    for (const [what, needle] of needles) assert.ok(!logs.includes(needle), `${what} found in the logs`);
  });
});

describe('a P-521 request under a P-521 project CA', () => {
  let p521Server: TestServer;
  after(() => p521Server?.close());

  test('201: signed ecdsa-with-SHA512, openssl verify -purpose sslclient OK, a TLS client authenticates', async () => {
    p521Server = await startTestServer({ caKeyAlgorithm: 'ec-p521' });
    const csr = await makeCsr(ec('P-521'));
    await createManagedUser(p521Server, 'p521');
    const response = await p521Server.client.post(certsPath(p521Server, 'p521'), {
      csr: csr.csrPem,
      monthsUntilExpiration: 2,
    });
    assert.equal(response.status, 201, response.text);
    assert.match(response.text, CERTIFICATE_ONLY);
    const certPath = scratchPath('p521.crt');
    writeFileSync(certPath, response.text);
    const ca = await p521Server.client.get(
      `${V1}/groups/${p521Server.credentials.groupId}/userSecurity/managedX509/ca`,
    );
    assert.equal(ca.status, 200, ca.text);
    assert.equal(new X509Certificate(ca.text).publicKey.asymmetricKeyDetails?.namedCurve, 'secp521r1');
    const p521CaPath = scratchPath('p521-ca.pem');
    writeFileSync(p521CaPath, ca.text);

    const text = await openssl('x509', '-in', certPath, '-noout', '-text');
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA512\n/);
    assert.match(text, /ASN1 OID: secp521r1\n/);
    assert.equal(await opensslVerify(p521CaPath, certPath), `${certPath}: OK\n`);
    const handshake = await clientCertificateHandshake(ca.text, response.text, csr.keyPem);
    assert.equal(handshake.authorizationError, null);
    assert.equal(handshake.authorized, true);
    assert.equal(handshake.peerCN, 'p521');

    // The inventory and the CA listing name both keys by the table's name.
    const listed = await p521Server.client.get(`${certsPath(p521Server, 'p521')}?status=active`);
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(
      (listed.json() as { results: Array<{ keyAlgorithm: string }> }).results.map((entry) => entry.keyAlgorithm),
      ['ec-p521'],
    );
    const cas = await p521Server.client.get(
      `${V1}/groups/${p521Server.credentials.groupId}/userSecurity/managedX509/cas`,
    );
    assert.equal(cas.status, 200, cas.text);
    assert.match(cas.text, /"keyAlgorithm":"ec-p521"/);
  });
});
