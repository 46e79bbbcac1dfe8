import { enqueueDeliveries } from "./messages";

/**
 * Per-order ordering (`"ordering": "per_order"`): a destination receives one order's events
 * strictly in `sequence` order. A delivery waits while an earlier delivery of the same order
 * to the same destination is still open (pending or retrying, e.g. on a 2 h backoff); an
 * earlier one that failed for good no longer holds the rest back, or one dead endpoint
 * answer would stop an order for ever.
 *
 * A waiting delivery is parked: it keeps no queue message (`enqueued_at` NULL). When a
 * delivery of the order finishes, the next open one is released if it is parked. Parking is
 * one conditional statement and finishing is another, and D1 runs statements one at a time,
 * so either the park sees the earlier delivery finished (and it sends) or the finish sees
 * the park (and releases it): a delivery is never parked behind nothing. The housekeeping
 * sweep skips parked deliveries whose predecessor is still open and resends the others, the
 * net under a release lost to a crash.
 */

/** SQL: an earlier open delivery of the same order to the same destination exists (alias `d`). */
export const EARLIER_OPEN_SQL = `EXISTS (
  SELECT 1 FROM deliveries p
   WHERE p.destination_id = d.destination_id AND p.order_key = d.order_key AND p.sequence < d.sequence
     AND p.status IN ('pending', 'retrying'))`;

/** Parks this attempt's delivery if an earlier one of its order is open; true when parked. */
export async function parkBehindEarlier(env: Env, deliveryId: string, attemptCount: number, now: number): Promise<boolean> {
  const parked = await env.DB.prepare(
    `UPDATE deliveries AS d SET enqueued_at = NULL, updated_at = ?3
      WHERE d.id = ?1 AND d.attempt_count = ?2 AND d.status IN ('pending', 'retrying')
        AND d.order_key IS NOT NULL AND d.sequence IS NOT NULL AND ${EARLIER_OPEN_SQL}
      RETURNING id`,
  )
    .bind(deliveryId, attemptCount, now)
    .first();
  return parked !== null;
}

/** After a delivery of an order finished: queue the order's next open delivery if it is parked. */
export async function releaseNext(env: Env, destinationId: string, orderKey: string, now: number): Promise<void> {
  const next = await env.DB.prepare(
    `UPDATE deliveries SET enqueued_at = ?3
      WHERE id = (SELECT id FROM deliveries
                   WHERE destination_id = ?1 AND order_key = ?2 AND status IN ('pending', 'retrying')
                   ORDER BY sequence LIMIT 1)
        AND enqueued_at IS NULL
      RETURNING id, attempt_count, next_attempt_at`,
  )
    .bind(destinationId, orderKey, now)
    .first<{ id: string; attempt_count: number; next_attempt_at: number }>();
  if (!next) return;
  // A parked retry keeps its schedule: it goes when its backoff ends, not the moment it is released.
  const delay = Math.max(0, Math.ceil((next.next_attempt_at - now) / 1000));
  await enqueueDeliveries(env.DELIVERIES, [{ delivery_id: next.id, attempt: next.attempt_count + 1 }], delay);
}
