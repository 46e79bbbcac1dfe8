import { and, eq, lt, or, sql, type Column, type SQL } from "drizzle-orm";

/** `column IN (ids)` as one bound JSON array: D1 binds at most 100 parameters per statement. */
export function inIds(column: Column, ids: string[]): SQL {
  return sql`${column} in (select value from json_each(${JSON.stringify(ids)}))`;
}

/** Keyset condition for newest-first pages: rows strictly after the cursor `(at, id)`; none without one. */
export function olderThan(createdAt: Column, id: Column, after: { at: number; id: string } | undefined): SQL | undefined {
  return after ? or(lt(createdAt, after.at), and(eq(createdAt, after.at), lt(id, after.id))) : undefined;
}
