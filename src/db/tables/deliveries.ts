import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { SQLWrapper } from "drizzle-orm";

/** What is sent: deliveries (their state machine is src/db/deliveries.ts) and their attempts. */

export const DELIVERY_STATUSES = ["pending", "retrying", "succeeded", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * A delivery id of before ids began with their event's (src/events/ids.ts): 30 characters. The
 * legacy index's WHERE, and the same text in src/db/deliveries-of-event.ts so SQLite uses it.
 */
export const legacyDeliveryId = (id: SQLWrapper) => sql`length(${id}) = 30`;

export const deliveries = sqliteTable(
  "deliveries",
  {
    /** Also the Standard Webhooks `webhook-id`: stable across every attempt. */
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull(),
    eventId: text("event_id").notNull(),
    destinationId: text("destination_id").notNull(),
    eventType: text("event_type").notNull(),
    status: text("status", { enum: DELIVERY_STATUSES }).notNull(),
    attemptCount: integer("attempt_count").notNull().default(0),
    /** Attempts this delivery may make before it is failed (a manual retry raises it by one). */
    attemptLimit: integer("attempt_limit").notNull(),
    /** Not before this time (ms); the queue message may arrive early after a split hop. */
    nextAttemptAt: integer("next_attempt_at").notNull(),
    /** A consumer holds the delivery until this time; stops two consumers sending one delivery. */
    leaseUntil: integer("lease_until"),
    /** A manual retry asked for while an attempt was in flight: its record reopens the delivery (cleared on claim). */
    retryRequestedAt: integer("retry_requested_at"),
    /** Last time a queue message was sent for it (the sweep re-enqueues stale ones). */
    enqueuedAt: integer("enqueued_at"),
    orderKey: text("order_key"),
    sequence: integer("sequence"),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    /** The replay that re-sent it, until that attempt finishes (then counted on the replay and cleared). */
    replayId: text("replay_id"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    completedAt: integer("completed_at"),
    /**
     * Attempt 1, when it succeeded, is recorded here instead of as an `attempts` row (it is
     * what most deliveries ever make: 0 rows instead of 3). src/db/attempts.ts synthesizes it
     * for every reader. Its own status code too: a reopened delivery's later attempt
     * overwrites `last_status_code`.
     */
    firstAttemptAt: integer("first_attempt_at"),
    firstDurationMs: integer("first_duration_ms"),
    firstUrl: text("first_url"),
    firstStatusCode: integer("first_status_code"),
    /** First 1 KiB of attempt 1's response. */
    firstResponseBody: text("first_response_body"),
  },
  /*
   * Rows written: insert 1 (WITHOUT ROWID) + 2 entries (destination_created, open); the claim's
   * lease 1; a finish 1 (its open entry is deleted, which D1 does not report as a row written).
   * Only the open index holds `status`, and only through its WHERE, so a finish re-inserts no
   * entry, and a lease, an enqueue or a retry's new next_attempt_at touch no index
   * (test/db/rows-written.test.ts counts them). No index lists a workspace's deliveries: a
   * delivery has its event's created_at and its id begins with its event's, so the workspace's
   * events on events_workspace_created, each joined to its deliveries by key range, give them
   * in (created_at, id) order (src/db/deliveries-walks.ts): GET /v1/deliveries and the console
   * without a destination filter, counts since, retention's expired walk, bulk resends by filter.
   *   deliveries_event_legacy       partial, only rows whose id is 30 characters (written before
   *                                 ids began with their event's): an event's deliveries are
   *                                 otherwise a range of the primary key (detail, ?event=,
   *                                 ?delivery_status= EXISTS, retention's "no delivery refers to
   *                                 it", the console's counts, the walks above:
   *                                 src/db/deliveries-of-event.ts), so a new row takes no entry here.
   *   deliveries_destination_created  a destination's counts and stats; the list, the console and
   *                                 replay sets with a destination filter (one range per destination,
   *                                 in (created_at, id) order: the index ends in the primary key;
   *                                 status and completed_at filter it).
   *   deliveries_open               partial, open deliveries only: per-order ordering (earlier open
   *                                 of (destination, order) by sequence, release of the next), the
   *                                 drain (a destination's held ones), and the sweep, which scans
   *                                 the small open set through it. A finished delivery leaves it.
   *   deliveries_replay             partial, only while a replay's attempt is in flight.
   * Dropped (migrations/0004): deliveries_destination_status (status in a full index: rewritten
   * on every finish) → deliveries_destination_created; deliveries_status_next (the sweep) and
   * deliveries_destination_order (ordering, drain) → deliveries_open. Dropped (migrations/0011):
   * deliveries_event (an entry per delivery) → the id's key range and deliveries_event_legacy.
   * Dropped (migrations/0015): deliveries_workspace_created (an entry per delivery) → the
   * workspace's events joined to their deliveries by key range.
   */
  (t) => [
    index("deliveries_event_legacy").on(t.eventId).where(legacyDeliveryId(t.id)),
    index("deliveries_destination_created").on(t.destinationId, t.createdAt),
    index("deliveries_open")
      .on(t.destinationId, t.orderKey, t.sequence)
      .where(sql`${t.status} IN ('pending', 'retrying')`),
    index("deliveries_replay").on(t.replayId).where(sql`${t.replayId} IS NOT NULL`),
  ],
);

export const attempts = sqliteTable(
  "attempts",
  {
    id: text("id").primaryKey(),
    deliveryId: text("delivery_id").notNull(),
    workspaceId: text("workspace_id").notNull(),
    destinationId: text("destination_id").notNull(),
    attempt: integer("attempt").notNull(),
    at: integer("at").notNull(),
    url: text("url").notNull(),
    statusCode: integer("status_code"),
    durationMs: integer("duration_ms").notNull(),
    error: text("error"),
    /** First 1 KiB of the response. */
    responseBody: text("response_body"),
    succeeded: integer("succeeded", { mode: "boolean" }).notNull(),
  },
  /*
   * Only retries and failures land here (a first-attempt success is on its delivery row), each
   * 1 row (WITHOUT ROWID) + 2 entries: a delivery's attempts in order (and their uniqueness),
   * and a destination's stats (totals, last times, percentiles).
   */
  (t) => [
    uniqueIndex("attempts_delivery_attempt").on(t.deliveryId, t.attempt),
    index("attempts_destination_at").on(t.destinationId, t.at),
  ],
);
