import { openSql } from "./deliveries";

/**
 * Per-order ordering (a destination with `ordering: "per_order"`): a delivery waits while an
 * earlier one of its order is open, and the next is released when one finishes. Part of the
 * `deliveries` state machine (src/db/deliveries.ts); it reads through the partial index on open
 * deliveries.
 */

/** SQL: an earlier open delivery of the same order to the same destination exists (alias `d`). */
export const EARLIER_OPEN_SQL = `EXISTS (
  SELECT 1 FROM deliveries p
   WHERE p.destination_id = d.destination_id AND p.order_key = d.order_key AND p.sequence < d.sequence
     AND ${openSql("p.status")})`;

/** Parks this attempt's delivery (no queue message) if an earlier one of its order is open; true when parked. */
export async function parkBehindEarlier(d1: D1Database, id: string, attemptCount: number, now: number): Promise<boolean> {
  const parked = await d1
    .prepare(
      `UPDATE deliveries AS d SET enqueued_at = NULL, updated_at = ?3
        WHERE d.id = ?1 AND d.attempt_count = ?2 AND ${openSql("d.status")}
          AND d.order_key IS NOT NULL AND d.sequence IS NOT NULL AND ${EARLIER_OPEN_SQL}
        RETURNING id`,
    )
    .bind(id, attemptCount, now)
    .first();
  return parked !== null;
}

/** Marks the order's next open delivery enqueued if it is parked; returns it, to be queued. */
export async function releaseNextOfOrder(
  d1: D1Database,
  destinationId: string,
  orderKey: string,
  now: number,
): Promise<{ id: string; attemptCount: number; nextAttemptAt: number } | null> {
  const next = await d1
    .prepare(
      `UPDATE deliveries SET enqueued_at = ?3
        WHERE id = (SELECT id FROM deliveries
                     WHERE destination_id = ?1 AND order_key = ?2 AND ${openSql("status")}
                     ORDER BY sequence LIMIT 1)
          AND enqueued_at IS NULL
        RETURNING id, attempt_count, next_attempt_at`,
    )
    .bind(destinationId, orderKey, now)
    .first<{ id: string; attempt_count: number; next_attempt_at: number }>();
  return next && { id: next.id, attemptCount: next.attempt_count, nextAttemptAt: next.next_attempt_at };
}

