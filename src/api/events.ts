import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, gte, lt, or } from "drizzle-orm";
import { dbOf } from "../db/client";
import { deliveries, events } from "../db/schema";
import { notFound } from "../lib/errors";
import type { createRouter } from "./app";
import { deliveryView } from "./deliveries";
import { errorResponses, idParam } from "./openapi";
import { decodeCursor, msOf, page, pageQuerySchema, timeRangeSchema } from "./pagination";

const eventQuerySchema = pageQuerySchema.extend(timeRangeSchema.shape).extend({
  type: z.string().max(100).optional(),
  source: z.string().max(100).optional(),
  order: z.string().max(300).optional().openapi({ description: "order reference" }),
  tracking_number: z.string().max(100).optional(),
});

const canonicalEvent = z.record(z.string(), z.unknown()).openapi("CanonicalEvent", { description: "See EVENTS.md" });
const eventList = z.object({ data: z.array(canonicalEvent), next_cursor: z.string().nullable() });

function parseRaw(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

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
    summary: "An event with its raw payload and its deliveries",
    request: { params: idParam("evt") },
    responses: {
      200: { description: "the event", content: { "application/json": { schema: canonicalEvent } } },
      ...errorResponses(401, 404),
    },
  }),
};

export function registerEventRoutes(app: ReturnType<typeof createRouter>) {
  app.openapi(routes.list, async (c) => {
    const q = c.req.valid("query");
    const after = decodeCursor(q.cursor);
    const since = msOf(q.since);
    const until = msOf(q.until);
    const rows = await dbOf(c.env)
      .select({ id: events.id, body: events.body, createdAt: events.createdAt })
      .from(events)
      .where(
        and(
          eq(events.workspaceId, c.get("workspaceId")),
          q.type ? eq(events.type, q.type) : undefined,
          q.source ? eq(events.sourceId, q.source) : undefined,
          q.order ? eq(events.orderReference, q.order) : undefined,
          q.tracking_number ? eq(events.trackingNumber, q.tracking_number) : undefined,
          since !== undefined ? gte(events.createdAt, since) : undefined,
          until !== undefined ? lt(events.createdAt, until) : undefined,
          after ? or(lt(events.createdAt, after.at), and(eq(events.createdAt, after.at), lt(events.id, after.id))) : undefined,
        ),
      )
      .orderBy(desc(events.createdAt), desc(events.id))
      .limit(q.limit + 1);
    const result = page(rows, q.limit, (r) => ({ at: r.createdAt, id: r.id }));
    return c.json({ data: result.data.map((r) => JSON.parse(r.body) as Record<string, unknown>), next_cursor: result.next_cursor }, 200);
  });

  app.openapi(routes.get, async (c) => {
    const db = dbOf(c.env);
    const ws = c.get("workspaceId");
    const id = c.req.valid("param").id;
    const [eventRows, deliveryRows] = await db.batch([
      db.select().from(events).where(and(eq(events.workspaceId, ws), eq(events.id, id))),
      db
        .select()
        .from(deliveries)
        .where(and(eq(deliveries.workspaceId, ws), eq(deliveries.eventId, id)))
        .orderBy(deliveries.createdAt),
    ]);
    const row = eventRows[0];
    if (!row) throw notFound("event");
    return c.json(
      {
        ...(JSON.parse(row.body) as Record<string, unknown>),
        raw: parseRaw(row.raw),
        deliveries: deliveryRows.map(deliveryView),
      },
      200,
    );
  });
}
