import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MongoClient, MongoServerError, MongoServerSelectionError, type Document } from 'mongodb';
import { startMongodDouble, type MongodDouble, type MongodDoubleOptions } from '../helpers/mongod-double.js';
import { NEW_P256_KEY, openssl } from '../helpers/openssl.js';
import { certsPath, createManagedUser, startTestServer, type TestServer, V1 } from '../helpers/server.js';
import { scratchDirectory } from '../helpers/scratch.js';

/**
 * The end-to-end proof that a certificate dbcerts issues is worth something: the official
 * `mongodb` Node driver loads the PEM exactly as Atlas hands it out (`tlsCertificateKeyFile`)
 * and authenticates with MONGODB-X509 to a TLS double of mongod that enforces mongod's rules
 * (shared/spec/x509-and-mongod.md): the chain is verified against the project CA (and a CRL,
 * if configured) at the handshake, and the `$external` user is the subject in RFC 2253 form,
 * byte for byte.
 */

const { dir: scratch, write: writeScratch } = scratchDirectory('driver');

// A failure must fail fast, never hang CI: short driver timeouts, and a cap on every test.
const TEST_TIMEOUT = { timeout: 30_000 };
const REFUSED_SELECTION_TIMEOUT_MS = 2000;

/** POST …/certs as Atlas clients do, and the PEM (certificate then key) in a file. */
async function issuePem(server: TestServer, username: string, groupId = server.credentials.groupId): Promise<string> {
  const path = `${V1}/groups/${groupId}/databaseUsers/${encodeURIComponent(username)}/certs`;
  const response = await server.client.post(path, { monthsUntilExpiration: 3 });
  assert.equal(response.status, 201, response.text);
  return writeScratch(response.text, 'user.pem');
}

async function projectCa(server: TestServer, groupId = server.credentials.groupId): Promise<string> {
  const response = await server.client.get(`${V1}/groups/${groupId}/userSecurity/managedX509/ca`);
  assert.equal(response.status, 200, response.text);
  return response.text;
}

/** Runs `body` against a fresh double, which is closed whatever happens. */
async function withDouble<T>(options: MongodDoubleOptions, body: (double: MongodDouble) => Promise<T>): Promise<T> {
  const double = await startMongodDouble(options);
  try {
    return await body(double);
  } finally {
    await double.close();
  }
}

interface ConnectOptions {
  /** The `user` the driver sends (the URI's user part); by default none, so mongod takes the subject. */
  username?: string;
  serverSelectionTimeoutMS?: number;
}

/**
 * Connects with the official driver, exactly as the spec's connection string does, runs
 * `ping` and returns `connectionStatus` (which names the authenticated user). The client is
 * closed whatever happens.
 */
async function connectAndPing(double: MongodDouble, pemFile: string, options: ConnectOptions = {}): Promise<Document> {
  const user = options.username === undefined ? '' : `${encodeURIComponent(options.username)}@`;
  const query = [
    'tls=true',
    'authMechanism=MONGODB-X509',
    'authSource=%24external',
    `tlsCAFile=${encodeURIComponent(double.serverCaFile)}`,
    `tlsCertificateKeyFile=${encodeURIComponent(pemFile)}`,
    'directConnection=true',
    `serverSelectionTimeoutMS=${options.serverSelectionTimeoutMS ?? 3000}`,
    'connectTimeoutMS=3000',
    'socketTimeoutMS=5000',
  ].join('&');
  const client = new MongoClient(`mongodb://${user}127.0.0.1:${double.port}/?${query}`);
  try {
    assert.deepEqual(await client.db('admin').command({ ping: 1 }), { ok: 1 });
    return await client.db('admin').command({ connectionStatus: 1 });
  } finally {
    await client.close();
  }
}

function authenticatedAs(user: string): Document {
  return { authInfo: { authenticatedUsers: [{ user, db: '$external' }], authenticatedUserRoles: [] }, ok: 1 };
}

/** What the double records for one authentication of the certificate `user`. */
function attempt(user: string, ok: boolean, speculative: boolean, reason?: string, requestedUser?: string) {
  return { user, requestedUser, ok, reason, speculative };
}

function isAuthenticationFailed(error: unknown): boolean {
  assert.ok(error instanceof MongoServerError, `expected a MongoServerError, got ${String(error)}`);
  assert.equal(error.code, 18);
  assert.equal(error.codeName, 'AuthenticationFailed');
  assert.equal(error.errmsg, 'Authentication failed.');
  return true;
}

