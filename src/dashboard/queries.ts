import { and, count, desc, eq, gte, max, sql, type Column, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { attempts, deliveries, destinations, events, replays, sources, type DeliveryStatus } from "../db/schema";

/**
 * Read-only queries only the dashboard needs (summaries for people). The log itself, its
 * filters and pagination come from src/api (listEvents, getEventDetail, listIngestLog), so
 * the pages and the API always agree.
 */

export type StatusCounts = Partial<Record<DeliveryStatus, number>>;

/** `column IN (ids)` as one bound JSON array: D1 binds at most 100 parameters per statement. */
function inIds(column: Column, ids: string[]): SQL {
  return sql`${column} in (select value from json_each(${JSON.stringify(ids)}))`;
}

/** How each event's deliveries stand, for the event tables. */
export async function deliveryStatusByEvent(db: Db, workspaceId: string, eventIds: string[]): Promise<Map<string, StatusCounts>> {
  const out = new Map<string, StatusCounts>();
  if (eventIds.length === 0) return out;
  const rows = await db
    .select({ eventId: deliveries.eventId, status: deliveries.status, n: count() })
    .from(deliveries)
    .where(and(eq(deliveries.workspaceId, workspaceId), inIds(deliveries.eventId, eventIds)))
    .groupBy(deliveries.eventId, deliveries.status);
  for (const r of rows) {
    const counts = out.get(r.eventId) ?? {};
    counts[r.status] = r.n;
    out.set(r.eventId, counts);
  }
  return out;
}

/** The overview's numbers: what arrived and how deliveries went since `since`. */
export async function overviewCounts(db: Db, workspaceId: string, since: number) {
  const [eventRows, deliveryRows] = await db.batch([
    db
      .select({ n: count() })
      .from(events)
      .where(and(eq(events.workspaceId, workspaceId), gte(events.createdAt, since))),
    db
      .select({ status: deliveries.status, n: count() })
      .from(deliveries)
      .where(and(eq(deliveries.workspaceId, workspaceId), gte(deliveries.createdAt, since)))
      .groupBy(deliveries.status),
  ]);
  const byStatus: StatusCounts = {};
  for (const r of deliveryRows) byStatus[r.status] = r.n;
  return { events: eventRows[0]?.n ?? 0, deliveries: byStatus };
}

export type SourceRowLite = { id: string; name: string; provider: string; verification: Record<string, unknown>; createdAt: number };

/** A workspace's sources, newest first (a dashboard shows at most a few hundred). */
export async function listSources(db: Db, workspaceId: string, limit = 200): Promise<SourceRowLite[]> {
  return db
    .select({ id: sources.id, name: sources.name, provider: sources.provider, verification: sources.verification, createdAt: sources.createdAt })
    .from(sources)
    .where(eq(sources.workspaceId, workspaceId))
    .orderBy(desc(sources.createdAt), desc(sources.id))
    .limit(limit);
}

export type DestinationRow = typeof destinations.$inferSelect;

export async function listDestinations(db: Db, workspaceId: string, limit = 200): Promise<DestinationRow[]> {
  return db
    .select()
    .from(destinations)
    .where(eq(destinations.workspaceId, workspaceId))
    .orderBy(desc(destinations.createdAt), desc(destinations.id))
    .limit(limit);
}

export interface DestinationSummary {
  attempts: number;
  succeeded: number;
  lastTriggeredAt: number | null;
  lastSuccessAt: number | null;
  deliveries: StatusCounts;
}

/**
 * Attempt counts (each retry counts, as in `GET /v1/destinations/:id/stats`) and delivery
 * states per destination, each answered from the destination's own index.
 */
export async function destinationSummaries(db: Db, ids: string[]): Promise<Map<string, DestinationSummary>> {
  const out = new Map<string, DestinationSummary>();
  if (ids.length === 0) return out;
  const [attemptRows, deliveryRows] = await db.batch([
    db
      .select({
        destinationId: attempts.destinationId,
        n: count(),
        ok: sql<number>`coalesce(sum(${attempts.succeeded}), 0)`,
        last: max(attempts.at),
        lastOk: sql<number | null>`max(case when ${attempts.succeeded} then ${attempts.at} end)`,
      })
      .from(attempts)
      .where(inIds(attempts.destinationId, ids))
      .groupBy(attempts.destinationId),
    db
      .select({ destinationId: deliveries.destinationId, status: deliveries.status, n: count() })
      .from(deliveries)
      .where(inIds(deliveries.destinationId, ids))
      .groupBy(deliveries.destinationId, deliveries.status),
  ]);
  for (const id of ids) out.set(id, { attempts: 0, succeeded: 0, lastTriggeredAt: null, lastSuccessAt: null, deliveries: {} });
  for (const r of attemptRows) {
    const s = out.get(r.destinationId)!;
    s.attempts = r.n;
    s.succeeded = Number(r.ok);
    s.lastTriggeredAt = r.last;
    s.lastSuccessAt = r.lastOk;
  }
  for (const r of deliveryRows) out.get(r.destinationId)!.deliveries[r.status] = r.n;
  return out;
}

export async function getDelivery(db: Db, workspaceId: string, id: string) {
  return db
    .select()
    .from(deliveries)
    .where(and(eq(deliveries.workspaceId, workspaceId), eq(deliveries.id, id)))
    .get();
}

export type ReplayRow = typeof replays.$inferSelect;

/** A replay's progress, read straight from its row (the page polls it). */
export async function getReplay(db: Db, workspaceId: string, id: string): Promise<ReplayRow | undefined> {
  return db
    .select()
    .from(replays)
    .where(and(eq(replays.workspaceId, workspaceId), eq(replays.id, id)))
    .get();
}

/** The destinations some deliveries went to (deleted ones are simply missing). */
export async function destinationsByIds(db: Db, workspaceId: string, ids: string[]): Promise<Map<string, DestinationRow>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select()
    .from(destinations)
    .where(and(eq(destinations.workspaceId, workspaceId), inIds(destinations.id, [...new Set(ids)])));
  return new Map(rows.map((r) => [r.id, r]));
}
