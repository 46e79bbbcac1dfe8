import { getTableColumns, type InferInsertModel, type InferSelectModel, type Table } from "drizzle-orm";

/**
 * Raw D1 rows and drizzle rows, converted by the schema's own columns (their SQL names and
 * their JSON / boolean mappings), for the statements drizzle cannot build: the consumer's
 * claim batch and a single-row insert built by hand (multi-row writes: src/db/json-rows.ts).
 * A renamed column changes both sides.
 */

/** A raw D1 row (snake_case, JSON as text, booleans as 0/1) in `table`'s drizzle row shape. */
export function rowFromDriver<T extends Table>(table: T, raw: Record<string, unknown>): InferSelectModel<T> {
  const out: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = raw[column.name];
    out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return out as InferSelectModel<T>;
}

/** A drizzle insert row in the driver's shape (SQL column names, JSON as text, booleans as 0/1). */
export function rowToDriver<T extends Table>(table: T, row: InferInsertModel<T>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const values = row as Record<string, unknown>;
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = values[key];
    out[column.name] = value === null || value === undefined ? null : column.mapToDriverValue(value);
  }
  return out;
}
