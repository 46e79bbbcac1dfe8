import { createRoute, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/client";
import { listDestinationRows } from "../../db/destinations";
import { savedDestination } from "../../destinations/saved";
import { requireKeyring } from "../../lib/config";
import type { createRouter } from "../app";
import { errorResponses } from "../openapi";
import { decodeCursor, page, pageQuerySchema } from "../pagination";
import { destinationSchema, destinationView, jsonResponse, tags } from "./view";

const destinationList = z.object({ data: z.array(destinationSchema), next_cursor: z.string().nullable() });

const route = createRoute({
  method: "get",
  path: "/v1/destinations",
  tags,
  summary: "List destinations, newest first",
  request: { query: pageQuerySchema },
  responses: { 200: jsonResponse(destinationList, "a page"), ...errorResponses(400, 401) },
});

export function registerListDestinations(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const rows = await listDestinationRows(dbOf(c.env), c.get("workspaceId"), limit + 1, decodeCursor(cursor));
    const result = page(rows, limit, (r) => ({ at: r.createdAt, id: r.id }));
    const data = await Promise.all(
      result.data.map(async (row) => destinationView(c.env, await savedDestination(await requireKeyring(c.env), row))),
    );
    return c.json({ data, next_cursor: result.next_cursor }, 200);
  });
}
