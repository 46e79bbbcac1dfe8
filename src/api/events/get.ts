import { createRoute } from "@hono/zod-openapi";
import { dbOf } from "../../db/client";
import type { CanonicalEvent } from "../../events/canonical";
import { getEventDetail, parseRaw } from "../../events/log";
import { notFound } from "../../lib/errors";
import type { createRouter } from "../app";
import { attemptView, deliveryView } from "../deliveries/view";
import { errorResponses, idParam } from "../openapi";
import { eventDetailSchema } from "./view";

const route = createRoute({
  method: "get",
  path: "/v1/events/{id}",
  tags: ["events"],
  summary: "An event with its raw payload and its deliveries, each with every attempt",
  request: { params: idParam("evt") },
  responses: {
    200: { description: "the event", content: { "application/json": { schema: eventDetailSchema } } },
    ...errorResponses(401, 404),
  },
});

export function registerGetEvent(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
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
