import { getTableColumns, type Table } from "drizzle-orm";

/**
 * Multi-row statements: the rows travel as one JSON array bound to `?1` and are read back
 * with `json_each(?1) r`, so one statement writes many rows whatever D1's limit on bound
 * parameters (100). Used by the order objects' outbox flush (src/orders/flush-batch.ts) and the
 * consumer's batch-wide record (src/delivery/record.ts), all keyed by the schema's property names.
 */

/** Rows per statement: far inside D1's limits on statement and parameter size. */
const ROWS_PER_STATEMENT = 100;

/** `r.value ->> '$.<column>'` for each column, optionally `AS <column>`: the SELECT list over `json_each(?1) r`. */
export function jsonColumns(columns: string[], opts: { aliased?: boolean } = {}): string {
  return columns.map((c) => `r.value ->> '$.${c}'${opts.aliased ? ` AS ${c}` : ""}`).join(", ");
}

/** The statement once per slice of `rows`, each slice bound as its JSON array (none for no rows). */
export function jsonRowsStatements(db: D1Database, sql: string, rows: object[]): D1PreparedStatement[] {
  const out: D1PreparedStatement[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) out.push(db.prepare(sql).bind(JSON.stringify(rows.slice(i, i + ROWS_PER_STATEMENT))));
  return out;
}

/**
 * The column list and the matching `r.value ->> '$.<key>'` list of a multi-row insert whose JSON
 * rows are keyed by the drizzle schema's property names: a renamed or dropped column fails `tsc`.
 */
export function jsonInsertColumns<T extends Table>(table: T, keys: readonly (keyof T["_"]["columns"] & string)[]): { names: string; values: string } {
  const columns = getTableColumns(table);
  return {
    names: keys.map((k) => columns[k]!.name).join(", "),
    values: keys.map((k) => `r.value ->> '$.${k}'`).join(", "),
  };
}
