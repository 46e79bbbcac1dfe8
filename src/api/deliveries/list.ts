import { createRoute, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/client";
import { listDeliveries } from "../../db/deliveries-reads";
import { DELIVERY_STATUSES } from "../../db/schema";
import type { createRouter } from "../app";
import { errorResponses } from "../openapi";
import { decodeCursor, msOf, page, pageQuerySchema, timeRangeSchema } from "../pagination";
import { deliverySchema, deliveryView, tags } from "./view";

const deliveryQuerySchema = pageQuerySchema.extend(timeRangeSchema.shape).extend({
  destination: z.string().max(100).optional(),
  event: z.string().max(100).optional(),
  type: z.string().max(100).optional(),
  status: z.enum(DELIVERY_STATUSES).optional(),
});

const route = createRoute({
  method: "get",
  path: "/v1/deliveries",
  tags,
  summary: "List deliveries, newest first",
  request: { query: deliveryQuerySchema },
  responses: {
    200: { description: "a page", content: { "application/json": { schema: z.object({ data: z.array(deliverySchema), next_cursor: z.string().nullable() }) } } },
    ...errorResponses(400, 401),
  },
});

export function registerListDeliveries(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const rows = await listDeliveries(
      dbOf(c.env),
      c.get("workspaceId"),
      {
        destinationId: q.destination,
        eventId: q.event,
        eventType: q.type,
        status: q.status,
        since: msOf(q.since),
        until: msOf(q.until),
        before: decodeCursor(q.cursor),
      },
      q.limit + 1,
    );
    const result = page(rows, q.limit, (r) => ({ at: r.createdAt, id: r.id }));
    return c.json({ data: result.data.map(deliveryView), next_cursor: result.next_cursor }, 200);
  });
}
