import type { FC } from "hono/jsx";
import { dbOf } from "../db/client";
import type { EventFilter, EventSummary } from "../db/events";
import type { DeliveryStatus } from "../db/schema";
import { listEvents } from "../events/log";
import { Badge, Time } from "./layout";
import type { StatusCounts } from "../db/deliveries-reads";
import { listSourceSummaries, type SourceSummaryRow } from "../db/sources";
import { deliveryStatusByEvent } from "./queries";
import type { DashboardContext } from "./session";

const STATUS_ORDER: DeliveryStatus[] = ["failed", "retrying", "pending", "succeeded"];

/** How an event's deliveries stand: one badge per state, worst first. */
const DeliveryBadges: FC<{ counts: StatusCounts | undefined }> = ({ counts }) => {
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

export const EventTable: FC<{ rows: EventSummary[]; statuses: Map<string, StatusCounts>; sources: Map<string, SourceSummaryRow> }> = (props) =>
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


/** A page of events with how their deliveries stand and the sources by id (the overview and the list). */
export async function eventRows(c: DashboardContext, filter: EventFilter, limit: number, cursor?: string) {
  const db = dbOf(c.env);
  const ws = c.get("session").workspaceId;
  const [page, sources] = await Promise.all([listEvents(db, ws, filter, { limit, cursor }), listSourceSummaries(db, ws)]);
  const statuses = await deliveryStatusByEvent(
    db,
    ws,
    page.data.map((e) => e.id),
  );
  return { page, statuses, sources: new Map(sources.map((s) => [s.id, s])) };
}
