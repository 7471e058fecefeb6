import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { parseMasterKey, SecretBox } from '../../src/pki/secret-box.js';
import { TEST_BACKEND } from '../helpers/backend.js';
import { api, certificateOf, type Credentials, dbcerts, Deployment, tableContents, V1 } from './instances.js';
import { type Fixture, listings, literal, populate, reportedCounts } from './transfer-fixture.js';

/**
 * `dbcerts backup` → wipe → `dbcerts restore` on PostgreSQL, and the refusals that protect
 * a store (not empty without --replace, another master key). Judged by what clients see
 * (every listing the API offers, byte for byte) and by the tables themselves.
 */

const run = promisify(execFile);
const skip = TEST_BACKEND !== 'postgres' ? 'PostgreSQL only (DBCERTS_TEST_BACKEND=postgres)' : false;

describe('backup → wipe → restore on PostgreSQL', { skip, timeout: 120_000 }, () => {
  let deployment: Deployment;
  let credentials: Credentials;
  let fixture: Fixture;
  let listingsBefore: Record<string, string>;
  let tablesBefore: Record<string, string[]>;
  let backupFile: string;
  let backedUp: Record<string, number>;
  const tables = () => tableContents((text) => deployment.query(text));
  const cli = () => ['--data', join(deployment.scratch, 'cli')];

  before(async () => {
    deployment = await Deployment.create();
    credentials = await deployment.bootstrap();
    const server = await deployment.start();
    fixture = await populate(server.origin, credentials);
    listingsBefore = await listings(server.origin, credentials, fixture.groups);
    assert.deepEqual(await server.kill('SIGTERM'), { code: 0, signal: null });
    tablesBefore = await tables();
    backupFile = join(deployment.scratch, 'backup.jsonl');
    const outcome = await dbcerts(['backup', '--out', backupFile, ...cli()], deployment.env());
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.equal(outcome.stdout, '');
    backedUp = reportedCounts(outcome.stderr, `backed up to ${literal(backupFile)}`);
  });

  after(() => deployment?.close());

  test('the backup: private file, a header naming the master key, one line per row, no secret in clear', () => {
    assert.equal(statSync(backupFile).mode & 0o777, 0o600);
    const text = readFileSync(backupFile, 'utf8');
    const lines = text.split('\n');
    assert.equal(lines.pop(), '', 'ends with a newline');
    const header = JSON.parse(lines[0]!);
    assert.deepEqual(Object.keys(header).sort(), ['createdAt', 'format', 'masterKeyFingerprint', 'source', 'version']);
    assert.equal(header.format, 'dbcerts-backup');
    assert.equal(header.version, 1);
    assert.equal(header.source, 'postgres');
    assert.equal(header.masterKeyFingerprint, new SecretBox(parseMasterKey(deployment.masterKey)).fingerprint());
    const perTable: Record<string, number> = {};
    for (const line of lines.slice(1)) {
      const { table } = JSON.parse(line) as { table: string };
      perTable[table] = (perTable[table] ?? 0) + 1;
    }
    assert.deepEqual(perTable, Object.fromEntries(Object.entries(backedUp).filter(([, count]) => count > 0)));
    for (const [table, rows] of Object.entries(tablesBefore)) {
      assert.equal(backedUp[table] ?? 0, rows.length, `${table}: every row`);
    }
    for (const table of Object.keys(backedUp)) assert.ok(table in tablesBefore, table);
    assert.ok(backedUp.certificates! >= 6 && backedUp.certificate_authorities === 2 && backedUp.api_keys! >= 2);
    for (const secret of [credentials.privateKey, fixture.orgKey.privateKey, 'PRIVATE KEY', 'correct horse']) {
      assert.ok(!text.includes(secret), `the backup holds ${secret} in clear`);
    }
  });

  test('restore into the store that holds data is refused without --replace, and changes nothing', async () => {
    const outcome = await dbcerts(['restore', backupFile, ...cli()], deployment.env());
    assert.equal(outcome.code, 2);
    assert.equal(
      outcome.stderr,
      'dbcerts: the store already holds data: restore into an empty one, or pass --replace\n',
    );
    assert.deepEqual(await tables(), tablesBefore);
  });

  test('restore --replace over the same store leaves exactly the same rows', async () => {
    const outcome = await dbcerts(['restore', backupFile, '--replace', ...cli()], deployment.env());
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.deepEqual(await tables(), tablesBefore);
  });

  test('after a wipe, restore with another master key is refused, naming both keys, and writes nothing', async () => {
    await deployment.recreateDatabase();
    const otherKey = randomBytes(32).toString('hex');
    const outcome = await dbcerts(['restore', backupFile, ...cli()], deployment.env({ DBCERTS_MASTER_KEY: otherKey }));
    const expected = new SecretBox(parseMasterKey(deployment.masterKey)).fingerprint();
    const used = new SecretBox(parseMasterKey(otherKey)).fingerprint();
    assert.equal(outcome.code, 2);
    assert.equal(
      outcome.stderr,
      `dbcerts: the backup's secrets are sealed with master key ${expected}, not this one (${used}): ` +
        'set DBCERTS_MASTER_KEY (or DIR/master.key) to that key\n',
    );
    assert.deepEqual(await tables(), {}, 'the wiped database is still empty');
  });

  test('restore into the wiped store reproduces every row of every table', async () => {
    const outcome = await dbcerts(['restore', backupFile, ...cli()], deployment.env());
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.deepEqual(
      reportedCounts(outcome.stderr, `restored from ${literal(backupFile)}`),
      Object.fromEntries(Object.entries(backedUp).filter(([, count]) => count > 0)),
    );
    assert.deepEqual(await tables(), tablesBefore);
  });

  test('a server on the restored store answers every listing identically, and the old API keys authenticate', async () => {
    const server = await deployment.start();
    assert.deepEqual(await listings(server.origin, credentials, fixture.groups), listingsBefore);
    const org = await api(server.origin, fixture.orgKey, `${V1}/orgs/${credentials.orgId}`);
    assert.equal(org.status, 200, org.text);
    // The restored CA key (sealed) still signs: a new certificate verifies against the same CA.
    const cert = await api(
      server.origin,
      credentials,
      `${V1}/groups/${credentials.groupId}/databaseUsers/alice/certs`,
      {
        method: 'POST',
        body: {},
      },
    );
    assert.equal(cert.status, 201, cert.text);
    const dir = join(deployment.scratch, 'verify');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'ca.pem'),
      listingsBefore[`${V1}/groups/${credentials.groupId}/userSecurity/managedX509/ca`]!,
    );
    writeFileSync(join(dir, 'new.pem'), certificateOf(cert.text).pem);
    const { stdout } = await run('openssl', [
      'verify',
      '-CAfile',
      join(dir, 'ca.pem'),
      '-purpose',
      'sslclient',
      join(dir, 'new.pem'),
    ]);
    assert.equal(stdout, `${join(dir, 'new.pem')}: OK\n`);
  });
});
