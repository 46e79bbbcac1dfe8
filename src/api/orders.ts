import { createRoute, z } from "@hono/zod-openapi";
import { dbOf } from "../db/client";
import { DELIVERY_STATUSES } from "../db/schema";
import { orderTimeline, type OrderTimeline } from "../events/order-timeline";
import { notFound } from "../lib/errors";
import type { createRouter } from "./app";
import { canonicalEvent } from "./events/view";
import { errorResponses } from "./openapi";

/** `GET /v1/orders/{reference}` and `GET /v1/orders?tracking_number=…` (CONTRACT.md, Additions, "Orders"). */

const orderSchema = z
  .object({
    reference: z.string().nullable().openapi({ description: "the order reference (null when only a tracking number matched and no event named the order)" }),
    events: z.array(canonicalEvent).openapi({ description: "every event of the order and of its tracking numbers, in sequence (arrival order)" }),
    tracking: z
      .object({ status: z.string().nullable(), carrier: z.string().nullable(), tracking_number: z.string().nullable() })
      .nullable()
      .openapi({ description: "where the shipment stands, from the latest event that carries each; null when none does" }),
    deliveries: z
      .array(z.object({ destination_id: z.string(), url: z.string().nullable(), status: z.enum(DELIVERY_STATUSES), event_id: z.string() }))
      .openapi({ description: "each destination's delivery of each event (url null once the destination is deleted)" }),
  })
  .openapi("Order");

const json = { description: "the order", content: { "application/json": { schema: orderSchema } } };
const tags = ["orders"];

const routes = {
  byReference: createRoute({
    method: "get",
    path: "/v1/orders/{reference}",
    tags,
    summary: "An order's timeline by its reference (URL-encoded: %2F for /)",
    request: { params: z.object({ reference: z.string().min(1).max(300).openapi({ param: { name: "reference", in: "path" }, example: "ORD-1001" }) }) },
    responses: { 200: json, ...errorResponses(400, 401, 404) },
  }),
  byTracking: createRoute({
    method: "get",
    path: "/v1/orders",
    tags,
    summary: "The order a tracking number belongs to, with its timeline",
    request: { query: z.object({ tracking_number: z.string().min(1).max(100) }) },
    responses: { 200: json, ...errorResponses(400, 401, 404) },
  }),
};

const view = ({ reference, events, tracking, deliveries }: OrderTimeline) => ({ reference, events, tracking, deliveries });

export function registerOrderRoutes(app: ReturnType<typeof createRouter>) {
  app.openapi(routes.byReference, async (c) => {
    const found = await orderTimeline(dbOf(c.env), c.get("workspaceId"), { reference: c.req.valid("param").reference });
    if (!found) throw notFound("order");
    return c.json(view(found), 200);
  });
  app.openapi(routes.byTracking, async (c) => {
    const found = await orderTimeline(dbOf(c.env), c.get("workspaceId"), { trackingNumber: c.req.valid("query").tracking_number });
    if (!found) throw notFound("order");
    return c.json(view(found), 200);
  });
}
