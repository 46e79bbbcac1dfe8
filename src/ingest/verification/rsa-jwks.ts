import { createRemoteJWKSet, customFetch } from "jose";
import type { z } from "zod";
import { fromBase64, utf8 } from "../../lib/encoding";
import type { rsaJwksVerificationSchema, VerificationResult } from "./types";

export type RsaJwksConfig = z.infer<typeof rsaJwksVerificationSchema>;

export interface RsaJwksOptions {
  /** The current time, unix milliseconds (unix seconds are recognised too). */
  now: number;
  /** The fetch used for the JWKS (the relay passes its SSRF-guarded one, with a timeout). */
  fetch: typeof fetch;
}

export const KEY_ID_HEADER = "x-shipengine-rsa-sha256-key-id";
export const SIGNATURE_HEADER = "x-shipengine-rsa-sha256-signature";
export const TIMESTAMP_HEADER = "x-shipengine-timestamp";

/** How long a fetched JWKS is trusted before it is fetched again. */
export const JWKS_TTL_MS = 10 * 60 * 1000;
/** An unknown `kid` refetches the JWKS at most this often (forged kids cannot storm the provider). */
export const JWKS_MIN_REFETCH_MS = 30 * 1000;
const MAX_CACHED_JWKS = 32;

interface CachedJwks {
  /** jose's remote JWKS: fetches, checks the set's shape, keeps the last good set. */
  remote: ReturnType<typeof createRemoteJWKSet>;
  /** The fetch of the request that reloads it (the guarded fetch is built per request's env). */
  fetcher: typeof fetch;
  /** When these keys were fetched. */
  fetchedAt: number;
  /** When the JWKS was last asked for (successfully or not). */
  attemptedAt: number;
  /** The last attempt failed: an unknown kid is then "unavailable", not "unknown". */
  failing: boolean;
  imported: Map<string, Promise<CryptoKey | null>>;
}

/** Per isolate, by JWKS URL; an entry exists once its JWKS was fetched. */
const jwksCache = new Map<string, CachedJwks>();

const fail = (reason: Extract<VerificationResult, { ok: false }>["reason"]): VerificationResult => ({ ok: false, reason });

/**
 * ShipEngine-style webhook signatures (ShipEngine / ShipStation v2 API,
 * https://docs.shipstation.com/apis/docs/guides/webhooks-validation): RSASSA-PKCS1-v1_5
 * with SHA-256, base64, over `"<x-shipengine-timestamp>.<raw body>"`, verified with the
 * JWK whose `kid` is `x-shipengine-rsa-sha256-key-id` in the JWKS at `jwks_url`
 * (https://api.shipengine.com/jwks). A timestamp more than `tolerance_seconds` away from
 * now, in either direction (the docs warn of skew into the future), is refused.
 *
 * The docs give the header's format only by example code; public implementations parse
 * it as ISO-8601 (`Date.parse`), so ISO-8601 is read, and unix seconds/ms as well. The
 * signed string uses the header exactly as sent.
 *
 * The JWKS is fetched by jose's `createRemoteJWKSet` through the caller's fetch (the relay's
 * SSRF-guarded one). When to fetch is the relay's rule, on the caller's clock: cached per
 * isolate for JWKS_TTL_MS; an unknown `kid` refetches it once (at most every
 * JWKS_MIN_REFETCH_MS, so forged kids cannot make us hammer the JWKS), and a failed refresh
 * keeps serving the keys already known, retrying after the same interval. No keys at all
 * is `jwks_unavailable` (the ingest route's 503), never a refusal of the callback.
 */
function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export async function verifyRsaJwks(
  cfg: RsaJwksConfig,
  headers: Headers,
  rawBody: string | Uint8Array,
  opts: RsaJwksOptions,
): Promise<VerificationResult> {
  const kid = headers.get(KEY_ID_HEADER)?.trim();
  const signature = headers.get(SIGNATURE_HEADER)?.trim();
  const timestamp = headers.get(TIMESTAMP_HEADER)?.trim();
  if (!kid || !signature || !timestamp) return fail("missing_signature");

  const nowMs = opts.now < 1e12 ? opts.now * 1000 : opts.now;
  const signedAt = parseTimestamp(timestamp);
  const toleranceMs = (cfg.tolerance_seconds ?? 300) * 1000;
  if (signedAt === undefined || Math.abs(nowMs - signedAt) > toleranceMs) return fail("timestamp_out_of_window");

  let sigBytes: Uint8Array;
  try {
    sigBytes = fromBase64(signature);
  } catch {
    return fail("invalid_signature");
  }
  if (sigBytes.length === 0) return fail("invalid_signature");

  const key = await keyFor(cfg.jwks_url, kid, nowMs, opts.fetch);
  if (key === "unavailable") return fail("jwks_unavailable");
  if (key === null) return fail("unknown_key");

  let valid = false;
  try {
    valid = await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, sigBytes, concatBytes(utf8(`${timestamp}.`), typeof rawBody === "string" ? utf8(rawBody) : rawBody));
  } catch {
    valid = false;
  }
  return valid ? { ok: true } : fail("invalid_signature");
}

