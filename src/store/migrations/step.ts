import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Dialect } from '../database.js';

/** The few column types that differ between the engines; everything else is written once. */
export interface ColumnTypes {
  bytes: RawBuilder<unknown>;
  int64: RawBuilder<unknown>;
  float64: RawBuilder<unknown>;
}

export function columnTypes(dialect: Dialect): ColumnTypes {
  return {
    bytes: dialect === 'postgres' ? sql`bytea` : sql`blob`,
    int64: sql`bigint`,
    float64: sql`double precision`,
  };
}

export interface MigrationContext {
  dialect: Dialect;
  types: ColumnTypes;
}

/**
 * One schema change. `name` is what `kysely_migration` records once it ran, and the order
 * migrations run in (by name): a migration that has shipped keeps its name for good, and a
 * new one takes the next free number.
 */
export interface MigrationStep {
  readonly name: string;
  // The schema type of the moment the step runs is not `Database` (that is the latest one).
  up(db: Kysely<any>, context: MigrationContext): Promise<void>;
}
