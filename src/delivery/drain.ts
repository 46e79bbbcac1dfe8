import { enqueueDeliveries, MAX_SEND_BATCH } from "./messages";

/** Pages one drain job sends before it hands over to the next job (bounded work per message). */
export const DRAIN_PAGES_PER_STEP = 50;

/**
 * Sends the deliveries that waited (no queue message) while a destination was paused or
 * disabled, oldest first, in bounded pages. Marking `enqueued_at` before sending means a
 * crash here leaves at most one page for the housekeeping sweep to resend. Returns how many
 * it queued and whether more are left (the caller queues another drain job for those).
 */
export async function drainDestination(
  env: Env,
  destinationId: string,
  maxPages = DRAIN_PAGES_PER_STEP,
): Promise<{ sent: number; more: boolean }> {
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
    if (results.length === 0) return { sent, more: false };
    results.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1));
    await enqueueDeliveries(
      env.DELIVERIES,
      results.map((r) => ({ delivery_id: r.id, attempt: r.attempt_count + 1 })),
    );
    sent += results.length;
    if (results.length < MAX_SEND_BATCH) return { sent, more: false };
  }
  return { sent, more: true };
}
