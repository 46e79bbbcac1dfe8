import type { FC } from "hono/jsx";
import type { Hono } from "hono";
import { getEventDetail, listEvents, parseRaw, type AttemptRow, type DeliveryRow, type EventFilter, type EventSummary } from "../api/events";
import { dbOf } from "../db/client";
import { openDestination } from "../db/destinations";
import { renderBody } from "../delivery/body";
import { DELIVERY_STATUSES, type DeliveryStatus } from "../db/schema";
import { EVENT_TYPES } from "../events/canonical";
import { requeueDelivery } from "../delivery/requeue";
import { ApiError, notFound } from "../lib/errors";
import { Badge, CsrfField, Flash, pretty, render, Time } from "./layout";
import { findDelivery as getDelivery, type StatusCounts } from "../db/deliveries-reads";
import { destinationsByIds, type DestinationRow } from "../db/destinations";
import { listSourceSummaries as listSources, type SourceSummaryRow as SourceRowLite } from "../db/sources";
import { deliveryStatusByEvent, overviewCounts } from "./queries";
import type { DashboardContext, DashboardEnv, Session } from "./session";

const PAGE_SIZE = 50;
const STATUS_ORDER: DeliveryStatus[] = ["failed", "retrying", "pending", "succeeded"];

/** How an event's deliveries stand: one badge per state, worst first. */
export const DeliveryBadges: FC<{ counts: StatusCounts | undefined }> = ({ counts }) => {
  const present = STATUS_ORDER.filter((s) => (counts?.[s] ?? 0) > 0);
  if (present.length === 0) return <span class="muted small">no deliveries</span>;
  return (
    <>
      {present.map((s) => (
        <>
          <Badge status={s}>{counts![s]! > 1 ? `${counts![s]} ${s}` : s}</Badge>{" "}
        </>
      ))}
    </>
  );
};

