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
    readonly arity: Args['length'],
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

/**
 * The insert of many rows with exactly these columns, leaving out a row whose `key` is
 * taken: `insert(db, rows)` runs it in statements of `rowsPerStatement` rows, each full one
 * built once (a statement of a thousand rows costs more to build than to run), and
 * answers how many rows went in.
 */
export function reusableBulkInsert<Table extends keyof Database & string>(
  table: Table,
  columns: readonly (keyof Database[Table] & string)[],
  key: keyof Database[Table] & string,
  rowsPerStatement: number,
): (db: Kysely<Database>, rows: readonly Insertable<Database[Table]>[]) => Promise<number> {
  const statement = (db: Kysely<Database>, values: readonly unknown[]) => {
    const rows = [];
    for (let start = 0; start < values.length; start += columns.length) {
      rows.push(Object.fromEntries(columns.map((column, index) => [column, values[start + index]])));
    }
    // The builder's column types do not follow a generic table; the columns are checked above.
    return (db as Kysely<any>)
      .insertInto(table)
      .values(rows)
      .onConflict((conflict) => conflict.column(key).doNothing());
  };
  const full = new ReusableQuery(rowsPerStatement * columns.length, (db, ...values: unknown[]) =>
    statement(db, values),
  );
  return async (db, rows) => {
    let inserted = 0;
    for (let start = 0; start < rows.length; start += rowsPerStatement) {
      const values: unknown[] = [];
      for (const row of rows.slice(start, start + rowsPerStatement)) {
        for (const column of columns) values.push((row as Record<string, unknown>)[column]);
      }
      const query = values.length === full.arity ? full.compiled(db, ...values) : statement(db, values).compile();
      const result = await db.executeQuery(query);
      inserted += Number(result.numAffectedRows ?? 0n);
    }
    return inserted;
  };
}
