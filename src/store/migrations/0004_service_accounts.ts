import type { MigrationStep } from './step.js';

export const migration: MigrationStep = {
  name: '0004_service_accounts',
  async up(db) {
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
};
