import type { Db } from "../db/client";
import type { Delivery } from "../db/deliveries";
import { deliveriesOfEvents } from "../db/deliveries-reads";
import { destinationsByIds } from "../db/destinations";
import { selectOrderEvents, type EventRow } from "../db/events";
import type { CanonicalEvent } from "./canonical";

/**
 * An order's timeline (CONTRACT.md, Additions, "Orders"), for `GET /v1/orders/...` and the
 * console's `/dashboard/orders/{reference}`: every event of the order, the tracking status it
 * stands at, and where each destination's delivery of each event stands.
 */
export interface OrderTimeline {
  reference: string | null;
  events: CanonicalEvent[];
  /** From the latest event that carries them; null when no event does. */
  tracking: { status: string | null; carrier: string | null; tracking_number: string | null } | null;
  deliveries: Array<{ destination_id: string; url: string | null; status: Delivery["status"]; event_id: string }>;
  /** The rows behind `events`, for the console (raw payload links, source ids). */
  rows: EventRow[];
  /** The delivery rows behind `deliveries`. */
  deliveryRows: Delivery[];
}

const distinct = (xs: Array<string | null>) => [...new Set(xs.filter((x): x is string => !!x))];

/**
 * The order with this reference, or — given a tracking number — the order that tracking number
 * belongs to. The events are the order's own and those carrying one of its tracking numbers
 * (a carrier's tracking update often knows nothing of the order). Undefined when the workspace
 * has no event for it.
 */
export async function orderTimeline(db: Db, workspaceId: string, by: { reference: string } | { trackingNumber: string }): Promise<OrderTimeline | undefined> {
  let rows: EventRow[];
  if ("reference" in by) {
    const own = await selectOrderEvents(db, workspaceId, { references: [by.reference], trackingNumbers: [] });
    const tns = distinct(own.map((e) => e.trackingNumber));
    rows = tns.length ? await selectOrderEvents(db, workspaceId, { references: [by.reference], trackingNumbers: tns }) : own;
  } else {
    const tracked = await selectOrderEvents(db, workspaceId, { references: [], trackingNumbers: [by.trackingNumber] });
    const refs = distinct(tracked.map((e) => e.orderReference));
    rows = refs.length ? await selectOrderEvents(db, workspaceId, { references: refs, trackingNumbers: [by.trackingNumber] }) : tracked;
  }
  if (rows.length === 0) return undefined;

  const events = rows.map((r) => JSON.parse(r.body) as CanonicalEvent);
  const deliveryRows = await deliveriesOfEvents(db, workspaceId, rows.map((r) => r.id));
  const destinations = await destinationsByIds(db, workspaceId, deliveryRows.map((d) => d.destinationId));
  const reference = "reference" in by ? by.reference : (distinct(rows.map((r) => r.orderReference)).at(-1) ?? null);
  return {
    reference,
    events,
    tracking: latestTracking(events),
    deliveries: deliveryRows.map((d) => ({
      destination_id: d.destinationId,
      url: destinations.get(d.destinationId)?.url ?? null,
      status: d.status,
      event_id: d.eventId,
    })),
    rows,
    deliveryRows,
  };
}

/** Each of status, carrier and tracking number from the latest event that has it; null when none has any. */
function latestTracking(events: CanonicalEvent[]): OrderTimeline["tracking"] {
  const latest = <T>(pick: (e: CanonicalEvent) => T | undefined): T | null => {
    for (let i = events.length - 1; i >= 0; i--) {
      const v = pick(events[i]!);
      if (v !== undefined && v !== null && v !== "") return v;
    }
    return null;
  };
  const tracking = {
    status: latest((e) => e.tracking?.status),
    carrier: latest((e) => e.shipment?.carrier),
    tracking_number: latest((e) => e.shipment?.tracking_number),
  };
  return tracking.status === null && tracking.carrier === null && tracking.tracking_number === null ? null : tracking;
}
