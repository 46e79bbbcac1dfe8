import type { FC } from "hono/jsx";
import type { Hono } from "hono";
import { dbOf } from "../db/client";
import { workspaceIdForKey } from "../db/workspaces";
import { sha256Hex } from "../lib/crypto";
import { render } from "./layout";
import { readSession, safeNext, startSession, type DashboardEnv } from "./session";

/** The sign-in form (CONTRACT.md: one field named `api_key` and a submit button). */
const LoginForm: FC<{ next: string; error?: string }> = ({ next, error }) => (
  <div class="login">
    <h1>shiprelay</h1>
    <p class="muted">Sign in with your workspace API key.</p>
    {error ? (
      <div class="flash error" role="alert">
        {error}
      </div>
    ) : null}
    <form method="post" action={`/dashboard/login${next === "/dashboard" ? "" : `?next=${encodeURIComponent(next)}`}`}>
      <label>
        API key
        <input type="password" name="api_key" autocomplete="current-password" placeholder="sk_…" required autofocus />
      </label>
      <button type="submit">Sign in</button>
    </form>
  </div>
);

export function registerLoginPages(app: Hono<DashboardEnv>) {
  app.get("/login", async (c) => {
    const next = safeNext(c.req.query("next"));
    if (await readSession(c)) return c.redirect(next, 303);
    return render(c, { title: "Sign in" }, <LoginForm next={next} />);
  });

  /**
   * No session token exists yet, so sign-in is guarded by the same-origin check alone
   * (`requireSameOrigin`, for every console POST in ./index.tsx): a
   * forged cross-site sign-in could only open a workspace whose key the forger already has.
   */
  app.post("/login", async (c) => {
    const next = safeNext(c.req.query("next"));
    const form = await c.req.parseBody();
    const key = typeof form.api_key === "string" ? form.api_key.trim() : "";
    const workspaceId = key && key.length <= 200 ? await workspaceIdForKey(dbOf(c.env), key) : undefined;
    if (!workspaceId) {
      return render(c, { title: "Sign in" }, <LoginForm next={next} error="That API key was not accepted." />, 401);
    }
    await startSession(c, workspaceId, await sha256Hex(key));
    return c.redirect(next, 303);
  });
}
