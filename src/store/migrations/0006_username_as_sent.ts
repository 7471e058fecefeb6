import type { MigrationStep } from './step.js';

export const migration: MigrationStep = {
  name: '0006_username_as_sent',
  async up(db) {
    // A customer X.509 DN is answered as the client wrote it while `username` keeps the
    // canonical form it is matched by. Rows from before hold the canonical form only
    // (null here), which is also what they have always been answered with.
    await db.schema.alterTable('database_users').addColumn('username_as_sent', 'text').execute();
  },
};
