import { createRoute } from "@hono/zod-openapi";
import { listWebhooks } from "../../registration";
import { openSourceOf } from "../../sources/open";
import type { createRouter } from "../app";
import { errorResponses } from "../openapi";
import { keysetOf, page, pageQuerySchema, type Keyset } from "../pagination";
import type { Page } from "../../lib/pagination";
import { SourceId, tags, webhookListSchema } from "./schemas";

const route = createRoute({
  method: "get",
  path: "/v1/sources/{id}/webhooks",
  tags,
  summary: "The source's registered webhooks, checked live against the provider's list",
  request: { params: SourceId, query: pageQuerySchema },
  responses: {
    200: { description: "a page", content: { "application/json": { schema: webhookListSchema } } },
    ...errorResponses(400, 401, 404, 503),
  },
});

/** Keyset pagination (newest first, both ways) over the few rows a source has, in memory: one per event. */
function pager(limit: number, keyset: Keyset) {
  const from = keyset.from;
  return <T extends { createdAt: number; id: string }>(rows: T[]): Page<T> => {
    const newestFirst = [...rows].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    const older = (r: T) => !from || r.createdAt < from.at || (r.createdAt === from.at && r.id < from.id);
    const newer = (r: T) => !!from && (r.createdAt > from.at || (r.createdAt === from.at && r.id > from.id));
    // Read in the keyset's direction (paging back reads oldest first), as a query would.
    const read = keyset.direction === "newer" ? newestFirst.filter(newer).reverse() : newestFirst.filter(older);
    return page(read.slice(0, limit + 1), limit, (r) => ({ at: r.createdAt, id: r.id }), keyset);
  };
}

export function registerListWebhooks(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    const source = await openSourceOf(c.env, c.get("workspaceId"), c.req.valid("param").id);
    const q = c.req.valid("query");
    return c.json(await listWebhooks({ env: c.env, requestUrl: c.req.url }, source, pager(q.limit, keysetOf(q))), 200);
  });
}
