import { createRoute } from "@hono/zod-openapi";
import { rotateSourceSecret } from "../../sources/rotate";
import { rotateSourceSchema, type RotateSourceInput } from "../../sources/schemas";
import type { createRouter } from "../app";
import { errorResponses, jsonBody } from "../openapi";
import { rotationRegistrationSchema } from "../registration/schemas";
import { SourceId, sourceSchema, sourceView, tags } from "./view";

const route = createRoute({
  method: "post",
  path: "/v1/sources/{id}/rotate-secret",
  tags,
  summary: "Rotate the source's secret (or URL token); the new one is shown once",
  request: { params: SourceId, body: jsonBody(rotateSourceSchema, false) },
  responses: {
    200: {
      description: "the source with its new secret (and, for a url_token source with registered webhooks, `registration`)",
      content: { "application/json": { schema: sourceSchema.extend({ registration: rotationRegistrationSchema.optional() }) } },
    },
    ...errorResponses(400, 401, 404, 422, 503),
  },
});

export function registerRotateSourceSecret(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    const body = (c.req.valid("json") ?? {}) as RotateSourceInput;
    const { row, reveal, registration } = await rotateSourceSecret(c.env, c.get("workspaceId"), c.req.valid("param").id, body.secret, c.req.url);
    return c.json({ ...sourceView(c.env, c.req.url, row, reveal), ...(registration ? { registration } : {}) }, 200);
  });
}
