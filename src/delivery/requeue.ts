import { dbOf } from "../db/client";
import { reopen, type Delivery } from "../db/deliveries";
import { findDelivery } from "../db/deliveries-reads";
import { getDestinationRow } from "../db/destinations";
import { notFound } from "../lib/errors";
import { enqueueDeliveries } from "./messages";

/**
 * Queues one more attempt of a delivery now, whatever its state (`reopen` in
 * src/db/deliveries.ts: at least one more attempt, never fewer than it had left). Returns
 * the delivery as it now is; if an attempt finished since `d` was read, its own state stands.
 * Used by manual retry in the API and the console.
 */
export async function requeueDelivery(env: Env, d: Delivery, now = Date.now()): Promise<Delivery> {
  const row = await reopen(dbOf(env), d, now);
  if (!row) return d;
  // In flight: the attempt's record reopens it and queues the next attempt (src/db/deliveries.ts).
  if (row.retryRequestedAt !== null) return row;
  await enqueueDeliveries(env.DELIVERIES, [{ delivery_id: d.id, attempt: d.attemptCount + 1 }]);
  return row;
}

/** `POST /v1/deliveries/:id/retry`: the workspace's delivery, requeued; not found when it or its destination is gone. */
export async function retryDelivery(env: Env, workspaceId: string, id: string): Promise<Delivery> {
  const db = dbOf(env);
  const row = await findDelivery(db, workspaceId, id);
  if (!row) throw notFound("delivery");
  if (!(await getDestinationRow(db, workspaceId, row.destinationId))) throw notFound("destination of this delivery");
  return requeueDelivery(env, row);
}
