import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  assertAtlasError,
  atlasError,
  invalidAttribute,
  invalidJsonAttribute,
  usernameNotFound,
} from '../helpers/atlas-assert.js';
import { DigestClient } from '../helpers/digest-client.js';
import { NEW_P256_KEY as EC_KEY, opensslSync } from '../helpers/openssl.js';
import {
  certsPath,
  createManagedUser,
  startTestServer,
  storeSnapshot,
  type TestServer,
  V1,
} from '../helpers/server.js';

/**
 * Customer-managed ("self-managed") X.509, Atlas' userSecurity
 * (shared/spec/atlas-api.md §1.1, §3 "UserSecurity", §5): GET / PATCH
 * `/groups/{groupId}/userSecurity` and DELETE `/groups/{groupId}/userSecurity/customerX509`,
 * against a real PKI made with the openssl command line (a root, an intermediate, a client
 * leaf with a multi-RDN subject, an expired CA, a not-yet-valid CA). openssl is the
 * independent oracle: the bundle dbcerts hands back must verify the leaf's chain, and the
 * `$external` user name must be the leaf subject exactly as openssl prints it in RFC 2253.
 *
 * The tests run in file order and share one project: the bundle uploaded early stays on
 * until the DELETE near the end.
 */

let server: TestServer;
let dir: string;
let groupId: string;

/** PEM texts and paths of the test PKI. */
const pki = {
  root: '',
  intermediate: '',
  leaf: '',
  leafPath: '',
  leafKey: '',
  expired: '',
  notYetValid: '',
  /** The leaf's subject as `openssl x509 -noout -subject -nameopt RFC2253` prints it. */
  leafSubject: '',
  notYetValidSubject: '',
};

/**
 * The bundle as a customer would paste it: root and intermediate with prose, blank lines,
 * trailing blanks, a tab, a non-ASCII character and a CRLF between and around the blocks,
 * and no final newline. GET must return every byte of it.
 */
let bundle = '';

const MANAGED_USER = 'alice';
/** Another spelling of the leaf's DN: lower-case attribute names, spaces after the commas. */
const OTHER_SPELLING = 'cn=david@example.com, ou=users, o=Acme, dc=example, dc=com';

const opensslConfig = (dir: string) => `
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ v3_root ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ v3_intermediate ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ v3_leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ ca ]
default_ca = ca_default
[ ca_default ]
database = ${dir}/index.txt
new_certs_dir = ${dir}/newcerts
serial = ${dir}/serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[ policy_any ]
organizationName = optional
commonName = supplied
`;

function file(name: string): string {
  return join(dir, name);
}

function rfc2253Subject(pemPath: string): string {
  const printed = opensslSync(['x509', '-in', pemPath, '-noout', '-subject', '-nameopt', 'RFC2253']).trim();
  assert.ok(printed.startsWith('subject='), printed);
  return printed.slice('subject='.length);
}

/** A CSR for `subject` with a fresh P-256 key. */
function request(name: string, subject: string): void {
  opensslSync([
    'req',
    '-config',
    file('openssl.cnf'),
    '-new',
    ...EC_KEY,
    '-keyout',
    file(`${name}.key`),
    '-subj',
    subject,
    '-out',
    file(`${name}.csr`),
  ]);
}

/**
 * A CA certificate signed by the root with explicit validity dates: `openssl ca`'s
 * -startdate/-enddate (OpenSSL 3.0's `x509 -req` has no -not_before/-not_after).
 */
function datedCa(name: string, subject: string, start: string, end: string): void {
  request(name, subject);
  opensslSync([
    'ca',
    '-batch',
    '-notext',
    '-config',
    file('openssl.cnf'),
    '-cert',
    file('root.pem'),
    '-keyfile',
    file('root.key'),
    '-in',
    file(`${name}.csr`),
    '-out',
    file(`${name}.pem`),
    '-startdate',
    start,
    '-enddate',
    end,
    '-extfile',
    file('openssl.cnf'),
    '-extensions',
    'v3_root',
  ]);
}

