import { type Attempt, eventAttemptsQuery, withFirstAttempt } from "../db/attempts";
import type { Db } from "../db/client";
import type { Delivery } from "../db/deliveries";
import { eventDeliveriesQuery } from "../db/deliveries-reads";
import { eventQuery, selectEvents, type EventFilter, type EventRow, type EventSummary } from "../db/events";
import { keysetOf, page, type Page } from "../lib/pagination";

export type { EventFilter, EventSummary };

/**
 * The event log, as the API (`GET /v1/events`, `GET /v1/events/:id`) and the console read it.
 * One page of a workspace's events, newest first, keyset-paginated on (created_at, id) so
 * events committed while someone pages never shift or repeat a later page.
 */
export async function listEvents(
  db: Db,
  workspaceId: string,
  filter: EventFilter,
  pageOpts: { limit: number; cursor?: string | undefined; prev_cursor?: string | undefined },
): Promise<Page<EventSummary>> {
  const keyset = keysetOf(pageOpts);
  const rows = await selectEvents(db, workspaceId, filter, keyset, pageOpts.limit + 1);
  return page(rows, pageOpts.limit, (r) => ({ at: r.createdAt, id: r.id }), keyset);
}

/** A delivery of an event with every attempt it made, oldest first. */
export type EventDelivery = Delivery & { attempts: Attempt[] };

/** An event with every delivery of it, and every attempt of each delivery, oldest first. */
export interface EventDetail {
  /** The event row with its raw payload ("null" for the relay's own events, which have none). */
  event: EventRow & { raw: string };
  deliveries: EventDelivery[];
}

/** The event log's detail view, in one D1 round trip; undefined for another workspace's event. */
export async function getEventDetail(db: Db, workspaceId: string, id: string): Promise<EventDetail | undefined> {
  const [eventRows, deliveryRows, attemptRows] = await db.batch([
    eventQuery(db, workspaceId, id),
    eventDeliveriesQuery(db, workspaceId, id),
    eventAttemptsQuery(db, workspaceId, id),
  ]);
  const event = eventRows[0];
  if (!event) return undefined;
  const byDelivery = new Map<string, Attempt[]>();
  for (const a of attemptRows) {
    const list = byDelivery.get(a.deliveryId) ?? [];
    list.push(a);
    byDelivery.set(a.deliveryId, list);
  }
  return {
    event: { ...event, raw: event.raw ?? "null" },
    deliveries: deliveryRows.map((d) => ({ ...d, attempts: withFirstAttempt(d, byDelivery.get(d.id) ?? []) })),
  };
}

/** The raw payload as JSON when it is JSON (form-encoded providers stay a string). */
export function parseRaw(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
