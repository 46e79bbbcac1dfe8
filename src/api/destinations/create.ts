import { createRoute } from "@hono/zod-openapi";
import { createDestination } from "../../destinations/create";
import { createDestinationSchema } from "../../destinations/schemas";
import type { createRouter } from "../app";
import { errorResponses, jsonBody } from "../openapi";
import { destinationSchema, destinationView, jsonResponse, tags } from "./view";

const route = createRoute({
  method: "post",
  path: "/v1/destinations",
  tags,
  summary: "Create a destination (where customers receive)",
  request: { body: jsonBody(createDestinationSchema) },
  responses: { 201: jsonResponse(destinationSchema, "created"), ...errorResponses(400, 401, 415, 422, 503) },
});

export function registerCreateDestination(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    const saved = await createDestination(c.env, c.get("workspaceId"), c.req.valid("json"));
    return c.json(destinationView(c.env, saved), 201);
  });
}
