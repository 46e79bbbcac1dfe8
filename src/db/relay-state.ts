/**
 * The `relay_state` table: small operator facts by name (the last cron run), read by
 * GET /v1/status. One row per name, overwritten.
 */

export async function putState(d1: D1Database, name: string, value: Record<string, unknown>, now: number): Promise<void> {
  await d1
    .prepare(
      `INSERT INTO relay_state (name, value, updated_at) VALUES (?1, ?2, ?3)
       ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    )
    .bind(name, JSON.stringify(value), now)
    .run();
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
