import type { FC } from "hono/jsx";
import type { Hono } from "hono";
import { dbOf } from "../db/client";
import { getDestinationRow, listDestinationRows, openDestination, type DestinationRow } from "../db/destinations";
import { destinationSummaries, type DestinationSummary } from "../destinations/stats";
import { sendDestinationTest } from "../destinations/test-ping";
import { setDestinationStatus } from "../destinations/update";
import { ApiError, notFound } from "../lib/errors";
import { dateInputValue } from "./events";
import { Badge, CsrfField, Flash, pretty, render, Time } from "./layout";
import type { DashboardEnv, Session } from "./session";

const percent = (part: number, whole: number) => (whole === 0 ? "—" : `${Math.round((part / whole) * 100)}%`);

const DestinationCard: FC<{ session: Session; row: DestinationRow; summary: DestinationSummary | undefined; now: number }> = (p) => {
  const d = p.row;
  const s = p.summary;
  const waiting = (s?.deliveries.pending ?? 0) + (s?.deliveries.retrying ?? 0);
  return (
    <section class="card" id={d.id} data-destination-id={d.id}>
      <div class="actions">
        <div>
          <Badge status={d.status} /> <a href={`/dashboard/destinations/${d.id}`}><b>{d.name ?? d.url}</b></a> <span class="mono small muted">{d.id}</span>
          <div class="mono small">{d.url}</div>
          {d.disabledReason ? <div class="small num-bad">Disabled: {d.disabledReason}</div> : null}
          <div class="small muted">
            Events: {d.events?.length ? d.events.join(", ") : "all (except relay.*)"} · retries: up to {d.maxAttempts} attempts · timeout{" "}
            {d.timeoutMs / 1000} s
          </div>
        </div>
        <div class="actions push">
          <a class="small" href={`/dashboard/destinations/${d.id}/transform`}>
            Transform preview
          </a>
          <form method="post" action={`/dashboard/destinations/${d.id}/test`}>
            <CsrfField session={p.session} />
            <button type="submit" class="secondary">
              Send test event
            </button>
          </form>
          <form method="post" action={`/dashboard/destinations/${d.id}/status`}>
            <CsrfField session={p.session} />
            <input type="hidden" name="status" value={d.status === "active" ? "paused" : "active"} />
            <button type="submit" class={d.status === "active" ? "danger" : undefined}>
              {d.status === "active" ? "Pause" : "Resume"}
            </button>
          </form>
        </div>
      </div>
      <div class="grid">
        <div class="stat">
          <b>{s?.attempts ?? 0}</b>
          <span>attempts</span>
        </div>
        <div class="stat">
          <b>{percent(s?.succeeded ?? 0, s?.attempts ?? 0)}</b>
          <span>attempts succeeded</span>
        </div>
        <div class="stat">
          <b class={(s?.deliveries.failed ?? 0) > 0 ? "num-bad" : undefined}>{s?.deliveries.failed ?? 0}</b>
          <span>deliveries failed</span>
        </div>
        <div class="stat">
          <b>{waiting}</b>
          <span>pending or retrying</span>
        </div>
        <div class="stat small">
          <span>last attempt</span>
          <div>
            <Time ms={s?.lastTriggeredAt} />
          </div>
          <span>last success</span>
          <div>
            <Time ms={s?.lastSuccessAt} />
          </div>
        </div>
      </div>
      <form class="filters" method="post" action={`/dashboard/destinations/${d.id}/replay`}>
        <CsrfField session={p.session} />
        <input type="hidden" name="status" value="failed" />
        <label>
          Failed from (UTC)
          <input type="datetime-local" name="since" required value={dateInputValue(p.now - 24 * 60 * 60 * 1000)} />
        </label>
        <label>
          to (UTC)
          <input type="datetime-local" name="until" required value={dateInputValue(p.now + 60 * 1000)} />
        </label>
        <button type="submit">Resend all failed in range</button>
        <a class="small" href={`/dashboard/events?delivery_status=failed`}>
          see failed events
        </a>
      </form>
    </section>
  );
};

