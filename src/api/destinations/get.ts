import { createRoute } from "@hono/zod-openapi";
import { dbOf } from "../../db/client";
import { getDestinationRow } from "../../db/destinations";
import { savedDestination } from "../../destinations/saved";
import { requireKeyring } from "../../lib/config";
import { notFound } from "../../lib/errors";
import type { createRouter } from "../app";
import { errorResponses } from "../openapi";
import { DestinationId, destinationSchema, destinationView, jsonResponse, tags } from "./view";

const route = createRoute({
  method: "get",
  path: "/v1/destinations/{id}",
  tags,
  summary: "Get a destination",
  request: { params: DestinationId },
  responses: { 200: jsonResponse(destinationSchema, "the destination"), ...errorResponses(401, 404) },
});

export function registerGetDestination(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    const row = await getDestinationRow(dbOf(c.env), c.get("workspaceId"), c.req.valid("param").id);
    if (!row) throw notFound("destination");
    return c.json(destinationView(c.env, await savedDestination(await requireKeyring(c.env), row)), 200);
  });
}
