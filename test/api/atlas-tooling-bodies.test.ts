import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import atlasClientModule from 'mongodb-atlas-api-client';
import { atlasError, invalidJsonAttribute, usernameNotFound } from '../helpers/atlas-assert.js';
import { curlDigest } from '../helpers/curl.js';
import { opensslSync, selfSignedP256 } from '../helpers/openssl.js';
import { type PythonRequest, type PythonResponse, pythonRequests } from '../helpers/python-requests.js';
import { scramMatches } from '../helpers/scram.js';
import { startTestServer, storedDatabaseUser, storeSnapshot, type TestServer, V1 } from '../helpers/server.js';

/**
 * Issue 11 for database users, userSecurity and organization settings: the bytes real Atlas
 * tooling puts on the wire, sent verbatim by independent clients (curl --digest, Python
 * requests, the npm mongodb-atlas-api-client). The bodies were reconstructed from the
 * clients' sources, encoding/json writing struct members in declaration order:
 *
 * - v1 Go client, mongodb/go-client-mongodb-atlas: mongodbatlas/database_users.go @07efff1e
 *   (`DatabaseUser`: every member `omitempty` except `scopes`, so an unset slice is
 *   `"scopes":null`; `Role` members `omitempty`; Update's path database from GetAuthDB(),
 *   usernames through url.PathEscape) and mongodbatlas/mongodbatlas.go @00268b38 (bodies by
 *   json.Encoder with SetEscapeHTML(false), hence a trailing newline; Content-Type and
 *   Accept `application/json`).
 * - HashiCorp Vault's database plugin, hashicorp/vault-plugin-database-mongodbatlas
 *   mongodbatlas.go @b0560502 (on go.mongodb.org/atlas v0.38.0, go.mod @00dbe7d4): NewUser
 *   sends Username, Password, DatabaseName (default "admin"), Roles and Scopes from the
 *   creation statement; UpdateUser (rotation) sends only Password, to PATCH
 *   …/databaseUsers/admin/{username}; DeleteUser is DELETE …/{database_name}/{username}.
 *   The statement is mongodbatlas_test.go's @08e1d4ea; the username has the default
 *   template's shape (`v-<role>-<random>`, 20 characters).
 * - The newest Go SDK, mongodb/atlas-sdk-go: admin/model_cloud_database_user.go (roles as
 *   `[]DatabaseUserRole` with tag `json:"roles"`, so an unset one is `"roles":null`;
 *   `groupId`, `databaseName`, `username` without omitempty, so unset is `""`),
 *   model_database_user_role.go @245f8448, model_ldap_security_settings.go @14ba3699,
 *   model_organization_settings.go @239f690a, client.go @01374de2 (json.NewEncoder: a
 *   trailing newline), api_database_users.go @0f303459 (Content-Type and Accept
 *   `application/vnd.atlas.2023-01-01+json`, url.PathEscape of every path parameter).
 *   Its partial update is the Atlas CLI's (mongodb/mongodb-atlas-cli
 *   internal/cli/dbusers/update.go @039ddaff: groupId, username, password, databaseName and
 *   the x509Type flag, default NONE).
 */

const getAtlasClient = atlasClientModule as unknown as typeof atlasClientModule.default;

let server: TestServer;
let workDir: string;
let g: string;
const V2 = '/api/atlas/v2';
const SDK_MEDIA_TYPE = 'application/vnd.atlas.2023-01-01+json';
const SDK_HEADERS = { Accept: SDK_MEDIA_TYPE, 'Content-Type': SDK_MEDIA_TYPE };

before(async () => {
  server = await startTestServer();
  g = server.credentials.groupId;
  workDir = mkdtempSync(join(tmpdir(), 'dbcerts-tooling-'));
});

after(async () => {
  await server.close();
  rmSync(workDir, { recursive: true, force: true });
});

