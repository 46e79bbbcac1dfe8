import { createRoute, z } from "@hono/zod-openapi";
import { deleteSourceAndWebhooks } from "../../sources/delete";
import type { createRouter } from "../app";
import { errorResponses } from "../openapi";
import { SourceId, tags } from "./view";

const route = createRoute({
  method: "delete",
  path: "/v1/sources/{id}",
  tags,
  summary: "Delete a source (its events stay in the log); webhooks registered at the provider are unsubscribed first",
  request: {
    params: SourceId,
    query: z.object({
      force: z.enum(["true", "false"]).optional().openapi({ description: "delete even if unsubscribing at the provider fails" }),
    }),
  },
  responses: { 204: { description: "deleted" }, ...errorResponses(401, 404, 409) },
});

export function registerDeleteSource(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    await deleteSourceAndWebhooks(c.env, c.get("workspaceId"), c.req.valid("param").id, {
      force: c.req.valid("query").force === "true",
      requestUrl: c.req.url,
    });
    return c.body(null, 204);
  });
}
