import type { DestinationRow } from "../db/destinations";
import { openDestination } from "../db/destinations";
import { keyringOf } from "../lib/config";
import { renderBody } from "./body";
import { recordDeadLetter } from "./dead-letters";
import { destinationFromSql } from "./destination-row";
import { attemptBudgetMs, dispatchAttempt } from "./dispatch";
import { deliveryMessageSchema, enqueueEach, MAX_QUEUE_DELAY_SECONDS, type DelayedMessage, type DeliveryMessage } from "./messages";
import { parkBehindEarlier } from "./ordering";
import { INLINE_WAIT_MS, reserveSlot } from "./pacing";
import { recordAttempts, type MadeAttempt } from "./record";

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
  /** The event's canonical body; null when the event row is gone. */
  body: string | null;
  /** The raw payload, read only for destinations that include it. */
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
  const taken: Message<unknown>[] = [];
  const bodies: DeliveryMessage[] = [];
  for (const msg of batch.messages) {
    const parsed = deliveryMessageSchema.safeParse(msg.body);
    if (parsed.success) {
      taken.push(msg);
      bodies.push(parsed.data);
      continue;
    }
    await recordDeadLetter(env, batch.queue, msg.body, "malformed delivery message");
    msg.ack();
  }
  const outcomes = await processDeliveries(env, bodies);
  outcomes.forEach((outcome, i) => {
    const msg = taken[i]!;
    if (outcome.status === "fulfilled") return msg.ack();
    console.error(
      JSON.stringify({ level: "error", msg: "delivery processing failed", delivery_id: bodies[i]!.delivery_id, error: (outcome.reason as Error).message }),
    );
    msg.retry({ delaySeconds: Math.min(5 * 2 ** Math.min(msg.attempts, 8), 3600) });
  });
}

/** How long to hold a message that arrived before its delivery is due: the rest, in queue-sized hops. */
export function hopDelaySeconds(nextAttemptAt: number, now: number): number {
  return Math.min(Math.ceil((nextAttemptAt - now) / 1000), MAX_QUEUE_DELAY_SECONDS);
}

/** One message on its own (tests, and the rare second message for a delivery within one batch). */
export async function processDelivery(env: Env, msg: DeliveryMessage, now = Date.now()): Promise<ProcessResult> {
  const [outcome] = await processDeliveries(env, [msg], now);
  if (outcome!.status === "rejected") throw outcome!.reason;
  return outcome!.value;
}

/** A message whose delivery is claimed by this consumer: to be sent now. */
interface Claimed {
  index: number;
  msg: DeliveryMessage;
  row: DeliveryJoin;
  destination: DestinationRow;
}

/**
 * A batch of messages, in three steps that each cost one D1 round trip for the whole batch:
 *
 * 1. read and claim: every delivery with nothing in its way (this attempt's, due, free, its
 *    event and active destination there, not per-order) is leased in the same transaction
 *    that reads all of them with their events and destinations;
 * 2. the rest is decided one by one from those rows (stale, early, held, leased, parked …),
 *    then every claimed delivery is sent, concurrently;
 * 3. all attempts are recorded in one batch (src/delivery/record.ts), and whatever must come
 *    back later goes on the queue in one send.
 *
 * The no-double-delivery rule of src/delivery/messages.ts holds per message: an attempt is
 * only made under a lease taken for exactly that attempt number.
 */
export async function processDeliveries(env: Env, msgs: DeliveryMessage[], now = Date.now()): Promise<PromiseSettledResult<ProcessResult>[]> {
  const outcomes: PromiseSettledResult<ProcessResult>[] = new Array(msgs.length);
  // One message per delivery takes part; an exact copy shares its fate, another attempt's
  // message for the same delivery waits for a second round (by then it is usually stale).
  const leaders = new Map<string, number>();
  const later: number[] = [];
  msgs.forEach((msg, i) => {
    const lead = leaders.get(msg.delivery_id);
    if (lead === undefined) leaders.set(msg.delivery_id, i);
    else if (msgs[lead]!.attempt === msg.attempt) outcomes[i] = { status: "fulfilled", value: "skipped" };
    else later.push(i);
  });
  const leading = [...leaders.values()];
  const results = await processRound(env, leading.map((i) => msgs[i]!), now);
  leading.forEach((i, k) => (outcomes[i] = results[k]!));
  for (const i of later) outcomes[i] = (await processRound(env, [msgs[i]!], now))[0]!;
  return outcomes;
}

