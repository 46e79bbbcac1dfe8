import { and, asc, count, desc, eq, getTableColumns, gte, lt, sql, type Column, type SQL, type SQLWrapper } from "drizzle-orm";
import { SQLiteSyncDialect, type SelectedFields } from "drizzle-orm/sqlite-core";
import type { Db } from "./client";
import type { DeliveryStatus } from "./deliveries";
import { ofEvent } from "./deliveries-of-event";
import { eventsFrom, eventsOf, type OrderLookup } from "./event-lookups";
import { deliveries, events } from "./schema";
import { inIds, keyset, oneOf, typeMatches, unindexed } from "./where";
import type { Keyset } from "../lib/pagination";

/**
 * A workspace's deliveries in (created_at, id) order, newest or oldest first, with no index of
 * them by workspace (its entry was a row written per delivery). Three ways in, by the filter:
 * - an event: its few deliveries, by key (ofEvent), sorted;
 * - destinations (and no filter on the events' own fields): each one's range of
 *   deliveries_destination_created, already in order (the index ends in the primary key),
 *   merged by a UNION ALL whose legs SQLite reads in step;
 * - otherwise the workspace's events on events_workspace_created (an order's on
 *   events_workspace_order_key), each joined to its deliveries by key range. A delivery has its
 *   event's created_at (src/orders/fan-out.ts, src/db/deliveries-create.ts) and its id begins
 *   with its event's, so (event created_at, event id, delivery id) is the order of (created_at,
 *   id), and a cursor (created_at, delivery id) gives its event id back (eventIdOfDelivery).
 *   Only a legacy 30-character row sorts among its millisecond by its event's id, not its own.
 * Every page is bounded by its LIMIT and read in index order (test/db/deliveries-walks.test.ts).
 */

export interface DeliveryFilter {
  /** Destination ids, any of them (`destination_url` is resolved to ids before it gets here). */
  destinationIds?: string[];
  eventId?: string;
  /** Exact types or `prefix.*` patterns. */
  eventTypes?: string[];
  statuses?: DeliveryStatus[];
  /** Of events from these sources / of these order references / tracking numbers (the events' own columns; the last two by eventsOf). */
  sources?: string[];
  orders?: string[];
  trackingNumbers?: string[];
  /** created_at in [since, until) */
  since?: number;
  until?: number;
}

/**
 * The filter's condition on `deliveries` alone, for a read by event or by destination. With an
 * event, its few deliveries are read by key (ofEvent) and every other column only filters them.
 */
export function deliveryFilterWhere(workspaceId: string, f: DeliveryFilter) {
  const c = (column: Column): SQLWrapper => (f.eventId ? unindexed(column) : column);
  return and(
    eq(c(deliveries.workspaceId), workspaceId),
    f.destinationIds ? inIds(c(deliveries.destinationId), f.destinationIds) : undefined,
    f.eventId ? ofEvent(f.eventId) : undefined,
    typeMatches(deliveries.eventType, f.eventTypes),
    oneOf(c(deliveries.status), f.statuses),
    f.since !== undefined ? gte(deliveries.createdAt, f.since) : undefined,
    f.until !== undefined ? lt(deliveries.createdAt, f.until) : undefined,
    ofEvents(workspaceId, f),
  );
}

/**
 * `event_id IN (the workspace's events matching the event-side filters)`; none when there are
 * none. Only where the deliveries are the way in (an event's few, a count of destinations'
 * ranges): a page with such a filter walks the matching events themselves instead.
 */
function ofEvents(workspaceId: string, f: DeliveryFilter): SQL | undefined {
  const lookup = lookupOf(f);
  const where = [oneOf(events.sourceId, f.sources), eventsOf(workspaceId, lookup, "all")].filter(Boolean);
  if (where.length === 0) return undefined;
  return sql`${deliveries.eventId} in (select ${events.id} from ${eventsFrom(lookup)} where ${and(eq(events.workspaceId, workspaceId), ...where)})`;
}

const lookupOf = (f: DeliveryFilter): OrderLookup => ({ orders: f.orders, trackingNumbers: f.trackingNumbers });
const hasEventSide = (f: DeliveryFilter) => !!(f.sources?.length || f.orders?.some(Boolean) || f.trackingNumbers?.some(Boolean));