function buildPki(): void {
  dir = mkdtempSync(join(tmpdir(), 'dbcerts-customer-pki-'));
  writeFileSync(file('openssl.cnf'), opensslConfig(dir));
  writeFileSync(file('index.txt'), '');
  writeFileSync(file('serial'), '1000\n');
  mkdirSync(file('newcerts'));

  opensslSync([
    'req',
    '-config',
    file('openssl.cnf'),
    '-x509',
    ...EC_KEY,
    '-keyout',
    file('root.key'),
    '-subj',
    '/O=Acme/CN=Acme Root CA',
    '-days',
    '3650',
    '-extensions',
    'v3_root',
    '-out',
    file('root.pem'),
  ]);

  request('intermediate', '/O=Acme/CN=Acme Users CA');
  opensslSync([
    'x509',
    '-req',
    '-in',
    file('intermediate.csr'),
    '-CA',
    file('root.pem'),
    '-CAkey',
    file('root.key'),
    '-CAcreateserial',
    '-days',
    '1825',
    '-extfile',
    file('openssl.cnf'),
    '-extensions',
    'v3_intermediate',
    '-out',
    file('intermediate.pem'),
  ]);

  request('leaf', '/DC=com/DC=example/O=Acme/OU=users/CN=david@example.com');
  opensslSync([
    'x509',
    '-req',
    '-in',
    file('leaf.csr'),
    '-CA',
    file('intermediate.pem'),
    '-CAkey',
    file('intermediate.key'),
    '-CAcreateserial',
    '-days',
    '365',
    '-extfile',
    file('openssl.cnf'),
    '-extensions',
    'v3_leaf',
    '-out',
    file('leaf.pem'),
  ]);

  datedCa('expired', '/O=Acme/CN=Acme Expired CA', '20200101000000Z', '20210101000000Z');
  datedCa('future', '/O=Acme/CN=Acme Future CA', '20990101000000Z', '20991231000000Z');

  pki.root = readFileSync(file('root.pem'), 'utf8');
  pki.intermediate = readFileSync(file('intermediate.pem'), 'utf8');
  pki.leaf = readFileSync(file('leaf.pem'), 'utf8');
  pki.leafPath = file('leaf.pem');
  pki.leafKey = readFileSync(file('leaf.key'), 'utf8');
  pki.expired = readFileSync(file('expired.pem'), 'utf8');
  pki.notYetValid = readFileSync(file('future.pem'), 'utf8');
  pki.leafSubject = rfc2253Subject(file('leaf.pem'));
  pki.notYetValidSubject = rfc2253Subject(file('future.pem'));

  bundle =
    '# Acme customer CA bundle\r\n' +
    'Root: Acme Root CA (O=Acme)   \n\n' +
    pki.root +
    '\n\t\n' +
    'Intermediate — Acme Users CA, signs the user certificates\n' +
    pki.intermediate.trimEnd();
}

// ---------------------------------------------------------------------------------------------
// Expected documents

const userSecurityPath = () => `${V1}/groups/${groupId}/userSecurity`;
const customerX509Path = () => `${V1}/groups/${groupId}/userSecurity/customerX509`;
const usersPath = () => `${V1}/groups/${groupId}/databaseUsers`;
const userPath = (username: string) => `${usersPath()}/$external/${encodeURIComponent(username)}`;

const LDAP_OFF = {
  authenticationEnabled: false,
  authorizationEnabled: false,
  authzQueryTemplate: '{USER}?memberOf?base',
  port: 636,
  userToDNMapping: [],
};

/** The UserSecurity document, members in Atlas' alphabetical order. */
function userSecurityBody(cas?: string) {
  return {
    customerX509: cas === undefined ? {} : { cas },
    ldap: LDAP_OFF,
    links: [{ href: `${server.origin}${userSecurityPath()}`, rel: 'self' }],
  };
}

/** Path segments in hrefs keep RFC 3986 sub-delimiters and `:` `@` (docs/compatibility.md). */
function hrefSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/%(24|26|2B|2C|3B|3D|3A|40)/g, (_m, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
}

function customerUserBody(username: string, roles = [{ databaseName: 'app', roleName: 'readWrite' }]) {
  return {
    awsIAMType: 'NONE',
    databaseName: '$external',
    groupId,
    labels: [],
    ldapAuthType: 'NONE',
    links: [{ href: `${server.origin}${usersPath()}/$external/${hrefSegment(username)}`, rel: 'self' }],
    oidcAuthType: 'NONE',
    roles,
    scopes: [],
    username,
    x509Type: 'CUSTOMER',
  };
}

const invalidCa = (reason: string) =>
  atlasError(400, 'INVALID_X509_CA_CERTIFICATE', `The X.509 CA bundle is not valid: ${reason}.`, [reason]);