/** ISO-8601, or unix seconds / milliseconds; undefined when unreadable. */
export function parseTimestamp(value: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(value)) {
    const n = Number(value);
    return n < 1e12 ? n * 1000 : n;
  }
  // Require a date at the start: Date.parse accepts many loose forms.
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

async function keyFor(
  jwksUrl: string,
  kid: string,
  nowMs: number,
  fetcher: typeof fetch,
): Promise<CryptoKey | null | "unavailable"> {
  let entry = jwksCache.get(jwksUrl);
  if (entry) {
    const age = nowMs - entry.fetchedAt;
    const fresh = age >= 0 && age < JWKS_TTL_MS;
    const sinceAttempt = nowMs - entry.attemptedAt;
    const mayAttempt = sinceAttempt >= JWKS_MIN_REFETCH_MS || sinceAttempt < 0;
    if ((!fresh || !publishedKey(entry, kid)) && mayAttempt && !(await reload(entry, nowMs, fetcher))) {
      // Keep serving the keys we have; try the JWKS again after the guard interval.
      entry.attemptedAt = nowMs;
      entry.failing = true;
    }
  } else {
    entry = newEntry(jwksUrl, fetcher);
    if (!(await reload(entry, nowMs, fetcher))) return "unavailable";
    remember(jwksUrl, entry);
  }
  const jwk = publishedKey(entry, kid);
  if (!jwk) return entry.failing ? "unavailable" : null;
  let imported = entry.imported.get(kid);
  if (!imported) {
    imported = importJwk(jwk);
    entry.imported.set(kid, imported);
  }
  return imported;
}

function newEntry(jwksUrl: string, fetcher: typeof fetch): CachedJwks {
  const entry: CachedJwks = {
    // jose's own expiry and cooldown run on the wall clock; the relay decides when to reload.
    remote: createRemoteJWKSet(new URL(jwksUrl), {
      cacheMaxAge: Infinity,
      cooldownDuration: 0,
      // Called unbound: workerd's fetch refuses a `this` other than the global scope.
      [customFetch]: (url, init) => {
        const { fetcher } = entry;
        return fetcher(url, init);
      },
    }),
    fetcher,
    fetchedAt: -Infinity,
    attemptedAt: -Infinity,
    failing: false,
    imported: new Map(),
  };
  return entry;
}

async function reload(entry: CachedJwks, nowMs: number, fetcher: typeof fetch): Promise<boolean> {
  entry.fetcher = fetcher;
  try {
    await entry.remote.reload();
  } catch {
    return false;
  }
  Object.assign(entry, { fetchedAt: nowMs, attemptedAt: nowMs, failing: false });
  entry.imported.clear();
  return true;
}

function remember(jwksUrl: string, entry: CachedJwks): void {
  if (jwksCache.size >= MAX_CACHED_JWKS) {
    const oldest = jwksCache.keys().next().value;
    if (oldest !== undefined) jwksCache.delete(oldest);
  }
  jwksCache.set(jwksUrl, entry);
}

/** The RSA key the set publishes under `kid`: only its public parts, so a JWK's `alg`/`key_ops` cannot veto verify. */
function publishedKey(entry: CachedJwks, kid: string): JsonWebKey | undefined {
  const k = entry.remote.jwks()?.keys.find((k) => k.kid === kid && k.kty === "RSA" && typeof k.n === "string" && typeof k.e === "string");
  return k ? { kty: "RSA", n: k.n, e: k.e } : undefined;
}

/** Imports the public parts `publishedKey` kept. */
async function importJwk(jwk: JsonWebKey): Promise<CryptoKey | null> {
  try {
    return await crypto.subtle.importKey("jwk", jwk, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]);
  } catch {
    return null;
  }
}
