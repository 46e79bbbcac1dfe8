import { createRoute, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/client";
import { listDestinationRows } from "../../db/destinations";
import { savedDestination } from "../../destinations/saved";
import { requireKeyring } from "../../lib/config";
import type { createRouter } from "../app";
import { errorResponses } from "../openapi";
import { enumListParam, enumValues } from "../filters";
import { keysetOf, page, pageCursors, pageQuerySchema } from "../pagination";
import { destinationSchema, destinationView, jsonResponse, tags } from "./view";

const STATUSES = ["active", "paused", "disabled"] as const;

const destinationList = z.object({ data: z.array(destinationSchema), ...pageCursors });

const route = createRoute({
  method: "get",
  path: "/v1/destinations",
  tags,
  summary: "List destinations, newest first",
  request: { query: pageQuerySchema.extend({ status: enumListParam(STATUSES) }) },
  responses: { 200: jsonResponse(destinationList, "a page"), ...errorResponses(400, 401) },
});

export function registerListDestinations(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const keyset = keysetOf(q);
    const rows = await listDestinationRows(dbOf(c.env), c.get("workspaceId"), q.limit + 1, keyset, enumValues(q.status, STATUSES));
    const result = page(rows, q.limit, (r) => ({ at: r.createdAt, id: r.id }), keyset);
    const data = await Promise.all(
      result.data.map(async (row) => destinationView(c.env, await savedDestination(await requireKeyring(c.env), row))),
    );
    return c.json({ data, next_cursor: result.next_cursor, prev_cursor: result.prev_cursor }, 200);
  });
}
