import { z } from "zod";
import { keyringFrom, type Keyring } from "./crypto";
import { notConfigured } from "./errors";

/**
 * The Worker's configuration (CONTRACT.md, "Running it"; wrangler.toml [vars] and secrets),
 * parsed once per env object by one zod schema. An unset or empty variable takes its
 * default; a value that is set but wrong (`ORDER_SHARDS="6a"`, `RETENTION_DAYS="-1"`) is
 * a `ConfigError` naming the variable — thrown, so a request answers 500 and the log says
 * which variable to fix, instead of running on a default nobody chose.
 */
export const DEFAULT_RETENTION_DAYS = 30;
export const DEFAULT_ORDER_SHARDS = 64;
export const DEFAULT_SOURCE_CACHE_TTL_SECONDS = 60;
export const DEFAULT_AUTO_DISABLE_FAILURES = 20;
export const DEFAULT_AUTO_DISABLE_SECONDS = 5 * 24 * 60 * 60;
export const DEFAULT_MAX_DESTINATIONS_PER_WORKSPACE = 100;

/** A variable as text; unset and blank are the same (wrangler may also hand over numbers or booleans). */
const text = (v: unknown) => (v === undefined || v === null || String(v).trim() === "" ? undefined : String(v).trim());

function wholeNumber(min: number, max: number, fallback: number) {
  const problem = `must be a whole number from ${min} to ${max}`;
  return z.preprocess(
    text,
    z
      .string()
      .regex(/^\d+$/, problem)
      .transform(Number)
      .pipe(z.number().min(min, problem).max(max, problem))
      .optional()
      .transform((n) => n ?? fallback),
  );
}

const envSchema = z.object({
  /** Order objects per workspace (0 = one object per order key). Set it once: see SCALING.md. */
  ORDER_SHARDS: wholeNumber(0, 4096, DEFAULT_ORDER_SHARDS),
  /** Days events, logs, attempts and finished deliveries are kept. */
  RETENTION_DAYS: wholeNumber(1, 3650, DEFAULT_RETENTION_DAYS),
  /** Seconds an isolate keeps a source's ingest config (0 = no cache). */
  SOURCE_CACHE_TTL_SECONDS: wholeNumber(0, 3600, DEFAULT_SOURCE_CACHE_TTL_SECONDS),
  /** Worker-wide auto-disable rules (src/delivery/auto-disable.ts); 0 turns a rule off. */
  AUTO_DISABLE_AFTER_FAILED_DELIVERIES: wholeNumber(0, 1_000_000, DEFAULT_AUTO_DISABLE_FAILURES),
  AUTO_DISABLE_AFTER_FAILING_SECONDS: wholeNumber(0, 10 * 365 * 24 * 60 * 60, DEFAULT_AUTO_DISABLE_SECONDS),
  /** Destinations one workspace may hold (CONTRACT.md, Additions: Limits). */
  MAX_DESTINATIONS_PER_WORKSPACE: wholeNumber(1, 100_000, DEFAULT_MAX_DESTINATIONS_PER_WORKSPACE),
  ALLOW_INSECURE_DESTINATIONS: z.preprocess(
    (v) => text(v)?.toLowerCase(),
    z
      .enum(["true", "false"], { error: 'must be "true" or "false"' })
      .optional()
      .transform((v) => v === "true"),
  ),
  /** Where ingest URLs point; unset means the request's own origin. */
  PUBLIC_BASE_URL: z.preprocess(
    text,
    z
      .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
      .optional()
      .transform((u) => u?.replace(/\/+$/, "")),
  ),
  /**
   * Secrets at rest. Only read here: a missing or unusable key is the keyring's 503
   * not_configured (CONTRACT.md), and a bad ENCRYPTION_KEY_PREVIOUS fails the re-seal step alone.
   */
  ENCRYPTION_KEY: z.preprocess(text, z.string().optional()),
  ENCRYPTION_KEY_PREVIOUS: z.preprocess(text, z.string().optional()),
});

export type Config = z.infer<typeof envSchema>;

/** A configuration variable is set to a value the relay cannot use; the message names it. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

const parsed = new WeakMap<object, Config>();

/** The parsed configuration of this env object (parsed on first use, then cached). */
export function configOf(env: Env): Config {
  let config = parsed.get(env);
  if (!config) {
    const result = envSchema.safeParse(env);
    if (!result.success) {
      const problems = result.error.issues.map((i) => `${i.path.join(".")} ${i.message}`);
      throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
    }
    config = result.data;
    parsed.set(env, config);
  }
  return config;
}

export function allowInsecureDestinations(env: Env): boolean {
  return configOf(env).ALLOW_INSECURE_DESTINATIONS;
}

/** Where ingest URLs point: PUBLIC_BASE_URL, else the request's own origin. */
export function publicBaseUrl(env: Env, requestUrl: string): string {
  return configOf(env).PUBLIC_BASE_URL ?? new URL(requestUrl).origin;
}

export function maxDestinationsPerWorkspace(env: Env): number {
  return configOf(env).MAX_DESTINATIONS_PER_WORKSPACE;
}

export function retentionDays(env: Env): number {
  return configOf(env).RETENTION_DAYS;
}

export function orderShards(env: Env): number {
  return configOf(env).ORDER_SHARDS;
}

/** SOURCE_CACHE_TTL_SECONDS in ms. */
export function sourceCacheTtlMs(env: Env): number {
  return configOf(env).SOURCE_CACHE_TTL_SECONDS * 1000;
}

/** The keyring for secrets at rest (ENCRYPTION_KEY, plus ENCRYPTION_KEY_PREVIOUS during a rotation), or null. */
export function keyringOf(env: Env): Promise<Keyring | null> {
  const config = configOf(env);
  return keyringFrom(config.ENCRYPTION_KEY, config.ENCRYPTION_KEY_PREVIOUS);
}

/** The keyring for secrets at rest, or a 503 not_configured when ENCRYPTION_KEY is unset. */
export async function requireKeyring(env: Env): Promise<Keyring> {
  const ring = await keyringOf(env);
  if (!ring) {
    throw notConfigured("ENCRYPTION_KEY is not set (or is not 32 bytes of base64); secrets cannot be stored");
  }
  return ring;
}
