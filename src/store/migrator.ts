import { type Kysely, type Migration, type MigrationProvider, type MigrationResultSet, Migrator, sql } from 'kysely';
import type { Dialect } from './database.js';
import { MIGRATIONS, type MigrationStep } from './migrations/index.js';
import { columnTypes } from './migrations/step.js';

/**
 * Runs the schema migrations of `migrations/` (one module each, listed in
 * `migrations/index.ts`) on either engine.
 */

class InCodeMigrations implements MigrationProvider {
  constructor(
    private readonly dialect: Dialect,
    private readonly steps: readonly MigrationStep[],
  ) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const context = { dialect: this.dialect, types: columnTypes(this.dialect) };
    const migrations: Record<string, Migration> = {};
    let previous = '';
    for (const step of this.steps) {
      // Kysely runs them by name: a list out of order would run in another order than it reads.
      if (step.name <= previous) throw new Error(`migration ${step.name} is listed after ${previous}`);
      previous = step.name;
      migrations[step.name] = { up: (db) => step.up(db, context) };
    }
    return migrations;
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
  const provider = new InCodeMigrations(dialect, MIGRATIONS);
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
