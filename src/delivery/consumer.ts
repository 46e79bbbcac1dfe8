import { openDestination } from "../db/destinations";
import { keyringOf } from "../lib/config";
import { renderBody } from "./body";
import { recordDeadLetter } from "./dead-letters";
import { destinationFromSql } from "./destination-row";
import { attemptBudgetMs, dispatchAttempt } from "./dispatch";
import { deliveryMessageSchema, enqueueDeliveries, MAX_QUEUE_DELAY_SECONDS, type DeliveryMessage } from "./messages";
import { parkBehindEarlier } from "./ordering";
import { INLINE_WAIT_MS, reserveSlot } from "./pacing";
import { recordAttempt } from "./record";

/** A consumer holds a delivery this long beyond its attempt's timeout; a crashed holder's lease lapses. */
const LEASE_SLACK_MS = 30_000;
/** Queue delays are whole seconds: a message this early is on time. */
const EARLY_TOLERANCE_MS = 1000;

interface DeliveryJoin {
  id: string;
  workspace_id: string;
  event_id: string;
  event_type: string;
  destination_id: string;
  status: string;
  attempt_count: number;
  attempt_limit: number;
  next_attempt_at: number;
  lease_until: number | null;
  order_key: string | null;
  sequence: number | null;
  replay_id: string | null;
  /** The event's canonical body and raw payload; null when the event row is gone. */
  body: string | null;
  raw: string | null;
}

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

/**
 * The delivery queue's consumer. Each message names one delivery and the attempt it is for;
 * every message is acked or retried explicitly. Unexpected failures (D1 unavailable …) retry
 * the message with backoff; after the queue's max_retries it reaches the dead-letter queue,
 * where it is recorded, and the housekeeping sweep re-enqueues the delivery.
 */
export async function consumeDeliveries(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await Promise.all(
    batch.messages.map(async (msg) => {
      const parsed = deliveryMessageSchema.safeParse(msg.body);
      if (!parsed.success) {
        await recordDeadLetter(env, batch.queue, msg.body, "malformed delivery message");
        msg.ack();
        return;
      }
      try {
        await processDelivery(env, parsed.data);
        msg.ack();
      } catch (err) {
        console.error(JSON.stringify({ level: "error", msg: "delivery processing failed", delivery_id: parsed.data.delivery_id, error: (err as Error).message }));
        msg.retry({ delaySeconds: Math.min(5 * 2 ** Math.min(msg.attempts, 8), 3600) });
      }
    }),
  );
}

/** How long to hold a message that arrived before its delivery is due: the rest, in queue-sized hops. */
export function hopDelaySeconds(nextAttemptAt: number, now: number): number {
  return Math.min(Math.ceil((nextAttemptAt - now) / 1000), MAX_QUEUE_DELAY_SECONDS);
}

/**
 * One message, checked in this order: is it still the delivery's next attempt (the
 * no-double-delivery rule of src/delivery/messages.ts), is it due, is it free, is its
 * destination there and active, may it go before the rest of its order — then claim it,
 * wait for a rate slot, send, record.
 */