const EventTable: FC<{ rows: EventSummary[]; statuses: Map<string, StatusCounts>; sources: Map<string, SourceRowLite> }> = (props) =>
  props.rows.length === 0 ? (
    <div class="card muted">No events match.</div>
  ) : (
    <table>
      <thead>
        <tr>
          <th>Received (UTC)</th>
          <th>Type</th>
          <th>Order reference</th>
          <th>Tracking number</th>
          <th>Source</th>
          <th>Delivery status</th>
          <th>Event</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((e) => (
          <tr data-event-id={e.id}>
            <td>
              <Time ms={e.createdAt} />
            </td>
            <td>
              <a href={`/dashboard/events/${e.id}`}>{e.type}</a>
              {e.livemode ? null : (
                <>
                  {" "}
                  <Badge status="test">test</Badge>
                </>
              )}
            </td>
            <td class="mono">{e.orderReference ?? <span class="muted">—</span>}</td>
            <td class="mono">{e.trackingNumber ?? <span class="muted">—</span>}</td>
            <td>{props.sources.get(e.sourceId)?.name ?? <span class="mono small">{e.sourceId}</span>}</td>
            <td>
              <DeliveryBadges counts={props.statuses.get(e.id)} />
            </td>
            <td>
              <a class="mono small" href={`/dashboard/events/${e.id}`}>
                {e.id}
              </a>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );

/** `datetime-local` values are read as UTC (the pages show UTC); full ISO strings as given. */
export function parseDateInput(field: string, value: string | undefined): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  const local = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(v);
  const ms = Date.parse(local ? `${v}Z` : v);
  if (Number.isNaN(ms)) throw new ApiError(400, "invalid_request", `${field}: not a date and time (use YYYY-MM-DDTHH:MM, UTC)`);
  return ms;
}

/** A time as a `datetime-local` value (UTC, to the minute). */
export const dateInputValue = (ms: number | undefined) => (ms === undefined ? "" : new Date(ms).toISOString().slice(0, 16));

interface LogQuery {
  filter: EventFilter;
  cursor: string | undefined;
  raw: Record<string, string>;
}

function readLogQuery(c: DashboardContext): LogQuery {
  const q = c.req.query();
  const text = (name: string, max = 300) => {
    const v = q[name]?.trim();
    if (!v) return undefined;
    if (v.length > max) throw new ApiError(400, "invalid_request", `${name}: too long`);
    return v;
  };
  const status = text("status");
  if (status && !(DELIVERY_STATUSES as readonly string[]).includes(status)) {
    throw new ApiError(400, "invalid_request", `status: one of ${DELIVERY_STATUSES.join(", ")}`);
  }
  const filter: EventFilter = {
    type: text("type", 100),
    source: text("source", 100),
    order: text("order"),
    trackingNumber: text("tracking_number", 100),
    since: parseDateInput("since", q.since),
    until: parseDateInput("until", q.until),
    deliveryStatus: status as DeliveryStatus | undefined,
  };
  const raw: Record<string, string> = {};
  for (const k of ["type", "source", "order", "tracking_number", "status", "since", "until"]) {
    const v = q[k]?.trim();
    if (v) raw[k] = v;
  }
  return { filter, cursor: text("cursor", 200), raw };
}

async function eventRows(c: DashboardContext, filter: EventFilter, limit: number, cursor?: string) {
  const db = dbOf(c.env);
  const ws = c.get("session").workspaceId;
  const [page, sources] = await Promise.all([listEvents(db, ws, filter, { limit, cursor }), listSources(db, ws)]);
  const statuses = await deliveryStatusByEvent(
    db,
    ws,
    page.data.map((e) => e.id),
  );
  return { page, statuses, sources: new Map(sources.map((s) => [s.id, s])) };
}

const SearchForm: FC<{ raw: Record<string, string>; sources: SourceRowLite[] }> = ({ raw, sources }) => (
  <form class="filters" method="get" action="/dashboard/events">
    <label>
      Type
      <input name="type" list="event-types" value={raw.type ?? ""} placeholder="any" size={18} />
    </label>
    <datalist id="event-types">
      {EVENT_TYPES.map((t) => (
        <option value={t} />
      ))}
    </datalist>
    <label>
      Order reference
      <input name="order" value={raw.order ?? ""} size={16} />
    </label>
    <label>
      Tracking number
      <input name="tracking_number" value={raw.tracking_number ?? ""} size={20} />
    </label>
    <label>
      Delivery status
      <select name="status">
        <option value="">any</option>
        {DELIVERY_STATUSES.map((s) => (
          <option value={s} selected={raw.status === s}>
            {s}
          </option>
        ))}
      </select>
    </label>
    <label>
      Source
      <select name="source">
        <option value="">any</option>
        {sources.map((s) => (
          <option value={s.id} selected={raw.source === s.id}>
            {s.name}
          </option>
        ))}
      </select>
    </label>
    <label>
      From (UTC)
      <input type="datetime-local" name="since" value={raw.since ? dateInputValue(parseDateInput("since", raw.since)) : ""} />
    </label>
    <label>
      To (UTC)
      <input type="datetime-local" name="until" value={raw.until ? dateInputValue(parseDateInput("until", raw.until)) : ""} />
    </label>
    <button type="submit">Search</button>
    <a class="small" href="/dashboard/events">
      Clear
    </a>
  </form>
);

const SummaryStat: FC<{ n: number; label: string; tone?: "ok" | "bad" | "warn" }> = ({ n, label, tone }) => (
  <div class="card stat">
    <b class={tone && n > 0 ? `num-${tone}` : undefined}>{n}</b>
    <span>{label}</span>
  </div>
);

/** Headers the relay sends with each attempt; secrets are never shown (nor stored). */
function requestHeaders(delivery: DeliveryRow, attempt: AttemptRow | undefined, headerNames: string[], authType: string | null) {
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

const AttemptView: FC<{ delivery: DeliveryRow; attempt: AttemptRow; headerNames: string[]; authType: string | null }> = (p) => {
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
  delivery: DeliveryRow & { attempts: AttemptRow[] };
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

/** What the destination receives for this event, as the consumer renders it (format, include_raw). */
function deliveredBody(event: { body: string; raw: string }, dest: DestinationRow | undefined): string {
  try {
    return pretty(JSON.parse(renderBody(dest?.format ?? "v1", event, dest?.includeRaw ?? false)));
  } catch {
    return pretty(JSON.parse(event.body));
  }
}

export function registerEventPages(app: Hono<DashboardEnv>) {
  app.get("/", async (c) => {
    const session = c.get("session");
    const db = dbOf(c.env);
    const since = Date.now() - 24 * 60 * 60 * 1000;
    const [{ page, statuses, sources }, counts] = await Promise.all([
      eventRows(c, {}, 25),
      overviewCounts(db, session.workspaceId, since),
    ]);
    return render(
      c,
      { title: "Overview", active: "overview" },
      <>
        <h1>Overview</h1>
        <div class="grid">
          <SummaryStat n={counts.events} label="events in the last 24 h" />
          <SummaryStat n={counts.deliveries.succeeded ?? 0} label="deliveries succeeded" tone="ok" />
          <SummaryStat n={(counts.deliveries.retrying ?? 0) + (counts.deliveries.pending ?? 0)} label="retrying or pending" tone="warn" />
          <SummaryStat n={counts.deliveries.failed ?? 0} label="deliveries failed" tone="bad" />
        </div>
        <form class="filters" method="get" action="/dashboard/events">
          <label>
            Order reference
            <input name="order" size={20} />
          </label>
          <label>
            Tracking number
            <input name="tracking_number" size={24} />
          </label>
          <button type="submit">Find</button>
        </form>
        <h2>Recent events</h2>
        <EventTable rows={page.data} statuses={statuses} sources={sources} />
        <div class="pager">
          <a href="/dashboard/events">All events →</a>
        </div>
      </>,
    );
  });

  app.get("/events", async (c) => {
    const q = readLogQuery(c);
    const { page, statuses, sources } = await eventRows(c, q.filter, PAGE_SIZE, q.cursor);
    const nextParams = page.next_cursor ? new URLSearchParams({ ...q.raw, cursor: page.next_cursor }).toString() : null;
    return render(
      c,
      { title: "Events", active: "events" },
      <>
        <h1>Events</h1>
        <SearchForm raw={q.raw} sources={[...sources.values()]} />
        <EventTable rows={page.data} statuses={statuses} sources={sources} />
        <div class="pager">
          {q.cursor ? (
            <a href={`/dashboard/events?${new URLSearchParams(q.raw).toString()}`} class="pull">
              ← Newest
            </a>
          ) : null}
          {nextParams ? <a href={`/dashboard/events?${nextParams}`}>Older →</a> : null}
        </div>
      </>,
    );
  });

  app.get("/events/:id", async (c) => {
    const session = c.get("session");
    const db = dbOf(c.env);
    const detail = await getEventDetail(db, session.workspaceId, c.req.param("id"));
    if (!detail) throw notFound("event");
    const e = detail.event;
    const [sources, dests] = await Promise.all([
      listSources(db, session.workspaceId),
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
        return { d, dest, headerNames: Object.keys(opened?.headers ?? {}), authType: opened?.auth?.type ?? null, body: deliveredBody(e, dest) };
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

  // Resend one delivery: the same requeue as `POST /v1/deliveries/:id/retry`.
  app.post("/deliveries/:id/retry", async (c) => {
    const session = c.get("session");
    const db = dbOf(c.env);
    const row = await getDelivery(db, session.workspaceId, c.req.param("id"));
    if (!row) throw notFound("delivery");
    const dest = await destinationsByIds(db, session.workspaceId, [row.destinationId]);
    if (!dest.has(row.destinationId)) return c.redirect(`/dashboard/events/${row.eventId}?flash=resend_gone#${row.id}`, 303);
    await requeueDelivery(c.env, row);
    return c.redirect(`/dashboard/events/${row.eventId}?flash=resent#${row.id}`, 303);
  });
}
