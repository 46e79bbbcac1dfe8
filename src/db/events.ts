import { and, asc, count, eq, getTableColumns, gte, lt, or, sql, type Column, type SQL } from "drizzle-orm";
import type { Db } from "./client";
import { keyset, oneOf, typeMatches } from "./where";
import type { Keyset } from "../lib/pagination";
import { ofEventSql } from "./deliveries-of-event";
import { eventHasDeliveryIn } from "./deliveries-reads";
import { jsonInsertColumns, jsonRowsStatements } from "./json-rows";
import { eventPayloads, events, type DeliveryStatus } from "./schema";
import { deleteTrackingNumbersOfStatement, insertTrackingNumbersStatements } from "./tracking-numbers";
import { eventsFrom, eventsOf, type OrderLookup } from "./event-lookups";

/**
 * An `events` row; the group commit writes it whole. Its `raw` is the provider's payload as
 * received, given whole (or null for the relay's own events): insertEventsStatements keeps it
 * in the row only when it is small, and insertPayloadsStatements writes the large ones — so a
 * caller passes the same payload to both and the split is theirs.
 */
export type EventRow = typeof events.$inferSelect;
/** An `event_payloads` row: the provider's payload as received. */
export type EventPayloadRow = typeof eventPayloads.$inferSelect;

/**
 * The largest payload (JSON string length) kept in its event's row; a larger one gets an
 * `event_payloads` row of its own (1 row written more, and never next to a canonical body that
 * carries it: D1 rows stop at 2 MB). Most provider callbacks are a few KiB.
 */
export const INLINE_RAW_CHARS = 64 * 1024;
const isInline = (raw: string) => raw.length <= INLINE_RAW_CHARS;

/** SQL: an event's raw payload, from its row or its `event_payloads` row (`e` is the events alias). */
export const RAW_OF_EVENT_SQL = (e: string) => `coalesce(${e}.raw, (SELECT p.raw FROM event_payloads p WHERE p.event_id = ${e}.id))`;

const EVENT_KEYS = [
  "id", "workspaceId", "sourceId", "type", "livemode", "orderKey", "orderReference",
  "trackingNumber", "sequence", "dedupeKey", "body", "raw", "occurredAt", "createdAt", "request",
] as const satisfies readonly (keyof EventRow)[];
const EVENT_COLUMNS = jsonInsertColumns(events, EVENT_KEYS);
/** The column the events insert returns for each row it wrote (a row already there returns nothing). */
const INSERTED_EVENT = "inserted_event_id";

/** The events a batch's events inserts wrote, from the batch's results. */
export function insertedEventIds(results: D1Result[]): Set<string> {
  const out = new Set<string>();
  for (const r of results) for (const row of (r.results ?? []) as Record<string, unknown>[]) if (typeof row[INSERTED_EVENT] === "string") out.add(row[INSERTED_EVENT]);
  return out;
}
const INSERT_EVENTS = `INSERT INTO events (${EVENT_COLUMNS.names})
  SELECT ${EVENT_COLUMNS.values} FROM json_each(?1) r WHERE true ON CONFLICT DO NOTHING RETURNING id AS ${INSERTED_EVENT}`;

const PAYLOAD_COLUMNS = jsonInsertColumns(eventPayloads, ["eventId", "workspaceId", "raw"]);
const INSERT_PAYLOADS = `INSERT INTO event_payloads (${PAYLOAD_COLUMNS.names})
  SELECT ${PAYLOAD_COLUMNS.values} FROM json_each(?1) r WHERE true ON CONFLICT DO NOTHING`;
const INSERT_PAYLOAD = `INSERT INTO event_payloads (${PAYLOAD_COLUMNS.names}) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING`;

/** The JSON size past which a payload gets its own statement. */
const LARGE_PAYLOAD_CHARS = 256 * 1024;

/**
 * Inserts events, one multi-row statement per slice, each with its raw payload when that is
 * small (INLINE_RAW_CHARS; a larger one is insertPayloadsStatements'), then their (tracking
 * number, order key) pairs, so no writer of events can leave `?tracking_number=` blind to them
 * (a pair already stored writes nothing). Idempotent (ids derive from the event); `ON CONFLICT
 * DO NOTHING`, not `OR IGNORE`, so a row that breaks any other rule fails the batch instead of
 * vanishing. `livemode` travels as JSON true/false, which `->>` reads as 1/0.
 */
