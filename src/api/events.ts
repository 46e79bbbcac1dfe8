import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, desc, eq, exists, gte, inArray, lt, or } from "drizzle-orm";
import type { Db } from "../db/client";
import { dbOf } from "../db/client";
import { attempts, deliveries, DELIVERY_STATUSES, eventPayloads, events, type DeliveryStatus } from "../db/schema";
import { canonicalEventSchema, type CanonicalEvent } from "../events/canonical";
import { notFound } from "../lib/errors";
import type { createRouter } from "./app";
import { deliveryView } from "./deliveries/view";
import { errorResponses, idParam } from "./openapi";
import { decodeCursor, iso, msOf, page, pageQuerySchema, timeRangeSchema } from "./pagination";

export type EventRow = typeof events.$inferSelect;
export type DeliveryRow = typeof deliveries.$inferSelect;
export type AttemptRow = typeof attempts.$inferSelect;

/** What the event log can be searched by; shared by `GET /v1/events` and the dashboard. */
export interface EventFilter {
  type?: string;
  source?: string;
  /** The order reference (indexed with the workspace). */
  order?: string;
  /** Indexed with the workspace. */
  trackingNumber?: string;
  /** Unix ms, inclusive. */
  since?: number;
  /** Unix ms, exclusive. */
  until?: number;
  /** Only events with at least one delivery in this state. */
  deliveryStatus?: DeliveryStatus;
}

/** The columns a list needs: no raw payload. */
const summaryColumns = {
  id: events.id,
  type: events.type,
  sourceId: events.sourceId,
  livemode: events.livemode,
  orderReference: events.orderReference,
  trackingNumber: events.trackingNumber,
  body: events.body,
  createdAt: events.createdAt,
};
export type EventSummary = Pick<EventRow, keyof typeof summaryColumns>;

/**
 * One page of a workspace's events, newest first, keyset-paginated on (created_at, id) so
 * events committed while someone pages never shift or repeat a later page.
 */
export async function listEvents(
  db: Db,
  workspaceId: string,
  filter: EventFilter,
  pageOpts: { limit: number; cursor?: string | undefined },
): Promise<{ data: EventSummary[]; next_cursor: string | null }> {
  const after = decodeCursor(pageOpts.cursor);
  const rows = await db
    .select(summaryColumns)
    .from(events)
    .where(
      and(
        eq(events.workspaceId, workspaceId),
        filter.type ? eq(events.type, filter.type) : undefined,
        filter.source ? eq(events.sourceId, filter.source) : undefined,
        filter.order ? eq(events.orderReference, filter.order) : undefined,
        filter.trackingNumber ? eq(events.trackingNumber, filter.trackingNumber) : undefined,
        filter.since !== undefined ? gte(events.createdAt, filter.since) : undefined,
        filter.until !== undefined ? lt(events.createdAt, filter.until) : undefined,
        filter.deliveryStatus
          ? exists(
              db
                .select({ id: deliveries.id })
                .from(deliveries)
                .where(and(eq(deliveries.eventId, events.id), eq(deliveries.status, filter.deliveryStatus))),
            )
          : undefined,
        after ? or(lt(events.createdAt, after.at), and(eq(events.createdAt, after.at), lt(events.id, after.id))) : undefined,
      ),
    )
    .orderBy(desc(events.createdAt), desc(events.id))
    .limit(pageOpts.limit + 1);
  return page(rows, pageOpts.limit, (r) => ({ at: r.createdAt, id: r.id }));
}

/** An event with every delivery of it, and every attempt of each delivery, oldest first. */
export interface EventDetail {
  /** The event row with its raw payload ("null" for the relay's own events, which have none). */
  event: EventRow & { raw: string };
  deliveries: Array<DeliveryRow & { attempts: AttemptRow[] }>;
}

