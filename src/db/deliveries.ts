// --- added by h3: the console's delivery counts (src/destinations/stats.ts, src/dashboard/queries.ts)
import { and, count, eq, gte } from "drizzle-orm";
import type { Db } from "./client";
import { deliveries, type DeliveryStatus } from "./schema";
import { inIds } from "./where";

/** How many deliveries stand in each status. */
export type StatusCounts = Partial<Record<DeliveryStatus, number>>;

/** Delivery counts per destination and status; unexecuted, for a batch. */
export function deliveryCountsByDestination(db: Db, destinationIds: string[]) {
  return db
    .select({ destinationId: deliveries.destinationId, status: deliveries.status, n: count() })
    .from(deliveries)
    .where(inIds(deliveries.destinationId, destinationIds))
    .groupBy(deliveries.destinationId, deliveries.status);
}

/** Delivery counts per event and status, for the console's event tables. */
export async function deliveryCountsByEvent(db: Db, workspaceId: string, eventIds: string[]) {
  return db
    .select({ eventId: deliveries.eventId, status: deliveries.status, n: count() })
    .from(deliveries)
    .where(and(eq(deliveries.workspaceId, workspaceId), inIds(deliveries.eventId, eventIds)))
    .groupBy(deliveries.eventId, deliveries.status);
}

/** Delivery counts per status of those created since `since`; unexecuted, for a batch. */
export function deliveryCountsSince(db: Db, workspaceId: string, since: number) {
  return db
    .select({ status: deliveries.status, n: count() })
    .from(deliveries)
    .where(and(eq(deliveries.workspaceId, workspaceId), gte(deliveries.createdAt, since)))
    .groupBy(deliveries.status);
}

export async function getDeliveryRow(db: Db, workspaceId: string, id: string) {
  return db
    .select()
    .from(deliveries)
    .where(and(eq(deliveries.workspaceId, workspaceId), eq(deliveries.id, id)))
    .get();
}
