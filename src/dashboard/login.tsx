import type { FC } from "hono/jsx";
import type { Hono } from "hono";
import { dbOf } from "../db/client";
import { apiKeyFor } from "../db/workspaces";
import { render } from "./layout";
import { readSession, safeNext, startSession, type DashboardEnv } from "./session";

/** The sign-in form (CONTRACT.md: one field named `api_key` and a submit button). */
const LoginForm: FC<{ next: string; error?: string; signedOut?: boolean }> = ({ next, error, signedOut }) => (
  <div class="login">
    <h1>shiprelay</h1>
    {signedOut ? (
      <div class="flash" role="status">
        Signed out. Every console session opened with that API key has ended, in every browser.
      </div>
    ) : null}
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
    return render(c, { title: "Sign in" }, <LoginForm next={next} signedOut={c.req.query("signed_out") === "1"} />);
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
    const found = key && key.length <= 200 ? await apiKeyFor(dbOf(c.env), key) : undefined;
    if (!found) {
      return render(c, { title: "Sign in" }, <LoginForm next={next} error="That API key was not accepted." />, 401);
    }
    await startSession(c, found);
    return c.redirect(next, 303);
  });
}
