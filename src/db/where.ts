import { and, asc, desc, eq, gt, inArray, like, lt, or, sql, type Column, type SQL, type SQLWrapper } from "drizzle-orm";
import type { Keyset } from "../lib/pagination";

/** `column IN (ids)` as one bound JSON array: D1 binds at most 100 parameters per statement. */
export function inIds(column: SQLWrapper, ids: string[]): SQL {
  return sql`${column} in (select value from json_each(${JSON.stringify(ids)}))`;
}

/**
 * The column with SQLite's unary `+`: the same value, but no index on it serves the query. Without
 * statistics the planner takes an equality on any indexed column for ~10 rows and would rather
 * walk a workspace's rows than a key range it cannot size (an event's deliveries).
 */
export function unindexed(column: Column): SQL {
  return sql`+${column}`;
}

/** Keyset condition for newest-first pages: rows strictly after the cursor `(at, id)`; none without one. */
export function olderThan(createdAt: Column, id: Column, after: { at: number; id: string } | undefined): SQL | undefined {
  return after ? or(lt(createdAt, after.at), and(eq(createdAt, after.at), lt(id, after.id))) : undefined;
}

/** Rows strictly newer than `(at, id)` (paging back). */
function newerThan(createdAt: Column, id: Column, from: { at: number; id: string }): SQL | undefined {
  return or(gt(createdAt, from.at), and(eq(createdAt, from.at), gt(id, from.id)));
}

/** The keyset's condition and order: newest first forward, oldest first when paging back (page() turns it round). */
export function keyset(createdAt: Column, id: Column, k: Keyset | undefined): { where: SQL | undefined; orderBy: SQL[] } {
  if (k?.direction === "newer" && k.from) return { where: newerThan(createdAt, id, k.from), orderBy: [asc(createdAt), asc(id)] };
  return { where: olderThan(createdAt, id, k?.from), orderBy: [desc(createdAt), desc(id)] };
}

/** `column` is one of `values` (one value: plain equality, so an index on it serves); none when the list is empty or unset. */
export function oneOf(column: SQLWrapper, values: readonly string[] | undefined): SQL | undefined {
  if (!values || values.length === 0) return undefined;
  return values.length === 1 ? eq(column, values[0]!) : inArray(column, [...values]);
}

/**
 * Event types: each pattern is an exact type or `prefix.*` (every type under `prefix.`), as
 * destination subscriptions read them. `_`, `%` and `\` are escaped so a type matches only itself.
 */
export function typeMatches(column: Column, patterns: readonly string[] | undefined): SQL | undefined {
  if (!patterns || patterns.length === 0 || patterns.includes("*")) return undefined;
  const exact = patterns.filter((p) => !p.endsWith(".*"));
  const prefixes = patterns.filter((p) => p.endsWith(".*")).map((p) => p.slice(0, -1).replace(/[\\%_]/g, (ch) => `\\${ch}`));
  return or(oneOf(column, exact), ...prefixes.map((p) => sql`${like(column, `${p}%`)} escape '\\'`));
}
