import type { Db } from "../db/client";
import { deliveryCountsByEvent, deliveryCountsSince, type StatusCounts } from "../db/deliveries-reads";
import { eventCountSince } from "../db/events";

/**
 * Summaries only the console shows, composed from the tables' own queries (src/db). The log
 * itself, its filters and pagination are the API's domain functions, so pages and API agree.
 */

/** How each event's deliveries stand, for the event tables. */
export async function deliveryStatusByEvent(db: Db, workspaceId: string, eventIds: string[]): Promise<Map<string, StatusCounts>> {
  const out = new Map<string, StatusCounts>();
  if (eventIds.length === 0) return out;
  for (const r of await deliveryCountsByEvent(db, workspaceId, eventIds)) {
    const counts = out.get(r.eventId) ?? {};
    counts[r.status] = r.n;
    out.set(r.eventId, counts);
  }
  return out;
}

/** The overview's numbers: what arrived and how deliveries went since `since`, in one D1 round trip. */
export async function overviewCounts(db: Db, workspaceId: string, since: number) {
  const [eventRows, deliveryRows] = await db.batch([eventCountSince(db, workspaceId, since), deliveryCountsSince(db, workspaceId, since)]);
  const byStatus: StatusCounts = {};
  for (const r of deliveryRows) byStatus[r.status] = r.n;
  return { events: eventRows[0]?.n ?? 0, deliveries: byStatus };
}
