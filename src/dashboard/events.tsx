import type { FC } from "hono/jsx";
import { checkedValues, typeValues, values } from "../lib/filters";
import type { Hono } from "hono";
import type { EventFilter } from "../db/events";
import { DELIVERY_STATUSES } from "../db/schema";
import { EVENT_TYPES } from "../events/canonical";
import { ApiError } from "../lib/errors";
import { registerEventActions } from "./event-actions";
import { registerEventDetailPage } from "./event-detail";
import { EventTable, eventRows } from "./event-table";
import { AnyOf, render } from "./layout";
import { registerOverviewPage } from "./overview";
import type { SourceSummaryRow } from "../db/sources";
import type { DashboardContext, DashboardEnv } from "./session";

const PAGE_SIZE = 50;

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
  const filter: EventFilter = {
    types: typeValues("type", text("type", 1000)),
    sources: values(text("source", 1000)),
    order: text("order"),
    trackingNumber: text("tracking_number", 100),
    since: parseDateInput("since", q.since),
    until: parseDateInput("until", q.until),
    // `delivery_status` as the API names it; `status`, the page's older name, still read for old links.
    deliveryStatuses: checkedValues("delivery_status", text("delivery_status") ?? text("status"), DELIVERY_STATUSES),
  };
  const raw: Record<string, string> = {};
  for (const k of ["type", "source", "order", "tracking_number", "delivery_status", "since", "until"]) {
    const v = (q[k] ?? (k === "delivery_status" ? q.status : undefined))?.trim();
    if (v) raw[k] = v;
  }
  return { filter, cursor: text("cursor", 200), raw };
}

const SearchForm: FC<{ raw: Record<string, string>; sources: SourceSummaryRow[] }> = ({ raw, sources }) => (
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
      <select name="delivery_status">
        <option value="">any</option>
        {DELIVERY_STATUSES.map((s) => (
          <option value={s} selected={raw.delivery_status === s}>
            {s}
          </option>
        ))}
      </select>
    </label>
    <AnyOf label="Source" name="source" options={sources.map((s) => [s.id, s.name])} selected={raw.source} />
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

/** The overview, the event log (search, list, detail) and its resend action. */
export function registerEventPages(app: Hono<DashboardEnv>) {
  registerOverviewPage(app);

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

  registerEventDetailPage(app);
  registerEventActions(app);
}
