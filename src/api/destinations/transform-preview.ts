import { createRoute, z } from "@hono/zod-openapi";
import { previewTransform } from "../../destinations/transform-preview";
import type { createRouter } from "../app";
import { errorResponses, jsonBody } from "../openapi";
import { DestinationId, jsonResponse, tags } from "./view";

const transformField = z
  .string()
  .max(10_000)
  .nullable()
  .optional()
  .openapi({ description: "Try this expression instead of the saved one (null: none)" });
const previewBody = z
  .union([
    z.strictObject({ event_id: z.string().min(1).max(100), transform: transformField }),
    z.strictObject({ event: z.record(z.string(), z.unknown()).openapi({ description: "A canonical event" }), transform: transformField }),
  ])
  .openapi("TransformPreview");

const route = createRoute({
  method: "post",
  path: "/v1/destinations/{id}/transform/preview",
  tags,
  summary: "The body this destination would be sent for a stored or given event (its transform applied)",
  request: { params: DestinationId, body: jsonBody(previewBody) },
  responses: {
    200: jsonResponse(z.object({ body: z.unknown() }).openapi("TransformPreviewResult"), "the body as it would be sent"),
    ...errorResponses(400, 401, 404, 415),
  },
});

export function registerTransformPreview(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    const body = await previewTransform(c.env, c.get("workspaceId"), c.req.valid("param").id, c.req.valid("json"));
    return c.json({ body }, 200);
  });
}