/** Refused at the TLS handshake: the driver never selects the server, the double saw no command. */
async function assertRefusedAtHandshake(double: MongodDouble, pemFile: string, expectedTlsCode: string) {
  await assert.rejects(
    connectAndPing(double, pemFile, { serverSelectionTimeoutMS: REFUSED_SELECTION_TIMEOUT_MS }),
    MongoServerSelectionError,
  );
  assert.ok(double.tlsErrors.length > 0, 'the double saw no refused handshake');
  for (const error of double.tlsErrors) assert.equal(error.code, expectedTlsCode, error.message);
  assert.deepEqual(double.authentications, []);
}

describe('certificates dbcerts issues (P-256), with the official driver', TEST_TIMEOUT, () => {
  let server: TestServer;
  let ca: string;
  let appUserPem: string;

  before(async () => {
    server = await startTestServer();
    await createManagedUser(server, 'appUser');
    appUserPem = await issuePem(server, 'appUser');
    ca = await projectCa(server);
  });
  after(() => server.close());

  test('authenticates as $external user CN=appUser with the PEM as issued', TEST_TIMEOUT, async () => {
    await withDouble({ caPem: ca, users: ['CN=appUser'] }, async (double) => {
      assert.deepEqual(await connectAndPing(double, appUserPem), authenticatedAs('CN=appUser'));
      // The driver authenticates in its handshake (speculativeAuthenticate), once per pooled connection.
      assert.deepEqual(double.authentications, [attempt('CN=appUser', true, true)]);
      assert.deepEqual(double.tlsErrors, []);
    });
  });

  test('the certs list reports the subject the driver authenticates as', TEST_TIMEOUT, async () => {
    const list = (await server.client.get(certsPath(server, 'appUser'))).json();
    assert.deepEqual(
      list.results.map((certificate: { subject: string }) => certificate.subject),
      ['CN=appUser'],
    );
  });

  test('a user named in the connection string must equal the subject byte for byte', TEST_TIMEOUT, async () => {
    await withDouble({ caPem: ca, users: ['CN=appUser'] }, async (double) => {
      const status = await connectAndPing(double, appUserPem, { username: 'CN=appUser' });
      assert.deepEqual(status, authenticatedAs('CN=appUser'));
      assert.deepEqual(double.authentications, [attempt('CN=appUser', true, true, undefined, 'CN=appUser')]);
    });
    for (const username of ['CN=appuser', 'cn=appUser', 'CN = appUser']) {
      await withDouble({ caPem: ca, users: ['CN=appUser'] }, async (double) => {
        await assert.rejects(connectAndPing(double, appUserPem, { username }), isAuthenticationFailed);
        const reason = 'user does not match the subject';
        assert.deepEqual(double.authentications, [
          attempt('CN=appUser', false, true, reason, username),
          attempt('CN=appUser', false, false, reason, username),
        ]);
      });
    }
  });

  test('a subject that is not a $external user: the driver reports AuthenticationFailed', TEST_TIMEOUT, async () => {
    await withDouble({ caPem: ca, users: ['CN=someoneElse'] }, async (double) => {
      await assert.rejects(connectAndPing(double, appUserPem), isAuthenticationFailed);
      // A failed speculative authentication is silent; the driver then sends `authenticate`.
      const reason = 'no such $external user';
      assert.deepEqual(double.authentications, [
        attempt('CN=appUser', false, true, reason),
        attempt('CN=appUser', false, false, reason),
      ]);
      assert.deepEqual(double.tlsErrors, []);
    });
  });

  test("a certificate from another project's CA is refused at the handshake", TEST_TIMEOUT, async () => {
    const created = await server.client.post(`${V1}/groups`, { name: 'Other', orgId: server.credentials.orgId });
    assert.equal(created.status, 200, created.text);
    const otherGroupId = created.json().id as string;
    const user = await server.client.post(`${V1}/groups/${otherGroupId}/databaseUsers`, {
      databaseName: '$external',
      username: 'appUser',
      x509Type: 'MANAGED',
      roles: [{ roleName: 'readWrite', databaseName: 'app' }],
      groupId: otherGroupId,
    });
    assert.equal(user.status, 201, user.text);
    const otherPem = await issuePem(server, 'appUser', otherGroupId);
    const otherCa = await projectCa(server, otherGroupId);
    assert.notEqual(otherCa, ca);

    // Same subject, CN=appUser, which is a user here: only the chain differs.
    await withDouble({ caPem: ca, users: ['CN=appUser'] }, async (double) => {
      await assertRefusedAtHandshake(double, otherPem, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    });
    // Control: a mongod that trusts both projects' CAs accepts it.
    await withDouble({ caPem: [ca, otherCa], users: ['CN=appUser'] }, async (double) => {
      assert.deepEqual(await connectAndPing(double, otherPem), authenticatedAs('CN=appUser'));
    });
  });

  test(
    'usernames that need RFC 2253 escaping: the subject the certs list returns is the $external user',
    TEST_TIMEOUT,
    async () => {
      const cases = [
        { username: 'app user, ops', subject: 'CN=app user\\, ops', unescaped: 'CN=app user, ops' },
        { username: 'José Müller', subject: 'CN=Jos\\C3\\A9 M\\C3\\BCller', unescaped: 'CN=José Müller' },
        { username: ' #a+b<c>;"d\\ ', subject: 'CN=\\ #a\\+b\\<c\\>\\;\\"d\\\\\\ ', unescaped: 'CN= #a+b<c>;"d\\ ' },
      ];
      for (const { username, subject, unescaped } of cases) {
        await createManagedUser(server, username);
        const pem = await issuePem(server, username);
        const list = (await server.client.get(certsPath(server, username))).json();
        assert.deepEqual(
          list.results.map((certificate: { subject: string }) => certificate.subject),
          [subject],
        );
        // OpenSSL's own RFC 2253 printer, the oracle mongod's user names follow.
        const printed = await openssl('x509', '-in', pem, '-noout', '-subject', '-nameopt', 'RFC2253');
        assert.equal(printed, `subject=${subject}\n`);

        await withDouble({ caPem: ca, users: [subject] }, async (double) => {
          assert.deepEqual(await connectAndPing(double, pem), authenticatedAs(subject));
          assert.deepEqual(double.authentications, [attempt(subject, true, true)]);
        });
        // Byte for byte: the name as typed, unescaped, is not the user.
        await withDouble({ caPem: ca, users: [unescaped] }, async (double) => {
          await assert.rejects(connectAndPing(double, pem), isAuthenticationFailed);
        });
      }
    },
  );
});

describe('RSA-4096 (Atlas’ key type), with the official driver', TEST_TIMEOUT, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ keyAlgorithm: 'rsa-4096', caKeyAlgorithm: 'rsa-4096' });
    await createManagedUser(server, 'appUser');
  });
  after(() => server.close());

  test('an RSA-4096 certificate under an RSA-4096 CA authenticates as CN=appUser', TEST_TIMEOUT, async () => {
    const pemFile = await issuePem(server, 'appUser');
    const ca = await projectCa(server);
    const certificate = new X509Certificate((await openssl('x509', '-in', pemFile)).trim());
    assert.equal(certificate.publicKey.asymmetricKeyType, 'rsa');
    assert.equal(certificate.publicKey.asymmetricKeyDetails?.modulusLength, 4096);
    assert.equal(new X509Certificate(ca).publicKey.asymmetricKeyDetails?.modulusLength, 4096);
    await withDouble({ caPem: ca, users: ['CN=appUser'] }, async (double) => {
      assert.deepEqual(await connectAndPing(double, pemFile), authenticatedAs('CN=appUser'));
      assert.deepEqual(double.authentications, [attempt('CN=appUser', true, true)]);
    });
  });
});

