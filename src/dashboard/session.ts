import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { dbOf } from "../db/client";
import { workspaceForSession } from "../db/api-keys";
import { keyringOf, publicBaseUrl } from "../lib/config";
import { decryptString, encryptString, timingSafeEqualStrings, type Keyring } from "../lib/crypto";
import { toBase64Url } from "../lib/encoding";
import { apiError } from "../lib/errors";
import type { AppVariables } from "../lib/app-env";

/**
 * The dashboard's session: an AES-GCM-sealed cookie (ENCRYPTION_KEY, src/lib/crypto.ts) that
 * holds the workspace id, the id of the API key that signed in and that key's session
 * generation, a CSRF token and an expiry. The key itself never leaves the sign-in request.
 * Every request re-checks that the key still exists with that generation, so sessions end
 * server-side: signing out bumps the generation (ending every session opened with the key,
 * including a copy of the cookie taken before), and revoking the key ends them too.
 */
export interface Session {
  workspaceId: string;
  workspaceName: string;
  keyId: string;
  csrf: string;
  expiresAt: number;
}

export type DashboardEnv = {
  Bindings: Env;
  Variables: AppVariables & { session: Session; keyring: Keyring; secureHeadersNonce?: string };
};
export type DashboardContext = Context<DashboardEnv>;

export const SESSION_COOKIE = "shiprelay_session";
const SESSION_PATH = "/dashboard";
/** A session lasts a working day; signing in again is cheap. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

interface SealedSession {
  v: 2;
  ws: string;
  /** The API key's id and its session generation when the session opened. */
  kid: string;
  gen: number;
  csrf: string;
  exp: number;
}

/** The keyring, or a 503 page: without ENCRYPTION_KEY there is no way to seal a session. */
export function requireDashboardKeyring(): MiddlewareHandler<DashboardEnv> {
  return async function requireDashboardKeyring(c, next) {
    const ring = await keyringOf(c.env);
    if (!ring) {
      throw apiError("not_configured", "The dashboard is not configured: set ENCRYPTION_KEY (32 random bytes, base64) so sessions can be sealed.");
    }
    c.set("keyring", ring);
    await next();
  };
}

/** Seals a new session into the cookie (HttpOnly, Secure, SameSite=Strict, scoped to /dashboard). */
export async function startSession(
  c: DashboardContext,
  key: { workspaceId: string; id: string; sessionGeneration: number },
  now = Date.now(),
): Promise<void> {
  const sealed: SealedSession = {
    v: 2,
    ws: key.workspaceId,
    kid: key.id,
    gen: key.sessionGeneration,
    csrf: toBase64Url(crypto.getRandomValues(new Uint8Array(32))),
    exp: now + SESSION_TTL_MS,
  };
  const value = await encryptString(c.get("keyring"), JSON.stringify(sealed));
  setCookie(c, SESSION_COOKIE, value, {
    path: SESSION_PATH,
    httpOnly: true,
    secure: true,
    sameSite: "Strict",
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  });
}

export function endSession(c: DashboardContext): void {
  deleteCookie(c, SESSION_COOKIE, { path: SESSION_PATH, httpOnly: true, secure: true, sameSite: "Strict" });
}

/** The session the cookie carries, if it opens, has not expired, and its key still signs in. */
export async function readSession(c: DashboardContext, now = Date.now()): Promise<Session | undefined> {
  const cookie = getCookie(c, SESSION_COOKIE);
  if (!cookie) return undefined;
  let sealed: SealedSession;
  try {
    sealed = JSON.parse(await decryptString(c.get("keyring"), cookie)) as SealedSession;
  } catch {
    return undefined; // tampered, or sealed under a key this deployment no longer has
  }
  // v1 cookies named a key by hash and cannot be ended server-side: they sign in again.
  if (sealed.v !== 2 || typeof sealed.exp !== "number" || sealed.exp <= now) return undefined;
  const row = await workspaceForSession(dbOf(c.env), sealed.ws, sealed.kid, sealed.gen);
  if (!row) return undefined;
  return { workspaceId: row.id, workspaceName: row.name, keyId: sealed.kid, csrf: sealed.csrf, expiresAt: sealed.exp };
}

/** Where a signed-out visitor is sent back to after signing in: only dashboard paths. */
export function safeNext(next: string | undefined): string {
  return next && /^\/dashboard(\/[A-Za-z0-9_\-/.?=&%]*)?$/.test(next) && !next.includes("//") ? next : "/dashboard";
}

/** Pages behind sign-in: no session → the sign-in page (GET) or 401 (anything else). */
export function requireSession(): MiddlewareHandler<DashboardEnv> {
  return async function requireSession(c, next) {
    const session = await readSession(c);
    if (!session) {
      if (c.req.method === "GET" || c.req.method === "HEAD") {
        const url = new URL(c.req.url);
        return c.redirect(`/dashboard/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
      }
      throw apiError("unauthorized", "Your session has ended. Sign in again.");
    }
    c.set("session", session);
    await next();
  };
}

const FOREIGN_FORM = "This form was sent from another site and was refused.";

/**
 * Refuses a form a browser posted from another site (hono/csrf): the Origin must be this
 * dashboard's own (or PUBLIC_BASE_URL's), or Sec-Fetch-Site must say same-origin or none.
 * The relay's rule on top: a client that sends neither header (curl) is not a browser a
 * forged page can drive, so it passes here; behind sign-in it still needs the session's token.
 */
export function requireSameOrigin(): MiddlewareHandler<DashboardEnv> {
  const check = csrf({
    origin: (origin, c) => origin === new URL(c.req.url).origin || origin === publicBaseUrl(c.env, c.req.url),
    secFetchSite: ["same-origin", "none"],
  });
  return async function requireSameOrigin(c, next) {
    if (c.req.header("origin") !== undefined || c.req.header("sec-fetch-site") !== undefined) {
      try {
        await check(c, async () => {});
      } catch (err) {
        if (err instanceof HTTPException && err.status === 403) throw apiError("forbidden", FOREIGN_FORM);
        throw err;
      }
    }
    await next();
  };
}

/**
 * CSRF protection for every POST behind sign-in, on top of `requireSameOrigin`: the
 * session's token in the form's hidden `_csrf` field.
 */
export function requireCsrf(): MiddlewareHandler<DashboardEnv> {
  return async function requireCsrf(c, next) {
    if (c.req.method !== "POST") return next();
    const form = await c.req.parseBody();
    const token = typeof form._csrf === "string" ? form._csrf : "";
    if (!token || !timingSafeEqualStrings(token, c.get("session").csrf)) {
      throw apiError("csrf_failed", "The form's security token is missing or stale. Reload the page and try again.");
    }
    await next();
  };
}
