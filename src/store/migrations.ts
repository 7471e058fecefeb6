import { type Kysely, type Migration, type MigrationProvider, type MigrationResultSet, Migrator, sql } from 'kysely';
import { foldName } from '../domain/project.js';
import type { Dialect } from './database.js';

/**
 * Schema migrations, in code, for both engines. Each migration is written once; the
 * few types that differ between SQLite and PostgreSQL come from `columnTypes`.
 */

function columnTypes(dialect: Dialect) {
  return {
    bytes: dialect === 'postgres' ? sql`bytea` : sql`blob`,
    int64: sql`bigint`,
    float64: sql`double precision`,
  } as const;
}

function migrations(dialect: Dialect): Record<string, Migration> {
  const types = columnTypes(dialect);
  return {
    '0001_foundation': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('settings')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('value', 'text', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('organizations')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('projects')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('tags', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('projects_org_name_unique', ['org_id', 'name'])
          .execute();

        await db.schema
          .createTable('api_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id'))
          .addColumn('public_key', 'text', (c) => c.notNull().unique())
          .addColumn('description', 'text', (c) => c.notNull())
          .addColumn('roles', 'text', (c) => c.notNull())
          .addColumn('private_key_tail', 'text', (c) => c.notNull())
          .addColumn('digest_ha1_md5', 'text', (c) => c.notNull())
          .addColumn('digest_ha1_sha256', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('database_users')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
          .addColumn('database_name', 'text', (c) => c.notNull())
          .addColumn('username', 'text', (c) => c.notNull())
          .addColumn('x509_type', 'text', (c) => c.notNull())
          .addColumn('aws_iam_type', 'text', (c) => c.notNull())
          .addColumn('ldap_auth_type', 'text', (c) => c.notNull())
          .addColumn('oidc_auth_type', 'text', (c) => c.notNull())
          .addColumn('roles', 'text', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('labels', 'text', (c) => c.notNull())
          .addColumn('description', 'text')
          .addColumn('delete_after', 'text')
          .addColumn('scram_sha256', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('database_users_identity_unique', ['project_id', 'database_name', 'username'])
          .execute();
        await db.schema
          .createIndex('database_users_by_project')
          .on('database_users')
          .columns(['project_id', 'created_at'])
          .execute();

        await db.schema
          .createTable('certificate_authorities')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
          .addColumn('key_algorithm', 'text', (c) => c.notNull())
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('serial', types.int64, (c) => c.notNull())
          .addColumn('certificate_der', types.bytes, (c) => c.notNull())
          .addColumn('private_key_sealed', 'text', (c) => c.notNull())
          .addColumn('not_before', 'text', (c) => c.notNull())
          .addColumn('not_after', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('retired_at', 'text')
          .execute();
        // One active managed CA per project, even when two requests race to create it.
        await db.schema
          .createIndex('certificate_authorities_one_active_per_project')
          .on('certificate_authorities')
          .column('project_id')
          .unique()
          .where(sql.ref('retired_at'), 'is', null)
          .execute();

        await db.schema
          .createTable('certificates')
          .addColumn('serial', types.int64, (c) => c.primaryKey())
          .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
          .addColumn('user_id', 'text', (c) => c.notNull())
          .addColumn('ca_id', 'text', (c) => c.notNull().references('certificate_authorities.id'))
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('key_algorithm', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('not_before', 'text', (c) => c.notNull())
          .addColumn('not_after', 'text', (c) => c.notNull())
          .addColumn('certificate_der', types.bytes, (c) => c.notNull())
          .addColumn('revoked_at', 'text')
          .addColumn('revocation_reason', 'text')
          .execute();
        // The Atlas list: one user's certificates in creation order. The filter columns
        // ride along so counting and skipping pages never touches the table rows.
        await db.schema
          .createIndex('certificates_by_user')
          .on('certificates')
          .columns(['user_id', 'created_at', 'serial', 'not_after', 'revoked_at'])
          .execute();

        await db.schema
          .createTable('digest_nonce_uses')
          .addColumn('nonce', 'text', (c) => c.notNull())
          .addColumn('cnonce', 'text', (c) => c.notNull())
          .addColumn('nc', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('digest_nonce_uses_pk', ['nonce', 'cnonce', 'nc'])
          .execute();
        await db.schema
          .createIndex('digest_nonce_uses_by_expiry')
          .on('digest_nonce_uses')
          .column('expires_at')
          .execute();
      },
    },
    '0002_guard_rails': {
      async up(db: Kysely<any>) {
        await db.schema
          .alterTable('organizations')
          .addColumn('api_access_list_required', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();

        await db.schema
          .createTable('api_key_project_roles')
          .addColumn('api_key_id', 'text', (c) => c.notNull().references('api_keys.id').onDelete('cascade'))
          .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
          .addColumn('roles', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('api_key_project_roles_pk', ['api_key_id', 'project_id'])
          .execute();
        await db.schema
          .createIndex('api_key_project_roles_by_project')
          .on('api_key_project_roles')
          .columns(['project_id', 'api_key_id'])
          .execute();

        await db.schema
          .createTable('api_key_access_list')
          .addColumn('api_key_id', 'text', (c) => c.notNull().references('api_keys.id').onDelete('cascade'))
          .addColumn('cidr_block', 'text', (c) => c.notNull())
          .addColumn('ip_address', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('last_used_at', 'text')
          .addColumn('last_used_address', 'text')
          .addColumn('use_count', types.int64, (c) => c.notNull().defaultTo(0))
          .addPrimaryKeyConstraint('api_key_access_list_pk', ['api_key_id', 'cidr_block'])
          .execute();

        await db.schema
          .createTable('rate_limit_buckets')
          .addColumn('bucket_key', 'text', (c) => c.primaryKey())
          .addColumn('tokens', types.float64, (c) => c.notNull())
          .addColumn('period_start', types.float64, (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('events')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('org_id', 'text', (c) => c.notNull())
          .addColumn('group_id', 'text')
          .addColumn('event_type_name', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('api_key_id', 'text')
          .addColumn('public_key', 'text')
          .addColumn('remote_address', 'text')
          .addColumn('target', 'text', (c) => c.notNull())
          .addColumn('outcome', 'text', (c) => c.notNull())
          .addColumn('error_code', 'text')
          .execute();
        // Events are read newest first, per organization or per project.
        await db.schema.createIndex('events_by_org').on('events').columns(['org_id', 'created_at', 'id']).execute();
        await db.schema.createIndex('events_by_group').on('events').columns(['group_id', 'created_at', 'id']).execute();
      },
    },
    '0003_certificate_lifecycle': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('user_security')
          .addColumn('project_id', 'text', (c) => c.primaryKey().references('projects.id'))
          .addColumn('customer_x509_cas', 'text')
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();

        await db.schema
          .alterTable('certificates')
          .addColumn('source', 'text', (c) => c.notNull().defaultTo('generated'))
          .execute();
        // The project-wide inventory: what expires when.
        await db.schema
          .createIndex('certificates_by_project_expiry')
          .on('certificates')
          .columns(['project_id', 'not_after', 'serial'])
          .execute();
        // CRLs list a CA's revoked certificates.
        await db.schema
          .createIndex('certificates_revoked_by_ca')
          .on('certificates')
          .columns(['ca_id', 'revoked_at'])
          .execute();

        await db.schema
          .createTable('certificate_revocation_lists')
          .addColumn('ca_id', 'text', (c) => c.primaryKey().references('certificate_authorities.id'))
          .addColumn('crl_number', types.int64, (c) => c.notNull())
          .addColumn('this_update', 'text', (c) => c.notNull())
          .addColumn('next_update', 'text', (c) => c.notNull())
          // The newest revocation (exact instant) the CRL lists: a later one makes it stale.
          .addColumn('covers_until', 'text')
          .addColumn('der', types.bytes, (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('x509_alert_settings')
          .addColumn('project_id', 'text', (c) => c.primaryKey().references('projects.id'))
          .addColumn('lead_time_days', 'integer', (c) => c.notNull())
          .addColumn('webhook_url', 'text')
          .addColumn('webhook_secret_sealed', 'text')
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();

        // One alert per user and day, whichever instance notices first.
        await db.schema
          .createTable('x509_expiry_alerts')
          .addColumn('user_id', 'text', (c) => c.notNull())
          .addColumn('alert_day', 'text', (c) => c.notNull())
          .addColumn('project_id', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('x509_expiry_alerts_pk', ['user_id', 'alert_day'])
          .execute();

        await db.schema
          .createTable('webhook_deliveries')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('project_id', 'text', (c) => c.notNull())
          .addColumn('url', 'text', (c) => c.notNull())
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('next_attempt_at', 'text')
          .addColumn('delivered_at', 'text')
          .addColumn('last_error', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('webhook_deliveries_due')
          .on('webhook_deliveries')
          .columns(['next_attempt_at'])
          .execute();
      },
    },
    '0004_service_accounts': {
      async up(db: Kysely<any>) {
        // Service accounts are programmatic identities like API keys: same roles, project
        // assignments and access lists, told apart by kind. Their `public_key` is the
        // client id; they have no Digest secrets.
        await db.schema
          .alterTable('api_keys')
          .addColumn('kind', 'text', (c) => c.notNull().defaultTo('API_KEY'))
          .execute();
        await db.schema.alterTable('api_keys').addColumn('name', 'text').execute();
        await db.schema
          .createTable('service_account_secrets')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('account_id', 'text', (c) => c.notNull().references('api_keys.id').onDelete('cascade'))
          .addColumn('secret_sha256', 'text', (c) => c.notNull())
          .addColumn('masked', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .addColumn('last_used_at', 'text')
          .execute();
        // Access tokens revoked before they expire (RFC 7009), until they would have expired.
        await db.schema
          .createTable('revoked_access_tokens')
          .addColumn('jti', 'text', (c) => c.primaryKey())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('service_account_secrets_by_account')
          .on('service_account_secrets')
          .columns(['account_id', 'created_at'])
          .execute();
      },
    },
    '0005_console_sessions': {
      async up(db: Kysely<any>) {
        // Web console sessions, shared by every instance. The session id itself is never
        // stored, only its SHA-256; deleting a key or service account deletes its sessions.
        await db.schema
          .createTable('console_sessions')
          .addColumn('id_sha256', 'text', (c) => c.primaryKey())
          .addColumn('api_key_id', 'text', (c) => c.notNull().references('api_keys.id').onDelete('cascade'))
          .addColumn('org_id', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('public_key', 'text', (c) => c.notNull())
          .addColumn('secret_id', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('last_seen_at', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('console_sessions_by_api_key')
          .on('console_sessions')
          .column('api_key_id')
          .execute();
        // Purged when idle too long or past their lifetime.
        await db.schema
          .createIndex('console_sessions_by_last_seen')
          .on('console_sessions')
          .column('last_seen_at')
          .execute();
        await db.schema.createIndex('console_sessions_by_expiry').on('console_sessions').column('expires_at').execute();
      },
    },
    '0006_username_as_sent': {
      async up(db: Kysely<any>) {
        // A customer X.509 DN is answered as the client wrote it while `username` keeps the
        // canonical form it is matched by. Rows from before hold the canonical form only
        // (null here), which is also what they have always been answered with.
        await db.schema.alterTable('database_users').addColumn('username_as_sent', 'text').execute();
      },
    },
    '0007_project_settings': {
      async up(db: Kysely<any>) {
        // Atlas filters project lists by a case-insensitive name prefix; SQLite's lower() only
        // folds ASCII, so the folded name is kept beside the name (written by the application).
        await db.schema
          .alterTable('projects')
          .addColumn('name_folded', 'text', (c) => c.notNull().defaultTo(''))
          .execute();
        const projects = await db.selectFrom('projects').select(['id', 'name']).execute();
        for (const project of projects as Array<{ id: string; name: string }>) {
          await db
            .updateTable('projects')
            .set({ name_folded: foldName(project.name) })
            .where('id', '=', project.id)
            .execute();
        }
        await db.schema
          .createIndex('projects_by_org_folded_name')
          .on('projects')
          .columns(['org_id', 'name_folded'])
          .execute();

        // A project without a row has Atlas' default settings.
        await db.schema
          .createTable('project_settings')
          .addColumn('project_id', 'text', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
          .addColumn('settings', 'text', (c) => c.notNull())
          .addColumn('managed_slow_ms', 'integer', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();

        // Limits set away from their default; a limit without a row has its default value.
        await db.schema
          .createTable('project_limits')
          .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('value', types.int64, (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('project_limits_pk', ['project_id', 'name'])
          .execute();
      },
    },
    '0009_custom_db_roles': {
      async up(db: Kysely<any>) {
        // A project's custom roles, by name; they go with their project.
        await db.schema
          .createTable('custom_db_roles')
          .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
          .addColumn('role_name', 'text', (c) => c.notNull())
          .addColumn('actions', 'text', (c) => c.notNull())
          .addColumn('inherited_roles', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('custom_db_roles_pk', ['project_id', 'role_name'])
          .execute();
      },
    },
    '0011_identity_generation': {
      async up(db: Kysely<any>) {
        // One counter that every change to what authenticates and admits an API key moves
        // (the key and its secrets, its project roles, its access list, its organization's
        // access-list requirement), in the same transaction as the change: any process or
        // instance that cached an identity sees a new generation once the change commits.
        // Usage columns (an entry's last use) are not part of the identity.
        await db.schema
          .createTable('identity_generation')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('generation', types.int64, (c) => c.notNull())
          .execute();
        await db.insertInto('identity_generation').values({ id: 1, generation: 0 }).execute();
        const watched = [
          { table: 'api_keys', events: ['insert', 'update', 'delete'] },
          { table: 'api_key_project_roles', events: ['insert', 'update', 'delete'] },
          { table: 'api_key_access_list', events: ['insert', 'delete', 'update of cidr_block, ip_address'] },
          { table: 'organizations', events: ['delete', 'update of api_access_list_required'] },
        ];
        if (dialect === 'postgres') {
          await sql`create function dbcerts_identity_changed() returns trigger language plpgsql as $$
            begin update identity_generation set generation = generation + 1; return null; end $$`.execute(db);
          for (const { table, events } of watched) {
            await sql
              .raw(
                `create trigger ${table}_identity_changed after ${events.join(' or ')} on ${table} ` +
                  'for each statement execute function dbcerts_identity_changed()',
              )
              .execute(db);
          }
        } else {
          for (const { table, events } of watched) {
            for (const event of events) {
              await sql
                .raw(
                  `create trigger ${table}_identity_changed_${event.split(' ')[0]} after ${event} on ${table} ` +
                    'begin update identity_generation set generation = generation + 1; end',
                )
                .execute(db);
            }
          }
        }
      },
    },
  };
}

class InCodeMigrations implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.dialect);
  }
}

/**
 * Runs the pending migrations up to what `run` asks for. On PostgreSQL Kysely runs them in
 * one transaction under its advisory lock. On SQLite it would run them statement by
 * statement (it assumes no transactional DDL, which SQLite has): a crash or power cut
 * between two would leave a schema no later start can migrate. So there they run in one
 * transaction too, taken for writing at once so that another process starting meanwhile
 * waits (the busy timeout) and then finds nothing left to do; and only when some are
 * pending, so that opening an up-to-date store (a backup, `dbcerts crl` beside a running
 * server) never takes the write lock.
 */
async function migrate(
  db: Kysely<any>,
  dialect: Dialect,
  run: (migrator: Migrator) => Promise<MigrationResultSet>,
): Promise<void> {
  const provider = new InCodeMigrations(dialect);
  let outcome: MigrationResultSet;
  if (dialect === 'postgres') {
    outcome = await run(new Migrator({ db, provider }));
  } else {
    const known = await new Migrator({ db, provider }).getMigrations();
    if (known.every((migration) => migration.executedAt !== undefined)) return;
    outcome = await db.connection().execute(async (connection) => {
      await sql`begin immediate`.execute(connection);
      try {
        const result = await run(new Migrator({ db: connection, provider }));
        const failed = result.error !== undefined || result.results?.some((entry) => entry.status === 'Error');
        await sql.raw(failed ? 'rollback' : 'commit').execute(connection);
        return result;
      } catch (error) {
        await sql`rollback`.execute(connection);
        throw error;
      }
    });
  }
  const { error, results } = outcome;
  const failed = results?.find((result) => result.status === 'Error');
  if (error || failed) {
    const reason = error instanceof Error ? error.message : String(error ?? failed?.migrationName);
    throw new Error(`database migration failed: ${reason}`, { cause: error });
  }
}

/** Brings the schema up to date; concurrent starts are safe (see `migrate`). */
export function migrateToLatest(db: Kysely<any>, dialect: Dialect): Promise<void> {
  return migrate(db, dialect, (migrator) => migrator.migrateToLatest());
}

/** Brings the schema to the state just after migration `name`: a store as an older dbcerts left it. */
export function migrateTo(db: Kysely<any>, dialect: Dialect, name: string): Promise<void> {
  return migrate(db, dialect, (migrator) => migrator.migrateTo(name));
}