// ---------------------------------------------------------------- through the events

/**
 * The walk through the workspace's events (FROM events JOIN deliveries): the event-side filters
 * on the event, in the index's range; the delivery's columns unindexed, so SQLite, which has no
 * statistics, never prefers them to the events' order and the key range.
 */
function eventsJoinWhere(workspaceId: string, f: DeliveryFilter): SQL | undefined {
  return and(
    eq(events.workspaceId, workspaceId),
    typeMatches(events.type, f.eventTypes),
    oneOf(events.sourceId, f.sources),
    eventsOf(workspaceId, lookupOf(f), "all"),
    f.since !== undefined ? gte(events.createdAt, f.since) : undefined,
    f.until !== undefined ? lt(events.createdAt, f.until) : undefined,
    eq(unindexed(deliveries.workspaceId), workspaceId),
    oneOf(unindexed(deliveries.status), f.statuses),
    f.destinationIds ? inIds(unindexed(deliveries.destinationId), f.destinationIds) : undefined,
  );
}

/** `FROM events JOIN deliveries` (events through events_workspace_order_key when the filter looks up orders), selecting `columns`. */
function eventsJoin<T extends SelectedFields>(db: Db, f: DeliveryFilter, columns: T) {
  return db.select(columns).from(eventsFrom(lookupOf(f))).innerJoin(deliveries, ofEvent(events.id));
}

/** A delivery id made by deliveryIdOf: `dlv_`, its event id's 26 characters, 10 more. */
const OF_EVENT_ID = /^dlv_[0-9a-z]{36}$/;

/**
 * The event id of the delivery `id`, for a cursor: read off the id, or for a legacy id from its
 * row; `unknown` if that row is gone (the page then starts at the edge of the cursor's
 * millisecond: rows of it may come again, none is skipped).
 */
function eventIdOfDelivery(id: string, unknown: string): SQL {
  if (id === "") return sql`${""}`; // tightened()'s bound: before every row of its millisecond
  if (OF_EVENT_ID.test(id)) return sql`${`evt_${id.slice(4, 30)}`}`;
  return sql`coalesce((select ${deliveries.eventId} from ${deliveries} where ${deliveries.id} = ${id}), ${unknown})`;
}

/**
 * The keyset on (event created_at, event id, delivery id): the first row value bounds the
 * events' index range, the second cuts inside the cursor's event.
 */
function eventsKeyset(k: Keyset): { where: SQL | undefined; orderBy: SQL[] } {
  const newer = k.direction === "newer" && !!k.from;
  const by = newer ? asc : desc;
  const orderBy = [by(events.createdAt), by(events.id), by(deliveries.id)];
  if (!k.from) return { where: undefined, orderBy };
  const { at, id } = k.from;
  const eventId = eventIdOfDelivery(id, newer ? "" : "~");
  const [within, past] = newer ? [sql`>=`, sql`>`] : [sql`<=`, sql`<`];
  const where = and(
    sql`(${events.createdAt}, ${events.id}) ${within} (${at}, ${eventId})`,
    sql`(${events.createdAt}, ${events.id}, ${deliveries.id}) ${past} (${at}, ${eventId}, ${id})`,
  );
  return { where, orderBy };
}

// ---------------------------------------------------------------- pages

/** One page of a walk: the workspace's deliveries matching `filter` and `where`, from the keyset position `from`. */
export interface DeliveryWalk {
  workspaceId: string;
  filter: DeliveryFilter;
  /** More conditions on `deliveries` (a replay's snapshot); they filter rows, no index serves them. */
  where?: SQL | undefined;
  from: Keyset;
  limit: number;
}

/** D1 binds at most 100 parameters; destinations' legs repeat theirs. */
const MAX_PARAMS = 100;
const dialect = new SQLiteSyncDialect();

/**
 * The page as one statement selecting whole `deliveries` rows (their SQL names; rowFromDriver
 * reads them), in the walk's direction: newest first, or oldest first when paging back (`newer`).
 * Undefined when nothing can match (a destination filter of no destinations).
 */
