import { createRoute, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/client";
import { listSourceRows } from "../../db/sources";
import type { createRouter } from "../app";
import { errorResponses } from "../openapi";
import { keysetOf, page, pageCursors, pageQuerySchema } from "../pagination";
import { sourceSchema, sourceView, tags } from "./view";

const sourceList = z.object({ data: z.array(sourceSchema), ...pageCursors }).openapi("SourceList");

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
    const q = c.req.valid("query");
    const keyset = keysetOf(q);
    const rows = await listSourceRows(dbOf(c.env), c.get("workspaceId"), q.limit + 1, keyset);
    const { data, ...cursors } = page(rows, q.limit, (r) => ({ at: r.createdAt, id: r.id }), keyset);
    return c.json({ data: data.map((r) => sourceView(c.env, c.req.url, r)), ...cursors }, 200);
  });
}