/** Go's url.PathEscape: every byte but unreserved characters and `$&+:=@` as %XX (upper-case hex). */
function goPathEscape(segment: string): string {
  return Array.from(new TextEncoder().encode(segment), (byte) => {
    const character = String.fromCharCode(byte);
    return /^[A-Za-z0-9\-_.~$&+:=@]$/.test(character)
      ? character
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

/** Path segments in hrefs keep RFC 3986 sub-delimiters and `:` `@` (docs/compatibility.md). */
function hrefSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/%(24|26|2B|2C|3B|3D|3A|40)/g, (_m, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
}

/** The CloudDatabaseUser dbcerts answers, members in alphabetical order. */
function userAnswer(prefix: string, user: { databaseName: string; username: string; [member: string]: unknown }) {
  return {
    awsIAMType: 'NONE',
    databaseName: user.databaseName,
    groupId: g,
    labels: [],
    ldapAuthType: 'NONE',
    links: [
      {
        href: `${server.origin}${prefix}/groups/${g}/databaseUsers/${hrefSegment(user.databaseName)}/${hrefSegment(user.username)}`,
        rel: 'self',
      },
    ],
    oidcAuthType: 'NONE',
    roles: user.roles,
    scopes: [],
    username: user.username,
    x509Type: user.x509Type ?? 'NONE',
  };
}

const storedUser = (databaseName: string, matchedBy: string) =>
  storedDatabaseUser(server.store, g, databaseName, matchedBy);

/** The Go SDK's requests through Python requests: its media type both ways. */
const sdk = (requests: PythonRequest[]) =>
  pythonRequests(
    server.origin,
    server.credentials,
    requests.map((request) => ({ ...request, headers: { ...SDK_HEADERS, ...request.headers } })),
  );

function assertAnswer(response: PythonResponse, status: number, text: string, message?: string): void {
  assert.equal(response.status, status, `${message ?? ''} ${response.text}`);
  assert.equal(response.text, text, message);
}

/**
 * A request that must be refused with `expected` (the whole body, members in the order
 * given, as Atlas writes them), the store unchanged.
 */
async function assertRefused(request: PythonRequest, expected: object, message: string) {
  const before = await storeSnapshot(server.store);
  const [response] = await sdk([request]);
  assert.equal(response!.status, (expected as { error: number }).error, `${message}: ${response!.text}`);
  assert.equal(response!.text, JSON.stringify(expected), message);
  assert.equal(await storeSnapshot(server.store), before, `${message}: the store changed`);
}

/** A v2 schema violation: the v1.0 body behind `badRequestDetail`. */
const wrongShape = (field: string, description: string) => ({
  badRequestDetail: { fields: [{ description, field }] },
  ...invalidJsonAttribute(field),
});

// ---------------------------------------------------------------------------------------------

describe('HashiCorp Vault’s MongoDB Atlas database plugin (v1 Go client), replayed with curl --digest', () => {
  const username = 'v-test-Kx3Jq9Tz0LmAb';
  const password = 'A1a-Xq2vR7tLmZ9bWc4K';
  const rotated = 'A1a-7HnPq3sTk8YwBv2M';
  const usersUrl = () => `${server.origin}${V1}/groups/${g}/databaseUsers`;
  const userUrl = () => `${usersUrl()}/admin/${goPathEscape(username)}`;
  const curl = (args: string[]) =>
    curlDigest(server.credentials, ['-H', 'Content-Type: application/json', '-H', 'Accept: application/json', ...args]);
  const answer = () =>
    JSON.stringify(
      userAnswer(V1, { databaseName: 'admin', username, roles: [{ databaseName: 'admin', roleName: 'atlasAdmin' }] }),
    );
  const scram = async () => JSON.parse((await storedUser('admin', username))!.scram_sha256!);

  test('NewUser: the v1 body with "scopes":null creates the SCRAM user (201), with its password', async () => {
    const body = `{"databaseName":"admin","roles":[{"roleName":"atlasAdmin","databaseName":"admin"}],"scopes":null,"password":"${password}","username":"${username}"}\n`;
    const created = await curl(['--data-binary', body, usersUrl()]);
    assert.equal(created.status, 201, created.body);
    assert.equal(created.body, answer());
    assert.ok(scramMatches(await scram(), password));
  });

  test('UpdateUser (rotation): {"scopes":null,"password":…} changes the password and nothing else', async () => {
    const rotation = await curl([
      '-X',
      'PATCH',
      '--data-binary',
      `{"scopes":null,"password":"${rotated}"}\n`,
      userUrl(),
    ]);
    assert.equal(rotation.status, 200, rotation.body);
    assert.equal(rotation.body, answer());
    const credentials = await scram();
    assert.ok(scramMatches(credentials, rotated));
    assert.ok(!scramMatches(credentials, password));
  });

  test('a rotation to a password Atlas refuses is 400, the rotated password kept', async () => {
    const before = await storeSnapshot(server.store);
    const refused = await curl(['-X', 'PATCH', '--data-binary', '{"scopes":null,"password":"short"}\n', userUrl()]);
    assert.equal(refused.status, 400, refused.body);
    assert.equal(JSON.parse(refused.body).errorCode, 'INVALID_ATTRIBUTE');
    assert.equal(await storeSnapshot(server.store), before);
    assert.ok(scramMatches(await scram(), rotated));
  });

  test('DeleteUser: DELETE …/admin/{username} is 204, and the user is gone', async () => {
    const deleted = await curl(['-X', 'DELETE', userUrl()]);
    assert.equal(deleted.status, 204, deleted.body);
    assert.equal(deleted.body, '');
    const gone = await curl([userUrl()]);
    assert.equal(gone.status, 404);
    assert.deepEqual(JSON.parse(gone.body), JSON.parse(JSON.stringify(usernameNotFound(username))));
  });

  test('a creation statement with scopes: the v1 body carries them, and they are kept', async () => {
    const scoped = 'v-scoped-Qm4Zr8Wn2Lx';
    const body = `{"databaseName":"admin","roles":[{"roleName":"readWrite","databaseName":"app"}],"scopes":[{"name":"Cluster0","type":"CLUSTER"}],"password":"${password}","username":"${scoped}"}\n`;
    const created = await curl(['--data-binary', body, usersUrl()]);
    assert.equal(created.status, 201, created.body);
    assert.deepEqual(JSON.parse(created.body).scopes, [{ name: 'Cluster0', type: 'CLUSTER' }]);
  });
});

describe('the v1 Go client: create with groupId, then get → modify → Update (Python requests)', () => {
  test('the GET answer, decoded into DatabaseUser and sent back with new roles, is accepted', async () => {
    const create = `{"databaseName":"$external","x509Type":"MANAGED","groupId":"${g}","roles":[{"roleName":"readWrite","databaseName":"app"}],"scopes":null,"username":"robot"}\n`;
    // What DatabaseUser keeps of the GET answer (no links, no oidcAuthType; `labels: []` is
    // omitted as empty, `scopes: []` is not), Update's path database from GetAuthDB().
    const update = `{"databaseName":"$external","ldapAuthType":"NONE","x509Type":"MANAGED","awsIAMType":"NONE","groupId":"${g}","roles":[{"roleName":"read","databaseName":"app"}],"scopes":[],"username":"robot"}\n`;
    const path = `${V1}/groups/${g}/databaseUsers/$external/robot`;
    const [created, read, updated] = await pythonRequests(server.origin, server.credentials, [
      { method: 'POST', target: `${V1}/groups/${g}/databaseUsers`, body: create },
      { method: 'GET', target: path },
      { method: 'PATCH', target: path, body: update },
    ]);
    const robot = { databaseName: '$external', username: 'robot', x509Type: 'MANAGED' };
    assertAnswer(
      created!,
      201,
      JSON.stringify(userAnswer(V1, { ...robot, roles: [{ databaseName: 'app', roleName: 'readWrite' }] })),
    );
    assert.equal(read!.json().groupId, g);
    assertAnswer(
      updated!,
      200,
      JSON.stringify(userAnswer(V1, { ...robot, roles: [{ databaseName: 'app', roleName: 'read' }] })),
    );
  });
});

describe('the newest Go SDK (atlas-sdk-go) on v2 (Python requests)', () => {
  const path = () => `${V2}/groups/${g}/databaseUsers/admin/sdk-alice`;
  const readWrite = '[{"databaseName":"app","roleName":"readWrite"}]';
  const read = '[{"databaseName":"app","roleName":"read"}]';
  /** What the SDK sends back after decoding the GET answer: the same members, in the same order. */
  const fullBody = (roles: string, changes: { groupId?: string; username?: string; databaseName?: string } = {}) =>
    `{"awsIAMType":"NONE","databaseName":"${changes.databaseName ?? 'admin'}","groupId":"${changes.groupId ?? g}","labels":[],"ldapAuthType":"NONE","links":[{"href":"${server.origin}${path()}","rel":"self"}],"oidcAuthType":"NONE","roles":${roles},"scopes":[],"username":"${changes.username ?? 'sdk-alice'}","x509Type":"NONE"}`;

  test('NewCloudDatabaseUser: created with groupId, and with the "" of an unset groupId', async () => {
    const body = (groupId: string, username: string) =>
      `{"awsIAMType":"NONE","databaseName":"admin","groupId":"${groupId}","ldapAuthType":"NONE","oidcAuthType":"NONE","password":"sdk-password-1","roles":${readWrite},"username":"${username}","x509Type":"NONE"}\n`;
    const [alice, bob] = await sdk([
      { method: 'POST', target: `${V2}/groups/${g}/databaseUsers`, body: body(g, 'sdk-alice') },
      { method: 'POST', target: `${V2}/groups/${g}/databaseUsers`, body: body('', 'sdk-bob') },
    ]);
    assertAnswer(alice!, 201, fullBody(readWrite));
    assert.equal(alice!.headers['content-type'], SDK_MEDIA_TYPE);
    assert.equal(bob!.status, 201, bob!.text);
    assert.equal(bob!.json().groupId, g);
  });

  test('the partial update the Atlas CLI builds: "roles":null leaves the roles, the password changes', async () => {
    const body = `{"databaseName":"admin","groupId":"${g}","password":"sdk-password-2","roles":null,"username":"sdk-alice","x509Type":"NONE"}\n`;
    const [updated] = await sdk([{ method: 'PATCH', target: path(), body }]);
    assertAnswer(updated!, 200, fullBody(readWrite));
    const credentials = JSON.parse((await storedUser('admin', 'sdk-alice'))!.scram_sha256!);
    assert.ok(scramMatches(credentials, 'sdk-password-2'));
  });

  test('a partial update whose groupId was never set ("") is not a group mismatch', async () => {
    const body = `{"databaseName":"admin","groupId":"","password":"sdk-password-3","roles":null,"username":"sdk-alice","x509Type":"NONE"}\n`;
    const [updated] = await sdk([{ method: 'PATCH', target: path(), body }]);
    assertAnswer(updated!, 200, fullBody(readWrite));
  });

  test('get → modify → update: the GET answer is what the SDK sends back, and it is accepted', async () => {
    const [got, updated, again] = await sdk([
      { method: 'GET', target: path() },
      { method: 'PATCH', target: path(), body: `${fullBody(read)}\n` },
      { method: 'GET', target: path() },
    ]);
    assertAnswer(got!, 200, fullBody(readWrite), 'the GET the SDK decodes');
    assertAnswer(updated!, 200, fullBody(read));
    assertAnswer(again!, 200, fullBody(read));
  });

  test('the same body with a real conflict keeps its Atlas error, and changes nothing', async () => {
    const [project] = await sdk([
      { method: 'POST', target: `${V2}/groups`, body: `{"name":"Elsewhere","orgId":"${server.credentials.orgId}"}\n` },
    ]);
    assert.equal(project!.status, 200, project!.text);
    const elsewhere: string = project!.json().id;
    const patch = (body: string): PythonRequest => ({ method: 'PATCH', target: path(), body: `${body}\n` });
    await assertRefused(
      patch(fullBody(readWrite, { groupId: elsewhere })),
      atlasError(400, 'GROUP_MISMATCH', `The specified group ID ${elsewhere} does not match the URL.`, [elsewhere]),
      'groupId of another project',
    );
    await assertRefused(
      patch(fullBody(readWrite, { username: 'sdk-carol' })),
      atlasError(
        409,
        'DATABASE_USERNAME_CANNOT_BE_CHANGED',
        'Cannot modify the username of an existing database user.',
      ),
      'another username',
    );
    await assertRefused(
      patch(fullBody(readWrite, { databaseName: '$external' })),
      atlasError(
        409,
        'DATABASE_NAME_CANNOT_BE_CHANGED',
        'Cannot modify the authentication database of an existing database user.',
      ),
      'another database',
    );
    await assertRefused(
      patch(fullBody(readWrite).replace(/"links":\[[^\]]*\]/, '"links":"self"')),
      wrongShape('links', 'must be array'),
      'links that are not links',
    );
  });
});

describe('the npm mongodb-atlas-api-client: get → modify → update of a SCRAM user', () => {
  test('the object user.get answered, with new roles, is accepted by user.update', async () => {
    const atlas = getAtlasClient({
      publicKey: server.credentials.publicKey,
      privateKey: server.credentials.privateKey,
      baseUrl: `${server.origin}${V1}`,
      projectId: g,
    });
    await atlas.user.create({
      databaseName: 'admin',
      groupId: g,
      username: 'npm-user',
      password: 'npm-password-1',
      roles: [{ databaseName: 'app', roleName: 'readWrite' }],
    });
    const user = (await atlas.user.get('npm-user')) as unknown as Record<string, unknown>;
    assert.equal(user.groupId, g);
    const roles = [{ databaseName: 'app', roleName: 'read' }];
    const updated = await atlas.user.update('npm-user', { ...user, roles });
    assert.deepEqual(updated, { ...user, roles });
  });
});

describe('userSecurity: the SDK sends back what GET answered (Python requests)', () => {
  const path = () => `${V2}/groups/${g}/userSecurity`;
  const ldapOff =
    '"ldap":{"authenticationEnabled":false,"authorizationEnabled":false,"authzQueryTemplate":"{USER}?memberOf?base","port":636,"userToDNMapping":[]}';
  const links = () => `"links":[{"href":"${server.origin}${path()}","rel":"self"}]`;
  let ca: string;

  before(async () => {
    // Reading the CA never creates it (docs/extensions.md); rotating a project without one does.
    const created = await server.client.post(`${V1}/groups/${g}/userSecurity/managedX509/ca/rotate`, {});
    assert.equal(created.status, 200, created.text);
    const response = await server.client.get(`${V1}/groups/${g}/userSecurity/managedX509/ca`);
    assert.equal(response.status, 200, response.text);
    ca = response.text;
  });

  test('GET → set cas → PATCH with links and the ldap object as GET shows them: 202', async () => {
    const [got, updated] = await sdk([
      { method: 'GET', target: path() },
      {
        method: 'PATCH',
        target: path(),
        body: `{"customerX509":{"cas":${JSON.stringify(ca)}},${ldapOff},${links()}}\n`,
      },
    ]);
    assertAnswer(got!, 200, `{"customerX509":{},${ldapOff},${links()}}`, 'the GET the SDK decodes');
    assertAnswer(updated!, 202, `{"customerX509":{"cas":${JSON.stringify(ca)}},${ldapOff},${links()}}`);
  });

  test('as Atlas’ GET shows it, with customerX509.links and ldap.links too, and "ldap":null: 202', async () => {
    const nested = (name: string) => `"links":[{"href":"${server.origin}${path()}/${name}","rel":"self"}]`;
    const [full, nullLdap] = await sdk([
      {
        method: 'PATCH',
        target: path(),
        body: `{"customerX509":{"cas":${JSON.stringify(ca)},${nested('customerX509')}},"ldap":{"authenticationEnabled":false,"authorizationEnabled":false,"authzQueryTemplate":"{USER}?memberOf?base",${nested('ldap')},"port":636,"userToDNMapping":[]},${links()}}\n`,
      },
      { method: 'PATCH', target: path(), body: `{"customerX509":{"cas":${JSON.stringify(ca)}},"ldap":null}\n` },
    ]);
    const answer = `{"customerX509":{"cas":${JSON.stringify(ca)}},${ldapOff},${links()}}`;
    assertAnswer(full!, 202, answer);
    assertAnswer(nullLdap!, 202, answer);
  });

  test('links of the wrong shape, or LDAP switched on in the same document, are refused; nothing changes', async () => {
    const patch = (body: string): PythonRequest => ({ method: 'PATCH', target: path(), body });
    await assertRefused(
      patch(`{"customerX509":{"cas":${JSON.stringify(ca)},"links":"self"},${ldapOff},${links()}}`),
      wrongShape('customerX509.links', 'must be array'),
      'customerX509.links',
    );
    await assertRefused(
      patch(`{"customerX509":{},${ldapOff},"links":{}}`),
      wrongShape('links', 'must be array'),
      'links',
    );
    await assertRefused(
      patch(
        `{"customerX509":{},${ldapOff.replace('"authenticationEnabled":false', '"authenticationEnabled":true')},${links()}}`,
      ),
      atlasError(400, 'LDAP_NOT_SUPPORTED', 'LDAP authentication and authorization are not supported by this server.'),
      'LDAP on',
    );
  });
});

describe('organization settings: the SDK sends back what GET answered (Python requests)', () => {
  test('GET, then the same document, then a null member: 200, unchanged', async () => {
    const path = `${V2}/orgs/${server.credentials.orgId}/settings`;
    const [got, same, nulled] = await sdk([
      { method: 'GET', target: path },
      { method: 'PATCH', target: path, body: '{"apiAccessListRequired":false}\n' },
      { method: 'PATCH', target: path, body: '{"apiAccessListRequired":null}\n' },
    ]);
    for (const response of [got, same, nulled]) assertAnswer(response!, 200, '{"apiAccessListRequired":false}');
    await assertRefused(
      { method: 'PATCH', target: path, body: '{"apiAccessListRequired":"no"}\n' },
      wrongShape('apiAccessListRequired', 'must be boolean'),
      'not a boolean',
    );
  });
});

describe('customer X.509 DNs keep the spelling the client sent; matching stays canonical', () => {
  /** DNs that used to come back in another spelling, and how openssl makes a certificate with that subject. */
  const cases = [
    {
      why: 'UTF-8',
      sent: 'CN=Jörg Müller,O=Bäckerei Köln',
      canonical: 'CN=J\\C3\\B6rg M\\C3\\BCller,O=B\\C3\\A4ckerei K\\C3\\B6ln',
      subj: '/O=Bäckerei Köln/CN=Jörg Müller',
    },
    {
      why: 'lower-case attribute types',
      sent: 'cn=app,ou=db,o=Example,dc=example,dc=com',
      canonical: 'CN=app,OU=db,O=Example,DC=example,DC=com',
      subj: '/DC=com/DC=example/O=Example/OU=db/CN=app',
    },
    {
      why: 'escaped characters',
      sent: 'CN=Doe\\2C John,O=Acme\\, Inc.',
      canonical: 'CN=Doe\\, John,O=Acme\\, Inc.',
      subj: '/O=Acme, Inc./CN=Doe, John',
    },
    {
      why: 'a multi-valued RDN',
      sent: 'cn=John Doe+serialNumber=42,ou=people,o=Acme',
      canonical: 'CN=John Doe+serialNumber=42,OU=people,O=Acme',
      subj: '/O=Acme/OU=people/CN=John Doe+serialNumber=42',
    },
    {
      why: 'long names and a leading #',
      sent: 'commonName=\\23ops,organizationName=Acme',
      canonical: 'CN=\\#ops,O=Acme',
      subj: '/O=Acme/CN=#ops',
    },
  ];
  const roles = [{ databaseName: 'app', roleName: 'readWrite' }];
  const usersPath = () => `${V2}/groups/${g}/databaseUsers`;
  /** NewCloudDatabaseUser("$external", groupId, roles, dn) with SetX509Type("CUSTOMER"). */
  const createBody = (dn: string) =>
    `{"awsIAMType":"NONE","databaseName":"$external","groupId":"${g}","ldapAuthType":"NONE","oidcAuthType":"NONE","roles":${JSON.stringify(roles)},"username":${JSON.stringify(dn)},"x509Type":"CUSTOMER"}\n`;
  const answer = (username: string, userRoles: object[] = roles) =>
    JSON.stringify(userAnswer(V2, { databaseName: '$external', username, roles: userRoles, x509Type: 'CUSTOMER' }));

  for (const { why, sent, canonical, subj } of cases) {
    test(`${why}: ${sent} answered as sent, found by any spelling, unique and matched as ${canonical}`, async () => {
      // The canonical form is what openssl prints for a certificate with this subject: the
      // name mongod gives the $external user.
      const cert = join(workDir, 'subject.pem');
      opensslSync([
        ...selfSignedP256('/dev/null'),
        '-subj',
        subj,
        '-utf8',
        '-multivalue-rdn',
        '-days',
        '1',
        '-out',
        cert,
      ]);
      const printed = opensslSync(['x509', '-in', cert, '-noout', '-subject', '-nameopt', 'RFC2253']);
      assert.equal(printed, `subject=${canonical}\n`);

      const byPathEscape = `${usersPath()}/$external/${goPathEscape(sent)}`;
      const [created, read, readCanonically, list, certs] = await sdk([
        { method: 'POST', target: usersPath(), body: createBody(sent) },
        { method: 'GET', target: byPathEscape },
        { method: 'GET', target: `${usersPath()}/$external/${goPathEscape(canonical)}` },
        { method: 'GET', target: usersPath() },
        { method: 'GET', target: `${usersPath()}/${goPathEscape(sent)}/certs` },
      ]);
      assertAnswer(created!, 201, answer(sent), 'created');
      assertAnswer(read!, 200, answer(sent), 'by the spelling sent');
      assertAnswer(readCanonically!, 200, answer(sent), 'by the canonical spelling');
      assert.ok(list!.json().results.some((user: { username: string }) => user.username === sent));
      assert.equal(certs!.status, 200, certs!.text);
      assert.deepEqual(certs!.json().results, []);

      const row = await storedUser('$external', canonical);
      assert.equal(row?.username_as_sent, sent);

      await assertRefused(
        { method: 'POST', target: usersPath(), body: createBody(canonical) },
        atlasError(409, 'USER_ALREADY_EXISTS', `A user with username ${canonical} already exists.`, [canonical]),
        'the same name in its canonical spelling',
      );

      // get → modify → update with the username as read back, then a PATCH naming the user
      // in the canonical spelling: the spelling sent at creation stays.
      const newRoles = [{ databaseName: 'app', roleName: 'read' }];
      const back = JSON.stringify({ ...read!.json(), roles: newRoles });
      const [updated, renamedSpelling, deleted, gone] = await sdk([
        { method: 'PATCH', target: byPathEscape, body: `${back}\n` },
        { method: 'PATCH', target: byPathEscape, body: `{"roles":null,"username":${JSON.stringify(canonical)}}\n` },
        { method: 'DELETE', target: byPathEscape },
        { method: 'GET', target: byPathEscape },
      ]);
      assertAnswer(updated!, 200, answer(sent, newRoles), 'get → modify → update');
      assertAnswer(renamedSpelling!, 200, answer(sent, newRoles), 'the canonical spelling in the body');
      assert.equal(deleted!.status, 204, deleted!.text);
      assert.equal(gone!.status, 404, gone!.text);
    });
  }

  test('a DN with the spaces RFC 2253 §4 tolerates is not an RFC 2253 spelling: kept canonical', async () => {
    const [created] = await sdk([{ method: 'POST', target: usersPath(), body: createBody('cn=app, o=Example') }]);
    assertAnswer(created!, 201, answer('CN=app,O=Example'));
    assert.equal((await storedUser('$external', 'CN=app,O=Example'))?.username_as_sent, null);
  });

  test('a DN that is not a name is still 400 ATLAS_INVALID_LDAP_NAME, nothing stored', async () => {
    const dn = 'cn=app,,o=Example';
    await assertRefused(
      { method: 'POST', target: usersPath(), body: createBody(dn) },
      atlasError(
        400,
        'ATLAS_INVALID_LDAP_NAME',
        `The distinguished name specified in the username field, ${dn}, is not valid according to RFC 2253.`,
        [dn],
      ),
      'a malformed DN',
    );
  });
});
