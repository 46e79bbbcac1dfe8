import { and, asc, count, eq, exists, getTableColumns, isNotNull, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import type { Db } from "./client";
import type { Delivery, DeliveryStatus } from "./deliveries";
import { ofEvent } from "./deliveries-of-event";
import { deliveriesPageSql, type DeliveryFilter } from "./deliveries-walks";
import { rowFromDriver } from "./rows";
import { deliveries } from "./schema";
import { inIds, oneOf, unindexed } from "./where";
import type { Keyset } from "../lib/pagination";

/** The management API's and the console's reads of `deliveries` (src/db/deliveries.ts holds its state machine). */

// ---------------------------------------------------------------- reads

export type { DeliveryFilter } from "./deliveries-walks";

/** A workspace's deliveries matching `f`, from the keyset position `from` in its direction (src/db/deliveries-walks.ts). */
export async function listDeliveries(db: Db, workspaceId: string, f: DeliveryFilter, from: Keyset, limit: number): Promise<Delivery[]> {
  const page = deliveriesPageSql(db, { workspaceId, filter: f, from, limit });
  if (!page) return [];
  const rows = await db.all<Record<string, unknown>>(page);
  return rows.map((r) => rowFromDriver(deliveries, r));
}

/** One delivery of a workspace, as a query (to run alone with `.get()` or inside a `db.batch`). */
export function deliveryQuery(db: Db, workspaceId: string, id: string) {
  return db
    .select()
    .from(deliveries)
    .where(and(eq(deliveries.workspaceId, workspaceId), eq(deliveries.id, id)));
}

export async function findDelivery(db: Db, workspaceId: string, id: string): Promise<Delivery | undefined> {
  return deliveryQuery(db, workspaceId, id).get();
}

// ---------------------------------------------------------------- counts

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
export function deliveryCountsByEvent(db: Db, workspaceId: string, eventIds: string[]) {
  return db
    .select({ eventId: deliveries.eventId, status: deliveries.status, n: count() })
    .from(eventIdList(eventIds))
    .crossJoin(deliveries)
    .where(and(ofEvent(LISTED_EVENT_ID), eq(unindexed(deliveries.workspaceId), workspaceId)))
    .groupBy(deliveries.eventId, deliveries.status);
}

export { deliveryCountsSince } from "./deliveries-walks";

// ---------------------------------------------------------------- an event's deliveries (event log)

/** `EXISTS` a delivery of the event `eventId` (a column of the outer query) in one of `statuses`. */
export function eventHasDeliveryIn(db: Db, eventId: SQLWrapper, statuses: DeliveryStatus[]) {
  return exists(
    db
      .select({ id: deliveries.id })
      .from(deliveries)
      .where(and(ofEvent(eventId), oneOf(unindexed(deliveries.status), statuses))),
  );
}

/** The query for an event's deliveries, oldest first (for a `db.batch`). */
export function eventDeliveriesQuery(db: Db, workspaceId: string, eventId: string) {
  return db
    .select()
    .from(deliveries)
    .where(and(eq(unindexed(deliveries.workspaceId), workspaceId), ofEvent(eventId)))
    .orderBy(asc(deliveries.createdAt), asc(deliveries.id));
}

/** The ids of an event's deliveries, as a subquery. */
export function eventDeliveryIds(db: Db, eventId: string) {
  return db.select({ id: deliveries.id }).from(deliveries).where(ofEvent(eventId));
}

// ---------------------------------------------------------------- first attempts (src/db/attempts.ts shows them as attempts)

/**
 * The first-attempt successes kept on the delivery rows of these destinations, shaped as the
 * `attempts` rows the stats read (read through deliveries_destination_created).
 */
export function firstSuccessesOfDestinations(db: Db, destinationIds: string[]) {
  return db
    .select({
      destinationId: deliveries.destinationId,
      at: sql<number>`${deliveries.firstAttemptAt}`.as("at"),
      durationMs: sql<number>`${deliveries.firstDurationMs}`.as("duration_ms"),
      succeeded: sql<number>`1`.as("succeeded"),
    })
    .from(deliveries)
    .where(and(inIds(deliveries.destinationId, destinationIds), isNotNull(deliveries.firstAttemptAt)));
}

/** Every delivery of some events of a workspace, oldest first (an order's timeline). */
export async function deliveriesOfEvents(db: Db, workspaceId: string, eventIds: string[]): Promise<Delivery[]> {
  return eventIds.length === 0 ? [] : deliveriesOfEventsQuery(db, workspaceId, eventIds);
}

export function deliveriesOfEventsQuery(db: Db, workspaceId: string, eventIds: string[]) {
  return db
    .select(getTableColumns(deliveries))
    .from(eventIdList(eventIds))
    .crossJoin(deliveries)
    .where(and(ofEvent(LISTED_EVENT_ID), eq(unindexed(deliveries.workspaceId), workspaceId)))
    .orderBy(asc(deliveries.createdAt), asc(deliveries.id));
}

/**
 * Event ids as a bound JSON array (D1 binds at most 100 parameters), for a query that walks
 * them first (a CROSS JOIN keeps that order) and reads each one's deliveries by ofEvent: one
 * statement, each event a primary-key range (and a legacy index lookup).
 */
function eventIdList(eventIds: string[]): SQL {
  return sql`json_each(${JSON.stringify(eventIds)}) as listed`;
}
const LISTED_EVENT_ID = sql`listed.value`;