/** The event log's detail view (API and dashboard); undefined for another workspace's event. */
export async function getEventDetail(db: Db, workspaceId: string, id: string): Promise<EventDetail | undefined> {
  const [eventRows, payloadRows, deliveryRows, attemptRows] = await db.batch([
    db.select().from(events).where(and(eq(events.workspaceId, workspaceId), eq(events.id, id))),
    db
      .select({ raw: eventPayloads.raw })
      .from(eventPayloads)
      .where(and(eq(eventPayloads.workspaceId, workspaceId), eq(eventPayloads.eventId, id))),
    db
      .select()
      .from(deliveries)
      .where(and(eq(deliveries.workspaceId, workspaceId), eq(deliveries.eventId, id)))
      .orderBy(asc(deliveries.createdAt), asc(deliveries.id)),
    db
      .select()
      .from(attempts)
      .where(
        and(
          eq(attempts.workspaceId, workspaceId),
          inArray(attempts.deliveryId, db.select({ id: deliveries.id }).from(deliveries).where(eq(deliveries.eventId, id))),
        ),
      )
      .orderBy(asc(attempts.deliveryId), asc(attempts.attempt)),
  ]);
  const event = eventRows[0];
  if (!event) return undefined;
  const byDelivery = new Map<string, AttemptRow[]>();
  for (const a of attemptRows) {
    const list = byDelivery.get(a.deliveryId) ?? [];
    list.push(a);
    byDelivery.set(a.deliveryId, list);
  }
  return {
    event: { ...event, raw: payloadRows[0]?.raw ?? "null" },
    deliveries: deliveryRows.map((d) => ({ ...d, attempts: byDelivery.get(d.id) ?? [] })),
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

export function attemptView(a: AttemptRow) {
  return {
    attempt: a.attempt,
    at: iso(a.at)!,
    url: a.url,
    status_code: a.statusCode,
    duration_ms: a.durationMs,
    error: a.error,
    response_body: a.responseBody,
  };
}

const eventQuerySchema = pageQuerySchema.extend(timeRangeSchema.shape).extend({
  type: z.string().max(100).optional().openapi({ description: "event type, exact (e.g. order.shipped)" }),
  source: z.string().max(100).optional().openapi({ description: "source id (src_…)" }),
  order: z.string().max(300).optional().openapi({ description: "order reference" }),
  tracking_number: z.string().max(100).optional(),
  delivery_status: z
    .enum(DELIVERY_STATUSES)
    .optional()
    .openapi({ description: "only events with at least one delivery in this state (e.g. failed)" }),
});

const canonicalEvent = canonicalEventSchema.openapi("CanonicalEvent", {
  description: "The normalized event, as delivered to destinations (EVENTS.md)",
});
const eventList = z.object({ data: z.array(canonicalEvent), next_cursor: z.string().nullable() }).openapi("EventList");

// The delivery fields of `GET /v1/deliveries/{id}`, plus the attempt timeline.
const timelineAttemptSchema = z
  .object({
    attempt: z.number().int(),
    at: z.string(),
    url: z.string(),
    status_code: z.number().int().nullable(),
    duration_ms: z.number(),
    error: z.string().nullable(),
    response_body: z.string().nullable().openapi({ description: "first 1 KiB of the response" }),
  })
  .openapi("EventDeliveryAttempt");
const eventDeliverySchema = z
  .object({
    id: z.string(),
    event_id: z.string(),
    destination_id: z.string(),
    event_type: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempt_count: z.number().int(),
    next_attempt_at: z.string().nullable(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    completed_at: z.string().nullable(),
    attempts: z.array(timelineAttemptSchema).openapi({ description: "every attempt, oldest first" }),
  })
  .openapi("EventDelivery");
const eventDetailSchema = canonicalEventSchema
  .extend({
    raw: z.unknown().openapi({ description: "the provider's payload as received (a string when it was not JSON)" }),
    deliveries: z.array(eventDeliverySchema).openapi({ description: "one per destination, with its attempt timeline" }),
  })
  .openapi("EventDetail");

const routes = {
  list: createRoute({
    method: "get",
    path: "/v1/events",
    tags: ["events"],
    summary: "Search events, newest first (by type, source, order reference, tracking number, time)",
    request: { query: eventQuerySchema },
    responses: { 200: { description: "a page", content: { "application/json": { schema: eventList } } }, ...errorResponses(400, 401) },
  }),
  get: createRoute({
    method: "get",
    path: "/v1/events/{id}",
    tags: ["events"],
    summary: "An event with its raw payload and its deliveries, each with every attempt",
    request: { params: idParam("evt") },
    responses: {
      200: { description: "the event", content: { "application/json": { schema: eventDetailSchema } } },
      ...errorResponses(401, 404),
    },
  }),
};

export function registerEventRoutes(app: ReturnType<typeof createRouter>) {
  app.openapi(routes.list, async (c) => {
    const q = c.req.valid("query");
    const result = await listEvents(
      dbOf(c.env),
      c.get("workspaceId"),
      {
        type: q.type,
        source: q.source,
        order: q.order,
        trackingNumber: q.tracking_number,
        since: msOf(q.since),
        until: msOf(q.until),
        deliveryStatus: q.delivery_status,
      },
      { limit: q.limit, cursor: q.cursor },
    );
    return c.json({ data: result.data.map((r) => JSON.parse(r.body) as CanonicalEvent), next_cursor: result.next_cursor }, 200);
  });

  app.openapi(routes.get, async (c) => {
    const detail = await getEventDetail(dbOf(c.env), c.get("workspaceId"), c.req.valid("param").id);
    if (!detail) throw notFound("event");
    return c.json(
      {
        ...(JSON.parse(detail.event.body) as CanonicalEvent),
        raw: parseRaw(detail.event.raw),
        deliveries: detail.deliveries.map((d) => ({ ...deliveryView(d), attempts: d.attempts.map(attemptView) })),
      },
      200,
    );
  });
}