export function deliveriesPageSql(db: Db, given: DeliveryWalk): SQL | undefined {
  const w = tightened(given);
  const f = w.filter;
  const all = getTableColumns(deliveries);
  if (f.eventId) {
    const k = keyset(deliveries.createdAt, deliveries.id, w.from);
    return db.select(all).from(deliveries).where(and(deliveryFilterWhere(w.workspaceId, f), w.where, k.where)).orderBy(...k.orderBy).limit(w.limit).getSQL();
  }
  if (f.destinationIds?.length === 0) return undefined;
  // With an event-side filter the events are the narrower way in (an order's few, on
  // events_workspace_order_key), and each leg would read the filter's events again.
  if (f.destinationIds && !hasEventSide(f)) {
    const legs = destinationLegs(db, w, f.destinationIds);
    if (dialect.sqlToQuery(legs).params.length <= MAX_PARAMS) return legs;
  }
  const k = eventsKeyset(w.from);
  return eventsJoin(db, f, all).where(and(eventsJoinWhere(w.workspaceId, f), w.where, k.where)).orderBy(...k.orderBy).limit(w.limit).getSQL();
}

/**
 * The walk with one bound on each side of its range: SQLite ranges an index on one lower and
 * one upper bound, and given `since` and a cursor reading newer rows (or `until` and one reading
 * older) it may take the looser and walk from there. So the tighter of the two becomes the
 * cursor, and the time filter goes: `(since, "")` is the cursor of "created_at >= since", as ""
 * sorts before every id (`(until, "")` that of "created_at < until").
 */
function tightened(w: DeliveryWalk): DeliveryWalk {
  const { from, filter: f } = w;
  if (!from.from) return w;
  if (from.direction === "newer") {
    if (f.since === undefined) return w;
    const cursor = from.from.at >= f.since ? from.from : { at: f.since, id: "" };
    return { ...w, filter: { ...f, since: undefined }, from: { direction: "newer", from: cursor } };
  }
  if (f.until === undefined) return w;
  const cursor = from.from.at < f.until ? from.from : { at: f.until, id: "" };
  return { ...w, filter: { ...f, until: undefined }, from: { direction: "older", from: cursor } };
}

/**
 * One leg per destination, each its range of deliveries_destination_created from the cursor in
 * the page's order, merged: SQLite reads the legs in step and stops at the LIMIT.
 */
function destinationLegs(db: Db, w: DeliveryWalk, destinationIds: string[]): SQL {
  const newer = w.from.direction === "newer" && !!w.from.from;
  const cursor = w.from.from;
  const past = cursor ? sql`(${deliveries.createdAt}, ${deliveries.id}) ${newer ? sql`>` : sql`<`} (${cursor.at}, ${cursor.id})` : undefined;
  const rest = deliveryFilterWhere(w.workspaceId, { ...w.filter, destinationIds: undefined });
  const legs = destinationIds.map((id) =>
    db.select(getTableColumns(deliveries)).from(deliveries).where(and(eq(deliveries.destinationId, id), rest, w.where, past)).getSQL(),
  );
  const dir = sql.raw(newer ? "asc" : "desc");
  return sql`${sql.join(legs, sql` union all `)} order by "created_at" ${dir}, "id" ${dir} limit ${w.limit}`;
}

// ---------------------------------------------------------------- counts

/** How many of the workspace's deliveries match `filter` and `where` (a replay's total), through the way in its walk takes. */
export async function countDeliveries(db: Db, workspaceId: string, filter: DeliveryFilter, where?: SQL): Promise<number> {
  const n = { n: count() };
  const [row] =
    filter.eventId || (filter.destinationIds && !hasEventSide(filter))
      ? await db.select(n).from(deliveries).where(and(deliveryFilterWhere(workspaceId, filter), where))
      : await eventsJoin(db, filter, n).where(and(eventsJoinWhere(workspaceId, filter), where));
  return row?.n ?? 0;
}

/** Delivery counts per status of those created since `since` (of events received since then); unexecuted, for a batch. */
export function deliveryCountsSince(db: Db, workspaceId: string, since: number) {
  return eventsJoin(db, {}, { status: deliveries.status, n: count() })
    .where(eventsJoinWhere(workspaceId, { since }))
    .groupBy(deliveries.status);
}