export function insertEventsStatements(db: D1Database, rows: EventRow[], opts: { pairsKnown?: (row: EventRow) => boolean } = {}): D1PreparedStatement[] {
  return [
    ...jsonRowsStatements(
      db,
      INSERT_EVENTS,
      rows.map((r) => (r.raw === null || isInline(r.raw) ? r : { ...r, raw: null })),
    ),
    // A writer that knows a pair is stored (the order object that wrote it) may skip its statement.
    ...insertTrackingNumbersStatements(db, opts.pairsKnown ? rows.filter((r) => !opts.pairsKnown!(r)) : rows),
  ];
}

/**
 * Inserts the payloads too large for their event's row (the small ones went in with their
 * events): the mid-sized ones in multi-row statements, then each very large one bound as
 * itself — escaped into a JSON array, a payload near the 1 MiB ingest limit could pass D1's
 * 2 MB value limit.
 */
export function insertPayloadsStatements(db: D1Database, rows: EventPayloadRow[]): D1PreparedStatement[] {
  const kept = rows.filter((p) => !isInline(p.raw));
  const small = kept.filter((p) => p.raw.length <= LARGE_PAYLOAD_CHARS);
  const large = kept.filter((p) => p.raw.length > LARGE_PAYLOAD_CHARS);
  return [
    ...jsonRowsStatements(db, INSERT_PAYLOADS, small),
    ...large.map((p) => db.prepare(INSERT_PAYLOAD).bind(p.eventId, p.workspaceId, p.raw)),
  ];
}

/** What the event log can be searched by; shared by `GET /v1/events` and the console. */
export interface EventFilter {
  /** Exact types or `prefix.*` patterns, any of them. */
  types?: string[];
  /** Source ids, any of them. */
  sources?: string[];
  /** The order reference (eventsOf). */
  order?: string;
  /** eventsOf. */
  trackingNumber?: string;
  /** Unix ms, inclusive. */
  since?: number;
  /** Unix ms, exclusive. */
  until?: number;
  /** Only events with at least one delivery in one of these states. */
  deliveryStatuses?: DeliveryStatus[];
}

/** The columns a list needs: no raw payload. */
const summaryColumns = {
  id: events.id,
  type: events.type,
  sourceId: events.sourceId,
  livemode: events.livemode,
  orderReference: events.orderReference,
  trackingNumber: events.trackingNumber,
  body: events.body,
  createdAt: events.createdAt,
};
export type EventSummary = Pick<EventRow, keyof typeof summaryColumns>;

type ValueOf<C extends Column> = C["_"]["notNull"] extends true ? C["_"]["data"] : C["_"]["data"] | null;

/** `columns` as SQL decoded as the columns are: drizzle will not select a Column from an SQL FROM (eventsFrom), not knowing its table is there. */
function selectable<T extends Record<string, Column>>(columns: T): { [K in keyof T]: SQL<ValueOf<T[K]>> } {
  return Object.fromEntries(Object.entries(columns).map(([k, c]) => [k, sql`${c}`.mapWith(c)])) as { [K in keyof T]: SQL<ValueOf<T[K]>> };
}

/** Up to `limit` of a workspace's events matching `filter` from the keyset position `from` (created_at, id), in its direction. */
export function selectEvents(db: Db, workspaceId: string, filter: EventFilter, from: Keyset, limit: number): Promise<EventSummary[]> {
  const k = keyset(events.createdAt, events.id, from);
  const lookup: OrderLookup = { orders: filter.order ? [filter.order] : [], trackingNumbers: filter.trackingNumber ? [filter.trackingNumber] : [] };
  return db
    .select(selectable(summaryColumns))
    .from(eventsFrom(lookup))
    .where(
      and(
        eq(events.workspaceId, workspaceId),
        typeMatches(events.type, filter.types),
        oneOf(events.sourceId, filter.sources),
        eventsOf(workspaceId, lookup, "all"),
        filter.since !== undefined ? gte(events.createdAt, filter.since) : undefined,
        filter.until !== undefined ? lt(events.createdAt, filter.until) : undefined,
        filter.deliveryStatuses?.length ? eventHasDeliveryIn(db, events.id, filter.deliveryStatuses) : undefined,
        k.where,
      ),
    )
    .orderBy(...k.orderBy)
    .limit(limit);
}

