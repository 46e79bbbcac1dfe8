import { createRoute, z } from "@hono/zod-openapi";
import { sampleNames, triggerSample } from "../../ingest/trigger";
import type { createRouter } from "../app";
import { errorResponses, jsonBody } from "../openapi";
import { SourceId, tags } from "./view";

const triggerBody = z
  .strictObject({
    sample: z.string().min(3).max(200).openapi({ example: "atoship/label.created", description: "`<provider>/<event>`, one of GET /v1/samples" }),
    live: z.boolean().optional().openapi({ description: "Send as livemode: true (default false)" }),
  })
  .openapi("TriggerSample");

const triggeredSchema = z
  .object({ sample: z.string(), event_ids: z.array(z.string()), livemode: z.boolean() })
  .openapi("TriggeredSample");

const triggerRoute = createRoute({
  method: "post",
  path: "/v1/sources/{id}/trigger",
  tags,
  summary: "Run a bundled sample of the source's provider through its adapter and the normal commit path (a fresh event each time)",
  request: { params: SourceId, body: jsonBody(triggerBody) },
  responses: {
    200: { description: "the events it made", content: { "application/json": { schema: triggeredSchema } } },
    ...errorResponses(400, 401, 404, 415, 422, 503),
  },
});

const samplesRoute = createRoute({
  method: "get",
  path: "/v1/samples",
  tags,
  summary: "The bundled provider samples POST /v1/sources/{id}/trigger runs",
  responses: {
    200: {
      description: "`<provider>/<event>` names",
      content: { "application/json": { schema: z.object({ data: z.array(z.object({ name: z.string(), provider: z.string(), event: z.string() })) }) } },
    },
    ...errorResponses(401),
  },
});

export function registerTriggerRoutes(app: ReturnType<typeof createRouter>) {
  app.openapi(samplesRoute, (c) => {
    const data = sampleNames().map((name) => ({ name, provider: name.split("/")[0]!, event: name.slice(name.indexOf("/") + 1) }));
    return c.json({ data }, 200);
  });
  app.openapi(triggerRoute, async (c) => {
    const { sample, live } = c.req.valid("json");
    return c.json(await triggerSample(c.env, c.get("workspaceId"), c.req.valid("param").id, sample, live ?? false), 200);
  });
}
