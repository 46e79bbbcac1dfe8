import { getTableColumns } from "drizzle-orm";
import { destinations, sources } from "./schema";

/**
 * Every column that holds AES-GCM ciphertext (src/db/schema.ts: columns ending in `_enc`),
 * and the two statements a key rotation needs on them (src/housekeeping/rekey.ts). The one
 * place that writes such columns across tables; their own homes write them otherwise.
 */
const sealed = (table: typeof sources | typeof destinations) =>
  Object.values(getTableColumns(table))
    .map((c) => c.name)
    .filter((name) => name.endsWith("_enc"));

export const SEALED_COLUMNS = {
  sources: sealed(sources),
  destinations: sealed(destinations),
} as const;
export type SealedTable = keyof typeof SEALED_COLUMNS;

/** A page of a column's ciphertexts not sealed under key `keyId`, by id after `after`. */
export async function sealedPageNotUnder(d1: D1Database, table: SealedTable, column: string, keyId: string, after: string, limit: number) {
  const { results } = await d1
    .prepare(
      `SELECT id, ${column} AS sealed FROM ${table}
        WHERE ${column} IS NOT NULL AND ${column} NOT LIKE ?1 AND id > ?2
        ORDER BY id LIMIT ?3`,
    )
    .bind(`v1.${keyId}.%`, after, limit)
    .all<{ id: string; sealed: string }>();
  return results;
}

/** Replaces one ciphertext, only if the column still holds the one that was read. */
export function resealStatement(d1: D1Database, table: SealedTable, column: string, id: string, was: string, next: string): D1PreparedStatement {
  return d1.prepare(`UPDATE ${table} SET ${column} = ?1 WHERE id = ?2 AND ${column} = ?3`).bind(next, id, was);
}
