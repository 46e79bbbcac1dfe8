import type { Hono } from "hono";
import { dbOf } from "../db/client";
import { listDeliveries } from "../db/deliveries-reads";
import { destinationsByIds, listDestinationRows } from "../db/destinations";
import { DELIVERY_STATUSES } from "../db/schema";
import { listSourceSummaries, type SourceSummaryRow } from "../db/sources";
import { deliveryFilterOf, type DeliveryQuery } from "../delivery/list-filter";
import { createBulkResend } from "../delivery/replay";
import { ApiError } from "../lib/errors";
import { keysetOf, page } from "../lib/pagination";
import { dateInputValue, parseDateInput } from "./events";
import { AnyOf, Badge, CsrfField, Flash, render, Time } from "./layout";
import type { DashboardContext, DashboardEnv } from "./session";

/**
 * `/dashboard/deliveries`: the delivery log with the list's filters by their API names in the
 * query string (shareable: `?status=failed,retrying&type=tracking.*&destination_url=…`), paged
 * both ways, checkboxes and "Resend selected", and "Resend all matching" — both through the bulk
 * resend of `POST /v1/deliveries/retry` (createBulkResend), whose live progress page follows.
 */

const PAGE_SIZE = 50;
const FILTER_KEYS = ["status", "type", "destination", "destination_url", "source", "order", "tracking_number", "event", "since", "until"] as const;
/** Most ids one "resend selected" takes (one page is 50). */
const MAX_SELECTED = 1000;

/** The filters as given: repeated fields (checkboxes) join into the API's comma lists. */
function rawFilters(get: (k: string) => string[] | undefined): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const k of FILTER_KEYS) {
    const v = (get(k) ?? []).map((x) => x.trim()).filter(Boolean).join(",");
    if (v) raw[k] = v.slice(0, 2000);
  }
  return raw;
}

const queryOf = (raw: Record<string, string>): DeliveryQuery => ({
  ...raw,
  since: parseDateInput("since", raw.since),
  until: parseDateInput("until", raw.until),
});

export function registerDeliveryPages(app: Hono<DashboardEnv>) {
  app.get("/deliveries", async (c) => {
    const raw = rawFilters((k) => c.req.queries(k));
    const keyset = keysetOf({ cursor: c.req.query("cursor") || undefined, prev_cursor: c.req.query("prev_cursor") || undefined });
    const db = dbOf(c.env);
    const ws = c.get("session").workspaceId;
    const filter = await deliveryFilterOf(db, ws, queryOf(raw));
    const rows = await listDeliveries(db, ws, filter, keyset, PAGE_SIZE + 1);
    const result = page(rows, PAGE_SIZE, (r) => ({ at: r.createdAt, id: r.id }), keyset);
    const [destinations, all, sources] = await Promise.all([
      destinationsByIds(db, ws, result.data.map((d) => d.destinationId)),
      listDestinationRows(db, ws, 200),
      listSourceSummaries(db, ws),
    ]);
    return logPage(c, { raw, result, destinations, all, sources });
  });

  app.post("/deliveries/resend", async (c) => {
    const form = await c.req.parseBody({ all: true });
    const list = (k: string) => {
      const v = form[k];
      return (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === "string");
    };
    const ws = c.get("session").workspaceId;
    let replay;
    if (list("mode")[0] === "all") {
      const filter = await deliveryFilterOf(dbOf(c.env), ws, queryOf(rawFilters(list)));
      replay = await createBulkResend(c.env, ws, { kind: "bulk", filter });
    } else {
      const ids = list("ids").slice(0, MAX_SELECTED + 1);
      if (ids.length === 0) throw new ApiError(400, "invalid_request", "Select at least one delivery to resend.");
      if (ids.length > MAX_SELECTED) throw new ApiError(400, "invalid_request", `At most ${MAX_SELECTED} deliveries at once; use "Resend all matching".`);
      replay = await createBulkResend(c.env, ws, { kind: "bulk", ids });
    }
    if (replay.total === 0) {
      const back = new URLSearchParams(rawFilters(list));
      back.set("flash", "resend_none");
      return c.redirect(`/dashboard/deliveries?${back.toString()}`, 303);
    }
    return c.redirect(`/dashboard/replays/${replay.id}`, 303);
  });
}

interface LogData {
  raw: Record<string, string>;
  result: ReturnType<typeof page<Awaited<ReturnType<typeof listDeliveries>>[number]>>;
  destinations: Awaited<ReturnType<typeof destinationsByIds>>;
  all: Awaited<ReturnType<typeof listDestinationRows>>;
  sources: SourceSummaryRow[];
}

