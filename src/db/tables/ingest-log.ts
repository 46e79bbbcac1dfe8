import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Every request a source received (src/db/ingest-log.ts). */

export const INGEST_RESULTS = ["accepted", "duplicate", "rejected"] as const;

export const ingestLog = sqliteTable(
  "ingest_log",
  {
    id: text("id").primaryKey(),
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
   * Rows written per request: 1 (WITHOUT ROWID) + 1; a folded refusal adds to its row's count
   * (1 row, `at` unchanged, so its index entry stays). ingest_log_workspace_at serves the log
   * (newest first, keyset), retention and registration's trigger counts; the source and result
   * filters read that workspace range. Dropped (migrations/0004): ingest_log_source_at.
   */
  (t) => [index("ingest_log_workspace_at").on(t.workspaceId, t.at, t.id)],
);
