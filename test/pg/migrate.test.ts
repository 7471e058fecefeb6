import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TEST_BACKEND } from '../helpers/backend.js';
import {
  api,
  certificateOf,
  type Credentials,
  dbcerts,
  Deployment,
  type Instance,
  spawnServe,
  tableContents,
  V1,
  waitReady,
} from './instances.js';
import { type Fixture, listings, literal, populate, reportedCounts } from './transfer-fixture.js';

/**
 * `dbcerts migrate --from sqlite:DIR --to postgres://…`: an embedded deployment, made by a
 * SQLite-backed `serve` process through the API, moved to PostgreSQL; a PostgreSQL-backed
 * instance then serves the same data (every listing, byte for byte) to the same API keys.
 */

const skip = TEST_BACKEND !== 'postgres' ? 'PostgreSQL only (DBCERTS_TEST_BACKEND=postgres)' : false;

/** The embedded deployment's settings: no database URL, no master key (DIR/master.key). */
const EMBEDDED_ENV = {
  DBCERTS_KEY_ALGORITHM: 'ec-p256',
  DBCERTS_CA_KEY_ALGORITHM: 'ec-p256',
  DBCERTS_LOG_LEVEL: 'warn',
  DBCERTS_RATE_LIMITS: 'off',
};

describe('migrate --from sqlite:DIR --to postgres://…', { skip, timeout: 120_000 }, () => {
  let target: Deployment;
  let embeddedDir: string;
  let embedded: Instance | undefined;
  let credentials: Credentials;
  let fixture: Fixture;
  let listingsBefore: Record<string, string>;
  let migrated: Record<string, number>;

  before(async () => {
    embeddedDir = mkdtempSync(join(tmpdir(), 'dbcerts-embedded-'));
    const boot = await dbcerts(['bootstrap', '--data', embeddedDir, '--json'], EMBEDDED_ENV);
    assert.equal(boot.code, 0, boot.stderr);
    credentials = JSON.parse(boot.stdout) as Credentials;
    // The embedded deployment's master key (DIR/master.key) travels with it, separately.
    target = await Deployment.create({ masterKey: readFileSync(join(embeddedDir, 'master.key'), 'utf8').trim() });

    embedded = await spawnServe(embeddedDir, EMBEDDED_ENV);
    await waitReady(embedded);
    assert.match(embedded.stdout(), /store: {9}\S+dbcerts\.sqlite$/m);
    fixture = await populate(embedded.origin, credentials);
    listingsBefore = await listings(embedded.origin, credentials, fixture.groups);
    assert.deepEqual(await embedded.kill('SIGTERM'), { code: 0, signal: null });

    const outcome = await dbcerts(
      ['migrate', '--from', `sqlite:${embeddedDir}`, '--to', target.url, '--data', join(target.scratch, 'cli')],
      EMBEDDED_ENV,
    );
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.equal(outcome.stdout, '');
    migrated = reportedCounts(outcome.stderr, 'migrated');
  });

  after(async () => {
    await embedded?.kill('SIGKILL');
    await target?.close();
    rmSync(embeddedDir, { recursive: true, force: true });
  });

  test('every row arrived: the tables hold what the report counts', async () => {
    const contents = await tableContents((text) => target.query(text));
    for (const [table, count] of Object.entries(migrated)) {
      assert.equal(contents[table]?.length, count, table);
    }
    assert.ok(migrated.certificates! >= 6 && migrated.certificate_authorities === 2 && migrated.api_keys! >= 2);
    for (const [table, rows] of Object.entries(contents)) {
      assert.equal(rows.length, migrated[table] ?? 0, `${table}: nothing more`);
    }
  });

  test('a PostgreSQL-backed instance serves the same data: same CA PEMs, same certificate lists, same listings', async () => {
    const dataDir = target.newDataDir();
    mkdirSync(dataDir, { recursive: true });
    cpSync(join(embeddedDir, 'credentials.json'), join(dataDir, 'credentials.json'));
    const server = await target.start({ dataDir });
    assert.match(server.stdout(), new RegExp(`store: {9}${literal(target.url)}$`, 'm'));
    const after = await listings(server.origin, credentials, fixture.groups);
    for (const groupId of fixture.groups) {
      const ca = `${V1}/groups/${groupId}/userSecurity/managedX509/ca`;
      assert.match(after[ca]!, /^-----BEGIN CERTIFICATE-----\n/);
      assert.equal(after[ca], listingsBefore[ca], 'same CA');
    }
    for (const [key, serials] of fixture.serials) {
      const [groupId, username] = key.split('/');
      const path = `${V1}/groups/${groupId}/databaseUsers/${username}/certs?itemsPerPage=500`;
      assert.equal(after[path], listingsBefore[path], `${username}'s certificates`);
      const listed = JSON.parse(after[path]!.replace(/"_id":(\d+)/g, '"_id":"$1"')) as {
        results: Array<{ _id: string }>;
      };
      const live = username === 'carol' ? serials.slice(1) : serials;
      assert.deepEqual(
        listed.results.map((result) => BigInt(result._id)),
        live,
      );
    }
    assert.deepEqual(after, listingsBefore);
  });

  test('the same API keys work, and the migrated CA keys still sign', async () => {
    const server = target.instances[target.instances.length - 1]!;
    const org = await api(server.origin, fixture.orgKey, `${V1}/orgs/${credentials.orgId}`);
    assert.equal(org.status, 200, org.text);
    const groupId = fixture.groups[1]!;
    const cert = await api(server.origin, credentials, `${V1}/groups/${groupId}/databaseUsers/carol/certs`, {
      method: 'POST',
      body: {},
    });
    assert.equal(cert.status, 201, cert.text);
    const ca = new X509Certificate(listingsBefore[`${V1}/groups/${groupId}/userSecurity/managedX509/ca`]!);
    assert.ok(new X509Certificate(certificateOf(cert.text).pem).verify(ca.publicKey));
  });

  test('migrating into a database that already holds data is refused, and changes nothing', async () => {
    const before = await tableContents((text) => target.query(text));
    const outcome = await dbcerts(
      ['migrate', '--from', `sqlite:${embeddedDir}`, '--to', target.url, '--data', join(target.scratch, 'cli')],
      EMBEDDED_ENV,
    );
    assert.equal(outcome.code, 2);
    assert.equal(outcome.stderr, 'dbcerts: the target database already holds data\n');
    assert.deepEqual(await tableContents((text) => target.query(text)), before);
  });
});
