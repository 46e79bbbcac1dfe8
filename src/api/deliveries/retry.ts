import { createRoute } from "@hono/zod-openapi";
import { retryDelivery } from "../../delivery/requeue";
import type { createRouter } from "../app";
import { errorResponses, idParam, noOptionsBody } from "../openapi";
import { deliverySchema, deliveryView, tags } from "./view";

const route = createRoute({
  method: "post",
  path: "/v1/deliveries/{id}/retry",
  tags,
  summary: "Send it again now (also after failed); one more attempt",
  request: { params: idParam("dlv"), body: noOptionsBody() },
  responses: {
    202: { description: "queued", content: { "application/json": { schema: deliverySchema } } },
    ...errorResponses(400, 401, 404),
  },
});

export function registerRetryDelivery(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    const row = await retryDelivery(c.env, c.get("workspaceId"), c.req.valid("param").id);
    return c.json(deliveryView(row), 202);
  });
}