/** Steps 1–3 for messages of distinct deliveries. */
async function processRound(env: Env, msgs: DeliveryMessage[], now: number): Promise<PromiseSettledResult<ProcessResult>[]> {
  const outcomes: PromiseSettledResult<ProcessResult>[] = new Array(msgs.length);
  const done = (i: number, value: ProcessResult) => (outcomes[i] = { status: "fulfilled", value });
  const failed = (i: number, reason: unknown) => (outcomes[i] = { status: "rejected", reason });

  let read: Awaited<ReturnType<typeof readAndClaim>>;
  try {
    read = await readAndClaim(env, msgs, now);
  } catch (err) {
    msgs.forEach((_, i) => failed(i, err));
    return outcomes;
  }

  const requeue: { index: number; message: DelayedMessage }[] = [];
  const toSend: Claimed[] = [];
  await Promise.all(
    msgs.map(async (msg, index) => {
      try {
        const decision = await decide(env, msg, read.rows.get(msg.delivery_id), read.destinations, read.claimed.has(msg.delivery_id), now);
        if (decision.kind === "send") return toSend.push({ index, msg, row: decision.row, destination: decision.destination });
        done(index, decision.result);
        if (decision.requeue) requeue.push({ index, message: decision.requeue });
      } catch (err) {
        failed(index, err);
      }
    }),
  );

  const made: { claimed: Claimed; attempt: MadeAttempt }[] = [];
  await Promise.all(
    toSend.map(async (claimed) => {
      try {
        const attempt = await makeAttempt(env, claimed);
        if (typeof attempt === "string") done(claimed.index, attempt);
        else made.push({ claimed, attempt });
      } catch (err) {
        failed(claimed.index, await releaseLease(env, claimed, err));
      }
    }),
  );

  const recorded = await recordAttempts(
    env,
    made.map((m) => m.attempt),
  );
  await Promise.all(
    recorded.map(async (r, k) => {
      const { claimed } = made[k]!;
      if (r.status === "fulfilled") done(claimed.index, "sent");
      else failed(claimed.index, await releaseLease(env, claimed, r.reason));
    }),
  );

  try {
    await enqueueEach(
      env.DELIVERIES,
      requeue.map((r) => r.message),
    );
  } catch (err) {
    for (const { index } of requeue) failed(index, err);
  }
  return outcomes;
}

/**
 * Step 1: one D1 round trip. The claim statement leases every delivery of the batch that
 * nothing stands in the way of — the lease is its attempt budget (`attemptBudgetMs`, the
 * same formula in SQL) plus slack — and the reads that follow in the same transaction see
 * those leases. The payload is read only where the destination includes it. (The unary `+`
 * keeps SQLite on the primary key: left to itself it may walk `deliveries_status_next`,
 * every due delivery, to find the batch's few.)
 */
async function readAndClaim(env: Env, msgs: DeliveryMessage[], now: number) {
  const wanted = JSON.stringify(msgs.map((m) => [m.delivery_id, m.attempt - 1]));
  const ids = `SELECT m.value ->> 0 FROM json_each(?1) m`;
  const [claim, found, destRows] = await env.DB.batch<Record<string, unknown>>([
    env.DB.prepare(
      `UPDATE deliveries AS d
          SET lease_until = ?2 + (SELECT x.timeout_ms * (CASE WHEN x.backup_url IS NULL THEN 1 ELSE 2 END)
                                    FROM destinations x WHERE x.id = d.destination_id)
        WHERE d.id IN (${ids})
          AND d.attempt_count = (SELECT m.value ->> 1 FROM json_each(?1) m WHERE m.value ->> 0 = d.id)
          AND +d.status IN ('pending', 'retrying')
          AND (d.lease_until IS NULL OR d.lease_until <= ?3) AND +d.next_attempt_at <= ?3 + ?4
          AND EXISTS (SELECT 1 FROM events e WHERE e.id = d.event_id)
          AND EXISTS (SELECT 1 FROM destinations x WHERE x.id = d.destination_id AND x.status = 'active' AND x.ordering <> 'per_order')
        RETURNING id`,
    ).bind(wanted, now + LEASE_SLACK_MS, now, EARLY_TOLERANCE_MS),
    env.DB.prepare(
      `SELECT d.id, d.workspace_id, d.event_id, d.event_type, d.destination_id, d.status, d.attempt_count, d.attempt_limit,
              d.next_attempt_at, d.lease_until, d.order_key, d.sequence, d.replay_id, e.body,
              CASE WHEN x.include_raw THEN (SELECT p.raw FROM event_payloads p WHERE p.event_id = d.event_id) END AS raw
         FROM deliveries d LEFT JOIN events e ON e.id = d.event_id LEFT JOIN destinations x ON x.id = d.destination_id
        WHERE d.id IN (${ids})`,
    ).bind(wanted),
    env.DB.prepare(`SELECT * FROM destinations WHERE id IN (SELECT destination_id FROM deliveries WHERE id IN (${ids}))`).bind(wanted),
  ]);
  return {
    claimed: new Set((claim?.results ?? []).map((r) => r.id as string)),
    rows: new Map((found?.results ?? []).map((r) => [r.id as string, r as unknown as DeliveryJoin])),
    destinations: new Map((destRows?.results ?? []).map((r) => [r.id as string, destinationFromSql(r)])),
  };
}

type Decision =
  | { kind: "send"; row: DeliveryJoin; destination: DestinationRow }
  | { kind: "done"; result: ProcessResult; requeue?: DelayedMessage };