/** How many events an order's timeline reads at most (an order has a handful; a runaway one stops here). */
export const ORDER_TIMELINE_LIMIT = 500;

/**
 * A workspace's events of an order: those with one of the order `references` or one of the
 * `trackingNumbers` (a carrier's tracking event often carries only the tracking number), in
 * arrival order — which within an order key is `sequence` order (eventsOf, "any").
 */
export function selectOrderEvents(
  db: Db,
  workspaceId: string,
  by: { references: string[]; trackingNumbers: string[] },
): Promise<EventRow[]> {
  const lookup: OrderLookup = { orders: by.references, trackingNumbers: by.trackingNumbers };
  const where = eventsOf(workspaceId, lookup, "any");
  if (!where) return Promise.resolve([]);
  return db
    .select(selectable(getTableColumns(events)))
    .from(eventsFrom(lookup))
    .where(and(eq(events.workspaceId, workspaceId), where))
    .orderBy(asc(events.createdAt), asc(events.sequence), asc(events.id))
    .limit(ORDER_TIMELINE_LIMIT);
}

/** The query for one event of a workspace with its raw payload, inline or apart (for a `db.batch`); `raw` is null for the relay's own events. */
export function eventQuery(db: Db, workspaceId: string, id: string) {
  return db
    .select({ ...getTableColumns(events), raw: sql<string | null>`${sql.raw(RAW_OF_EVENT_SQL("events"))}` })
    .from(events)
    .where(and(eq(events.workspaceId, workspaceId), eq(events.id, id)));
}

/**
 * Deletes up to `limit` of a workspace's events received before `cutoff` that no delivery
 * refers to any more, with their payloads and the tracking-number pairs no other event has,
 * in one batch (the events last: the ids come from the same select); how many events went (retention).
 */
export async function purgeEvents(db: D1Database, workspaceId: string, cutoff: number, limit: number): Promise<number> {
  const doomed = `SELECT e.id FROM events e
          WHERE e.workspace_id = ?1 AND e.created_at < ?2
            AND NOT EXISTS (SELECT 1 FROM deliveries WHERE ${ofEventSql("e.id")})
          ORDER BY e.created_at, e.id LIMIT ?3`;
  // Most events have no payload row (theirs is inline), and a tracking-number pair goes only
  // with the last event that has it: those deletes mostly write nothing.
  const [, , removed] = await db.batch([
    db.prepare(`DELETE FROM event_payloads WHERE event_id IN (${doomed})`).bind(workspaceId, cutoff, limit),
    deleteTrackingNumbersOfStatement(db, doomed, [workspaceId, cutoff, limit]),
    db.prepare(`DELETE FROM events WHERE id IN (${doomed})`).bind(workspaceId, cutoff, limit),
  ]);
  return removed!.meta.changes;
}

/** How many events arrived since `since`; unexecuted, for a batch. */
export function eventCountSince(db: Db, workspaceId: string, since: number) {
  return db
    .select({ n: count() })
    .from(events)
    .where(and(eq(events.workspaceId, workspaceId), gte(events.createdAt, since)));
}

/**
 * A relay event (src/delivery/relay-events.ts), written once (its id derives from its dedupe
 * key) and only where `condition` holds: SQL over `?5` (now) and `?8` (the guard's destination
 * id, or null). With a guard, the body's `data.reason` is the guard destination's
 * `disabled_reason` as the same batch set it.
 */
export function insertRelayEventStatement(
  db: D1Database,
  e: Pick<EventRow, "id" | "workspaceId" | "sourceId" | "type" | "dedupeKey" | "body"> & { now: number },
  condition: string,
  guardId: string | null,
): D1PreparedStatement {
  const body = guardId ? `json_set(?4, '$.data.reason', (SELECT g.disabled_reason FROM destinations g WHERE g.id = ?8))` : `?4`;
  return db
    .prepare(
      `INSERT OR IGNORE INTO events (id, workspace_id, source_id, type, livemode, order_key, order_reference,
         tracking_number, sequence, dedupe_key, body, occurred_at, created_at)
       SELECT ?1, ?2, ?6, ?3, 1, NULL, NULL, NULL, NULL, ?7, ${body}, ?5, ?5
        WHERE ${condition}`,
    )
    .bind(e.id, e.workspaceId, e.type, e.body, e.now, e.sourceId, e.dedupeKey, guardId);
}
