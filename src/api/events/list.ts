import { createRoute, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/client";
import { DELIVERY_STATUSES } from "../../db/schema";
import type { CanonicalEvent } from "../../events/canonical";
import { listEvents } from "../../events/log";
import type { createRouter } from "../app";
import { errorResponses } from "../openapi";
import { msOf, pageQuerySchema, timeRangeSchema } from "../pagination";
import { canonicalEvent } from "./view";

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

const eventList = z.object({ data: z.array(canonicalEvent), next_cursor: z.string().nullable() }).openapi("EventList");

const route = createRoute({
  method: "get",
  path: "/v1/events",
  tags: ["events"],
  summary: "Search events, newest first (by type, source, order reference, tracking number, time)",
  request: { query: eventQuerySchema },
  responses: { 200: { description: "a page", content: { "application/json": { schema: eventList } } }, ...errorResponses(400, 401) },
});

export function registerListEvents(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
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
}
