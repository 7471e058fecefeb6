import { sql } from 'kysely';
import { CATALOG_GENERATION_ID } from './0015_catalog_generation.js';
import type { MigrationStep } from './step.js';

export const migration: MigrationStep = {
  name: '0016_catalog_covers_authorities',
  async up(db, { dialect }) {
    // The catalog generation also moves with a project's managed CAs (created, rotated,
    // retired) and its customer-managed CAs: issuing reads both, from the catalog cache.
    const watched = ['certificate_authorities', 'user_security'];
    const bump = `update identity_generation set generation = generation + 1 where id = ${CATALOG_GENERATION_ID}`;
    for (const table of watched) {
      if (dialect === 'postgres') {
        // 0015's trigger function.
        await sql
          .raw(
            `create trigger ${table}_catalog_changed after insert or update or delete on ${table} ` +
              'for each statement execute function dbcerts_catalog_changed()',
          )
          .execute(db);
      } else {
        for (const event of ['insert', 'update', 'delete']) {
          await sql
            .raw(`create trigger ${table}_catalog_changed_${event} after ${event} on ${table} begin ${bump}; end`)
            .execute(db);
        }
      }
    }
  },
};
