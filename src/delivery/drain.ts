import { takeHeldPage } from "../db/deliveries-pages";
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
    const page = await takeHeldPage(env.DB, destinationId, Date.now(), MAX_SEND_BATCH);
    if (page.length === 0) return { sent, more: false };
    await enqueueDeliveries(env.DELIVERIES, page.map((r) => ({ delivery_id: r.id, attempt: r.attemptCount + 1 })));
    sent += page.length;
    if (page.length < MAX_SEND_BATCH) return { sent, more: false };
  }
  return { sent, more: true };
}