/**
 * An openssl-made CA, with client certificates shaped like dbcerts' (keyUsage digitalSignature,
 * extendedKeyUsage clientAuth) but any subject, for the cluster-member rule.
 */
async function opensslCa(name: string) {
  const dir = mkdtempSync(join(scratch, `${name}-`));
  const args = (line: string) => line.trim().split(/\s+/);
  await openssl(
    ...args(`req -x509 -keyout ${dir}/ca.key -out ${dir}/ca.pem -days 2`),
    ...NEW_P256_KEY,
    '-subj',
    `/CN=${name}`,
  );
  const ca = args(`-CA ${dir}/ca.pem -CAkey ${dir}/ca.key`);
  writeFileSync(
    `${dir}/client.ext`,
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n',
  );
  let serial = 4096;
  return {
    certPem: await openssl('x509', '-in', `${dir}/ca.pem`),
    /** A client certificate; resolves to its cert file and to the cert + PKCS#8 key PEM file, as Atlas returns it. */
    async issue(subject: string): Promise<{ certFile: string; pemFile: string }> {
      const base = `${dir}/${++serial}`;
      await openssl(...args(`req -new -keyout ${base}.key -out ${base}.csr`), ...NEW_P256_KEY, '-subj', subject);
      await openssl(
        ...args(`x509 -req -in ${base}.csr -set_serial ${serial} -days 2 -extfile ${dir}/client.ext`),
        ...ca,
        ...args(`-out ${base}.pem`),
      );
      const pem = (await openssl('x509', '-in', `${base}.pem`)) + (await openssl('pkey', '-in', `${base}.key`));
      return { certFile: `${base}.pem`, pemFile: writeScratch(pem, 'client.pem') };
    },
  };
}