/**
 * Step 2 for one message, checked in this order: is it still the delivery's next attempt
 * (the no-double-delivery rule), is it claimed, its event there, is it due, is it free, is
 * its destination there and active, may it go before the rest of its order.
 */
async function decide(
  env: Env,
  msg: DeliveryMessage,
  row: DeliveryJoin | undefined,
  destinations: Map<string, DestinationRow>,
  claimed: boolean,
  now: number,
): Promise<Decision> {
  // Gone, finished, or a stale/duplicate message for an attempt already made: nothing to do.
  if (!row || (row.status !== "pending" && row.status !== "retrying") || row.attempt_count !== msg.attempt - 1) return { kind: "done", result: "skipped" };
  const destination = destinations.get(row.destination_id);
  if (claimed && destination) return { kind: "send", row, destination };

  if (row.body === null) {
    // Its event is gone (deleted by hand): it can never be sent; fail it rather than let the
    // sweep re-queue it forever.
    await failOrphan(env, row.id, now, "event deleted");
    return { kind: "done", result: "skipped" };
  }
  if (row.next_attempt_at > now + EARLY_TOLERANCE_MS) {
    return { kind: "done", result: "hop", requeue: { body: msg, delaySeconds: hopDelaySeconds(row.next_attempt_at, now) } };
  }
  if (row.lease_until !== null && row.lease_until > now) {
    // Another consumer holds it. Look again when its lease ends: if it finished, this message is
    // stale by then and dropped; if it died mid-attempt, this message makes the attempt.
    return { kind: "done", result: "leased", requeue: { body: msg, delaySeconds: hopDelaySeconds(row.lease_until, now) + 1 } };
  }
  if (!destination) {
    await failOrphan(env, row.id, now, "destination deleted");
    return { kind: "done", result: "skipped" };
  }
  if (destination.status !== "active") {
    // Held until the destination is active again; the drain sends it then, in order.
    await env.DB.prepare("UPDATE deliveries SET enqueued_at = NULL, updated_at = ?2 WHERE id = ?1 AND attempt_count = ?3")
      .bind(row.id, now, row.attempt_count)
      .run();
    return { kind: "done", result: "held" };
  }
  if (destination.ordering === "per_order" && row.order_key !== null && row.sequence !== null) {
    if (await parkBehindEarlier(env, row.id, row.attempt_count, now)) return { kind: "done", result: "parked" };
  }
  const took = await env.DB.prepare(
    `UPDATE deliveries SET lease_until = ?2
      WHERE id = ?1 AND attempt_count = ?3 AND status IN ('pending', 'retrying') AND (lease_until IS NULL OR lease_until <= ?4)
      RETURNING id`,
  )
    .bind(row.id, now + attemptBudgetMs(destination) + LEASE_SLACK_MS, row.attempt_count, now)
    .first();
  return took ? { kind: "send", row, destination } : { kind: "done", result: "skipped" };
}

/**
 * Opens the destination's secrets, waits for a rate slot, and sends. Returns the attempt to
 * record, or what became of the message when it was put back to wait for its slot.
 */
async function makeAttempt(env: Env, { msg, row, destination }: Claimed): Promise<MadeAttempt | ProcessResult> {
  const ring = await keyringOf(env);
  if (!ring) throw new Error("ENCRYPTION_KEY is not set; cannot open the signing secret");
  const secrets = await openDestination(ring, destination, Date.now());
  const body = renderBody(destination.format, { body: row.body!, raw: row.raw ?? "" }, destination.includeRaw);

  // The slot is booked by the one consumer that holds the delivery, right before it sends,
  // so neither a duplicate message nor the work above eats into the destination's rate.
  if (destination.rateLimitPerMinute) {
    const slot = msg.slot_at ?? (await reserveSlot(env, destination.id, destination.rateLimitPerMinute, Date.now()));
    const wait = slot - Date.now();
    if (wait > INLINE_WAIT_MS) return deferToSlot(env, msg, row.attempt_count, slot, Date.now());
    if (wait > 0) await scheduler.wait(wait);
  }

  const result = await dispatchAttempt(env, destination, secrets, { id: row.id, body, attempt: msg.attempt });
  return {
    delivery: {
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
    attempt: msg.attempt,
    result,
    now: Date.now(),
  };
}

/**
 * Never strand a lease: when an attempt could not be made or recorded, let the message's
 * retry (not only the sweep, minutes later) make it again. Returns the error to report.
 */
async function releaseLease(env: Env, { row }: Claimed, err: unknown): Promise<unknown> {
  await env.DB.prepare("UPDATE deliveries SET lease_until = NULL WHERE id = ?1 AND attempt_count = ?2")
    .bind(row.id, row.attempt_count)
    .run()
    .catch(() => undefined);
  return err;
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
  await enqueueEach(env.DELIVERIES, [{ body: { ...msg, slot_at: slot }, delaySeconds: hopDelaySeconds(slot, now) }]);
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
