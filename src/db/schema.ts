import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * The relay's durable state in D1. Times are unix milliseconds (rendered as ISO-8601 by
 * the API). Columns ending in `_enc` hold AES-GCM ciphertext (src/lib/crypto.ts); nothing
 * secret is stored in clear. JSON columns hold non-secret configuration.
 */

export const workspaces = sqliteTable("workspaces", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  /** SHA-256 of the API key; the key itself is shown once. */
  apiKeyHash: text("api_key_hash").notNull().unique(),
  /**
   * Bumped by triggers (migrations/0003) on every change to the workspace's sources or to the
   * routing columns of its destinations. Ingest caches source + destinations per isolate and
   * its commit is refused (`stale_config_guard`) when this moved, so a cached fan-out never lands.
   */
  configVersion: integer("config_version").notNull().default(0),
  createdAt: integer("created_at").notNull(),
});

export const sources = sqliteTable(
  "sources",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull(),
    name: text("name").notNull(),
    provider: text("provider").notNull(),
    /** The non-secret part of the verification config (type, header, algorithm …). */
    verification: text("verification", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    /** The secret part ({secret} | {username,password} | {value} | {token}), encrypted. */
    secretEnc: text("secret_enc"),
    /** Provider API credentials ({api_key, api_secret, api_base_url}), encrypted. */
    credentialsEnc: text("credentials_enc"),
    /** Adapter settings (generic field paths …). */
    settings: text("settings", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    /** Ingest rate limit; null = none (CONTRACT: off unless a source sets one). */
    rateLimitPerMinute: integer("rate_limit_per_minute"),
    /** CIDR allowlist checked against CF-Connecting-IP; null = any. */
    ipAllowlist: text("ip_allowlist", { mode: "json" }).$type<string[]>(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("sources_workspace_created").on(t.workspaceId, t.createdAt)],
);

export const destinations = sqliteTable(
  "destinations",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull(),
    name: text("name"),
    url: text("url").notNull(),
    backupUrl: text("backup_url"),
    /** Event type patterns: exact or "prefix.*". */
    events: text("events", { mode: "json" }).$type<string[]>(),
    /** Source ids; null = all sources. */
    sourceIds: text("source_ids", { mode: "json" }).$type<string[]>(),
    status: text("status", { enum: ["active", "paused", "disabled"] }).notNull(),
    disabledReason: text("disabled_reason"),
    /** When the relay disabled it (410 Gone or sustained failure); also the guard of its relay event. */
    disabledAt: integer("disabled_at"),
    /** Custom headers, encrypted (they often carry API keys). */
    headersEnc: text("headers_enc"),
    /** {type: basic|bearer, …}, encrypted. */
    authEnc: text("auth_enc"),
    maxAttempts: integer("max_attempts").notNull(),
    scheduleSeconds: text("schedule_seconds", { mode: "json" }).$type<number[]>().notNull(),
    timeoutMs: integer("timeout_ms").notNull(),
    rateLimitPerMinute: integer("rate_limit_per_minute"),
    ordering: text("ordering", { enum: ["unordered", "per_order"] }).notNull().default("unordered"),
    /** Payload filter on canonical fields: {"shipment.carrier": ["ups"], …}. */
    filter: text("filter", { mode: "json" }).$type<Record<string, unknown>>(),
    format: text("format").notNull().default("v1"),
    includeRaw: integer("include_raw", { mode: "boolean" }).notNull().default(false),
    mtlsCertificate: text("mtls_certificate"),
    /** `listen`: a temporary destination of a `shiprelay listen` WebSocket (src/listen/), sent through its object, not fetch. */
    kind: text("kind", { enum: ["webhook", "listen"] }).notNull().default("webhook"),
    /** A JSONata expression over the canonical event whose result is the body sent; null = the event as is. */
    transform: text("transform"),
    signingSecretEnc: text("signing_secret_enc").notNull(),
    previousSigningSecretEnc: text("previous_signing_secret_enc"),
    previousSecretExpiresAt: integer("previous_secret_expires_at"),
    /** Consecutive failed deliveries and since when every attempt failed (auto-disable). */
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    failingSince: integer("failing_since"),
    /** Auto-disable after this many failed deliveries in a row; null = the Worker's default, 0 = never. */
    autoDisableFailures: integer("auto_disable_failures"),
    /** Auto-disable once every attempt failed for this long (s); null = the Worker's default, 0 = never. */
    autoDisableSeconds: integer("auto_disable_seconds"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("destinations_workspace_created").on(t.workspaceId, t.createdAt)],
);

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
  },
  /*
   * Rows written per event: 1 (the table, WITHOUT ROWID since migrations/0004: no rowid, no
   * autoindex of the text key) + 1 per index entry, so every index here is paid on every event.
   *   events_workspace_created  GET /v1/events and the console (newest first, keyset on created_at,
   *                             id), the since/until filters, retention's purge, counts since; the
   *                             type, source and delivery-status filters read this workspace range and
   *                             filter rows (a list page stops at its limit), so they have no index of their own.
   *   events_workspace_order    ?order= and the orders views: a needle in a large workspace. Partial
   *   events_workspace_tracking ?tracking_number=: the same. Partial on NOT NULL: an event without one
   *                             (relay events, tracking-only updates) pays no entry; `col = ?` implies
   *                             NOT NULL, so SQLite uses them for the equality filters. They end
   *                             in (created_at, id) so they also give the list's order: without it
   *                             SQLite picked events_workspace_created (no sort) and never used them.
   * Dropped (migrations/0004): events_workspace_type, events_source_created (see above).
   */
  (t) => [
    index("events_workspace_created").on(t.workspaceId, t.createdAt, t.id),
    index("events_workspace_order")
      .on(t.workspaceId, t.orderReference, t.createdAt, t.id)
      .where(sql`${t.orderReference} IS NOT NULL`),
    index("events_workspace_tracking")
      .on(t.workspaceId, t.trackingNumber, t.createdAt, t.id)
      .where(sql`${t.trackingNumber} IS NOT NULL`),
  ],
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

export const DELIVERY_STATUSES = ["pending", "retrying", "succeeded", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

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
   * Rows written: insert 1 (WITHOUT ROWID) + 4 entries; the claim's lease 1; a finish 1 (its
   * open entry is deleted, which D1 does not report as a row written). Only the open index holds
   * `status`, and only through its WHERE, so a finish re-inserts no entry, and a lease, an enqueue
   * or a retry's new next_attempt_at touch no index (test/db/rows-written.test.ts counts them).
   *   deliveries_workspace_created  GET /v1/deliveries, the console, counts since, retention's
   *                                 expired walk; the event-type/status filters filter that range.
   *   deliveries_event              an event's deliveries (detail, ?delivery_status= EXISTS),
   *                                 retention's "no delivery refers to it", claim/attempt joins.
   *   deliveries_destination_created  a destination's counts and stats, ?destination_id=, replay
   *                                 sets (status and completed_at filter the destination's range).
   *   deliveries_open               partial, open deliveries only: per-order ordering (earlier open
   *                                 of (destination, order) by sequence, release of the next), the
   *                                 drain (a destination's held ones), and the sweep, which scans
   *                                 the small open set through it. A finished delivery leaves it.
   *   deliveries_replay             partial, only while a replay's attempt is in flight.
   * Dropped (migrations/0004): deliveries_destination_status (status in a full index: rewritten
   * on every finish) → deliveries_destination_created; deliveries_status_next (the sweep) and
   * deliveries_destination_order (ordering, drain) → deliveries_open.
   */
  (t) => [
    index("deliveries_workspace_created").on(t.workspaceId, t.createdAt, t.id),
    index("deliveries_event").on(t.eventId),
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

/**
 * A bulk re-send of one destination's deliveries (POST /v1/destinations/:id/replay). `total`
 * is fixed when it is created; deliveries it re-sent carry its id until their attempt
 * finishes, when `succeeded`/`failed` count them — so "sent" is read as in flight + finished.
 */
export const replays = sqliteTable("replays", {
  id: text("id").primaryKey(),
  workspaceId: text("workspace_id").notNull(),
  destinationId: text("destination_id").notNull(),
  /** {status, since, until} as asked (since/until as ms or null). */
  filter: text("filter", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  total: integer("total").notNull(),
  succeeded: integer("succeeded").notNull().default(0),
  failed: integer("failed").notNull().default(0),
  /** When the background walk queued its last page; null while it is walking. */
  walkedAt: integer("walked_at"),
  /** Keyset cursor of the background walk (created_at|id of the last delivery queued). */
  cursor: text("cursor"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** Webhooks shiprelay registered at a provider on a source's behalf. */
export const providerWebhooks = sqliteTable(
  "provider_webhooks",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull(),
    sourceId: text("source_id").notNull(),
    event: text("event").notNull(),
    providerWebhookId: text("provider_webhook_id").notNull(),
    url: text("url").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("provider_webhooks_source_event").on(t.sourceId, t.event)],
);

/** Queue messages that exhausted the queue's own retries; kept for inspection and replay. */
export const deadLetters = sqliteTable("dead_letters", {
  id: text("id").primaryKey(),
  queue: text("queue").notNull(),
  body: text("body").notNull(),
  at: integer("at").notNull(),
  requeuedAt: integer("requeued_at"),
});


/**
 * `Idempotency-Key` of POSTs under /v1 (src/idempotency/), one row per (scope, key): the scope
 * is the workspace id, or `admin` for /v1/workspaces. A row whose `status` is null is a claim
 * held by the request running it until `lockedUntil` (a crashed request's claim goes stale and
 * may be taken over). Kept 24 h, then purged by housekeeping.
 */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    scope: text("scope").notNull(),
    key: text("key").notNull(),
    /** SHA-256 of the request (method, path and the body's canonical JSON). */
    requestHash: text("request_hash").notNull(),
    /** Random per claim, so the request that claimed the key knows it still holds it. */
    claim: text("claim").notNull(),
    lockedUntil: integer("locked_until").notNull(),
    /** The stored answer; null while the first request runs. */
    status: integer("status"),
    /** The answer's body in clear, when it holds no secret. */
    body: text("body"),
    /** The answer's body sealed with the keyring, when it holds a secret shown once. */
    bodyEnc: text("body_enc"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("idempotency_keys_scope_key").on(t.scope, t.key), index("idempotency_keys_created").on(t.createdAt)],
);

/** Small operator facts, one row per name (the last cron run, for GET /v1/status). */
export const relayState = sqliteTable("relay_state", {
  name: text("name").primaryKey(),
  value: text("value", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  updatedAt: integer("updated_at").notNull(),
});
