import { moveToSlot, releaseLease, type ClaimRow } from "../db/deliveries";
import { openDestination, type DestinationRow } from "../db/destinations";
import { keyringOf } from "../lib/config";
import { bodyFor, transformFailure } from "./body";
import { hopDelaySeconds, type ProcessResult } from "./decide";
import { dispatchAttempt, type DispatchResult } from "./dispatch";
import { enqueueEach, type DeliveryMessage } from "./messages";
import { INLINE_WAIT_MS, reserveSlot } from "./pacing";
import type { MadeAttempt } from "./record";
import { TransformError } from "./transform";

/** A message whose delivery is claimed by this consumer: to be sent now. */
export interface Claimed {
  index: number;
  msg: DeliveryMessage;
  row: ClaimRow;
  destination: DestinationRow;
}

/**
 * Step 3 of the consumer for one claimed delivery: opens the destination's secrets, waits for
 * a rate slot, and sends. Returns the attempt to record, or what became of the message when
 * it was put back to wait for its slot.
 */
export async function makeAttempt(env: Env, { msg, row, destination }: Claimed): Promise<MadeAttempt | ProcessResult> {
  const ring = await keyringOf(env);
  if (!ring) throw new Error("ENCRYPTION_KEY is not set; cannot open the signing secret");
  const secrets = await openDestination(ring, destination, Date.now());
  let body: string;
  try {
    body = await bodyFor(destination, { type: row.eventType, body: row.body!, raw: row.raw ?? "" });
  } catch (err) {
    // The destination's own expression failed on this event, or the body could not be built:
    // that attempt fails with the reason, recorded like any other; the consumer goes on.
    const outcome =
      err instanceof TransformError
        ? transformFailure(destination.url, err)
        : {
            ok: false,
            url: destination.url,
            statusCode: null,
            durationMs: 0,
            error: `could not build the request: ${(err as Error)?.message ?? String(err)}`.slice(0, 300),
            responseBody: null,
            transportFailure: false,
          };
    return made(row, destination, msg.attempt, { outcome, gone: false });
  }

  // The slot is booked by the one consumer that holds the delivery, right before it sends,
  // so neither a duplicate message nor the work above eats into the destination's rate.
  if (destination.rateLimitPerMinute) {
    const slot = msg.slot_at ?? (await reserveSlot(env, destination.id, destination.rateLimitPerMinute, Date.now()));
    const wait = slot - Date.now();
    if (wait > INLINE_WAIT_MS) return deferToSlot(env, msg, row.attemptCount, slot, Date.now());
    if (wait > 0) await scheduler.wait(wait);
  }

  const result = await dispatchAttempt(env, destination, secrets, { id: row.id, body, attempt: msg.attempt });
  return made(row, destination, msg.attempt, result);
}

function made(row: ClaimRow, destination: DestinationRow, attempt: number, result: DispatchResult): MadeAttempt {
  return {
    delivery: {
      id: row.id,
      workspaceId: row.workspaceId,
      eventId: row.eventId,
      eventType: row.eventType,
      destinationId: row.destinationId,
      attemptLimit: row.attemptLimit,
      orderKey: destination.ordering === "per_order" ? row.orderKey : null,
      replayId: row.replayId,
    },
    destination,
    attempt,
    result,
    now: Date.now(),
  };
}

/**
 * Never strand a lease: when an attempt could not be made or recorded, let the message's
 * retry (not only the sweep, minutes later) make it again. Returns the error to report.
 */
export async function letGo(env: Env, { row }: Claimed, err: unknown): Promise<unknown> {
  await releaseLease(env.DB, row.id, row.attemptCount).catch(() => undefined);
  return err;
}

/**
 * Rate limited: the delivery waits for its booked slot. Its `next_attempt_at` moves to the
 * slot (the API shows when it will go; the sweep does not think it stuck), its lease is
 * let go, and the message goes back on the queue carrying the slot so it does not book
 * another on arrival.
 */
async function deferToSlot(env: Env, msg: DeliveryMessage, attemptCount: number, slot: number, now: number): Promise<ProcessResult> {
  if (!(await moveToSlot(env.DB, msg.delivery_id, attemptCount, slot, now))) return "skipped";
  await enqueueEach(env.DELIVERIES, [{ body: { ...msg, slot_at: slot }, delaySeconds: hopDelaySeconds(slot, now) }]);
  return "paced";
}
