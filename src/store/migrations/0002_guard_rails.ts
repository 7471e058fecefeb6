import type { MigrationStep } from './step.js';

export const migration: MigrationStep = {
  name: '0002_guard_rails',
  async up(db, { types }) {
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
};
