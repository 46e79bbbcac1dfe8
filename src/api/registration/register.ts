import { createRoute, type z } from "@hono/zod-openapi";
import { registerWebhooks } from "../../registration";
import { openSourceOf } from "../../sources/open";
import type { createRouter } from "../app";
import { errorResponses, jsonBody } from "../openapi";
import { partialFailure } from "./failure";
import { providerFailure, registerBodySchema, registerResultSchema, SourceId, tags } from "./schemas";

const route = createRoute({
  method: "post",
  path: "/v1/sources/{id}/register",
  tags,
  summary: "Subscribe the source's ingest URL at the provider (ShipStation v1, ShipEngine, ShipStation v2); idempotent",
  request: { params: SourceId, body: jsonBody(registerBodySchema, false) },
  responses: {
    200: { description: "registered", content: { "application/json": { schema: registerResultSchema } } },
    422: providerFailure("missing_credentials, provider_rejected (the provider refused: 4xx), registration_not_supported"),
    502: providerFailure("provider_error: the provider is unreachable or failed (5xx)"),
    ...errorResponses(400, 401, 404, 409, 415, 503),
  },
});

export function registerRegisterWebhooks(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    const source = await openSourceOf(c.env, c.get("workspaceId"), c.req.valid("param").id);
    const body = (c.req.valid("json") ?? {}) as z.infer<typeof registerBodySchema>;
    try {
      return c.json(await registerWebhooks({ env: c.env, requestUrl: c.req.url }, source, body.events), 200);
    } catch (err) {
      return partialFailure(c, err);
    }
  });
}
