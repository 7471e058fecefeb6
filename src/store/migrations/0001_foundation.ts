import { sql } from 'kysely';
import type { MigrationStep } from './step.js';

export const migration: MigrationStep = {
  name: '0001_foundation',
  async up(db, { types }) {
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
    await db.schema.createIndex('digest_nonce_uses_by_expiry').on('digest_nonce_uses').column('expires_at').execute();
  },
};
