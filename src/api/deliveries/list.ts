import { createRoute, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/client";
import { listDeliveries } from "../../db/deliveries-reads";
import { deliveryFilterOf } from "../../delivery/list-filter";
import { DELIVERY_STATUSES } from "../../db/schema";
import type { createRouter } from "../app";
import { errorResponses } from "../openapi";
import { enumListParam, listParam, typeParam } from "../filters";
import { keysetOf, msOf, page, pageCursors, pageQuerySchema, timeRangeSchema } from "../pagination";
import { deliverySchema, deliveryView, tags } from "./view";

const deliveryQuerySchema = pageQuerySchema.extend(timeRangeSchema.shape).extend({
  destination: listParam("destination ids (dst_…)"),
  destination_url: listParam("exact URLs of the workspace's destinations"),
  event: z.string().max(100).optional(),
  type: typeParam,
  status: enumListParam(DELIVERY_STATUSES),
  source: listParam("of events from these sources (src_…)"),
  order: listParam("of events of these order references"),
  tracking_number: listParam("of events with these tracking numbers"),
});

/** The list's filters as the reads take them; shared with the bulk resend's `filter`. */
export const deliveryFilterSchema = deliveryQuerySchema.omit({ limit: true, cursor: true, prev_cursor: true });

const route = createRoute({
  method: "get",
  path: "/v1/deliveries",
  tags,
  summary: "List deliveries, newest first",
  request: { query: deliveryQuerySchema },
  responses: {
    200: { description: "a page", content: { "application/json": { schema: z.object({ data: z.array(deliverySchema), ...pageCursors }) } } },
    ...errorResponses(400, 401),
  },
});

export function registerListDeliveries(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const keyset = keysetOf(q);
    const db = dbOf(c.env);
    const filter = await deliveryFilterOf(db, c.get("workspaceId"), { ...q, since: msOf(q.since), until: msOf(q.until) });
    const rows = await listDeliveries(db, c.get("workspaceId"), filter, keyset, q.limit + 1);
    const { data, ...cursors } = page(rows, q.limit, (r) => ({ at: r.createdAt, id: r.id }), keyset);
    return c.json({ data: data.map(deliveryView), ...cursors }, 200);
  });
}

