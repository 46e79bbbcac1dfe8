import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Operations: replays, provider webhooks, pending fetches, registration claims, dead letters, idempotency keys, operator facts. */

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

/** A pointer fetch the jobs queue gave up on, until fetched or discarded (src/ingest/pending-fetches.ts). */
export const pendingFetches = sqliteTable(
  "pending_fetches",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull(),
    sourceId: text("source_id").notNull(),
    ingestLogId: text("ingest_log_id").notNull(), // the callback's ingest-log row: one pending fetch per callback
    resourceUrl: text("resource_url").notNull(),
    resourceType: text("resource_type").notNull(),
    receivedAt: integer("received_at").notNull(),
    raw: text("raw").notNull(), // the callback as received, stored with the fetched events
    attempts: integer("attempts").notNull(), // fetches tried so far, the queue's included
    lastError: text("last_error"),
    nextTryAt: integer("next_try_at").notNull(), // the sweep's next try (moved ahead while a try is queued)
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("pending_fetches_ingest_log").on(t.ingestLogId), index("pending_fetches_workspace").on(t.workspaceId, t.createdAt), index("pending_fetches_next_try").on(t.nextTryAt)],
);
/** A register/unregister call at work on a source (src/registration/claim.ts); a dead holder's claim lapses at `claimed_until`. */
export const registrationClaims = sqliteTable("registration_claims", {
  sourceId: text("source_id").primaryKey(),
  claimId: text("claim_id").notNull(),
  claimedUntil: integer("claimed_until").notNull(),
});

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
