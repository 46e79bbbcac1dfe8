import type { Hono } from "hono";
import { createApiKey, listApiKeys, revokeApiKey } from "../access/api-keys";
import { dbOf } from "../db/client";
import { ApiError } from "../lib/errors";
import { Badge, CopyField, CsrfField, render, Time } from "./layout";
import type { DashboardContext, DashboardEnv } from "./session";

/**
 * `/dashboard/api-keys`: the workspace's keys (as `/v1/api-keys`): create one by name (the key
 * shown this once, with a copy button), list with when each was last used, revoke (never the
 * last; revoking ends the console sessions opened with that key, this one included).
 */
export function registerApiKeyPages(app: Hono<DashboardEnv>) {
  app.get("/api-keys", (c) => keysPage(c));

  app.post("/api-keys", async (c) => {
    const form = await c.req.parseBody();
    const name = typeof form.name === "string" ? form.name.trim() : "";
    if (!name || name.length > 100) return keysPage(c, { nameError: "name: 1 to 100 characters" }, 400);
    const made = await createApiKey(dbOf(c.env), c.get("session").workspaceId, name);
    return keysPage(c, { created: { name, key: made.key } }, 201);
  });

  app.post("/api-keys/:id/delete", async (c) => {
    const session = c.get("session");
    try {
      await revokeApiKey(dbOf(c.env), session.workspaceId, c.req.param("id"));
    } catch (err) {
      if (err instanceof ApiError && err.code === "last_key") return keysPage(c, { error: "This is the workspace's last API key: create another before revoking it." }, 409);
      throw err;
    }
    // Revoking the key this session signed in with ends this session too.
    if (c.req.param("id") === session.keyId) return c.redirect("/dashboard/login", 303);
    return c.redirect("/dashboard/api-keys", 303);
  });
}

async function keysPage(
  c: DashboardContext,
  state: { created?: { name: string; key: string }; nameError?: string; error?: string } = {},
  status: 200 | 201 | 400 | 409 = 200,
) {
  const session = c.get("session");
  const keys = await listApiKeys(dbOf(c.env), session.workspaceId);
  return render(
    c,
    { title: "API keys", active: "api-keys" },
    <>
      <h1>API keys</h1>
      <p class="muted">
        Each key opens the API (<span class="mono">Authorization: Bearer sk_…</span>) and this console. Revoking a key stops it at once and
        ends the console sessions opened with it.
      </p>
      {state.error ? (
        <div class="flash error" role="alert">
          {state.error}
        </div>
      ) : null}
      {state.created ? (
        <div class="card" id="new-key" role="status">
          <p>
            Key <b>{state.created.name}</b> created. Copy it now: it is shown this once.
          </p>
          <CopyField id="new-key-value" label="The new API key" value={state.created.key} nonce={c.get("secureHeadersNonce")} />
        </div>
      ) : null}
      <form class="filters" method="post" action="/dashboard/api-keys">
        <CsrfField session={session} />
        <label for="key-name">
          Name
          <input id="key-name" name="name" required maxlength={100} placeholder="e.g. ci, warehouse" aria-invalid={state.nameError ? "true" : undefined} />
          {state.nameError ? <span class="field-error">{state.nameError}</span> : null}
        </label>
        <button type="submit">Create key</button>
      </form>
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Id</th>
            <th>Created (UTC)</th>
            <th>Last used (UTC, to the minute)</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr data-key-id={k.id}>
              <td>
                <b>{k.name}</b> {k.id === session.keyId ? <Badge status="info">this session</Badge> : null}
              </td>
              <td class="mono small">{k.id}</td>
              <td>
                <Time ms={k.createdAt} />
              </td>
              <td>
                <Time ms={k.lastUsedAt} />
              </td>
              <td>
                <form method="post" action={`/dashboard/api-keys/${k.id}/delete`}>
                  <CsrfField session={session} />
                  <button type="submit" class="danger" aria-label={`Revoke ${k.name}`}>
                    Revoke
                  </button>
                </form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>,
    status,
  );
}
