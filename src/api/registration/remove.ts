import { createRoute } from "@hono/zod-openapi";
import { removeWebhooks } from "../../registration";
import { openSourceOf } from "../../sources/open";
import type { createRouter } from "../app";
import { errorResponses } from "../openapi";
import { partialFailure } from "./failure";
import { providerFailure, removeResultSchema, SourceId, tags } from "./schemas";

const route = createRoute({
  method: "delete",
  path: "/v1/sources/{id}/webhooks",
  tags,
  summary: "Unsubscribe the source at the provider and forget its webhooks",
  request: { params: SourceId },
  responses: {
    200: { description: "removed", content: { "application/json": { schema: removeResultSchema } } },
    422: providerFailure("missing_credentials, provider_rejected"),
    502: providerFailure("provider_error"),
    ...errorResponses(401, 404, 409, 503),
  },
});

export function registerRemoveWebhooks(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    const source = await openSourceOf(c.env, c.get("workspaceId"), c.req.valid("param").id);
    try {
      return c.json(await removeWebhooks({ env: c.env, requestUrl: c.req.url }, source), 200);
    } catch (err) {
      return partialFailure(c, err);
    }
  });
}
