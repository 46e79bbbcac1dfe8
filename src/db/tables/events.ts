import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** What arrived: canonical events and the providers' payloads. */

/**
 * The ingest-log entry of the request that brought an event (src/db/ingest-log.ts lists it
 * with the `ingest_log` rows): its result is `accepted`, its time the event's `created_at`
 * (both the request's receivedAt), its source the event's, its first event this one.
 */
export interface EventRequest {
  /** `ilg_` + the time it was received + randomness (src/lib/ids.ts). */
  id: string;
  reason: string | null;
  event_ids: string[];
  http_status: number;
  detail: Record<string, unknown>;
}

export const events = sqliteTable(
  "events",
  {
    /** Derived from (workspace, source, dedupe key): the same provider event always has the same id. */
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull(),
    sourceId: text("source_id").notNull(),
    type: text("type").notNull(),
    livemode: integer("livemode", { mode: "boolean" }).notNull(),
    /** The Durable Object key that sequenced it (order:…, tracking:…), null when unsequenced. */
    orderKey: text("order_key"),
    orderReference: text("order_reference"),
    trackingNumber: text("tracking_number"),
    sequence: integer("sequence"),
    dedupeKey: text("dedupe_key").notNull(),
    /** The canonical event as delivered (JSON). */
    body: text("body").notNull(),
    /**
     * The provider's payload as received, when it is small (src/db/events.ts: ≤ 64 KiB); a
     * larger one lives in `event_payloads`. Readers take `coalesce(events.raw, event_payloads.raw)`.
     */
    raw: text("raw"),
    occurredAt: integer("occurred_at").notNull(),
    createdAt: integer("created_at").notNull(),
    /**
     * The request that brought it, as the ingest log shows it: an accepted request's log entry
     * rides here instead of being an `ingest_log` row of its own (0 rows written for it; the
     * outbox puts it here, src/db/ingest-log.ts placeLogs). Null for the relay's own events,
     * events a pointer's fetch job committed (their callback has its row) and every event of
     * a request but its first. Goes with the event at retention.
     */
    request: text("request", { mode: "json" }).$type<EventRequest>(),
  },
  /*
   * Rows written per event: 1 (the table, WITHOUT ROWID since migrations/0004: no rowid, no
   * autoindex of the text key) + 1 per index entry, so every index here is paid on every event.
   * The row also carries the ingest-log entry of the request that brought it (`request`), so an
   * accepted request writes no `ingest_log` row (0 rows written for its log entry).
   *   events_workspace_created    GET /v1/events and the console (newest first, keyset on created_at,
   *                               id), the since/until filters, retention's purge, counts since, every
   *                               walk of a workspace's deliveries, each event's joined by key
   *                               (src/db/deliveries-walks.ts: deliveries have no such index), the
   *                               ingest log's listing of the requests events carry (rows of one
   *                               millisecond sorted by request id) and registration's trigger counts; the
   *                               type, source and delivery-status filters read this workspace range and
   *                               filter rows (a list page stops at its limit), so they have no index of their own.
   *   events_workspace_order_key  ?order= and ?tracking_number= (events, deliveries) and the orders
   *                               views: a needle in a large workspace. One entry serves both: the
   *                               order key is `order:<reference>` whenever there is a reference
   *                               (src/orders/identity.ts), so `?order=R` is `order_key = 'order:R'`,
   *                               and a tracking number leads to its order keys through
   *                               `tracking_numbers` (src/db/event-lookups.ts, eventsOf). Partial on NOT NULL:
   *                               an event with neither (relay events, tests) pays no entry; `col = ?`
   *                               implies NOT NULL, so SQLite uses it for the equality filters. It ends
   *                               in (created_at, id) so it also gives the list's order: without it
   *                               SQLite picked events_workspace_created (no sort) and never used it.
   * So 1 + 2 rows per event with an order or a tracking number, + 1 `tracking_numbers` row the
   * first time a (tracking number, order key) pair is seen: a shipment's many tracking updates pay it once.
   * Dropped (migrations/0004): events_workspace_type, events_source_created (see above).
   * Dropped (migrations/0011): events_workspace_order, events_workspace_tracking (2 entries per
   * shipping event where events_workspace_order_key takes 1).
   */
  (t) => [
    index("events_workspace_created").on(t.workspaceId, t.createdAt, t.id),
    index("events_workspace_order_key")
      .on(t.workspaceId, t.orderKey, t.createdAt, t.id)
      .where(sql`${t.orderKey} IS NOT NULL`),
  ],
);

/**
 * Which order keys carry a tracking number (src/db/tracking-numbers.ts): `?tracking_number=X`
 * reads the events of these keys that have X, on events_workspace_order_key. Written with the
 * events (src/db/events.ts), once per pair: the key is the table (WITHOUT ROWID, hand-written in
 * migrations/0011), 1 row written per new pair, none for a pair already there. Retention drops
 * a pair once no event has it.
 */
export const trackingNumbers = sqliteTable(
  "tracking_numbers",
  {
    workspaceId: text("workspace_id").notNull(),
    trackingNumber: text("tracking_number").notNull(),
    orderKey: text("order_key").notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.trackingNumber, t.orderKey] })],
);

/**
 * The provider's payload as received, for a payload too large to sit in its event's row
 * (`events.raw` holds the small ones): a payload near the 1 MiB ingest limit and a canonical
 * body that carries it (an unmapped event) must never share one row (D1 rows are limited to
 * 2 MB). WITHOUT ROWID (migrations/0004): the key is the table, 1 row written per payload.
 */
export const eventPayloads = sqliteTable("event_payloads", {
  eventId: text("event_id").primaryKey(),
  workspaceId: text("workspace_id").notNull(),
  raw: text("raw").notNull(),
});
