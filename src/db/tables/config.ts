import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Configuration: workspaces and their API keys, sources, destinations. */

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
