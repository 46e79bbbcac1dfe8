import type { FC } from "hono/jsx";
import type { Hono } from "hono";
import { dbOf } from "../db/client";
import { EventTable, eventRows } from "./event-table";
import { render } from "./layout";
import { overviewCounts } from "./queries";
import type { DashboardEnv } from "./session";

const SummaryStat: FC<{ n: number; label: string; tone?: "ok" | "bad" | "warn" }> = ({ n, label, tone }) => (
  <div class="card stat">
    <b class={tone && n > 0 ? `num-${tone}` : undefined}>{n}</b>
    <span>{label}</span>
  </div>
);

/** The console's home: the last 24 hours in numbers, a quick search, the newest events. */
export function registerOverviewPage(app: Hono<DashboardEnv>) {
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
}
