import { createRoute } from "@hono/zod-openapi";
import { listWebhooks } from "../../registration";
import { openSourceOf } from "../../sources/open";
import type { createRouter } from "../app";
import { errorResponses } from "../openapi";
import { decodeCursor, encodeCursor, pageQuerySchema } from "../pagination";
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

/** Keyset pagination (newest first) over the few rows a source has: one per event. */
function pager(limit: number, cursor: string | undefined) {
  const after = decodeCursor(cursor);
  return <T extends { createdAt: number; id: string }>(rows: T[]) => {
    const sorted = [...rows].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    const rest = after ? sorted.filter((r) => r.createdAt < after.at || (r.createdAt === after.at && r.id < after.id)) : sorted;
    const data = rest.slice(0, limit);
    const last = data[data.length - 1];
    return { data, next_cursor: rest.length > limit && last ? encodeCursor(last.createdAt, last.id) : null };
  };
}

export function registerListWebhooks(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    const source = await openSourceOf(c.env, c.get("workspaceId"), c.req.valid("param").id);
    const { limit, cursor } = c.req.valid("query");
    return c.json(await listWebhooks({ env: c.env, requestUrl: c.req.url }, source, pager(limit, cursor)), 200);
  });
}
