import { createRoute, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/client";
import { listPendingFetchRows } from "../../db/pending-fetches";
import { discardPendingFetch, retryPendingFetch } from "../../ingest/pending-fetches";
import type { createRouter } from "../app";
import { errorResponses, idParam } from "../openapi";
import { decodeCursor, page, pageQuerySchema } from "../pagination";
import { pendingFetchSchema, pendingFetchView, tags } from "./view";

/**
 * `/v1/pending-fetches`: pointer callbacks (answered `200 pending_fetch`) whose resource the
 * jobs queue could not fetch within its retries. They stay here, retried by the housekeeping
 * sweep with backoff, until fetched (then they leave the list) or discarded.
 */
const routes = {
  list: createRoute({
    method: "get",
    path: "/v1/pending-fetches",
    tags,
    summary: "Pointer callbacks whose fetch keeps failing, newest first",
    request: { query: pageQuerySchema },
    responses: {
      200: {
        description: "a page",
        content: { "application/json": { schema: z.object({ data: z.array(pendingFetchSchema), next_cursor: z.string().nullable() }) } },
      },
      ...errorResponses(400, 401),
    },
  }),
  retry: createRoute({
    method: "post",
    path: "/v1/pending-fetches/{id}/retry",
    tags,
    summary: "Try the fetch again now (in the background); fetched, it leaves the list and its events are relayed",
    request: { params: idParam("pft") },
    responses: {
      202: { description: "queued", content: { "application/json": { schema: pendingFetchSchema } } },
      ...errorResponses(401, 404),
    },
  }),
  discard: createRoute({
    method: "delete",
    path: "/v1/pending-fetches/{id}",
    tags,
    summary: "Give the callback up: no more tries; its ingest-log row says fetch_discarded",
    request: { params: idParam("pft") },
    responses: { 204: { description: "discarded" }, ...errorResponses(401, 404) },
  }),
};

export function registerPendingFetchRoutes(app: ReturnType<typeof createRouter>) {
  app.openapi(routes.list, async (c) => {
    const q = c.req.valid("query");
    const rows = await listPendingFetchRows(dbOf(c.env), c.get("workspaceId"), q.limit, decodeCursor(q.cursor));
    const result = page(rows, q.limit, (r) => ({ at: r.createdAt, id: r.id }));
    return c.json({ data: result.data.map(pendingFetchView), next_cursor: result.next_cursor }, 200);
  });
  app.openapi(routes.retry, async (c) => {
    const row = await retryPendingFetch(c.env, c.get("workspaceId"), c.req.valid("param").id);
    return c.json(pendingFetchView(row), 202);
  });
  app.openapi(routes.discard, async (c) => {
    await discardPendingFetch(c.env, c.get("workspaceId"), c.req.valid("param").id);
    return c.body(null, 204);
  });
}
