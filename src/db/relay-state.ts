/**
 * The `relay_state` table: small operator facts by name (the last cron run), read by
 * GET /v1/status. One row per name, overwritten.
 */

export async function putState(d1: D1Database, name: string, value: Record<string, unknown>, now: number): Promise<void> {
  await putStateStatement(d1, name, value, now).run();
}

/** The upsert of one fact, to run inside a batch. */
export function putStateStatement(d1: D1Database, name: string, value: Record<string, unknown>, now: number): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO relay_state (name, value, updated_at) VALUES (?1, ?2, ?3)
       ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    )
    .bind(name, JSON.stringify(value), now);
}

export async function deleteState(d1: D1Database, name: string): Promise<void> {
  await d1.prepare(`DELETE FROM relay_state WHERE name = ?1`).bind(name).run();
}

/** Every fact whose name starts with `prefix` (e.g. the order objects' `outbox:` backlogs), with when it was written. */
export async function statesWithPrefix(d1: D1Database, prefix: string): Promise<{ name: string; value: Record<string, unknown>; updatedAt: number }[]> {
  const { results } = await d1
    .prepare(`SELECT name, value, updated_at FROM relay_state WHERE name >= ?1 AND name < ?1 || char(0x10FFFF) ORDER BY name`)
    .bind(prefix)
    .all<{ name: string; value: string; updated_at: number }>();
  return results.map((r) => ({ name: r.name, value: JSON.parse(r.value) as Record<string, unknown>, updatedAt: r.updated_at }));
}

export async function getState(d1: D1Database, name: string): Promise<Record<string, unknown> | null> {
  const row = await d1.prepare(`SELECT value FROM relay_state WHERE name = ?1`).bind(name).first<{ value: string }>();
  return row ? (JSON.parse(row.value) as Record<string, unknown>) : null;
}

/** Migrations wrangler (or the test setup) applied, oldest first; null when the table is not there. */
export async function appliedMigrations(d1: D1Database): Promise<{ name: string; applied_at: string }[] | null> {
  try {
    const { results } = await d1.prepare(`SELECT name, applied_at FROM d1_migrations ORDER BY id`).all<{ name: string; applied_at: string }>();
    return results;
  } catch {
    return null;
  }
}
