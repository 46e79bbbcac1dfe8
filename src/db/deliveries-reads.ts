import { and, asc, count, desc, eq, exists, gte, isNotNull, lt, sql, type SQLWrapper } from "drizzle-orm";
import type { Db } from "./client";
import type { Delivery, DeliveryStatus } from "./deliveries";
import { deliveries } from "./schema";
import { inIds, olderThan } from "./where";

/** The management API's and the console's reads of `deliveries` (src/db/deliveries.ts holds its state machine). */

// ---------------------------------------------------------------- reads

export interface DeliveryFilter {
  destinationId?: string;
  eventId?: string;
  eventType?: string;
  status?: DeliveryStatus;
  /** created_at in [since, until) */
  since?: number;
  until?: number;
  /** Keyset cursor: strictly before this (created_at, id). */
  before?: { at: number; id: string };
}

/** A workspace's deliveries, newest first. */
export async function listDeliveries(db: Db, workspaceId: string, f: DeliveryFilter, limit: number): Promise<Delivery[]> {
  return db
    .select()
    .from(deliveries)
    .where(
      and(
        eq(deliveries.workspaceId, workspaceId),
        f.destinationId ? eq(deliveries.destinationId, f.destinationId) : undefined,
        f.eventId ? eq(deliveries.eventId, f.eventId) : undefined,
        f.eventType ? eq(deliveries.eventType, f.eventType) : undefined,
        f.status ? eq(deliveries.status, f.status) : undefined,
        f.since !== undefined ? gte(deliveries.createdAt, f.since) : undefined,
        f.until !== undefined ? lt(deliveries.createdAt, f.until) : undefined,
        olderThan(deliveries.createdAt, deliveries.id, f.before),
      ),
    )
    .orderBy(desc(deliveries.createdAt), desc(deliveries.id))
    .limit(limit);
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

// ---------------------------------------------------------------- an event's deliveries (event log)

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