export async function processDelivery(env: Env, msg: DeliveryMessage, now = Date.now()): Promise<ProcessResult> {
  // The delivery (with its event) and its destination in one round trip.
  const [found, destRows] = await env.DB.batch<Record<string, unknown>>([
    env.DB.prepare(
      `SELECT d.id, d.workspace_id, d.event_id, d.event_type, d.destination_id, d.status, d.attempt_count, d.attempt_limit,
              d.next_attempt_at, d.lease_until, d.order_key, d.sequence, d.replay_id, e.body, p.raw
         FROM deliveries d LEFT JOIN events e ON e.id = d.event_id LEFT JOIN event_payloads p ON p.event_id = d.event_id
        WHERE d.id = ?1`,
    ).bind(msg.delivery_id),
    env.DB.prepare("SELECT * FROM destinations WHERE id = (SELECT destination_id FROM deliveries WHERE id = ?1)").bind(msg.delivery_id),
  ]);
  const row = found?.results[0] as DeliveryJoin | undefined;
  // Gone, finished, or a stale/duplicate message for an attempt already made: nothing to do.
  if (!row || (row.status !== "pending" && row.status !== "retrying") || row.attempt_count !== msg.attempt - 1) return "skipped";

  if (row.body === null) {
    // Its event is gone (deleted by hand): it can never be sent; fail it rather than let the
    // sweep re-queue it forever.
    await failOrphan(env, row.id, now, "event deleted");
    return "skipped";
  }
  if (row.next_attempt_at > now + EARLY_TOLERANCE_MS) {
    await enqueueDeliveries(env.DELIVERIES, [msg], hopDelaySeconds(row.next_attempt_at, now));
    return "hop";
  }
  if (row.lease_until !== null && row.lease_until > now) {
    // Another consumer holds it. Look again when its lease ends: if it finished, this message is
    // stale by then and dropped; if it died mid-attempt, this message makes the attempt.
    await enqueueDeliveries(env.DELIVERIES, [msg], hopDelaySeconds(row.lease_until, now) + 1);
    return "leased";
  }

  const dest = destRows?.results[0];
  if (!dest) {
    await failOrphan(env, row.id, now, "destination deleted");
    return "skipped";
  }
  const destination = destinationFromSql(dest);

  if (destination.status !== "active") {
    // Held until the destination is active again; the drain sends it then, in order.
    await env.DB.prepare("UPDATE deliveries SET enqueued_at = NULL, updated_at = ?2 WHERE id = ?1 AND attempt_count = ?3")
      .bind(row.id, now, row.attempt_count)
      .run();
    return "held";
  }
  if (destination.ordering === "per_order" && row.order_key !== null && row.sequence !== null) {
    if (await parkBehindEarlier(env, row.id, row.attempt_count, now)) return "parked";
  }
  // Everything that can fail on configuration happens before the claim, so it never strands a lease.
  const ring = await keyringOf(env);
  if (!ring) throw new Error("ENCRYPTION_KEY is not set; cannot open the signing secret");
  const secrets = await openDestination(ring, destination, now);
  const body = renderBody(destination.format, { body: row.body, raw: row.raw ?? "" }, destination.includeRaw);

  const claimed = await env.DB.prepare(
    `UPDATE deliveries SET lease_until = ?2
      WHERE id = ?1 AND attempt_count = ?3 AND status IN ('pending', 'retrying') AND (lease_until IS NULL OR lease_until <= ?4)
      RETURNING id`,
  )
    .bind(row.id, now + attemptBudgetMs(destination) + LEASE_SLACK_MS, row.attempt_count, now)
    .first();
  if (!claimed) return "skipped";

  // The slot is booked by the one consumer that holds the delivery, right before it sends,
  // so neither a duplicate message nor the work above eats into the destination's rate.
  if (destination.rateLimitPerMinute) {
    const slot = msg.slot_at ?? (await reserveSlot(env, destination.id, destination.rateLimitPerMinute, Date.now()));
    const wait = slot - Date.now();
    if (wait > INLINE_WAIT_MS) return deferToSlot(env, msg, row.attempt_count, slot, Date.now());
    if (wait > 0) await scheduler.wait(wait);
  }

  try {
    const result = await dispatchAttempt(env, destination, secrets, { id: row.id, body, attempt: msg.attempt });
    await recordAttempt(
      env,
      {
        id: row.id,
        workspaceId: row.workspace_id,
        eventId: row.event_id,
        eventType: row.event_type,
        destinationId: row.destination_id,
        attemptLimit: row.attempt_limit,
        orderKey: destination.ordering === "per_order" ? row.order_key : null,
        replayId: row.replay_id,
      },
      destination,
      msg.attempt,
      result,
      Date.now(),
    );
  } catch (err) {
    // Let the message's retry (not only the sweep, minutes later) make this attempt again.
    await env.DB.prepare("UPDATE deliveries SET lease_until = NULL WHERE id = ?1 AND attempt_count = ?2")
      .bind(row.id, row.attempt_count)
      .run()
      .catch(() => undefined);
    throw err;
  }
  return "sent";
}

/**
 * Rate limited: the delivery waits for its booked slot. Its `next_attempt_at` moves to the
 * slot (the API shows when it will go; the sweep does not think it stuck), its lease is
 * let go, and the message goes back on the queue carrying the slot so it does not book
 * another on arrival.
 */
async function deferToSlot(env: Env, msg: DeliveryMessage, attemptCount: number, slot: number, now: number): Promise<ProcessResult> {
  const moved = await env.DB.prepare(
    `UPDATE deliveries SET next_attempt_at = ?3, enqueued_at = ?4, updated_at = ?4, lease_until = NULL
      WHERE id = ?1 AND attempt_count = ?2 AND status IN ('pending', 'retrying')
      RETURNING id`,
  )
    .bind(msg.delivery_id, attemptCount, slot, now)
    .first();
  if (!moved) return "skipped";
  await enqueueDeliveries(env.DELIVERIES, [{ ...msg, slot_at: slot }], hopDelaySeconds(slot, now));
  return "paced";
}

/** The destination or the event was deleted: its open delivery can never be sent. */
async function failOrphan(env: Env, deliveryId: string, now: number, why: string) {
  await env.DB.batch([
    env.DB.prepare(
      `UPDATE replays SET failed = failed + 1, updated_at = ?2 WHERE id = (SELECT replay_id FROM deliveries WHERE id = ?1 AND status IN ('pending', 'retrying'))`,
    ).bind(deliveryId, now),
    env.DB.prepare(
      `UPDATE deliveries SET status = 'failed', last_error = ?3, completed_at = ?2, updated_at = ?2, replay_id = NULL
        WHERE id = ?1 AND status IN ('pending', 'retrying')`,
    ).bind(deliveryId, now, why),
  ]);
}
