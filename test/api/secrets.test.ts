import assert from 'node:assert/strict';
import { createHash, createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server.js';
import { Authority } from '../../src/authority/authority.js';
import { EVENT_TYPES, isDbcertsEventType } from '../../src/domain/events.js';
import type { BootstrapCredentials } from '../../src/authority/bootstrap.js';
import { newMasterKey, SecretBox } from '../../src/pki/secret-box.js';
import { SQLITE_FILE_NAME } from '../../src/store/database.js';
import { Store } from '../../src/store/store.js';
import { createTestDatabase, storedCells, TEST_BACKEND, type TestDatabase } from '../helpers/backend.js';
import { TestClock } from '../helpers/clock.js';
import { type ApiResponse, DigestClient, type RequestOptions, send } from '../helpers/digest-client.js';
import { openTestAuthority, V1 } from '../helpers/server.js';

/**
 * Secrets never appear in logs, list responses, events or error bodies, nor in the clear
 * in the database file. A server with every log line captured (level trace) runs a
 * realistic session: org and project keys, SCRAM users and password changes, managed
 * certificates, failed Digest (and Basic) attempts, refused requests and errors. Every
 * secret the session created or used is collected in every form it could leak in (text,
 * hex, base64, raw bytes): API private keys, the Digest HA1s derived from them, SCRAM
 * passwords, certificate private keys (PEM body and the private scalar), the project CA's
 * private key, the master key and the Digest nonce secret. None may appear anywhere but in
 * the one response that handed it out. The private key's last 12 characters are not
 * secret; Atlas shows them, but only redacted (`********-****-****-<tail>`).
 *
 * The server is built here rather than with startTestServer so the test knows the master
 * key (it must look for it, and open sealed values to prove they are sealed).
 *
 * What is stored is searched as stored: on SQLite the database file's bytes (and its WAL);
 * on PostgreSQL, whose files are the server's, every cell of every table as its raw bytes
 * (bytea as is, text as UTF-8), read over a connection of the test's own.
 */

const START = '2024-06-01T10:00:00.000Z';
const REALM = 'MMS Public API';
const MASK = '********-****-****-';
const DBCERTS_TYPES = EVENT_TYPES.filter(isDbcertsEventType)
  .map((type) => `eventType=${type}`)
  .join('&');

interface Secret {
  name: string;
  /** Forms it could take in text (logs, JSON bodies, the database's text columns). */
  text: string[];
  /** Forms it could take in binary files (the SQLite file). */
  bytes: Buffer[];
}

interface Recorded {
  label: string;
  status: number;
  text: string;
  headers: string;
  /** Names of the secrets this response legitimately hands out (the creation answers). */
  reveals: Set<string>;
}

const secrets: Secret[] = [];
const recorded: Recorded[] = [];
const logLines: string[] = [];
/** API keys made in the session: their private keys' tails may show, redacted. */
const apiPrivateKeys: string[] = [];

const masterKey = newMasterKey();
const clock = new TestClock(START);
let dataDir: string;
/** On PostgreSQL, the session's database (on SQLite, the file is in dataDir). */
let database: TestDatabase;
let store: Store;
let authority: Authority;
let app: FastifyInstance;
let origin: string;
let credentials: BootstrapCredentials;
let owner: DigestClient;
let storeClosed = false;

function textSecret(name: string, value: string, minLength = 8): void {
  assert.ok(value.length >= minLength, `${name} is too short to search for reliably`);
  secrets.push({ name, text: [value], bytes: [Buffer.from(value, 'utf8')] });
}

function binarySecret(name: string, value: Buffer): void {
  assert.ok(value.length >= 16, `${name} is too short to search for reliably`);
  secrets.push({
    name,
    text: [
      value.toString('hex'),
      value.toString('hex').toUpperCase(),
      value.toString('base64'),
      value.toString('base64url'),
    ],
    bytes: [value, Buffer.from(value.toString('hex')), Buffer.from(value.toString('base64'))],
  });
}

/** An API private key, and the HA1s (MD5 and SHA-256) that Digest derives from it. */
function apiKeySecrets(name: string, publicKey: string, privateKey: string): void {
  apiPrivateKeys.push(privateKey);
  secrets.push({
    name,
    text: [privateKey, privateKey.slice(0, 23), privateKey.replaceAll('-', '')],
    bytes: [Buffer.from(privateKey), Buffer.from(privateKey.slice(0, 23))],
  });
  for (const algorithm of ['md5', 'sha256'] as const) {
    const ha1 = createHash(algorithm).update(`${publicKey}:${REALM}:${privateKey}`).digest();
    binarySecret(`${name}: HA1 ${algorithm}`, ha1);
  }
  // A client sending Basic credentials by mistake (curl without --digest) puts this on the wire.
  textSecret(`${name}: Basic credentials`, Buffer.from(`${publicKey}:${privateKey}`).toString('base64'));
}

/** A PKCS#8 private key: its PEM body (whole and per full line), DER, and private scalar(s). */
function privateKeySecrets(name: string, pkcs8Pem: string): void {
  const lines = pkcs8Pem
    .trim()
    .split('\n')
    .filter((line) => !line.startsWith('-----'));
  const body = lines.join('');
  const der = Buffer.from(body, 'base64');
  secrets.push({
    name: `${name}: PEM`,
    text: [pkcs8Pem.trim(), body, ...lines.filter((line) => line.length === 64)],
    bytes: [Buffer.from(body), der],
  });
  binarySecret(`${name}: DER`, der);
  const jwk = createPrivateKey(pkcs8Pem).export({ format: 'jwk' });
  for (const part of ['d', 'p', 'q'] as const) {
    const value = jwk[part];
    if (value) binarySecret(`${name}: private ${part}`, Buffer.from(value, 'base64url'));
  }
}

const PRIVATE_KEY_PEM = /-----BEGIN PRIVATE KEY-----\n[\s\S]+?\n-----END PRIVATE KEY-----\n/;

/** Sends a request and keeps its answer for the leak checks. */
async function call(
  client: DigestClient,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<ApiResponse> {
  const response = await client.request(path, { method, ...options });
  remember(`${client.publicKey} ${method} ${path}`, response);
  return response;
}

function remember(label: string, response: ApiResponse): Recorded {
  const entry = {
    label: `${label} → ${response.status}`,
    status: response.status,
    text: response.text,
    headers: JSON.stringify([...response.headers]),
    reveals: new Set<string>(),
  };
  recorded.push(entry);
  return entry;
}

function expectStatus(response: ApiResponse, status: number): void {
  assert.equal(response.status, status, response.text);
}

/** Creates a key (org or project) and registers its secrets; only this answer may show them. */
async function createKey(path: string, desc: string, roles: string[]) {
  const response = await call(owner, 'POST', path, { body: { desc, roles } });
  expectStatus(response, 200);
  const key = response.json();
  const name = `API key "${desc}"`;
  apiKeySecrets(name, key.publicKey, key.privateKey);
  const entry = recorded.at(-1)!;
  for (const secret of secrets.filter((each) => each.name.startsWith(name))) entry.reveals.add(secret.name);
  return { ...key, client: new DigestClient(origin, key.publicKey, key.privateKey) } as {
    id: string;
    publicKey: string;
    privateKey: string;
    client: DigestClient;
  };
}

/** Issues a certificate and registers its private key; only this answer may show it. */
async function issue(client: DigestClient, groupId: string, username: string, label: string) {
  const response = await call(client, 'POST', `${V1}/groups/${groupId}/databaseUsers/${username}/certs`, {
    body: { monthsUntilExpiration: 3 },
  });
  expectStatus(response, 201);
  const pem = PRIVATE_KEY_PEM.exec(response.text)?.[0];
  assert.ok(pem, response.text);
  const before = secrets.length;
  privateKeySecrets(label, pem);
  const entry = recorded.at(-1)!;
  for (const secret of secrets.slice(before)) entry.reveals.add(secret.name);
}

function leaksIn(haystack: string, allowed: ReadonlySet<string> = new Set()): string[] {
  const found: string[] = [];
  for (const secret of secrets) {
    if (allowed.has(secret.name)) continue;
    for (const form of secret.text) {
      if (haystack.includes(form)) {
        found.push(`${secret.name} (as ${form.slice(0, 16)}…)`);
        break;
      }
    }
  }
  return found;
}

function leaksInBytes(haystack: Buffer): string[] {
  const found: string[] = [];
  for (const secret of secrets) {
    for (const form of [...secret.bytes, ...secret.text.map((text) => Buffer.from(text))]) {
      if (haystack.includes(form)) {
        found.push(secret.name);
        break;
      }
    }
  }
  return found;
}

/** Every occurrence of a private key's tail in `text` must be the redacted form. */
function unredactedTails(text: string): string[] {
  const found: string[] = [];
  for (const privateKey of apiPrivateKeys) {
    const tail = privateKey.slice(-12);
    for (let at = text.indexOf(tail); at !== -1; at = text.indexOf(tail, at + 1)) {
      if (text.slice(Math.max(0, at - MASK.length), at) !== MASK) found.push(`${tail} at ${at}`);
    }
  }
  return found;
}

function databaseFiles(): Buffer[] {
  return [SQLITE_FILE_NAME, `${SQLITE_FILE_NAME}-wal`, `${SQLITE_FILE_NAME}-shm`, `${SQLITE_FILE_NAME}-journal`]
    .map((name) => join(dataDir, name))
    .filter((file) => existsSync(file))
    .map((file) => readFileSync(file));
}

/**
 * What the store holds, as stored: on SQLite the database files' bytes; on PostgreSQL
 * every cell of every table (read through `over`, by default the session's store).
 */
async function storedBytes(over: Store = store): Promise<Array<{ where: string; bytes: Buffer }>> {
  if (TEST_BACKEND === 'sqlite') {
    return databaseFiles().map((bytes, index) => ({ where: `database file ${index}`, bytes }));
  }
  return (await storedCells(over)).map(({ table, column, bytes }) => ({ where: `${table}.${column}`, bytes }));
}

// =======================================================================================
// The session.

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'dbcerts-secrets-'));
  database = await createTestDatabase();
  ({ store, authority } = await openTestAuthority(dataDir, database.url, masterKey, clock));
  ({ credentials } = await authority.bootstrap.bootstrap());
  app = await buildServer({
    authority,
    nonceLifetimeSeconds: 300,
    logger: { level: 'trace', stream: { write: (line: string) => logLines.push(line) } },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  owner = new DigestClient(origin, credentials.publicKey, credentials.privateKey);

  binarySecret('master key', masterKey);
  binarySecret('Digest nonce secret', await authority.digestNonceSecret());
  apiKeySecrets('bootstrap key', credentials.publicKey, credentials.privateKey);

  const { orgId, groupId } = credentials;
  const users = `${V1}/groups/${groupId}/databaseUsers`;

  // Keys: organization and project ones.
  const ops = await createKey(`${V1}/orgs/${orgId}/apiKeys`, 'ops automation', ['ORG_OWNER']);
  const reader = await createKey(`${V1}/orgs/${orgId}/apiKeys`, 'auditor', ['ORG_READ_ONLY']);
  const projectKey = await createKey(`${V1}/groups/${groupId}/apiKeys`, 'project admin', ['GROUP_OWNER']);
  const second = await call(owner, 'POST', `${V1}/groups`, { body: { name: 'Second', orgId } });
  expectStatus(second, 200);
  const secondGroupId = second.json().id as string;
  expectStatus(
    await call(owner, 'PATCH', `${V1}/orgs/${orgId}/apiKeys/${reader.id}`, { body: { desc: 'auditor (renamed)' } }),
    200,
  );
  expectStatus(
    await call(ops.client, 'PATCH', `${V1}/groups/${secondGroupId}/apiKeys/${reader.id}`, {
      body: { roles: ['GROUP_READ_ONLY'] },
    }),
    200,
  );

  // SCRAM users, with passwords: created, changed, refused.
  const passwords = {
    first: 'Tr0ub4dor&3-first-password',
    changed: 'correct-horse-battery-staple-2',
    duplicate: 'dup-P4ssw0rd-never-stored',
    tooShort: 'Sh0rt!7',
    malformed: 'malformed-json-P4ss',
    x509: 'x509-cannot-have-this-pw',
  };
  for (const [name, value] of Object.entries(passwords)) textSecret(`SCRAM password ${name}`, value, 7);
  const scramUser = (username: string, password: string) => ({
    databaseName: 'admin',
    username,
    password,
    roles: [{ roleName: 'readWrite', databaseName: 'app' }],
  });
  expectStatus(await call(projectKey.client, 'POST', users, { body: scramUser('app-user', passwords.first) }), 201);
  expectStatus(
    await call(projectKey.client, 'PATCH', `${users}/admin/app-user`, { body: { password: passwords.changed } }),
    200,
  );
  expectStatus(await call(ops.client, 'POST', users, { body: scramUser('app-user', passwords.duplicate) }), 409);
  expectStatus(await call(ops.client, 'POST', users, { body: scramUser('short-pw', passwords.tooShort) }), 400);
  expectStatus(
    await call(ops.client, 'POST', users, {
      rawBody: `{"databaseName":"admin","username":"broken","password":"${passwords.malformed}",`,
      headers: { 'content-type': 'application/json' },
    }),
    400,
  );
  expectStatus(
    await call(ops.client, 'POST', users, {
      body: {
        databaseName: '$external',
        username: 'x509-with-pw',
        x509Type: 'MANAGED',
        password: passwords.x509,
        roles: [{ roleName: 'read', databaseName: 'app' }],
      },
    }),
    400,
  );
  expectStatus(
    await call(ops.client, 'POST', users, {
      body: { ...scramUser('typed-pw', 'unused-but-typed'), password: 12345678901 },
    }),
    400,
  );
  // A refused key sending a password: the body is never echoed.
  expectStatus(await call(reader.client, 'POST', users, { body: scramUser('by-reader', passwords.changed) }), 401);

  // Managed X.509: a user, certificates from two keys (the CA is created on the first).
  expectStatus(
    await call(ops.client, 'POST', users, {
      body: {
        databaseName: '$external',
        username: 'cert-user',
        x509Type: 'MANAGED',
        roles: [{ roleName: 'read', databaseName: 'app' }],
      },
    }),
    201,
  );
  await issue(ops.client, groupId, 'cert-user', 'certificate 1 key');
  clock.advance(60_000);
  await issue(projectKey.client, groupId, 'cert-user', 'certificate 2 key');
  expectStatus(
    await call(projectKey.client, 'POST', users, {
      body: {
        databaseName: '$external',
        username: 'kept-user',
        x509Type: 'MANAGED',
        roles: [{ roleName: 'read', databaseName: 'app' }],
      },
    }),
    201,
  );
  await issue(owner, groupId, 'kept-user', 'certificate 3 key');
  const ca = await store.certificateAuthorities.findActive(groupId);
  assert.ok(ca);
  const caKey = new SecretBox(masterKey).open(ca.sealedPrivateKey, `certificate_authorities.private_key:${ca.id}`);
  privateKeySecrets(
    'project CA key',
    `-----BEGIN PRIVATE KEY-----\n${caKey.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END PRIVATE KEY-----\n`,
  );

  // Failed Digest attempts: wrong passwords, a real private key with the wrong public key,
  // an unknown public key; and Basic credentials sent in the clear by mistake.
  const wrong = {
    typo: `${ops.privateKey.slice(0, -1)}${ops.privateKey.endsWith('0') ? '1' : '0'}`,
    guess: 'd0e1f2a3-b4c5-4d6e-8f70-8192a3b4c5d6',
  };
  textSecret('wrong password (typo)', wrong.typo);
  textSecret('wrong password (guess)', wrong.guess);
  const attempts = [
    new DigestClient(origin, ops.publicKey, wrong.typo),
    new DigestClient(origin, reader.publicKey, wrong.guess),
    new DigestClient(origin, credentials.publicKey, ops.privateKey),
    new DigestClient(origin, 'zzzzzzzz', projectKey.privateKey),
  ];
  for (const client of attempts) {
    expectStatus(await call(client, 'GET', `${V1}/orgs/${orgId}/apiKeys`), 401);
    expectStatus(await call(client, 'POST', users, { body: scramUser('nope', passwords.changed) }), 401);
  }
  for (const key of [ops, projectKey]) {
    const basic = `Basic ${Buffer.from(`${key.publicKey}:${key.privateKey}`).toString('base64')}`;
    const response = await send(`${origin}${V1}/orgs/${orgId}`, 'GET', basic);
    remember(`Basic ${key.publicKey}`, response);
    expectStatus(response, 401);
  }
  // A key's private key pasted into a request body by mistake: refused, not echoed.
  expectStatus(
    await call(ops.client, 'PATCH', `${V1}/orgs/${orgId}/apiKeys/${reader.id}`, {
      body: { desc: 'with a secret', privateKey: ops.privateKey },
    }),
    400,
  );
  expectStatus(
    await call(ops.client, 'POST', `${V1}/orgs/${orgId}/apiKeys`, {
      body: { desc: 'x', roles: ['ORG_MEMBER'], secret: projectKey.privateKey },
    }),
    400,
  );

  // Refusals and errors.
  expectStatus(await call(projectKey.client, 'GET', `${V1}/groups/${secondGroupId}`), 401);
  expectStatus(await call(reader.client, 'DELETE', `${V1}/orgs/${orgId}/apiKeys/${ops.id}`), 401);
  const listed = await createKey(`${V1}/orgs/${orgId}/apiKeys`, 'listed elsewhere', ['ORG_OWNER']);
  expectStatus(
    await call(owner, 'POST', `${V1}/orgs/${orgId}/apiKeys/${listed.id}/accessList`, {
      body: [{ cidrBlock: '10.0.0.0/8' }],
    }),
    201,
  );
  expectStatus(await call(listed.client, 'GET', `${V1}/orgs/${orgId}`), 403);
  expectStatus(await call(owner, 'GET', `${V1}/orgs/${orgId}/apiKeys/aaaaaaaaaaaaaaaaaaaaaaaa`), 404);
  expectStatus(await call(owner, 'GET', `${V1}/no/such/path`), 404);
  expectStatus(await call(owner, 'GET', `${users}/admin/nobody`), 404);

  // Deletions: a user (its certificates are revoked) and a key.
  expectStatus(await call(ops.client, 'DELETE', `${users}/$external/cert-user`), 204);
  const doomed = await createKey(`${V1}/orgs/${orgId}/apiKeys`, 'deleted soon', ['ORG_MEMBER']);
  expectStatus(await call(owner, 'DELETE', `${V1}/orgs/${orgId}/apiKeys/${doomed.id}`), 204);
  expectStatus(await call(doomed.client, 'GET', `${V1}/orgs/${orgId}`), 401);

  // Every list and entity the session touched, read back (plain, pretty and enveloped).
  const reads = [
    `${V1}/orgs`,
    `${V1}/orgs/${orgId}`,
    `${V1}/orgs/${orgId}/groups`,
    `${V1}/orgs/${orgId}/settings`,
    `${V1}/orgs/${orgId}/apiKeys`,
    ...[ops, reader, projectKey, listed].map((key) => `${V1}/orgs/${orgId}/apiKeys/${key.id}`),
    `${V1}/orgs/${orgId}/apiKeys/${listed.id}/accessList`,
    `${V1}/groups`,
    `${V1}/groups/${groupId}`,
    `${V1}/groups/${groupId}/apiKeys`,
    `${V1}/groups/${secondGroupId}/apiKeys`,
    users,
    `${users}/admin/app-user`,
    `${users}/kept-user/certs`,
    `${users}/$external/kept-user`,
    `${V1}/groups/${groupId}/userSecurity/managedX509/ca`,
    `${V1}/orgs/${orgId}/events?itemsPerPage=500`,
    `${V1}/groups/${groupId}/events?itemsPerPage=500`,
    // dbcerts' own types, refusals among them, are listed when named.
    `${V1}/orgs/${orgId}/events?itemsPerPage=500&${DBCERTS_TYPES}`,
    `${V1}/groups/${groupId}/events?itemsPerPage=500&${DBCERTS_TYPES}`,
  ];
  for (const path of reads) {
    const response = await call(owner, 'GET', path);
    expectStatus(response, 200);
    for (const query of ['pretty=true', 'envelope=true']) {
      const variant = await call(owner, 'GET', `${path}${path.includes('?') ? '&' : '?'}${query}`);
      expectStatus(variant, 200);
    }
  }
  const events = (await call(owner, 'GET', `${V1}/orgs/${orgId}/events?itemsPerPage=500`)).json().results;
  for (const event of events.slice(0, 40)) {
    expectStatus(await call(owner, 'GET', `${V1}/orgs/${orgId}/events/${event.id}`), 200);
  }
});

