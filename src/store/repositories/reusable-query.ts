import type { Compilable, CompiledQuery, Insertable, Kysely } from 'kysely';
import type { Database } from '../schema.js';

/** Stands for the i-th argument while the query is built; found again among its parameters. */
class Placeholder {
  constructor(readonly index: number) {}
}

interface Compiled<Row> {
  query: CompiledQuery<Row>;
  /** For each argument, where it goes in the parameter list. */
  slots: number[][];
}

/**
 * A query built and compiled once per SQL dialect, then run with new argument values.
 * Kysely builds an operation tree and compiles it to SQL on every call, which costs about
 * as much as running the short indexed queries of the request path; the queries every
 * request makes are built once. `build` receives placeholders in place of its arguments
 * and must pass each one to Kysely as a value (a parameter of the compiled query), never
 * inspect it.
 */
export class ReusableQuery<Args extends unknown[], Row> {
  readonly #compiled = new Map<unknown, Compiled<Row>>();

  constructor(
    private readonly arity: Args['length'],
    private readonly build: (db: Kysely<Database>, ...args: Args) => Compilable<Row>,
  ) {}

  #compile(db: Kysely<Database>): Compiled<Row> {
    // The SQL text depends on the dialect only, and each dialect has its own adapter class.
    const dialect = db.getExecutor().adapter.constructor;
    let compiled = this.#compiled.get(dialect);
    if (compiled) return compiled;
    const placeholders = Array.from({ length: this.arity }, (_, index) => new Placeholder(index));
    const query = this.build(db, ...(placeholders as unknown as Args)).compile();
    const slots = placeholders.map(() => [] as number[]);
    query.parameters.forEach((parameter, position) => {
      if (parameter instanceof Placeholder) slots[parameter.index]!.push(position);
    });
    const unused = slots.findIndex((positions) => positions.length === 0);
    if (unused !== -1) throw new Error(`argument ${unused} of a reusable query is not a parameter of: ${query.sql}`);
    compiled = { query, slots };
    this.#compiled.set(dialect, compiled);
    return compiled;
  }

  /** The compiled query with these argument values. */
  compiled(db: Kysely<Database>, ...args: Args): CompiledQuery<Row> {
    const { query, slots } = this.#compile(db);
    const parameters = query.parameters.slice();
    slots.forEach((positions, index) => {
      for (const position of positions) parameters[position] = args[index];
    });
    return { ...query, parameters };
  }

  async execute(db: Kysely<Database>, ...args: Args): Promise<Row[]> {
    const result = await db.executeQuery<Row>(this.compiled(db, ...args));
    return result.rows;
  }

  async executeTakeFirst(db: Kysely<Database>, ...args: Args): Promise<Row | undefined> {
    return (await this.execute(db, ...args))[0];
  }
}

/**
 * The insert of one row with exactly these columns, built once: `insert(db, row)` runs it
 * with the row's values (every column must be present; `null` where there is none).
 */
export function reusableInsert<Table extends keyof Database & string>(
  table: Table,
  columns: readonly (keyof Database[Table] & string)[],
): (db: Kysely<Database>, row: Insertable<Database[Table]>) => Promise<void> {
  const query = new ReusableQuery(columns.length, (db, ...values: unknown[]) =>
    db
      .insertInto(table)
      .values(
        Object.fromEntries(columns.map((column, index) => [column, values[index]])) as Insertable<Database[Table]>,
      ),
  );
  return async (db, row) => {
    await query.execute(db, ...columns.map((column) => (row as Record<string, unknown>)[column]));
  };
}
