import { createRoute } from "@hono/zod-openapi";
import { rotateSigningSecret } from "../../destinations/rotate";
import type { createRouter } from "../app";
import { errorResponses, noOptionsBody } from "../openapi";
import { DestinationId, destinationSchema, destinationView, jsonResponse, tags } from "./view";

const route = createRoute({
  method: "post",
  path: "/v1/destinations/{id}/rotate-secret",
  tags,
  summary: "New signing secret; for 24 h deliveries carry both signatures",
  request: { params: DestinationId, body: noOptionsBody() },
  responses: { 200: jsonResponse(destinationSchema, "the destination with its new signing_secret"), ...errorResponses(400, 401, 404, 503) },
});

export function registerRotateDestinationSecret(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    const saved = await rotateSigningSecret(c.env, c.get("workspaceId"), c.req.valid("param").id);
    return c.json(destinationView(c.env, saved), 200);
  });
}
