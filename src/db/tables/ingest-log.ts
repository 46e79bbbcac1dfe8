import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Every request a source received (src/db/ingest-log.ts), but for accepted requests that
 * brought an event: their entry is on that event's row (`events.request`), and the log's
 * listing reads both.
 */

export const INGEST_RESULTS = ["accepted", "duplicate", "rejected"] as const;

export const ingestLog = sqliteTable(
  "ingest_log",
  {
    /** `ilg_` + the time it was received + randomness (src/lib/ids.ts); a fold's is derived (src/ingest/refusals.ts). */
    id: text("id").notNull(),
    workspaceId: text("workspace_id").notNull(),
    sourceId: text("source_id").notNull(),
    at: integer("at").notNull(),
    result: text("result", { enum: INGEST_RESULTS }).notNull(),
    reason: text("reason"),
    /** The first event id (the contract's `event_id`); all of them in `event_ids`. */
    eventId: text("event_id"),
    eventIds: text("event_ids", { mode: "json" }).$type<string[]>(),
    httpStatus: integer("http_status").notNull(),
    /** What the request was, for the log reader: provider event name, body size, client ip. */
    detail: text("detail", { mode: "json" }).$type<Record<string, unknown>>(),
    /**
     * Refused requests are folded (CONTRACT.md, Additions): one row per source, reason and
     * minute, `count` of them from `at` (the first) to `last_at`; 1 and null for a request of its own.
     */
    count: integer("count").notNull().default(1),
    lastAt: integer("last_at"),
  },
  /*
   * Rows written per accepted request that committed a new event: 0 (its entry rides in the
   * event's row, src/db/ingest-log.ts placeLogs); per other request: 1 — duplicates, refusals
   * (folded), pointer callbacks, requests without events, commit failures. The key is
   * (workspace_id, at, id), WITHOUT ROWID (migrations/0011): the table is itself in the log's
   * order (newest first, keyset on (at, id)), so it needs no index — the listing merges it with
   * the events' requests in that order; retention's purge, registration's trigger counts and the
   * source and result filters read the workspace's range. A row is found again by its id through its time:
   * an `ilg_` id carries it (src/lib/ids.ts timeOfId); a folded refusal's row is found within
   * its minute (src/db/ingest-log.ts). A fold adds to its row's count in place (1 row).
   * Dropped (migrations/0011): ingest_log_workspace_at (the key serves it); (0004): ingest_log_source_at.
   */
  (t) => [primaryKey({ columns: [t.workspaceId, t.at, t.id] })],
);
