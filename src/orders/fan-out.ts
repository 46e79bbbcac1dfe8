import type { NewDelivery } from "../db/deliveries-create";
import type { EventRow } from "../db/events";
import type { WorkspaceRouting } from "../db/destinations";
import type { CanonicalEvent } from "../events/canonical";
import { deliveryIdOf } from "../events/ids";
import type { DeliveryMessage } from "../delivery/messages";
import { routes } from "../delivery/routing";

/** The deliveries an outbox flush writes for its events, and the queue messages of those not held. */
export interface FanOut {
  deliveries: NewDelivery[];
  messages: DeliveryMessage[];
}

/**
 * Which destinations get a delivery of each event, decided when the outbox is flushed, from
 * the routing of one config version (CONTRACT.md, Additions: the flush's D1 batch is guarded
 * by that version, so a stale routing never lands). A paused or disabled destination's
 * delivery is written `pending` with no queue message: the drain sends it once it is active.
 */
export async function fanOut(events: EventRow[], routing: WorkspaceRouting, now: number): Promise<FanOut> {
  const out: FanOut = { deliveries: [], messages: [] };
  for (const ev of events) {
    const canonical = JSON.parse(ev.body) as CanonicalEvent;
    for (const dest of routing.destinations) {
      if (!routes(dest, { type: ev.type, sourceId: ev.sourceId, canonical })) continue;
      const hold = dest.status !== "active";
      const id = await deliveryIdOf(ev.id, dest.id);
      out.deliveries.push({
        id,
        workspaceId: ev.workspaceId,
        eventId: ev.id,
        destinationId: dest.id,
        eventType: ev.type,
        attemptLimit: dest.maxAttempts,
        // Its event's time, as every delivery's: the list walks events for deliveries (src/db/deliveries-walks.ts).
        createdAt: ev.createdAt,
        enqueuedAt: hold ? null : now,
        orderKey: ev.orderKey,
        sequence: ev.sequence,
      });
      if (!hold) out.messages.push({ delivery_id: id, attempt: 1 });
    }
  }
  return out;
}
