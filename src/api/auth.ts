import type { MiddlewareHandler } from "hono";
import { dbOf } from "../db/client";
import { workspaceIdForKeyHash } from "../db/workspaces";
import { sha256Hex, timingSafeEqualStrings } from "../lib/crypto";
import { notConfigured, unauthorized } from "../lib/errors";
import type { AppEnv } from "./app";

function bearer(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(.+)$/i);
  return match?.[1]?.trim() || undefined;
}

/** `/v1/workspaces` takes the operator's ADMIN_TOKEN; there is no built-in default. */
export function adminAuth(): MiddlewareHandler<AppEnv> {
  return async function adminAuth(c, next) {
    const configured = c.env.ADMIN_TOKEN;
    if (!configured) throw notConfigured("ADMIN_TOKEN is not set; workspaces cannot be managed");
    const token = bearer(c.req.header("authorization"));
    if (!token) throw unauthorized("missing bearer token", "missing_token");
    if (!timingSafeEqualStrings(token, configured)) throw unauthorized("invalid admin token", "invalid_token");
    await next();
  };
}

// Key hash → workspace id. Keys cannot be revoked through the API, so a short isolate cache
// only saves a D1 read; a deleted workspace stops working within the TTL.
const KEY_CACHE_TTL_MS = 30_000;
const keyCache = new Map<string, { workspaceId: string; until: number }>();

/** Every other `/v1` route: a workspace API key, which scopes everything the route sees. */
export function workspaceAuth(): MiddlewareHandler<AppEnv> {
  return async function workspaceAuth(c, next) {
    const key = bearer(c.req.header("authorization"));
    if (!key) throw unauthorized("missing bearer API key", "missing_api_key");
    const hash = await sha256Hex(key);
    const now = Date.now();
    let cached = keyCache.get(hash);
    if (!cached || cached.until < now) {
      const workspaceId = await workspaceIdForKeyHash(dbOf(c.env), hash);
      if (!workspaceId) throw unauthorized("invalid API key", "invalid_api_key");
      cached = { workspaceId, until: now + KEY_CACHE_TTL_MS };
      if (keyCache.size > 10_000) keyCache.clear();
      keyCache.set(hash, cached);
    }
    c.set("workspaceId", cached.workspaceId);
    await next();
  };
}