after(async () => {
  if (!storeClosed) {
    await app.close();
    await store.close();
  }
  await database.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

// =======================================================================================

describe('the session did what a leak check needs', () => {
  test('secrets were collected, responses and log lines captured', () => {
    const names = secrets.map((secret) => secret.name);
    assert.ok(names.filter((name) => name.startsWith('API key')).length >= 15, names.join('\n'));
    assert.ok(names.some((name) => name.startsWith('certificate 3 key: private d')));
    assert.ok(names.some((name) => name.startsWith('project CA key: private d')));
    assert.ok(recorded.length > 100);
    // Every kind of answer the checks rely on happened.
    for (const status of [200, 201, 204, 400, 401, 403, 404, 409]) {
      assert.ok(
        recorded.some((entry) => entry.status === status),
        `no ${status}`,
      );
    }
    // One log line at least per request received, every line JSON.
    assert.ok(logLines.length >= recorded.length, `${logLines.length} log lines`);
    for (const line of logLines) JSON.parse(line);
    assert.ok(logLines.some((line) => /"statusCode":401/.test(line)));
    assert.ok(logLines.some((line) => /"statusCode":201/.test(line)));
  });

  test('the check itself finds a secret where there is one', () => {
    const ops = secrets.find((secret) => secret.name === 'API key "ops automation"')!;
    const created = recorded.find((entry) => entry.reveals.has(ops.name))!;
    assert.deepEqual(leaksIn(created.text), [`${ops.name} (as ${ops.text[0]!.slice(0, 16)}…)`]);
    const certificate = recorded.find((entry) => entry.reveals.has('certificate 1 key: PEM'))!;
    assert.ok(leaksIn(certificate.text).includes(`certificate 1 key: PEM (as ${'-----BEGIN PRIVA'}…)`));
    assert.ok(leaksInBytes(Buffer.concat([Buffer.from('x'), masterKey, Buffer.from('y')])).includes('master key'));
    assert.deepEqual(unredactedTails(`"${ops.text[0]}"`).length, 1);
  });
});

describe('no secret appears where it must not', () => {
  test('in any captured log line', () => {
    const leaks = logLines.flatMap((line, index) => leaksIn(line).map((leak) => `line ${index}: ${leak}`));
    assert.deepEqual(leaks, []);
    // Nor a private key's tail: logs show no key material at all.
    assert.deepEqual(logLines.flatMap(unredactedTails), []);
    for (const privateKey of apiPrivateKeys) {
      assert.ok(!logLines.some((line) => line.includes(privateKey.slice(-12))), 'a private key tail was logged');
    }
  });

  test('no log line carries the Authorization header or a request body', () => {
    for (const line of logLines) {
      assert.ok(!/authorization/i.test(line), line);
      assert.ok(!/Digest username|response="/.test(line), line);
      assert.ok(!line.includes('"password"'), line);
    }
  });

  test('in any response body or header, except the one answer that handed it out', () => {
    const leaks = recorded.flatMap((entry) =>
      [...leaksIn(entry.text, entry.reveals), ...leaksIn(entry.headers)].map((leak) => `${entry.label}: ${leak}`),
    );
    assert.deepEqual(leaks, []);
  });

  test('in error bodies: none of them echoes a secret the request carried', () => {
    const errors = recorded.filter((entry) => entry.status >= 400);
    assert.ok(errors.length >= 20);
    for (const entry of errors) {
      assert.deepEqual(leaksIn(entry.text), [], entry.label);
      assert.deepEqual(unredactedTails(entry.text), [], entry.label);
    }
  });

  test('private keys show only redacted after creation: ********-****-****-<last 12>', () => {
    for (const entry of recorded) {
      const revealsAKey = [...entry.reveals].some((name) => name.startsWith('API key'));
      if (revealsAKey) continue;
      assert.deepEqual(unredactedTails(entry.text), [], entry.label);
      assert.deepEqual(unredactedTails(entry.headers), [], entry.label);
    }
    // And the redacted form is there, for every key still alive, in the organization's list.
    const list = recorded.find((entry) => entry.label.endsWith(`apiKeys → 200`) && entry.label.includes(' GET '));
    assert.ok(list);
    for (const result of JSON.parse(list.text).results as Array<{ privateKey: string }>) {
      assert.match(result.privateKey, /^\*{8}-\*{4}-\*{4}-[0-9a-f]{12}$/);
    }
  });

  test('in the events table (every row, every column)', async () => {
    const rows = await store.db.selectFrom('events').selectAll().execute();
    assert.ok(rows.length >= 20, `${rows.length} events`);
    const text = JSON.stringify(rows, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
    assert.deepEqual(leaksIn(text), []);
    assert.deepEqual(unredactedTails(text), []);
    for (const privateKey of apiPrivateKeys) assert.ok(!text.includes(privateKey.slice(-12)));
  });

  test('in any table, read back as text (tails only in the column that keeps them)', async () => {
    const tables = (await store.db.introspection.getTables()).map((table) => table.name);
    assert.ok(tables.includes('api_keys') && tables.includes('events'), tables.join());
    for (const table of tables) {
      const rows = await store.db
        .selectFrom(table as 'events')
        .selectAll()
        .execute();
      const text = JSON.stringify(rows, (_key, value) => {
        if (typeof value === 'bigint') return value.toString();
        if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
        return value;
      });
      assert.deepEqual(leaksIn(text), [], table);
    }
  });

  test(`in the stored bytes (${TEST_BACKEND === 'sqlite' ? 'SQLite file on disk: database, WAL' : 'PostgreSQL: every cell of every table'}): only sealed values`, async () => {
    const stored = await storedBytes();
    assert.ok(stored.length >= (TEST_BACKEND === 'sqlite' ? 1 : 100), `${stored.length} stored`);
    // The search sees what is there: a key's description, stored in the clear.
    assert.ok(stored.some(({ bytes }) => bytes.includes(Buffer.from('ops automation'))));
    for (const { where, bytes } of stored) assert.deepEqual(leaksInBytes(bytes), [], where);
  });

  test('the API keys’ HA1s are in the database only sealed, and open to the right values', async () => {
    const box = new SecretBox(masterKey);
    const rows = await store.db.selectFrom('api_keys').selectAll().execute();
    assert.ok(rows.length >= 5);
    const stored = await storedBytes();
    assert.ok(stored.length >= 1);
    for (const row of rows) {
      for (const [column, algorithm] of [
        ['digest_ha1_md5', 'md5'],
        ['digest_ha1_sha256', 'sha256'],
      ] as const) {
        const sealed = row[column];
        assert.match(sealed, /^v1\.[A-Za-z0-9_-]+$/);
        const ha1 = box.open(sealed, `api_keys.digest_ha1_${algorithm}:${row.id}`).toString();
        assert.match(ha1, algorithm === 'md5' ? /^[0-9a-f]{32}$/ : /^[0-9a-f]{64}$/);
        for (const { where, bytes } of stored) {
          assert.ok(!bytes.includes(Buffer.from(ha1)), `${row.public_key} HA1 ${algorithm} in the clear (${where})`);
          assert.ok(!bytes.includes(Buffer.from(ha1, 'hex')), `${row.public_key} HA1 ${algorithm} as bytes (${where})`);
        }
      }
      // The tail kept in the clear is 12 characters, nothing more of the key.
      assert.match(row.private_key_tail, /^[0-9a-f]{12}$/);
    }
    // The known keys' HA1s are exactly what the sealed values hold.
    const ops = rows.find((row) => row.description === 'ops automation')!;
    const opsKey = apiPrivateKeys.find((privateKey) => privateKey.slice(-12) === ops.private_key_tail)!;
    const expected = createHash('md5').update(`${ops.public_key}:${REALM}:${opsKey}`).digest('hex');
    assert.equal(box.open(ops.digest_ha1_md5, `api_keys.digest_ha1_md5:${ops.id}`).toString(), expected);
  });

  test('the CA key is sealed; no certificate private key is stored at all', async () => {
    const authorities = await store.db.selectFrom('certificate_authorities').selectAll().execute();
    assert.equal(authorities.length, 1);
    assert.match(String(authorities[0]!.private_key_sealed), /^v1\.[A-Za-z0-9_-]+$/);
    const columns = Object.keys((await store.db.selectFrom('certificates').selectAll().executeTakeFirst()) ?? {});
    assert.ok(columns.length > 0);
    assert.ok(!columns.some((column) => /private|key_pem|secret/i.test(column)), columns.join());
  });

  test(
    TEST_BACKEND === 'sqlite'
      ? 'after the store is closed (WAL checkpointed), the database file still holds no secret'
      : 'after the server and its pool are closed, a new connection finds no secret in any cell',
    async () => {
      await app.close();
      await store.close();
      storeClosed = true;
      if (TEST_BACKEND === 'sqlite') {
        const files = databaseFiles();
        for (const file of files) assert.deepEqual(leaksInBytes(file), []);
        // The closed database is all in the main file now, and it has the expected content.
        const main = readFileSync(join(dataDir, SQLITE_FILE_NAME));
        assert.ok(main.includes(Buffer.from('ops automation')));
        return;
      }
      // Everything the session committed, read by a store of the test's own.
      const reader = await Store.open({ dataDir, databaseUrl: database.url });
      try {
        const stored = await storedBytes(reader);
        for (const { where, bytes } of stored) assert.deepEqual(leaksInBytes(bytes), [], where);
        assert.ok(stored.some(({ bytes }) => bytes.includes(Buffer.from('ops automation'))));
      } finally {
        await reader.close();
      }
    },
  );
});
