import { keyringFrom, type Keyring } from "./crypto";
import { notConfigured } from "./errors";

/** Typed reads of the Worker's configuration (CONTRACT.md, "Running it"). */
export function allowInsecureDestinations(env: Env): boolean {
  return String(env.ALLOW_INSECURE_DESTINATIONS ?? "").toLowerCase() === "true";
}

/** Where ingest URLs point: PUBLIC_BASE_URL, else the request's own origin. */
export function publicBaseUrl(env: Env, requestUrl: string): string {
  const configured = (env.PUBLIC_BASE_URL ?? "").trim();
  return (configured || new URL(requestUrl).origin).replace(/\/+$/, "");
}

/** Optional settings that are not in wrangler.toml's [vars] (so not in the generated Env). */
interface OptionalConfig {
  /** The key ENCRYPTION_KEY replaced, during a rotation (SECURITY.md, "Rotating ENCRYPTION_KEY"). */
  ENCRYPTION_KEY_PREVIOUS?: string;
  /** Days events, logs, attempts and finished deliveries are kept; default 30. */
  RETENTION_DAYS?: string;
}

const optional = (env: Env) => env as Env & OptionalConfig;

export const DEFAULT_RETENTION_DAYS = 30;

/** RETENTION_DAYS as a whole number of days (1–3650); anything else means the default. */
export function retentionDays(env: Env): number {
  const raw = optional(env).RETENTION_DAYS;
  const days = raw === undefined || String(raw).trim() === "" ? NaN : Number(raw);
  return Number.isInteger(days) && days >= 1 && days <= 3650 ? days : DEFAULT_RETENTION_DAYS;
}

export const DEFAULT_ORDER_SHARDS = 64;

/**
 * ORDER_SHARDS: order objects per workspace (0 = one object per order key). A whole number
 * 0–4096; anything else means the default. Set it once: see SCALING.md before changing it.
 */
export function orderShards(env: Env): number {
  const raw = env.ORDER_SHARDS;
  const n = raw === undefined || String(raw).trim() === "" ? NaN : Number(raw);
  return Number.isInteger(n) && n >= 0 && n <= 4096 ? n : DEFAULT_ORDER_SHARDS;
}

export const DEFAULT_SOURCE_CACHE_TTL_SECONDS = 60;

/** SOURCE_CACHE_TTL_SECONDS (0–3600, 0 = no cache) in ms; anything else means the default. */
export function sourceCacheTtlMs(env: Env): number {
  const raw = env.SOURCE_CACHE_TTL_SECONDS;
  const n = raw === undefined || String(raw).trim() === "" ? NaN : Number(raw);
  return (Number.isInteger(n) && n >= 0 && n <= 3600 ? n : DEFAULT_SOURCE_CACHE_TTL_SECONDS) * 1000;
}

/** The keyring for secrets at rest (ENCRYPTION_KEY, plus ENCRYPTION_KEY_PREVIOUS during a rotation), or null. */
export function keyringOf(env: Env): Promise<Keyring | null> {
  return keyringFrom(env.ENCRYPTION_KEY, optional(env).ENCRYPTION_KEY_PREVIOUS);
}

/** The keyring for secrets at rest, or a 503 not_configured when ENCRYPTION_KEY is unset. */
export async function requireKeyring(env: Env): Promise<Keyring> {
  const ring = await keyringOf(env);
  if (!ring) {
    throw notConfigured("ENCRYPTION_KEY is not set (or is not 32 bytes of base64); secrets cannot be stored");
  }
  return ring;
}
