import { and, asc, eq, exists, type SQLWrapper } from "drizzle-orm";
import type { Db } from "./client";
import { jsonInsertColumns, jsonRowsStatements } from "./json-rows";
import { deliveries, type DeliveryStatus } from "./schema";

// --- added by h2: reads of an event's deliveries (event log); drop DeliveryRow if h1's part declares it.
export type DeliveryRow = typeof deliveries.$inferSelect;

/** `EXISTS` a delivery of the event `eventId` (a column of the outer query) in `status`. */
export function eventHasDeliveryIn(db: Db, eventId: SQLWrapper, status: DeliveryStatus) {
  return exists(
    db
      .select({ id: deliveries.id })
      .from(deliveries)
      .where(and(eq(deliveries.eventId, eventId), eq(deliveries.status, status))),
  );
}

/** The query for an event's deliveries, oldest first (for a `db.batch`). */
export function eventDeliveriesQuery(db: Db, workspaceId: string, eventId: string) {
  return db
    .select()
    .from(deliveries)
    .where(and(eq(deliveries.workspaceId, workspaceId), eq(deliveries.eventId, eventId)))
    .orderBy(asc(deliveries.createdAt), asc(deliveries.id));
}

/** The ids of an event's deliveries, as a subquery. */
export function eventDeliveryIds(db: Db, eventId: string) {
  return db.select({ id: deliveries.id }).from(deliveries).where(eq(deliveries.eventId, eventId));
}
// --- end of h2's reads

/** A new `deliveries` row as the group commit writes it: pending, no attempt yet; `enqueuedAt` null while its destination holds it. */
export type NewDelivery = Pick<
  typeof deliveries.$inferSelect,
  "id" | "workspaceId" | "eventId" | "destinationId" | "eventType" | "attemptLimit" | "createdAt" | "enqueuedAt" | "orderKey" | "sequence"
>;

const NEW_DELIVERY = jsonInsertColumns(deliveries, [
  "id", "workspaceId", "eventId", "destinationId", "eventType", "attemptLimit", "enqueuedAt", "orderKey", "sequence",
]);
const INSERT_NEW_DELIVERIES = `INSERT INTO deliveries (${NEW_DELIVERY.names},
    status, attempt_count, next_attempt_at, created_at, updated_at)
  SELECT ${NEW_DELIVERY.values}, 'pending', 0, r.value ->> '$.createdAt', r.value ->> '$.createdAt', r.value ->> '$.createdAt'
    FROM json_each(?1) r WHERE true ON CONFLICT DO NOTHING`;

/**
 * Inserts new deliveries (the group commit), one multi-row statement per slice: idempotent, as
 * ids derive from (event, destination); `ON CONFLICT DO NOTHING` so any other broken rule fails the batch.
 */
export function insertNewDeliveriesStatements(db: D1Database, rows: NewDelivery[]): D1PreparedStatement[] {
  return jsonRowsStatements(db, INSERT_NEW_DELIVERIES, rows);
}
