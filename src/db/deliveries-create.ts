import type { Delivery } from "./deliveries";
import { jsonInsertColumns, jsonRowsStatements } from "./json-rows";
import { rowToDriver } from "./rows";
import { deliveries } from "./schema";

/**
 * How deliveries come to be (src/db/deliveries.ts holds the rest of their state machine): the
 * group commit's new deliveries of fresh events, and a relay event's delivery. Both are
 * idempotent, as a delivery's id derives from (event, destination).
 */

/** A new `deliveries` row as the group commit writes it: pending, no attempt yet; `enqueuedAt` null while its destination holds it. */
export type NewDelivery = Pick<
  Delivery,
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

/**
 * A relay event's delivery (src/delivery/relay-events.ts), new and pending, written once (its
 * id derives from event and destination) and only where `condition` holds: SQL over `?7`
 * (now) and `?9` (the guard's destination id, or null). Its created_at is its event's, as
 * every delivery's (the list walks events for deliveries: src/db/deliveries-walks.ts): the
 * event written earlier in the batch, or long before when the same relay event is written again
 * (a redelivered message) and finds a new subscriber.
 */
export function insertRelayDeliveryStatement(
  d1: D1Database,
  row: Pick<Delivery, "id" | "workspaceId" | "eventId" | "destinationId" | "eventType" | "attemptLimit" | "enqueuedAt"> & { now: number },
  condition: string,
  guardId: string | null,
): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT OR IGNORE INTO deliveries (id, workspace_id, event_id, destination_id, event_type, status,
         attempt_count, attempt_limit, next_attempt_at, enqueued_at, order_key, sequence, created_at, updated_at)
       SELECT ?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, ?7, ?8, NULL, NULL, coalesce((SELECT created_at FROM events WHERE id = ?3), ?7), ?7
        WHERE ${condition}`,
    )
    .bind(row.id, row.workspaceId, row.eventId, row.destinationId, row.eventType, row.attemptLimit, row.now, row.enqueuedAt, guardId);
}


/**
 * A delivery written whole and already finished: a destination test's, so the log shows it
 * (src/delivery/test-log.ts). Its id is new; writing it twice stores it once.
 */
export function insertFinishedDeliveryStatement(d1: D1Database, row: Delivery): D1PreparedStatement {
  const values = rowToDriver(deliveries, row);
  const columns = Object.keys(values);
  return d1
    .prepare(`INSERT INTO deliveries (${columns.join(", ")}) VALUES (${columns.map((_, i) => `?${i + 1}`).join(", ")}) ON CONFLICT DO NOTHING`)
    .bind(...Object.values(values));
}
