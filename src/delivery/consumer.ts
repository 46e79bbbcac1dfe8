import { claimBatch, type ClaimBatch } from "../db/deliveries";
import { letGo, makeAttempt, type Claimed } from "./attempt";
import { recordDeadLetter } from "./dead-letters";
import { decide, EARLY_TOLERANCE_MS, LEASE_SLACK_MS, type ProcessResult } from "./decide";
import { deliveryMessageSchema, enqueueEach, type DelayedMessage, type DeliveryMessage } from "./messages";
import { recordAttempts, type MadeAttempt } from "./record";
import { queueRetryDelaySeconds } from "./retry-policy";

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
    msg.retry({ delaySeconds: queueRetryDelaySeconds(5, msg.attempts) });
  });
}

/**
 * A batch of messages, in three steps that each cost one D1 round trip for the whole batch:
 *
 * 1. read and claim (`claimBatch`, src/db/deliveries.ts): every delivery with nothing in its
 *    way (this attempt's, due, free, its event and active destination there, not per-order)
 *    is leased in the same transaction that reads all of them with their events and destinations;
 * 2. the rest is decided one by one from those rows (src/delivery/decide.ts: stale, early,
 *    held, leased, parked …), then every claimed delivery is sent, concurrently
 *    (src/delivery/attempt.ts);
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

  let read: ClaimBatch;
  try {
    read = await claimBatch(
      env.DB,
      msgs.map((m) => ({ id: m.delivery_id, attemptCount: m.attempt - 1 })),
      { now, leaseFrom: now + LEASE_SLACK_MS, earlyToleranceMs: EARLY_TOLERANCE_MS },
    );
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
        failed(claimed.index, await letGo(env, claimed, err));
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
      else failed(claimed.index, await letGo(env, claimed, r.reason));
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
