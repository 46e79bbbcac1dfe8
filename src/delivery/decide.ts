import { claimOne, failOpenStatement, hold, isOpen, type ClaimRow } from "../db/deliveries";
import { parkBehindEarlier } from "../db/deliveries-ordering";
import type { DestinationRow } from "../db/destinations";
import { countOrphanFailedStatement } from "../db/replays";
import { attemptBudgetMs } from "./dispatch";
import { MAX_QUEUE_DELAY_SECONDS, type DelayedMessage, type DeliveryMessage } from "./messages";

/** A consumer holds a delivery this long beyond its attempt's timeout; a crashed holder's lease lapses. */
export const LEASE_SLACK_MS = 30_000;
/** Queue delays are whole seconds: a message this early is on time. */
export const EARLY_TOLERANCE_MS = 1000;

/**
 * What became of one message:
 * - `sent`: an attempt was made and recorded;
 * - `skipped`: stale or duplicate message, or the delivery is finished;
 * - `leased`: another consumer is making this attempt; looked at again when its lease ends;
 * - `held`: the destination is paused or disabled, the delivery waits for the drain;
 * - `parked`: per-order ordering, an earlier delivery of the order is still open;
 * - `hop`: arrived before its time (a wait longer than the queue's 12 h maximum), sent on;
 * - `paced`: rate limited, put back to wait for its booked slot.
 */
export type ProcessResult = "sent" | "skipped" | "leased" | "held" | "parked" | "hop" | "paced";

/** How long to hold a message that arrived before its delivery is due: the rest, in queue-sized hops. */
export function hopDelaySeconds(nextAttemptAt: number, now: number): number {
  return Math.min(Math.ceil((nextAttemptAt - now) / 1000), MAX_QUEUE_DELAY_SECONDS);
}

export type Decision =
  | { kind: "send"; row: ClaimRow; destination: DestinationRow }
  | { kind: "done"; result: ProcessResult; requeue?: DelayedMessage };

/**
 * Step 2 of the consumer for one message, checked in this order: is it still the delivery's
 * next attempt (the no-double-delivery rule), is it claimed, its event there, is it due, is
 * it free, is its destination there and active, may it go before the rest of its order.
 */
export async function decide(
  env: Env,
  msg: DeliveryMessage,
  row: ClaimRow | undefined,
  destinations: Map<string, DestinationRow>,
  claimed: boolean,
  now: number,
): Promise<Decision> {
  // Gone, finished, or a stale/duplicate message for an attempt already made: nothing to do.
  if (!row || !isOpen(row.status) || row.attemptCount !== msg.attempt - 1) return { kind: "done", result: "skipped" };
  const destination = destinations.get(row.destinationId);
  if (claimed && destination) return { kind: "send", row, destination };

  if (row.body === null) {
    // Its event is gone (deleted by hand): it can never be sent; fail it rather than let the
    // sweep re-queue it forever.
    await failOrphan(env, row.id, now, "event deleted");
    return { kind: "done", result: "skipped" };
  }
  if (row.nextAttemptAt > now + EARLY_TOLERANCE_MS) {
    return { kind: "done", result: "hop", requeue: { body: msg, delaySeconds: hopDelaySeconds(row.nextAttemptAt, now) } };
  }
  if (row.leaseUntil !== null && row.leaseUntil > now) {
    // Another consumer holds it. Look again when its lease ends: if it finished, this message is
    // stale by then and dropped; if it died mid-attempt, this message makes the attempt.
    return { kind: "done", result: "leased", requeue: { body: msg, delaySeconds: hopDelaySeconds(row.leaseUntil, now) + 1 } };
  }
  if (!destination) {
    await failOrphan(env, row.id, now, "destination deleted");
    return { kind: "done", result: "skipped" };
  }
  if (destination.status !== "active") {
    // Held until the destination is active again; the drain sends it then, in order.
    await hold(env.DB, row.id, row.attemptCount, now);
    return { kind: "done", result: "held" };
  }
  if (destination.ordering === "per_order" && row.orderKey !== null && row.sequence !== null) {
    if (await parkBehindEarlier(env.DB, row.id, row.attemptCount, now)) return { kind: "done", result: "parked" };
  }
  const took = await claimOne(env.DB, row.id, row.attemptCount, now + attemptBudgetMs(destination) + LEASE_SLACK_MS, now);
  return took ? { kind: "send", row, destination } : { kind: "done", result: "skipped" };
}

/** The destination or the event was deleted: its open delivery can never be sent (and its replay counts it failed). */
async function failOrphan(env: Env, deliveryId: string, now: number, why: string) {
  await env.DB.batch([countOrphanFailedStatement(env.DB, deliveryId, now), failOpenStatement(env.DB, deliveryId, now, why)]);
}
