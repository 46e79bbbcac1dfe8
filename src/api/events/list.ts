import { createRoute, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/client";
import { DELIVERY_STATUSES } from "../../db/schema";
import type { CanonicalEvent } from "../../events/canonical";
import { listEvents } from "../../events/log";
import type { createRouter } from "../app";
import { errorResponses } from "../openapi";
import { enumListParam, enumValues, listParam, typeParam, values } from "../filters";
import { msOf, pageCursors, pageQuerySchema, timeRangeSchema } from "../pagination";
import { canonicalEvent } from "./view";

const eventQuerySchema = pageQuerySchema.extend(timeRangeSchema.shape).extend({
  type: typeParam,
  source: listParam("source ids (src_…)"),
  order: z.string().max(300).optional().openapi({ description: "order reference" }),
  tracking_number: z.string().max(100).optional(),
  delivery_status: enumListParam(DELIVERY_STATUSES, "only events with at least one delivery in one of these states"),
});

const eventList = z.object({ data: z.array(canonicalEvent), ...pageCursors }).openapi("EventList");

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
        types: values(q.type),
        sources: values(q.source),
        order: q.order,
        trackingNumber: q.tracking_number,
        since: msOf(q.since),
        until: msOf(q.until),
        deliveryStatuses: enumValues(q.delivery_status, DELIVERY_STATUSES),
      },
      q,
    );
    const data = result.data.map((r) => JSON.parse(r.body) as CanonicalEvent);
    return c.json({ data, next_cursor: result.next_cursor, prev_cursor: result.prev_cursor }, 200);
  });
}