/** The exact response text: compact JSON, members in the order given (alphabetical above). */
function assertExactJson(response: { status: number; text: string }, status: number, body: unknown): void {
  assert.equal(response.status, status, response.text);
  assert.equal(response.text, JSON.stringify(body));
}

/** A whole-second ISO instant, as Atlas writes dates. */
const atlasNow = () =>
  server.clock
    .now()
    .toISOString()
    .replace(/\.\d+Z$/, 'Z');

/** When each successful customer-X.509 change happened, for the events test. */
const changes: Array<{ eventTypeName: string; created: string }> = [];

async function patchUserSecurity(body: unknown, client = server.client) {
  return client.patch(userSecurityPath(), body);
}

/** A refused PATCH: the exact Atlas error, nothing stored, the earlier bundle still served. */
async function assertRefusedPatch(body: unknown, expected: ReturnType<typeof atlasError>, message: string) {
  const before = await storeSnapshot(server.store);
  const response = await patchUserSecurity(body);
  assertAtlasError(response, expected, message);
  assert.equal(await storeSnapshot(server.store), before, `${message}: the store changed`);
  const current = await server.client.get(userSecurityPath());
  assertExactJson(current, 200, userSecurityBody(bundle));
}

before(async () => {
  buildPki();
  server = await startTestServer();
  groupId = server.credentials.groupId;
  await createManagedUser(server, MANAGED_USER);
});