export function registerDestinationPages(app: Hono<DashboardEnv>) {
  app.get("/destinations", async (c) => {
    const session = c.get("session");
    const db = dbOf(c.env);
    // A console page shows at most a few hundred.
    const rows = await listDestinationRows(db, session.workspaceId, 200);
    const summaries = await destinationSummaries(
      db,
      rows.map((r) => r.id),
    );
    const now = Date.now();
    return render(
      c,
      { title: "Destinations", active: "destinations" },
      <>
        <Flash code={c.req.query("flash")} />
        <h1>Destinations</h1>
        <p>
          <a href="/dashboard/destinations/new">+ New destination</a>
        </p>
        <p class="muted">Where customers receive. Counts cover every attempt, retries included.</p>
        {rows.length === 0 ? (
          <div class="card muted">
            No destinations yet. <a href="/dashboard/destinations/new">Add one</a> (or <span class="mono">POST /v1/destinations</span>).
          </div>
        ) : null}
        {rows.map((r) => (
          <DestinationCard session={session} row={r} summary={summaries.get(r.id)} now={now} />
        ))}
      </>,
    );
  });

  app.post("/destinations/:id/test", async (c) => {
    const session = c.get("session");
    const row = await getDestinationRow(dbOf(c.env), session.workspaceId, c.req.param("id"));
    if (!row) throw notFound("destination");
    const { outcome, payload, deliveryId } = await sendDestinationTest(c.env, c.get("keyring"), row);
    // The request as sent, minus secrets: custom header values and auth are redacted, the signature not kept.
    const opened = await openDestination(c.get("keyring"), row);
    const requestHead = [
      `POST ${outcome.url}`,
      "content-type: application/json",
      `webhook-id: ${deliveryId}`,
      "webhook-timestamp: (unix seconds when sent)",
      "webhook-signature: v1,<HMAC-SHA256 of id.timestamp.body> (not kept)",
      ...Object.keys(opened.headers).map((h) => `${h.toLowerCase()}: [redacted]`),
      ...(opened.auth ? [`authorization: ${opened.auth.type === "basic" ? "Basic" : "Bearer"} [redacted]`] : []),
    ].join("\n");
    return render(
      c,
      { title: "Test event", active: "destinations" },
      <>
        <p class="small">
          <a href="/dashboard/destinations">← Destinations</a>
        </p>
        <h1>Test event to {row.name ?? row.url}</h1>
        <div class={outcome.ok ? "flash" : "flash error"} role="status" id="test-result">
          {outcome.ok
            ? `The endpoint acknowledged the test event (HTTP ${outcome.statusCode}).`
            : `The endpoint did not acknowledge the test event: ${outcome.error ?? "failed"}.`}
        </div>
        <div class="card">
          <dl class="kv">
            <dt>URL</dt>
            <dd class="mono">{outcome.url}</dd>
            <dt>Status</dt>
            <dd>{outcome.statusCode ?? "no response"}</dd>
            <dt>Duration</dt>
            <dd>{outcome.durationMs} ms</dd>
            <dt>Error</dt>
            <dd>{outcome.error ?? "—"}</dd>
            <dt>webhook-id</dt>
            <dd class="mono">{deliveryId}</dd>
          </dl>
        </div>
        <h2>Request sent</h2>
        <pre id="test-request">{requestHead}</pre>
        <h2>Response body</h2>
        <pre>{outcome.responseBody ?? "(no body)"}</pre>
        <h2>Payload sent</h2>
        <pre id="test-payload">{pretty(payload)}</pre>
      </>,
    );
  });

  app.post("/destinations/:id/status", async (c) => {
    const session = c.get("session");
    const row = await getDestinationRow(dbOf(c.env), session.workspaceId, c.req.param("id"));
    if (!row) throw notFound("destination");
    const form = await c.req.parseBody();
    const status = form.status;
    if (status !== "active" && status !== "paused") throw new ApiError(400, "invalid_request", "status: active or paused");
    await setDestinationStatus(c.env, row, status);
    return c.redirect(`/dashboard/destinations?flash=${status === "active" ? "resumed" : "paused"}#${row.id}`, 303);
  });
}
