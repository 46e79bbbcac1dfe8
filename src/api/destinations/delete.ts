import { createRoute } from "@hono/zod-openapi";
import { dbOf } from "../../db/client";
import { deleteDestination } from "../../db/destinations";
import { notFound } from "../../lib/errors";
import type { createRouter } from "../app";
import { errorResponses } from "../openapi";
import { DestinationId, tags } from "./view";

const route = createRoute({
  method: "delete",
  path: "/v1/destinations/{id}",
  tags,
  summary: "Delete a destination (its delivery log stays)",
  request: { params: DestinationId },
  responses: { 204: { description: "deleted" }, ...errorResponses(401, 404) },
});

export function registerDeleteDestination(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    if (!(await deleteDestination(dbOf(c.env), c.get("workspaceId"), c.req.valid("param").id))) throw notFound("destination");
    return c.body(null, 204);
  });
}