after(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

test('the test PKI is what the tests think it is (openssl)', () => {
  assert.equal(pki.leafSubject, 'CN=david@example.com,OU=users,O=Acme,DC=example,DC=com');
  const bundlePath = file('root-and-intermediate.pem');
  writeFileSync(bundlePath, pki.root + pki.intermediate);
  assert.equal(
    opensslSync(['verify', '-CAfile', bundlePath, '-purpose', 'sslclient', pki.leafPath]),
    `${pki.leafPath}: OK\n`,
  );
  const dates = (path: string) => opensslSync(['x509', '-in', path, '-noout', '-dates']);
  assert.equal(dates(file('expired.pem')), 'notBefore=Jan  1 00:00:00 2020 GMT\nnotAfter=Jan  1 00:00:00 2021 GMT\n');
  assert.equal(dates(file('future.pem')), 'notBefore=Jan  1 00:00:00 2099 GMT\nnotAfter=Dec 31 00:00:00 2099 GMT\n');
  assert.match(opensslSync(['x509', '-in', pki.leafPath, '-noout', '-ext', 'basicConstraints']), /CA:FALSE/);
});

test('GET userSecurity: customerX509 {} and LDAP off, exactly', async () => {
  const response = await server.client.get(userSecurityPath());
  assertExactJson(response, 200, userSecurityBody());
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
});

test('PATCH customerX509.cas: 202, and GET returns the bundle byte for byte', async () => {
  server.clock.advance(60_000);
  const response = await patchUserSecurity({ customerX509: { cas: bundle } });
  assertExactJson(response, 202, userSecurityBody(bundle));
  changes.push({ eventTypeName: 'DBCERTS_CUSTOMER_X509_UPDATED', created: atlasNow() });

  const got = await server.client.get(userSecurityPath());
  assertExactJson(got, 200, userSecurityBody(bundle));
  const cas: string = got.json().customerX509.cas;
  assert.equal(cas, bundle);
  assert.ok(Buffer.from(cas, 'utf8').equals(Buffer.from(bundle, 'utf8')));
  assert.ok(cas.includes('\r\n') && cas.includes('\n\t\n') && cas.includes('—') && !cas.endsWith('\n'));
});

test('the bundle as GET returns it verifies the leaf chain (openssl verify -purpose sslclient)', async () => {
  const cas: string = (await server.client.get(userSecurityPath())).json().customerX509.cas;
  const served = file('served-bundle.pem');
  writeFileSync(served, cas);
  assert.equal(
    opensslSync(['verify', '-CAfile', served, '-purpose', 'sslclient', pki.leafPath]),
    `${pki.leafPath}: OK\n`,
  );
  // Control: without the intermediate the same leaf does not verify, so the bundle's
  // second block is what makes the chain.
  const rootOnly = file('root-only.pem');
  writeFileSync(rootOnly, pki.root);
  assert.throws(
    () => opensslSync(['verify', '-CAfile', rootOnly, '-purpose', 'sslclient', pki.leafPath]),
    /unable to get local issuer certificate/,
  );
});

describe('x509Type CUSTOMER users: DN usernames, matched as openssl prints the subject', () => {
  const roles = [{ databaseName: 'app', roleName: 'readWrite' }];

  test('created with the RFC 2253 subject openssl prints for the leaf', async () => {
    const response = await server.client.post(usersPath(), {
      databaseName: '$external',
      groupId,
      roles,
      username: pki.leafSubject,
      x509Type: 'CUSTOMER',
    });
    assertExactJson(response, 201, customerUserBody(pki.leafSubject));
  });

  test('found by its own spelling and by another (lower-case names, spaces) in GET', async () => {
    for (const spelling of [pki.leafSubject, OTHER_SPELLING]) {
      const response = await server.client.get(userPath(spelling));
      assertExactJson(response, 200, customerUserBody(pki.leafSubject));
    }
  });

  test('PATCH through the other spelling changes the stored user', async () => {
    const newRoles = [{ databaseName: 'app', roleName: 'read' }];
    const response = await server.client.patch(userPath(OTHER_SPELLING), { roles: newRoles });
    assertExactJson(response, 200, customerUserBody(pki.leafSubject, newRoles));
    assertExactJson(
      await server.client.get(userPath(pki.leafSubject)),
      200,
      customerUserBody(pki.leafSubject, newRoles),
    );
  });

  test('DELETE through the other spelling removes it', async () => {
    const response = await server.client.delete(userPath(OTHER_SPELLING));
    assert.equal(response.status, 204, response.text);
    assert.equal(response.text, '');
    assertAtlasError(await server.client.get(userPath(pki.leafSubject)), usernameNotFound(pki.leafSubject));
  });

  test('created in the other spelling: stored as openssl prints the leaf subject, found by both', async () => {
    const response = await server.client.post(usersPath(), {
      databaseName: '$external',
      groupId,
      roles,
      username: OTHER_SPELLING,
      x509Type: 'CUSTOMER',
    });
    assertExactJson(response, 201, customerUserBody(pki.leafSubject));
    for (const spelling of [pki.leafSubject, OTHER_SPELLING]) {
      assertExactJson(await server.client.get(userPath(spelling)), 200, customerUserBody(pki.leafSubject));
    }
    const list = (await server.client.get(usersPath())).json();
    assert.deepEqual(
      list.results.map((user: { username: string }) => user.username),
      [MANAGED_USER, pki.leafSubject],
    );
  });

  test('a malformed DN is 400 ATLAS_INVALID_LDAP_NAME, and nothing is stored', async () => {
    for (const username of ['CN=david@example.com,OU', 'CN=david,,OU=users', 'david']) {
      const before = await storeSnapshot(server.store);
      const response = await server.client.post(usersPath(), {
        databaseName: '$external',
        groupId,
        roles,
        username,
        x509Type: 'CUSTOMER',
      });
      assertAtlasError(
        response,
        atlasError(
          400,
          'ATLAS_INVALID_LDAP_NAME',
          `The distinguished name specified in the username field, ${username}, is not valid according to RFC 2253.`,
          [username],
        ),
        username,
      );
      assert.equal(await storeSnapshot(server.store), before, username);
    }
  });

  test('written in lower case without spaces (an RFC 2253 spelling): the leaf’s user, answered as written', async () => {
    const lowerCase = 'cn=david@example.com,ou=users,o=Acme,dc=example,dc=com';
    const body = { databaseName: '$external', groupId, roles, username: lowerCase, x509Type: 'CUSTOMER' };
    const before = await storeSnapshot(server.store);
    assertAtlasError(
      await server.client.post(usersPath(), body),
      atlasError(409, 'USER_ALREADY_EXISTS', `A user with username ${lowerCase} already exists.`, [lowerCase]),
    );
    assert.equal(await storeSnapshot(server.store), before);

    assert.equal((await server.client.delete(userPath(pki.leafSubject))).status, 204);
    assertExactJson(await server.client.post(usersPath(), body), 201, customerUserBody(lowerCase));
    // Still matched by the leaf certificate's subject as openssl prints it: mongod's name.
    assertExactJson(await server.client.get(userPath(pki.leafSubject)), 200, customerUserBody(lowerCase));
    const row = await server.store.db
      .selectFrom('database_users')
      .select(['username', 'username_as_sent'])
      .where('username_as_sent', '=', lowerCase)
      .executeTakeFirstOrThrow();
    assert.deepEqual(row, { username: pki.leafSubject, username_as_sent: lowerCase });
  });
});

test('while the customer CA is on, POST …/certs for a MANAGED user is 400 CANNOT_GENERATE_CERT_IF_ADVANCED_X509', async () => {
  const before = await storeSnapshot(server.store);
  const response = await server.client.post(certsPath(server, MANAGED_USER), { monthsUntilExpiration: 3 });
  assertAtlasError(
    response,
    atlasError(
      400,
      'CANNOT_GENERATE_CERT_IF_ADVANCED_X509',
      'The user cannot create managed X.509 certs if advanced mode is on.',
    ),
  );
  assert.equal(await storeSnapshot(server.store), before);
});

describe('refused bundles: exact errors, the store unchanged, the earlier bundle kept', () => {
  test('garbage PEM (a CERTIFICATE block that is not base64)', async () => {
    await assertRefusedPatch(
      { customerX509: { cas: '-----BEGIN CERTIFICATE-----\nthis is not base64!\n-----END CERTIFICATE-----\n' } },
      invalidCa('the CERTIFICATE block is not valid base64'),
      'not base64',
    );
  });

  test('garbage PEM (base64 that is not X.509)', async () => {
    const der = Buffer.from('definitely not a DER certificate').toString('base64');
    await assertRefusedPatch(
      { customerX509: { cas: `-----BEGIN CERTIFICATE-----\n${der}\n-----END CERTIFICATE-----\n` } },
      invalidCa('block 1 does not parse as X.509'),
      'not X.509',
    );
  });

  test('text with no PEM block at all', async () => {
    await assertRefusedPatch(
      { customerX509: { cas: 'hello, I am a CA' } },
      invalidCa('it holds no PEM certificate'),
      'no PEM',
    );
  });

  test('an empty string', async () => {
    await assertRefusedPatch({ customerX509: { cas: '' } }, invalidCa('it holds no PEM certificate'), 'empty');
  });

  test('a PEM of another type (a private key), alone and after a good root', async () => {
    await assertRefusedPatch({ customerX509: { cas: pki.leafKey } }, invalidCa('block 1 is a PRIVATE KEY'), 'key');
    await assertRefusedPatch(
      { customerX509: { cas: pki.root + pki.leafKey } },
      invalidCa('block 2 is a PRIVATE KEY'),
      'root + key',
    );
  });

  // The detail names the certificate by its subject, in the RFC 2253 form dbcerts uses for
  // every DN it shows (docs/compatibility.md "RFC 2253 subjects"), i.e. as openssl prints it.
  test('a leaf (CA:FALSE) uploaded as a CA', async () => {
    await assertRefusedPatch(
      { customerX509: { cas: pki.root + pki.leaf } },
      invalidCa(`${pki.leafSubject} is not a CA certificate`),
      'leaf',
    );
  });

  test('an expired CA is 400 EXPIRED_X509_CA_CERTIFICATE, alone and in a bundle', async () => {
    const expected = atlasError(400, 'EXPIRED_X509_CA_CERTIFICATE', 'The X.509 CA certificate has expired.');
    await assertRefusedPatch({ customerX509: { cas: pki.expired } }, expected, 'expired');
    await assertRefusedPatch({ customerX509: { cas: pki.root + pki.expired } }, expected, 'root + expired');
  });

  test('a CA that is not valid yet', async () => {
    assert.equal(pki.notYetValidSubject, 'CN=Acme Future CA,O=Acme');
    await assertRefusedPatch(
      { customerX509: { cas: pki.notYetValid } },
      invalidCa(`${pki.notYetValidSubject} is not valid yet`),
      'not yet valid',
    );
  });
});

describe('LDAP and unknown attributes', () => {
  test('enabling LDAP authentication or authorization is 400 LDAP_NOT_SUPPORTED', async () => {
    const expected = atlasError(
      400,
      'LDAP_NOT_SUPPORTED',
      'LDAP authentication and authorization are not supported by this server.',
    );
    await assertRefusedPatch({ ldap: { authenticationEnabled: true } }, expected, 'authentication');
    await assertRefusedPatch({ ldap: { authorizationEnabled: true } }, expected, 'authorization');
    await assertRefusedPatch(
      { customerX509: { cas: pki.root }, ldap: { authenticationEnabled: true, hostname: 'ldap.example.com' } },
      expected,
      'with a bundle',
    );
  });

  test('ldap {authenticationEnabled:false} is accepted: 202, nothing changes', async () => {
    const before = await storeSnapshot(server.store);
    const response = await patchUserSecurity({ ldap: { authenticationEnabled: false } });
    assertExactJson(response, 202, userSecurityBody(bundle));
    assert.equal(await storeSnapshot(server.store), before);
  });

  test('unknown attributes are 400 INVALID_ATTRIBUTE naming them', async () => {
    await assertRefusedPatch({ customerX509: { cas: pki.root }, enabled: true }, invalidAttribute('enabled'), 'top');
    await assertRefusedPatch({ customerX509: { cas: pki.root, crl: 'x' } }, invalidAttribute('crl'), 'customerX509');
    await assertRefusedPatch({ ldap: { authenticationEnabled: false, url: 'x' } }, invalidAttribute('url'), 'ldap');
    // Read-only members a GET answered may be sent back, but only in their own shape.
    await assertRefusedPatch(
      { customerX509: { cas: pki.root }, links: 'self' },
      invalidJsonAttribute('links'),
      'links',
    );
  });
});

test('a GROUP_READ_ONLY key gets 401 USER_UNAUTHORIZED on GET, PATCH and DELETE', async () => {
  const created = await server.client.post(`${V1}/groups/${groupId}/apiKeys`, {
    desc: 'read only',
    roles: ['GROUP_READ_ONLY'],
  });
  assert.equal(created.status, 200, created.text);
  const key = created.json();
  const readOnly = new DigestClient(server.origin, key.publicKey, key.privateKey);
  const expected = atlasError(401, 'USER_UNAUTHORIZED', 'Current user is not authorized to perform this action.');

  const before = await storeSnapshot(server.store);
  assertAtlasError(await readOnly.get(userSecurityPath()), expected, 'GET');
  assertAtlasError(await patchUserSecurity({ customerX509: { cas: pki.root } }, readOnly), expected, 'PATCH');
  assertAtlasError(await readOnly.delete(customerX509Path()), expected, 'DELETE');
  assert.equal(await storeSnapshot(server.store), before);
  assertExactJson(await server.client.get(userSecurityPath()), 200, userSecurityBody(bundle));
});

test('DELETE …/customerX509: 202 with customerX509 {}, and managed certificates work again', async () => {
  server.clock.advance(60_000);
  const response = await server.client.delete(customerX509Path());
  assertExactJson(response, 202, userSecurityBody());
  changes.push({ eventTypeName: 'DBCERTS_CUSTOMER_X509_DISABLED', created: atlasNow() });
  assertExactJson(await server.client.get(userSecurityPath()), 200, userSecurityBody());

  const issued = await server.client.post(certsPath(server, MANAGED_USER), { monthsUntilExpiration: 3 });
  assert.equal(issued.status, 201, issued.text);
  assert.match(
    issued.text,
    /^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n/,
  );

  // Again, when already off: still 202 with the same document.
  server.clock.advance(60_000);
  assertExactJson(await server.client.delete(customerX509Path()), 202, userSecurityBody());
});

test('a second upload turns it on again; events DBCERTS_CUSTOMER_X509_UPDATED / DISABLED are recorded', async () => {
  server.clock.advance(60_000);
  const single = pki.root;
  assertExactJson(await patchUserSecurity({ customerX509: { cas: single } }), 202, userSecurityBody(single));
  changes.push({ eventTypeName: 'DBCERTS_CUSTOMER_X509_UPDATED', created: atlasNow() });

  const key = await server.store.apiKeys.findByPublicKey(server.credentials.publicKey);
  const response = await server.client.get(
    `${V1}/groups/${groupId}/events?eventType=DBCERTS_CUSTOMER_X509_UPDATED&eventType=DBCERTS_CUSTOMER_X509_DISABLED`,
  );
  assert.equal(response.status, 200, response.text);
  const events = response.json().results as Array<Record<string, unknown>>;
  // Newest first; a DELETE that found it already off recorded nothing.
  const expected = [...changes].reverse().map((change, index) => ({
    apiKeyId: key!.id,
    created: change.created,
    eventTypeName: change.eventTypeName,
    groupId,
    id: events[index]?.id,
    isGlobalAdmin: false,
    links: [{ href: `${server.origin}${V1}/groups/${groupId}/events/${events[index]?.id}`, rel: 'self' }],
    orgId: server.credentials.orgId,
    outcome: 'SUCCESS',
    publicKey: server.credentials.publicKey,
    remoteAddress: '127.0.0.1',
  }));
  assert.deepEqual(events, expected);
});
