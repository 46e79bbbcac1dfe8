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

/**
 * A workspace's API keys (the first, named "default", is the key the workspace was created
 * with). Only the SHA-256 of a key is kept. `session_generation` is sealed into every console
 * session opened with the key: signing out bumps it, which ends all of them at once.
 */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull(),
    name: text("name").notNull(),
    keyHash: text("key_hash").notNull().unique(),
    createdAt: integer("created_at").notNull(),
    /** Updated at most once a minute per key, to keep writes low. */
    lastUsedAt: integer("last_used_at"),
    sessionGeneration: integer("session_generation").notNull().default(0),
  },
  (t) => [index("api_keys_workspace").on(t.workspaceId, t.createdAt)],
);

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
    /** The canonical event as delivered (JSON). Its raw payload lives in event_payloads. */
    body: text("body").notNull(),
    occurredAt: integer("occurred_at").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    index("events_workspace_created").on(t.workspaceId, t.createdAt, t.id),
    index("events_workspace_order").on(t.workspaceId, t.orderReference),
    index("events_workspace_tracking").on(t.workspaceId, t.trackingNumber),
    index("events_workspace_type").on(t.workspaceId, t.type, t.createdAt),
    index("events_source_created").on(t.sourceId, t.createdAt),
  ],
);

/**
 * The provider's payload as received, one row per event. Kept apart from `events` so a
 * payload near the 1 MiB ingest limit and a canonical body that carries it (an unmapped event)
 * never share one row (D1 rows are limited to 2 MB), lists never read it, and it can move to
 * colder storage on its own.
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
  },
  (t) => [
    index("deliveries_workspace_created").on(t.workspaceId, t.createdAt, t.id),
    index("deliveries_destination_status").on(t.destinationId, t.status, t.createdAt),
    index("deliveries_event").on(t.eventId),
    index("deliveries_status_next").on(t.status, t.nextAttemptAt),
    index("deliveries_destination_order").on(t.destinationId, t.orderKey, t.sequence),
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
  },
  (t) => [
    index("ingest_log_workspace_at").on(t.workspaceId, t.at, t.id),
    index("ingest_log_source_at").on(t.sourceId, t.at),
  ],
);

/**
 * A bulk re-send of one destination's deliveries (POST /v1/destinations/:id/replay). `total`
 * is fixed when it is created; deliveries it re-sent carry its id until their attempt
 * finishes, when `succeeded`/`failed` count them — so "sent" is read as in flight + finished.
 */
export const replays = sqliteTable("replays", {
  id: text("id").primaryKey(),
  workspaceId: text("workspace_id").notNull(),
  /** The destination of a range replay; null for a bulk resend (POST /v1/deliveries/retry), whose filter says what it takes. */
  destinationId: text("destination_id"),
  /** A range replay's {status, since, until} as asked (since/until as ms or null); a bulk resend's {kind: "bulk", ids | filter}. */
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

