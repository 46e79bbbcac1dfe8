import { createRoute } from "@hono/zod-openapi";
import { updateDestinationSchema } from "../../destinations/schemas";
import { updateDestinationConfig } from "../../destinations/update";
import type { createRouter } from "../app";
import { errorResponses, jsonBody } from "../openapi";
import { DestinationId, destinationSchema, destinationView, jsonResponse, tags } from "./view";

const route = createRoute({
  method: "patch",
  path: "/v1/destinations/{id}",
  tags,
  summary: "Update a destination; setting status active drains what waited while paused or disabled",
  request: { params: DestinationId, body: jsonBody(updateDestinationSchema) },
  responses: { 200: jsonResponse(destinationSchema, "updated"), ...errorResponses(400, 401, 404, 415, 422, 503) },
});

export function registerUpdateDestination(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    const saved = await updateDestinationConfig(c.env, c.get("workspaceId"), c.req.valid("param").id, c.req.valid("json"));
    return c.json(destinationView(c.env, saved), 200);
  });
}
