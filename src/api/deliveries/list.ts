import { createRoute, z } from "@hono/zod-openapi";
import { dbOf, type Db } from "../../db/client";
import { listDeliveries, type DeliveryFilter } from "../../db/deliveries-reads";
import { destinationIdsByUrl } from "../../db/destinations";
import { DELIVERY_STATUSES } from "../../db/schema";
import type { createRouter } from "../app";
import { errorResponses } from "../openapi";
import { enumListParam, enumValues, listParam, typeParam, values } from "../filters";
import { keysetOf, msOf, page, pageCursors, pageQuerySchema, timeRangeSchema } from "../pagination";
import { deliverySchema, deliveryView, tags } from "./view";

const deliveryQuerySchema = pageQuerySchema.extend(timeRangeSchema.shape).extend({
  destination: listParam("destination ids (dst_…)"),
  destination_url: listParam("exact URLs of the workspace's destinations"),
  event: z.string().max(100).optional(),
  type: typeParam,
  status: enumListParam(DELIVERY_STATUSES),
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
    const filter = await deliveryFilter(db, c.get("workspaceId"), q);
    const rows = await listDeliveries(db, c.get("workspaceId"), filter, keyset, q.limit + 1);
    const { data, ...cursors } = page(rows, q.limit, (r) => ({ at: r.createdAt, id: r.id }), keyset);
    return c.json({ data: data.map(deliveryView), ...cursors }, 200);
  });
}

/** The query's filters as the reads take them: `destination_url` becomes the ids of those destinations (and with `destination`, both must hold). */
export async function deliveryFilter(db: Db, workspaceId: string, q: z.infer<typeof deliveryFilterSchema>): Promise<DeliveryFilter> {
  let destinationIds = values(q.destination);
  const urls = values(q.destination_url);
  if (urls) {
    const byUrl = await destinationIdsByUrl(db, workspaceId, urls);
    destinationIds = destinationIds ? destinationIds.filter((id) => byUrl.includes(id)) : byUrl;
  }
  return {
    destinationIds,
    eventId: q.event,
    eventTypes: values(q.type),
    statuses: enumValues(q.status, DELIVERY_STATUSES),
    since: msOf(q.since),
    until: msOf(q.until),
  };
}