function logPage(c: DashboardContext, { raw, result, destinations, all, sources }: LogData) {
  const session = c.get("session");
  const statuses = new Set((raw.status ?? "").split(","));
  const link = (extra: Record<string, string>) => `/dashboard/deliveries?${new URLSearchParams({ ...raw, ...extra }).toString()}`;
  return render(
    c,
    { title: "Deliveries", active: "deliveries" },
    <>
      <h1>Deliveries</h1>
      <Flash code={c.req.query("flash")} />
      <form class="filters" method="get" action="/dashboard/deliveries" aria-label="Filter deliveries">
        <fieldset class="actions plain">
          <legend class="small muted">status</legend>
          {DELIVERY_STATUSES.map((s) => (
            <label class="row">
              <input type="checkbox" name="status" value={s} checked={statuses.has(s)} /> {s}
            </label>
          ))}
        </fieldset>
        <label>
          type
          <input name="type" value={raw.type ?? ""} placeholder="tracking.*, order.shipped" size={20} />
        </label>
        <AnyOf label="destination" name="destination" options={all.map((d) => [d.id, d.name ?? d.url])} selected={raw.destination} />
        <label>
          destination_url
          <input name="destination_url" value={raw.destination_url ?? ""} placeholder="https://…" size={24} />
        </label>
        <AnyOf label="source" name="source" options={sources.map((s) => [s.id, s.name])} selected={raw.source} />
        <label>
          order
          <input name="order" value={raw.order ?? ""} placeholder="order reference" size={14} />
        </label>
        <label>
          tracking_number
          <input name="tracking_number" value={raw.tracking_number ?? ""} size={16} />
        </label>
        <label>
          since (UTC)
          <input type="datetime-local" name="since" value={raw.since ? dateInputValue(parseDateInput("since", raw.since)) : ""} />
        </label>
        <label>
          until (UTC)
          <input type="datetime-local" name="until" value={raw.until ? dateInputValue(parseDateInput("until", raw.until)) : ""} />
        </label>
        {raw.event ? <input type="hidden" name="event" value={raw.event} /> : null}
        <button type="submit">Filter</button>
        <a href="/dashboard/deliveries" class="small">
          Clear
        </a>
      </form>

      <form method="post" action="/dashboard/deliveries/resend" class="actions mb">
        <CsrfField session={session} />
        <input type="hidden" name="mode" value="all" />
        {Object.entries(raw).map(([k, v]) => (
          <input type="hidden" name={k} value={v} />
        ))}
        <button type="submit" class="secondary" id="resend-all">
          Resend all matching
        </button>
        <span class="small muted">Finished deliveries only (succeeded or failed); open ones are going out anyway.</span>
      </form>

      <form method="post" action="/dashboard/deliveries/resend" id="selected-form">
        <CsrfField session={session} />
        <input type="hidden" name="mode" value="selected" />
        {result.data.length === 0 ? (
          <div class="card muted">No deliveries match.</div>
        ) : (
          <table>
            <thead>
              <tr>
                <th>
                  <span class="sr">Select</span>
                </th>
                <th>Created (UTC)</th>
                <th>Event type</th>
                <th>Destination</th>
                <th>Status</th>
                <th>Attempts</th>
                <th>Last response</th>
              </tr>
            </thead>
            <tbody>
              {result.data.map((d) => {
                const dest = destinations.get(d.destinationId);
                return (
                  <tr data-delivery-id={d.id}>
                    <td>
                      <input type="checkbox" name="ids" value={d.id} id={`sel-${d.id}`} aria-label={`Select delivery ${d.id}`} />
                    </td>
                    <td>
                      <Time ms={d.createdAt} />
                    </td>
                    <td>
                      <a href={`/dashboard/events/${d.eventId}#${d.id}`}>{d.eventType}</a>
                      {d.eventType === "test.ping" ? (
                        <>
                          {" "}
                          <Badge status="test">test</Badge>
                        </>
                      ) : null}
                    </td>
                    <td>
                      {dest?.name ?? null} <span class="mono small">{dest?.url ?? `${d.destinationId} (deleted)`}</span>
                    </td>
                    <td>
                      <Badge status={d.status} />
                    </td>
                    <td>{d.attemptCount}</td>
                    <td class="small">{d.lastStatusCode !== null ? `HTTP ${d.lastStatusCode}` : (d.lastError ?? "—")}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        <div class="pager">
          {result.prev_cursor ? (
            <a class="pull" href={link({ prev_cursor: result.prev_cursor })}>
              ← Newer
            </a>
          ) : null}
          <button type="submit" id="resend-selected" class="pull">
            Resend selected
          </button>
          {result.next_cursor ? <a href={link({ cursor: result.next_cursor })}>Older →</a> : null}
        </div>
      </form>
    </>,
  );
}
