import { enqueueDeliveries, MAX_SEND_BATCH } from "./messages";
import { EARLIER_OPEN_SQL } from "./ordering";
import { resumeStalledReplays } from "./replay";

/** How long a due delivery may go without a queue message before the sweep resends it. */
export const STUCK_AFTER_MS = 5 * 60_000;

/**
 * Nothing stays stuck `pending`: deliveries of active destinations that are due, not
 * leased, and whose last queue message is older than STUCK_AFTER_MS (or that have none, e.g.
 * after a dead-lettered message or a commit whose queue send never completed) are queued
 * again. Duplicates this may cause are harmless: a message names its attempt, and only the
 * first matching one sends (src/delivery/messages.ts).
 *
 * Not swept: a per-order delivery parked behind an earlier open one of its order — it is
 * released when that one finishes (src/delivery/ordering.ts); resending it would only park
 * it again. Replay walks that lost their job are restarted here too.
 */
export async function sweepStuckDeliveries(env: Env, now = Date.now(), maxPages = 20): Promise<number> {
  let requeued = 0;
  for (let pageNo = 0; pageNo < maxPages; pageNo++) {
    const { results } = await env.DB.prepare(
      `UPDATE deliveries SET enqueued_at = ?1
        WHERE id IN (
          SELECT d.id FROM deliveries d JOIN destinations dst ON dst.id = d.destination_id
           WHERE d.status IN ('pending', 'retrying') AND dst.status = 'active'
             AND d.next_attempt_at <= ?2
             AND (d.lease_until IS NULL OR d.lease_until < ?1)
             AND (d.enqueued_at IS NULL OR d.enqueued_at <= ?2)
             AND NOT (dst.ordering = 'per_order' AND d.order_key IS NOT NULL AND d.sequence IS NOT NULL AND ${EARLIER_OPEN_SQL})
           ORDER BY d.next_attempt_at LIMIT ?3)
        RETURNING id, attempt_count`,
    )
      .bind(now, now - STUCK_AFTER_MS, MAX_SEND_BATCH)
      .all<{ id: string; attempt_count: number }>();
    if (results.length === 0) break;
    await enqueueDeliveries(env.DELIVERIES, results.map((r) => ({ delivery_id: r.id, attempt: r.attempt_count + 1 })));
    requeued += results.length;
    if (results.length < MAX_SEND_BATCH) break;
  }
  await resumeStalledReplays(env, now);
  return requeued;
}
