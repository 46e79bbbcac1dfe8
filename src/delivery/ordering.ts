import { releaseNextOfOrder } from "../db/deliveries-ordering";
import { enqueueDeliveries } from "./messages";

/**
 * Per-order ordering (`"ordering": "per_order"`): a destination receives one order's events
 * strictly in `sequence` order. A delivery waits while an earlier delivery of the same order
 * to the same destination is still open (pending or retrying, e.g. on a 2 h backoff); an
 * earlier one that failed for good no longer holds the rest back, or one dead endpoint
 * answer would stop an order for ever.
 *
 * A waiting delivery is parked (`parkBehindEarlier`, src/db/deliveries.ts): it keeps no queue
 * message (`enqueued_at` NULL). When a delivery of the order finishes, the next open one is
 * released if it is parked (`releaseNext`). Parking is
 * one conditional statement and finishing is another, and D1 runs statements one at a time,
 * so either the park sees the earlier delivery finished (and it sends) or the finish sees
 * the park (and releases it): a delivery is never parked behind nothing. The housekeeping
 * sweep skips parked deliveries whose predecessor is still open and resends the others, the
 * net under a release lost to a crash.
 */

/** After a delivery of an order finished: queue the order's next open delivery if it is parked. */
export async function releaseNext(env: Env, destinationId: string, orderKey: string, now: number): Promise<void> {
  const next = await releaseNextOfOrder(env.DB, destinationId, orderKey, now);
  if (!next) return;
  // A parked retry keeps its schedule: it goes when its backoff ends, not the moment it is released.
  const delay = Math.max(0, Math.ceil((next.nextAttemptAt - now) / 1000));
  await enqueueDeliveries(env.DELIVERIES, [{ delivery_id: next.id, attempt: next.attemptCount + 1 }], delay);
}
