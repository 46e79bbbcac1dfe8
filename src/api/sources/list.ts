import { createRoute, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/client";
import { listSourceRows } from "../../db/sources";
import type { createRouter } from "../app";
import { errorResponses } from "../openapi";
import { decodeCursor, page, pageQuerySchema } from "../pagination";
import { sourceSchema, sourceView, tags } from "./view";

const sourceList = z.object({ data: z.array(sourceSchema), next_cursor: z.string().nullable() }).openapi("SourceList");

const route = createRoute({
  method: "get",
  path: "/v1/sources",
  tags,
  summary: "List sources, newest first",
  request: { query: pageQuerySchema },
  responses: { 200: { description: "a page", content: { "application/json": { schema: sourceList } } }, ...errorResponses(400, 401) },
});

export function registerListSources(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const rows = await listSourceRows(dbOf(c.env), c.get("workspaceId"), limit + 1, decodeCursor(cursor));
    const result = page(rows, limit, (r) => ({ at: r.createdAt, id: r.id }));
    return c.json({ data: result.data.map((r) => sourceView(c.env, c.req.url, r)), next_cursor: result.next_cursor }, 200);
  });
}
