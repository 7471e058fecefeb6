import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildServer } from '../../src/api/server.js';
import { newObjectId } from '../../src/domain/ids.js';
import { newMasterKey } from '../../src/pki/secret-box.js';
import { openDatabase } from '../../src/store/database.js';
import { migrateTo } from '../../src/store/migrator.js';
import type { Store } from '../../src/store/store.js';
import { atlasError, assertAtlasError } from '../helpers/atlas-assert.js';
import { createTestDatabase, TEST_BACKEND, type TestDatabase } from '../helpers/backend.js';
import { TestClock } from '../helpers/clock.js';
import { DigestClient } from '../helpers/digest-client.js';
import { openTestAuthority, V1 } from '../helpers/server.js';

/**
 * Migration 0006 over a store written before it: a customer X.509 user stored then (its DN
 * in canonical form only, no `username_as_sent` column) keeps working once this version
 * opens the store, and newer users keep the spelling they were sent.
 */

const LEGACY_DN = 'CN=legacy,OU=db,O=Example';
const LAST_MIGRATION_BEFORE = '0005_console_sessions';
const ROLES = [{ databaseName: 'app', roleName: 'readWrite' }];

describe(`0006_username_as_sent over a store of before (${TEST_BACKEND})`, () => {
  let dataDir: string;
  let database: TestDatabase;
  let store: Store;
  let app: FastifyInstance;
  let client: DigestClient;
  let usersPath: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'dbcerts-0006-'));
    database = await createTestDatabase();
    const masterKey = newMasterKey();
    const clock = new TestClock();

    // The store as dbcerts left it before 0006: its schema up to 0005, holding an
    // organization, a project and a customer user in canonical form.
    const legacy = await openDatabase({ dataDir, databaseUrl: database.url });
    await migrateTo(legacy.db, legacy.dialect, LAST_MIGRATION_BEFORE);
    const now = clock.now();
    const at = now.toISOString();
    const orgId = newObjectId(now);
    const groupId = newObjectId(now);
    await sql`insert into organizations (id, name, created_at) values (${orgId}, 'legacy', ${at})`.execute(legacy.db);
    await sql`insert into projects (id, org_id, name, tags, created_at)
      values (${groupId}, ${orgId}, 'Legacy', '[]', ${at})`.execute(legacy.db);
    await sql`insert into database_users (id, project_id, database_name, username, x509_type, aws_iam_type,
      ldap_auth_type, oidc_auth_type, roles, scopes, labels, created_at, updated_at)
      values (${newObjectId(now)}, ${groupId}, '$external', ${LEGACY_DN}, 'CUSTOMER', 'NONE',
      'NONE', 'NONE', ${JSON.stringify(ROLES)}, '[]', '[]', ${at}, ${at})`.execute(legacy.db);
    await legacy.db.destroy();

    const opened = await openTestAuthority(dataDir, database.url, masterKey, clock);
    store = opened.store;
    app = await buildServer({ authority: opened.authority, nonceLifetimeSeconds: 300, backgroundJobs: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const { key, privateKey } = await opened.authority.apiKeys.mint(orgId, 'legacy owner', ['ORG_OWNER']);
    client = new DigestClient(`http://127.0.0.1:${port}`, key.publicKey, privateKey);
    usersPath = `${V1}/groups/${groupId}/databaseUsers`;
  });

  const createCustomerUser = (username: string) =>
    client.post(usersPath, { databaseName: '$external', roles: ROLES, username, x509Type: 'CUSTOMER' });

  after(async () => {
    await app?.close();
    await store?.close();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the migration ran and added the column, empty for the old row', async () => {
    const rows = await store.db.selectFrom('database_users').select(['username', 'username_as_sent']).execute();
    assert.deepEqual(rows, [{ username: LEGACY_DN, username_as_sent: null }]);
    const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(store.db);
    const names = applied.rows.map((row) => row.name);
    assert.ok(names.indexOf('0006_username_as_sent') === names.indexOf(LAST_MIGRATION_BEFORE) + 1, names.join(', '));
  });

  test('the old user is answered as before and found by any spelling of its DN', async () => {
    for (const spelling of [LEGACY_DN, 'cn=legacy,ou=db,o=Example', 'CN=legacy, OU=db, O=Example']) {
      const response = await client.get(`${usersPath}/$external/${encodeURIComponent(spelling)}`);
      assert.equal(response.status, 200, `${spelling}: ${response.text}`);
      assert.equal(response.json().username, LEGACY_DN, spelling);
    }
    const list = await client.get(usersPath);
    assert.deepEqual(
      list.json().results.map((user: { username: string }) => user.username),
      [LEGACY_DN],
    );
  });

  test('it is still unique: another spelling of its DN is 409 USER_ALREADY_EXISTS', async () => {
    const spelling = 'cn=legacy,ou=db,o=Example';
    assertAtlasError(
      await createCustomerUser(spelling),
      atlasError(409, 'USER_ALREADY_EXISTS', `A user with username ${spelling} already exists.`, [spelling]),
    );
  });

  test('it can be updated and deleted; a new user keeps the spelling it was sent', async () => {
    const path = `${usersPath}/$external/${encodeURIComponent(LEGACY_DN)}`;
    const updated = await client.patch(path, { roles: [{ databaseName: 'app', roleName: 'read' }] });
    assert.equal(updated.status, 200, updated.text);
    assert.equal(updated.json().username, LEGACY_DN);
    assert.equal((await client.delete(path)).status, 204);

    const sent = 'cn=fresh,ou=db,o=Example';
    const created = await createCustomerUser(sent);
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json().username, sent);
    const rows = await store.db.selectFrom('database_users').select(['username', 'username_as_sent']).execute();
    assert.deepEqual(rows, [{ username: 'CN=fresh,OU=db,O=Example', username_as_sent: sent }]);
  });
});
