import type { MigrationStep } from './step.js';

export const migration: MigrationStep = {
  name: '0003_certificate_lifecycle',
  async up(db, { types }) {
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
};
