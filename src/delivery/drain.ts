import { enqueueDeliveries, MAX_SEND_BATCH } from "./messages";

/**
 * Sends the deliveries that waited (no queue message) while a destination was paused or
 * disabled, oldest first, in bounded pages. Marking `enqueued_at` before sending means a
 * crash here leaves at most one page for the housekeeping sweep to resend.
 */
export async function drainDestination(env: Env, destinationId: string, maxPages = 50): Promise<number> {
  let sent = 0;
  for (let pageNo = 0; pageNo < maxPages; pageNo++) {
    const now = Date.now();
    const { results } = await env.DB.prepare(
      `UPDATE deliveries SET enqueued_at = ?2, next_attempt_at = min(next_attempt_at, ?2)
        WHERE id IN (
          SELECT id FROM deliveries
           WHERE destination_id = ?1 AND status IN ('pending', 'retrying') AND enqueued_at IS NULL
           ORDER BY created_at, id LIMIT ?3)
        RETURNING id, attempt_count, created_at`,
    )
      .bind(destinationId, now, MAX_SEND_BATCH)
      .all<{ id: string; attempt_count: number; created_at: number }>();
    if (results.length === 0) break;
    results.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1));
    await enqueueDeliveries(
      env.DELIVERIES,
      results.map((r) => ({ delivery_id: r.id, attempt: r.attempt_count + 1 })),
    );
    sent += results.length;
    if (results.length < MAX_SEND_BATCH) break;
  }
  return sent;
}