describe('revocation: the CRLs dbcerts publishes, as net.tls.CRLFile', TEST_TIMEOUT, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    await createManagedUser(server, 'revokedUser');
    await createManagedUser(server, 'keptUser');
  });
  after(() => server.close());

  async function crlPem(): Promise<string> {
    const response = await server.client.get(
      `${V1}/groups/${server.credentials.groupId}/userSecurity/managedX509/crl.pem`,
    );
    assert.equal(response.status, 200, response.text);
    return response.text;
  }

  test(
    'a certificate revoked through the API is refused at the handshake (CERT_REVOKED) once mongod has the new crl.pem; an unrevoked one still connects',
    TEST_TIMEOUT,
    async () => {
      const revokedPem = await issuePem(server, 'revokedUser');
      const keptPem = await issuePem(server, 'keptUser');
      const ca = await projectCa(server);
      const users = ['CN=revokedUser', 'CN=keptUser'];

      const crlBefore = await crlPem();
      await withDouble({ caPem: ca, crlPem: crlBefore, users }, async (double) => {
        assert.deepEqual(await connectAndPing(double, revokedPem), authenticatedAs('CN=revokedUser'));
        assert.deepEqual(double.tlsErrors, []);
      });

      const serial = BigInt(
        `0x${/^serial=([0-9A-F]+)$/m.exec(await openssl('x509', '-in', revokedPem, '-noout', '-serial'))![1]}`,
      );
      const revoked = await server.client.post(
        `${V1}/groups/${server.credentials.groupId}/userSecurity/managedX509/certs/${serial}/revoke`,
        { reason: 'keyCompromise' },
      );
      assert.equal(revoked.status, 200, revoked.text);
      const crlAfter = await crlPem();
      assert.notEqual(crlAfter, crlBefore);

      // mongod restarted with the new CRLFile.
      await withDouble({ caPem: ca, crlPem: crlAfter, users }, async (double) => {
        await assertRefusedAtHandshake(double, revokedPem, 'CERT_REVOKED');
      });
      // The CRL refuses only what it lists.
      await withDouble({ caPem: ca, crlPem: crlAfter, users }, async (double) => {
        assert.deepEqual(await connectAndPing(double, keptPem), authenticatedAs('CN=keptUser'));
        assert.deepEqual(double.tlsErrors, []);
      });
    },
  );
});

describe('the cluster-member rule (openssl-made CA)', TEST_TIMEOUT, () => {
  test("a client with the server's O/OU/DC is a cluster member, not a user", TEST_TIMEOUT, async () => {
    const ca = await opensslCa('member-test-ca');
    // The double's own certificate is O=mongod-double,CN=localhost.
    const member = await ca.issue('/O=mongod-double/CN=someClient');
    const subject = 'CN=someClient,O=mongod-double';
    await withDouble({ caPem: ca.certPem, users: [subject] }, async (double) => {
      await assert.rejects(connectAndPing(double, member.pemFile), isAuthenticationFailed);
      assert.deepEqual(
        double.authentications.map((a) => [a.user, a.ok, a.reason]),
        [
          [subject, false, 'cluster member'],
          [subject, false, 'cluster member'],
        ],
      );
    });
    // A different O is an ordinary user.
    const other = await ca.issue('/O=someCompany/CN=someClient');
    await withDouble({ caPem: ca.certPem, users: ['CN=someClient,O=someCompany'] }, async (double) => {
      assert.deepEqual(await connectAndPing(double, other.pemFile), authenticatedAs('CN=someClient,O=someCompany'));
    });
  });
});
