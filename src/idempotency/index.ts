import type { MiddlewareHandler } from "hono";
import { claimKey, findKey, recordAnswer, releaseKey } from "../db/idempotency-keys";
import { keyringOf } from "../lib/config";
import { decryptString, encryptString } from "../lib/crypto";
import { apiError, badRequest } from "../lib/errors";
import { randomToken } from "../lib/ids";
import type { AppEnv } from "../lib/app-env";
import { holdsSecret } from "./secrets";
import { requestHash } from "./request-hash";

/** How long a key is kept (CONTRACT.md, Additions: 24 h); housekeeping purges older rows. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * How long a claim holds without an answer. Longer than any management request runs (a
 * `verify` test ping waits at most 60 s); after it, a crashed request's claim is taken over.
 */
export const CLAIM_LOCK_MS = 90_000;
export const MAX_KEY_LENGTH = 255;
/** The scope of /v1/workspaces, which has no workspace (the admin token's). */
export const ADMIN_SCOPE = "admin";

/**
 * `Idempotency-Key` on every POST under /v1, as Stripe and Svix do it (CONTRACT.md,
 * Additions). Runs after authentication, so the scope is the caller's workspace:
 *
 * 1. claim (scope, key) with one INSERT that only one request can win, before the handler;
 * 2. a loser reads the row: another body → 422 idempotency_key_reused; no answer yet →
 *    409 idempotency_key_in_use; else the stored status and body with `idempotent-replayed: true`;
 * 3. the winner runs the handler and records its answer — except a 5xx or 429, which
 *    releases the key so the client's retry runs again.
 *
 * An answer that holds a secret shown once (an API key, a signing or source secret) is
 * stored sealed with the relay's keyring; without ENCRYPTION_KEY it is not stored at all
 * (the key is released and a retry runs again) — a secret is never stored in clear.
 */
export function idempotency(): MiddlewareHandler<AppEnv> {
  return async function idempotency(c, next) {
    const key = c.req.header("idempotency-key");
    if (c.req.method !== "POST" || key === undefined) return next();
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
      throw badRequest(`Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters`);
    }
    const scope = c.get("workspaceId") ?? ADMIN_SCOPE;
    const hash = await requestHash(c.req.method, c.req.path, await c.req.text());
    const now = Date.now();
    const claim = randomToken(12);
    const d1 = c.env.DB;
    const won = await claimKey(d1, { scope, key, requestHash: hash, claim, lockedUntil: now + CLAIM_LOCK_MS, now, expiredBefore: now - IDEMPOTENCY_TTL_MS });

    if (!won) {
      const stored = await findKey(d1, scope, key);
      if (!stored) throw apiError("idempotency_key_in_use", "a request with this Idempotency-Key just finished or is running; retry");
      if (stored.request_hash !== hash) {
        throw apiError("idempotency_key_reused", "this Idempotency-Key was used with another request body; use a new key");
      }
      if (stored.status === null) {
        throw apiError("idempotency_key_in_use", "a request with this Idempotency-Key is still running; retry later", { "retry-after": "1" });
      }
      let body = stored.body;
      if (stored.body_enc !== null) {
        const ring = await keyringOf(c.env);
        if (!ring) throw apiError("not_configured", "ENCRYPTION_KEY is not set; the stored answer cannot be read");
        body = await decryptString(ring, stored.body_enc);
      }
      // A stored 204 has no body to give back (a Response refuses one).
      return new Response(stored.status === 204 ? null : body, {
        status: stored.status,
        headers: { "content-type": "application/json; charset=utf-8", "idempotent-replayed": "true" },
      });
    }

    try {
      await next();
    } catch (err) {
      await releaseKey(d1, scope, key, claim);
      throw err;
    }
    const res = c.res;
    if (res.status >= 500 || res.status === 429) return releaseKey(d1, scope, key, claim);
    const text = await res.clone().text();
    if (!holdsSecret(text)) return recordAnswer(d1, scope, key, claim, { status: res.status, body: text, bodyEnc: null });
    const ring = await keyringOf(c.env);
    // No keyring, no storing: the secret would sit in clear. The answer goes out as it is;
    // a retry with this key creates again (and shows its own secret once).
    if (!ring) return releaseKey(d1, scope, key, claim);
    await recordAnswer(d1, scope, key, claim, { status: res.status, body: null, bodyEnc: await encryptString(ring, text) });
  };
}
