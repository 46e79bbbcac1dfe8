import type { FC } from "hono/jsx";
import type { Hono } from "hono";
import type { Attempt } from "../db/attempts";
import { dbOf } from "../db/client";
import type { Delivery } from "../db/deliveries";
import { openDestination } from "../db/destinations";
import { bodyFor } from "../delivery/body";
import { TransformError } from "../delivery/transform";
import { getEventDetail, parseRaw, type EventDelivery } from "../events/log";
import { notFound } from "../lib/errors";
import { Badge, CsrfField, Flash, pretty, render, Time } from "./layout";
import { destinationsByIds, type DestinationRow } from "../db/destinations";
import { listSourceSummaries } from "../db/sources";
import type { DashboardEnv, Session } from "./session";

/** Headers the relay sends with each attempt; secrets are never shown (nor stored). */
function requestHeaders(delivery: Delivery, attempt: Attempt | undefined, headerNames: string[], authType: string | null) {
  const h: Array<[string, string]> = [
    ["content-type", "application/json"],
    ["webhook-id", delivery.id],
    ["webhook-timestamp", attempt ? `${Math.floor(attempt.at / 1000)} (≈ when the attempt started)` : "unix seconds of the attempt"],
    ["webhook-signature", "v1,<base64 HMAC-SHA256 of id.timestamp.body> (computed per attempt, not stored)"],
    ["webhook-attempt", attempt ? String(attempt.attempt) : "n"],
  ];
  for (const name of headerNames) h.push([name.toLowerCase(), "[redacted]"]);
  if (authType) h.push(["authorization", `${authType === "basic" ? "Basic" : "Bearer"} [redacted]`]);
  return h.map(([k, v]) => `${k}: ${v}`).join("\n");
}

const AttemptView: FC<{ delivery: Delivery; attempt: Attempt; headerNames: string[]; authType: string | null }> = (p) => {
  const a = p.attempt;
  const ok = a.succeeded;
  return (
    <div class={`attempt ${ok ? "ok" : "bad"}`} data-attempt={a.attempt}>
      <details>
        <summary>
          <b>Attempt {a.attempt}</b> · <Time ms={a.at} /> ·{" "}
          {a.statusCode !== null ? <Badge status={ok ? "ok" : "bad"}>{`HTTP ${a.statusCode}`}</Badge> : <Badge status="bad">no response</Badge>} ·{" "}
          {a.durationMs} ms{a.error && a.error !== `HTTP ${a.statusCode}` ? <span class="muted"> · {a.error}</span> : null}
        </summary>
        <h3>Request</h3>
        <pre>{`POST ${a.url}\n${requestHeaders(p.delivery, a, p.headerNames, p.authType)}`}</pre>
        <h3>Response</h3>
        <dl class="kv">
          <dt>Status</dt>
          <dd>{a.statusCode ?? "—"}</dd>
          <dt>Duration</dt>
          <dd>{a.durationMs} ms</dd>
          <dt>Error</dt>
          <dd>{a.error ?? "—"}</dd>
        </dl>
        <pre>{a.responseBody ?? "(no body)"}</pre>
      </details>
    </div>
  );
};

const DeliveryView: FC<{
  session: Session;
  delivery: EventDelivery;
  destination: DestinationRow | undefined;
  headerNames: string[];
  authType: string | null;
  body: string;
}> = (p) => {
  const d = p.delivery;
  const open = d.status === "pending" || d.status === "retrying";
  return (
    <section class="card" id={d.id} data-delivery-id={d.id}>
      <div class="actions">
        <div>
          <Badge status={d.status} /> <b>{p.destination?.name ?? p.destination?.url ?? "deleted destination"}</b>{" "}
          <span class="mono small muted">{d.destinationId}</span>
          <div class="small muted">
            Delivery <span class="mono">{d.id}</span> · {d.attemptCount} attempt{d.attemptCount === 1 ? "" : "s"} of {d.attemptLimit}
            {open ? (
              <>
                {" "}
                · next attempt <Time ms={d.nextAttemptAt} />
              </>
            ) : null}
            {p.destination && p.destination.status !== "active" ? (
              <>
                {" "}
                · destination <Badge status={p.destination.status} />
              </>
            ) : null}
          </div>
        </div>
        <form method="post" action={`/dashboard/deliveries/${d.id}/retry`} class="push">
          <CsrfField session={p.session} />
          <button type="submit" class={d.status === "failed" ? undefined : "secondary"} disabled={!p.destination}>
            {d.status === "succeeded" ? "Send again" : "Resend now"}
          </button>
        </form>
      </div>
      <details>
        <summary class="small">Request body (what the endpoint receives)</summary>
        <pre>{p.body}</pre>
      </details>
      {d.attempts.length === 0 ? <p class="muted small">No attempt yet.</p> : null}
      {d.attempts.map((a) => (
        <AttemptView delivery={d} attempt={a} headerNames={p.headerNames} authType={p.authType} />
      ))}
    </section>
  );
};

