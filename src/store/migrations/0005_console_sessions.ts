import type { MigrationStep } from './step.js';

export const migration: MigrationStep = {
  name: '0005_console_sessions',
  async up(db) {
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
    await db.schema.createIndex('console_sessions_by_api_key').on('console_sessions').column('api_key_id').execute();
    // Purged when idle too long or past their lifetime.
    await db.schema
      .createIndex('console_sessions_by_last_seen')
      .on('console_sessions')
      .column('last_seen_at')
      .execute();
    await db.schema.createIndex('console_sessions_by_expiry').on('console_sessions').column('expires_at').execute();
  },
};
