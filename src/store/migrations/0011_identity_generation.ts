import { sql } from 'kysely';
import type { MigrationStep } from './step.js';

export const migration: MigrationStep = {
  name: '0011_identity_generation',
  async up(db, { dialect, types }) {
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
      // PostgreSQL keeps the body as written: this text, indentation included, is the one
      // every store made so far holds, so that their schemas compare equal.
      await sql
        .raw(
          'create function dbcerts_identity_changed() returns trigger language plpgsql as $$\n' +
            '            begin update identity_generation set generation = generation + 1; return null; end $$',
        )
        .execute(db);
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
};
