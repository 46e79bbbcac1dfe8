import { createRoute, z } from "@hono/zod-openapi";
import { attemptsOfDeliveryQuery, withFirstAttempt } from "../../db/attempts";
import { dbOf } from "../../db/client";
import { deliveryQuery } from "../../db/deliveries-reads";
import { notFound } from "../../lib/errors";
import type { createRouter } from "../app";
import { errorResponses, idParam } from "../openapi";
import { attemptSchema, attemptView, deliverySchema, deliveryView, tags } from "./view";

const route = createRoute({
  method: "get",
  path: "/v1/deliveries/{id}",
  tags,
  summary: "A delivery with every attempt",
  request: { params: idParam("dlv") },
  responses: {
    200: { description: "the delivery", content: { "application/json": { schema: deliverySchema.extend({ attempts: z.array(attemptSchema) }) } } },
    ...errorResponses(401, 404),
  },
});

export function registerGetDelivery(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    const db = dbOf(c.env);
    const ws = c.get("workspaceId");
    const id = c.req.valid("param").id;
    // One round trip: the delivery and its attempts.
    const [rows, attemptRows] = await db.batch([deliveryQuery(db, ws, id), attemptsOfDeliveryQuery(db, ws, id)]);
    const row = rows[0];
    if (!row) throw notFound("delivery");
    return c.json({ ...deliveryView(row), attempts: withFirstAttempt(row, attemptRows).map(attemptView) }, 200);
  });
}
