import type { Hono } from "hono";
import { dbOf } from "../db/client";
import { getSourceRow, openSource } from "../db/sources";
import { listIngestLog } from "../ingest/log";
import { keyringOf, publicBaseUrl } from "../lib/config";
import { ApiError, notFound } from "../lib/errors";
import { listWebhooks, registerWebhooks, removeWebhooks } from "../registration";
import { ingestUrl } from "../sources/ingest-url";
import { Badge, CopyField, CsrfField, render, Time } from "./layout";
import type { DashboardContext, DashboardEnv } from "./session";

/**
 * A source's page: the ingest URL to copy, rotate / edit / delete, registration at the provider
 * (Register, Re-register, Unsubscribe; each webhook ✓/✗ as the provider reports it, with its
 * trigger count), and the source's latest ingest log rows with their reasons.
 */
export function registerSourceDetailPage(app: Hono<DashboardEnv>) {
  app.post("/sources/:id/register", (c) => providerAction(c, "register"));
  app.post("/sources/:id/unsubscribe", (c) => providerAction(c, "unsubscribe"));

  app.get("/sources/:id", async (c) => {
    const session = c.get("session");
    const db = dbOf(c.env);
    const row = await getSourceRow(db, session.workspaceId, c.req.param("id"));
    if (!row) throw notFound("source");
    const source = await openSource(await keyringOf(c.env), row);
    const registrable = row.provider === "shipstation" || row.provider === "shipengine";
    const [webhooks, log] = await Promise.all([
      registrable ? listWebhooks({ env: c.env, requestUrl: c.req.url }, source, (rows) => ({ data: rows, next_cursor: null, prev_cursor: null })) : undefined,
      listIngestLog(db, session.workspaceId, { sources: [row.id] }, { limit: 20 }),
    ]);
    const base = publicBaseUrl(c.env, c.req.url);
    const url = `${ingestUrl(base, row.id)}${row.verification.type === "url_token" ? "?token=…" : ""}`;
    const message = c.req.query("message");
    return render(
      c,
      { title: row.name, active: "sources" },
      <>
        <p class="small">
          <a href="/dashboard/sources">← Sources</a>
        </p>
        <h1>
          {row.name} <span class="mono small muted">{row.id}</span>
        </h1>
        {message ? (
          <div class={c.req.query("ok") === "1" ? "flash" : "flash error"} role="status" id="provider-message">
            {message.slice(0, 500)}
          </div>
        ) : null}
        <dl class="kv card">
          <dt>Provider</dt>
          <dd>{row.provider}</dd>
          <dt>Verification</dt>
          <dd>{String(row.verification.type)}</dd>
          <dt>Ingest URL</dt>
          <dd>
            <CopyField id="ingest-url" label="Ingest URL" value={url} nonce={c.get("secureHeadersNonce")} />
            {row.verification.type === "url_token" ? <span class="small muted">The token was shown once, when the source was made or rotated.</span> : null}
          </dd>
        </dl>
        <div class="actions mb">
          <form method="post" action={`/dashboard/sources/${row.id}/rotate`}>
            <CsrfField session={session} />
            <button type="submit" class="secondary">
              {row.verification.type === "url_token" ? "Rotate URL token" : "Rotate secret"}
            </button>
          </form>
          <a href={`/dashboard/sources/${row.id}/edit`}>Edit</a>
          <a href={`/dashboard/sources/${row.id}/delete`} class="push num-bad">
            Delete…
          </a>
        </div>
        {registrable ? (
          <>
            <h2>Webhooks at {row.provider}</h2>
            <div class="actions mb">
              <form method="post" action={`/dashboard/sources/${row.id}/register`}>
                <CsrfField session={session} />
                <button type="submit" id="register">
                  {webhooks?.data.length ? "Re-register" : "Register at the provider"}
                </button>
              </form>
              {webhooks?.data.length ? (
                <form method="post" action={`/dashboard/sources/${row.id}/unsubscribe`}>
                  <CsrfField session={session} />
                  <button type="submit" class="danger">
                    Unsubscribe
                  </button>
                </form>
              ) : null}
            </div>
            {webhooks?.warning ? <div class="flash error">{webhooks.warning.message}</div> : null}
            {webhooks && webhooks.data.length ? (
              <table id="webhooks">
                <thead>
                  <tr>
                    <th>Event</th>
                    <th>Registered</th>
                    <th>Status</th>
                    <th>Triggers</th>
                    <th>Last triggered (UTC)</th>
                  </tr>
                </thead>
                <tbody>
                  {webhooks.data.map((w) => (
                    <tr data-webhook-event={w.event}>
                      <td class="mono">{w.event}</td>
                      <td aria-label={w.registered === null ? "unknown" : w.registered ? "registered" : "not registered"}>
                        {w.registered === null ? "?" : w.registered ? "✓" : "✗"}
                      </td>
                      <td>
                        <Badge status={w.status === "active" ? "ok" : "bad"}>{w.status}</Badge>
                      </td>
                      <td>{w.trigger_count}</td>
                      <td>{w.last_triggered_at ?? "—"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <div class="card muted">Nothing registered yet.</div>
            )}
          </>
        ) : (
          <p class="muted">Register the ingest URL in {row.provider}'s own dashboard.</p>
        )}
        <h2>Ingest log</h2>
        <p class="small">
          <a href={`/dashboard/sources?source=${row.id}`}>Every request, with filters →</a>
        </p>
        {log.data.length === 0 ? <div class="card muted">No requests yet.</div> : null}
        <table hidden={log.data.length === 0}>
          <thead>
            <tr>
              <th>At (UTC)</th>
              <th>Result</th>
              <th>Reason</th>
              <th>HTTP</th>
            </tr>
          </thead>
          <tbody>
            {log.data.map((r) => (
              <tr>
                <td>
                  <Time ms={r.at} />
                </td>
                <td>
                  <Badge status={r.result} />
                </td>
                <td>{r.reason ?? "—"}</td>
                <td>{r.httpStatus}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </>,
    );
  });
}

/** Register or unsubscribe, then back to the source with the outcome worded as the API words it (never credentials). */
async function providerAction(c: DashboardContext, what: "register" | "unsubscribe") {
  const session = c.get("session");
  const row = await getSourceRow(dbOf(c.env), session.workspaceId, c.req.param("id")!);
  if (!row) throw notFound("source");
  const source = await openSource(await keyringOf(c.env), row);
  const ctx = { env: c.env, requestUrl: c.req.url };
  let message: string;
  let ok = true;
  try {
    if (what === "register") {
      const out = await registerWebhooks(ctx, source, undefined);
      message = `Registered: ${out.webhooks.map((w) => `${w.event} (${w.action})`).join(", ")}`;
    } else {
      const out = await removeWebhooks(ctx, source);
      message = `Unsubscribed ${out.removed} webhook(s).`;
    }
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    ok = false;
    message = `${err.code}: ${err.message}`;
  }
  return c.redirect(`/dashboard/sources/${row.id}?${new URLSearchParams({ message, ok: ok ? "1" : "0" }).toString()}`, 303);
}
