import type { Hono } from "hono";
import { dbOf } from "../db/client";
import { destinationsByIds } from "../db/destinations";
import { listSourceSummaries } from "../db/sources";
import { orderTimeline, type OrderTimeline } from "../events/order-timeline";
import { ApiError } from "../lib/errors";
import { Badge, render, Time } from "./layout";
import type { DashboardContext, DashboardEnv } from "./session";

/**
 * `/dashboard/orders/{reference}`: an order's timeline (the same `orderTimeline` as
 * `GET /v1/orders/...`): every event in sequence, the tracking status it stands at, where each
 * destination's delivery stands, the raw payload one click away (the event's page). The search
 * box of every page (`/dashboard/orders?q=`) takes a reference or a tracking number and lands here.
 */
export function registerOrderPages(app: Hono<DashboardEnv>) {
  app.get("/orders", async (c) => {
    const q = (c.req.query("q") ?? "").trim();
    if (!q || q.length > 300) throw new ApiError(400, "invalid_request", "Type an order reference or a tracking number.");
    const db = dbOf(c.env);
    const ws = c.get("session").workspaceId;
    const found = (await orderTimeline(db, ws, { reference: q })) ?? (q.length <= 100 ? await orderTimeline(db, ws, { trackingNumber: q }) : undefined);
    if (!found) throw new ApiError(404, "not_found", `No order or tracking number "${q}" in this workspace.`);
    if (found.reference === null) return renderOrder(c, found, q);
    return c.redirect(`/dashboard/orders/${encodeURIComponent(found.reference)}`, 303);
  });

  app.get("/orders/:reference", async (c) => {
    const reference = c.req.param("reference");
    const found = await orderTimeline(dbOf(c.env), c.get("session").workspaceId, { reference });
    if (!found) throw new ApiError(404, "not_found", `No event of order "${reference}" in this workspace.`);
    return renderOrder(c, found, reference);
  });
}



async function renderOrder(c: DashboardContext, t: OrderTimeline, label: string) {
  const db = dbOf(c.env);
  const ws = c.get("session").workspaceId;
  const [sources, destinations] = await Promise.all([
    listSourceSummaries(db, ws),
    destinationsByIds(db, ws, t.deliveryRows.map((d) => d.destinationId)),
  ]);
  const sourceName = new Map(sources.map((s) => [s.id, s.name]));
  const byEvent = new Map<string, typeof t.deliveryRows>();
  for (const d of t.deliveryRows) byEvent.set(d.eventId, [...(byEvent.get(d.eventId) ?? []), d]);
  // Each destination's state: its delivery of the latest event it got.
  const latestByDestination = new Map<string, (typeof t.deliveryRows)[number]>();
  for (const d of t.deliveryRows) latestByDestination.set(d.destinationId, d);

  return render(
    c,
    { title: `Order ${label}`, active: "events" },
    <>
      <h1>
        Order <span class="mono">{t.reference ?? label}</span>
      </h1>
      <div class="grid">
        <div class="card stat">
          <span>Tracking status</span>
          <b id="tracking-status">{t.tracking?.status ?? "—"}</b>
        </div>
        <div class="card stat">
          <span>Carrier</span>
          <b>{t.tracking?.carrier ?? "—"}</b>
        </div>
        <div class="card stat">
          <span>Tracking number</span>
          <b class="mono">{t.tracking?.tracking_number ?? "—"}</b>
        </div>
        <div class="card stat">
          <span>Events</span>
          <b>{t.events.length}</b>
        </div>
      </div>

      <h2>Destinations</h2>
      {latestByDestination.size === 0 ? (
        <div class="card muted">No destination received this order's events.</div>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Destination</th>
              <th>Latest delivery</th>
              <th>Of event</th>
            </tr>
          </thead>
          <tbody>
            {[...latestByDestination.values()].map((d) => {
              const dest = destinations.get(d.destinationId);
              return (
                <tr>
                  <td>
                    {dest?.name ? <b>{dest.name}</b> : null} <span class="mono small">{dest?.url ?? `${d.destinationId} (deleted)`}</span>
                  </td>
                  <td>
                    <Badge status={d.status} />
                  </td>
                  <td>
                    <a class="mono small" href={`/dashboard/events/${d.eventId}`}>
                      {d.eventId}
                    </a>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}

      <h2>Timeline</h2>
      <ol class="timeline">
        {t.events.map((e, i) => {
          const row = t.rows[i]!;
          return (
            <li data-event-id={e.id}>
              <b>{e.type}</b>
              {e.tracking?.status ? (
                <>
                  {" "}
                  <Badge status="info">{e.tracking.status}</Badge>
                </>
              ) : null}{" "}
              <span class="muted small">
                #{e.sequence ?? "—"} · occurred {e.occurred_at} · received <Time ms={row.createdAt} /> · from{" "}
                {sourceName.get(row.sourceId) ?? row.sourceId}
              </span>
              <div class="small">
                {(byEvent.get(e.id) ?? []).map((d) => (
                  <>
                    <Badge status={d.status}>{`${destinations.get(d.destinationId)?.name ?? destinations.get(d.destinationId)?.url ?? d.destinationId}: ${d.status}`}</Badge>{" "}
                  </>
                ))}
                <a href={`/dashboard/events/${e.id}`}>Raw payload and attempts →</a>
              </div>
            </li>
          );
        })}
      </ol>
    </>,
  );
}
