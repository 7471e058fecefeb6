import { sql } from 'kysely';
import type { MigrationStep } from './step.js';

/** The row of identity_generation that moves with the catalog (0011's row 1 is the identities'). */
export const CATALOG_GENERATION_ID = 2;

export const migration: MigrationStep = {
  name: '0015_catalog_generation',
  async up(db, { dialect }) {
    // A second counter beside the identities': it moves with every change to a project or
    // a database user, in the same transaction, so that any process or instance that
    // cached one sees a new generation once the change commits. It is read on every
    // request together with the identity generation (one statement). 0011's triggers move
    // every row of the table, so an identity change moves this one too (a harmless miss).
    await db.insertInto('identity_generation').values({ id: CATALOG_GENERATION_ID, generation: 0 }).execute();
    const watched = [
      { table: 'projects', events: ['insert', 'update', 'delete'] },
      { table: 'database_users', events: ['insert', 'update', 'delete'] },
    ];
    const bump = `update identity_generation set generation = generation + 1 where id = ${CATALOG_GENERATION_ID}`;
    if (dialect === 'postgres') {
      await sql
        .raw(
          'create function dbcerts_catalog_changed() returns trigger language plpgsql as $$\n' +
            `            begin ${bump}; return null; end $$`,
        )
        .execute(db);
      for (const { table, events } of watched) {
        await sql
          .raw(
            `create trigger ${table}_catalog_changed after ${events.join(' or ')} on ${table} ` +
              'for each statement execute function dbcerts_catalog_changed()',
          )
          .execute(db);
      }
    } else {
      for (const { table, events } of watched) {
        for (const event of events) {
          await sql
            .raw(`create trigger ${table}_catalog_changed_${event} after ${event} on ${table} begin ${bump}; end`)
            .execute(db);
        }
      }
    }
  },
};
