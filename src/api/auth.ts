import type { MiddlewareHandler } from "hono";
import { dbOf } from "../db/client";
import { authenticateApiKey } from "../access/api-keys";
import { timingSafeEqualStrings } from "../lib/crypto";
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

/** Every other `/v1` route: a workspace API key, which scopes everything the route sees. */
export function workspaceAuth(): MiddlewareHandler<AppEnv> {
  return async function workspaceAuth(c, next) {
    const key = bearer(c.req.header("authorization"));
    if (!key) throw unauthorized("missing bearer API key", "missing_api_key");
    const found = await authenticateApiKey(dbOf(c.env), key);
    if (!found) throw unauthorized("invalid API key", "invalid_api_key");
    c.set("workspaceId", found.workspaceId);
    await next();
  };
}
