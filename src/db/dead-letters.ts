/** The `dead_letters` table: queue messages that could not be processed, kept for inspection. */

export async function insertDeadLetter(d1: D1Database, row: { id: string; queue: string; body: string; at: number }): Promise<void> {
  await d1.prepare("INSERT INTO dead_letters (id, queue, body, at) VALUES (?1, ?2, ?3, ?4)").bind(row.id, row.queue, row.body, row.at).run();
}

/** Deletes up to `limit` dead letters recorded before `cutoff`; returns how many. */
export async function deleteDeadLettersBefore(d1: D1Database, cutoff: number, limit: number): Promise<number> {
  const r = await d1
    .prepare(`DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters WHERE at < ?1 LIMIT ?2)`)
    .bind(cutoff, limit)
    .run();
  return r.meta.changes;
}
