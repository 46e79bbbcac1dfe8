import { takeStuckPage } from "../db/deliveries-pages";
import { enqueueDeliveries, MAX_SEND_BATCH } from "./messages";
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
    const page = await takeStuckPage(env.DB, now, now - STUCK_AFTER_MS, MAX_SEND_BATCH);
    if (page.length === 0) break;
    await enqueueDeliveries(env.DELIVERIES, page.map((r) => ({ delivery_id: r.id, attempt: r.attemptCount + 1 })));
    requeued += page.length;
    if (page.length < MAX_SEND_BATCH) break;
  }
  await resumeStalledReplays(env, now);
  return requeued;
}