/**
 * What the destination receives for this event, as the consumer renders it: format, include_raw
 * and the destination's transform (`bodyFor`). A transform that yields no body says why.
 */
async function deliveredBody(event: { type: string; body: string; raw: string }, dest: DestinationRow | undefined): Promise<string> {
  if (!dest) return pretty(JSON.parse(event.body));
  try {
    return pretty(JSON.parse(await bodyFor(dest, event)));
  } catch (err) {
    if (err instanceof TransformError) return `(the transform yields no body: ${err.message})`;
    return pretty(JSON.parse(event.body));
  }
}

/** An event: what it is, each delivery with its attempts and the body it sends, the canonical event and the raw payload. */
export function registerEventDetailPage(app: Hono<DashboardEnv>) {
  app.get("/events/:id", async (c) => {
    const session = c.get("session");
    const db = dbOf(c.env);
    const detail = await getEventDetail(db, session.workspaceId, c.req.param("id"));
    if (!detail) throw notFound("event");
    const e = detail.event;
    const [sources, dests] = await Promise.all([
      listSourceSummaries(db, session.workspaceId),
      destinationsByIds(
        db,
        session.workspaceId,
        detail.deliveries.map((d) => d.destinationId),
      ),
    ]);
    const source = sources.find((s) => s.id === e.sourceId);
    const canonical = JSON.parse(e.body) as Record<string, unknown>;
    const raw = parseRaw(e.raw);
    const deliveries = await Promise.all(
      detail.deliveries.map(async (d) => {
        const dest = dests.get(d.destinationId);
        const opened = dest ? await openDestination(c.get("keyring"), dest).catch(() => undefined) : undefined;
        return { d, dest, headerNames: Object.keys(opened?.headers ?? {}), authType: opened?.auth?.type ?? null, body: await deliveredBody(e, dest) };
      }),
    );
    // While an attempt is about to happen (a resend, a short retry), the page refreshes itself
    // until it is in: plain <meta> refresh, no script.
    const soon = Date.now() + 30_000;
    const inFlight = detail.deliveries.some(
      (d) => (d.status === "pending" || d.status === "retrying") && d.nextAttemptAt <= soon && dests.get(d.destinationId)?.status === "active",
    );
    return render(
      c,
      { title: `${e.type} ${e.id}`, active: "events", head: inFlight ? <meta http-equiv="refresh" content="2" /> : undefined },
      <>
        <Flash code={c.req.query("flash")} />
        <p class="small">
          <a href="/dashboard/events">← Events</a>
        </p>
        <h1>
          {e.type} <span class="mono small muted">{e.id}</span>
        </h1>
        <div class="card">
          <dl class="kv">
            <dt>Order reference</dt>
            <dd class="mono">{e.orderReference ?? "—"}</dd>
            <dt>Tracking number</dt>
            <dd class="mono">{e.trackingNumber ?? "—"}</dd>
            <dt>Occurred</dt>
            <dd>
              <Time ms={e.occurredAt} />
            </dd>
            <dt>Received</dt>
            <dd>
              <Time ms={e.createdAt} />
            </dd>
            <dt>Source</dt>
            <dd>
              {source ? `${source.name} (${source.provider})` : "deleted source"} <span class="mono small muted">{e.sourceId}</span>
            </dd>
            <dt>Provider event</dt>
            <dd class="mono">{String((canonical.source as { event?: unknown } | undefined)?.event ?? "—")}</dd>
            <dt>Sequence</dt>
            <dd>{e.sequence ?? "—"}</dd>
            <dt>Mode</dt>
            <dd>{e.livemode ? "live" : <Badge status="test">test (livemode false)</Badge>}</dd>
          </dl>
        </div>
        <h2>Deliveries</h2>
        {deliveries.length === 0 ? <div class="card muted">No destination took this event.</div> : null}
        {deliveries.map((x) => (
          <DeliveryView session={session} delivery={x.d} destination={x.dest} headerNames={x.headerNames} authType={x.authType} body={x.body} />
        ))}
        <h2>Canonical event</h2>
        <pre id="canonical">{pretty(canonical)}</pre>
        <h2>Raw payload (as the provider sent it)</h2>
        <pre id="raw">{pretty(raw)}</pre>
      </>,
    );
  });
}
