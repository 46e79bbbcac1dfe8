import { createRoute, z as zo } from "@hono/zod-openapi";
import { z } from "zod";
import { canonicalEventSchema, EVENT_TYPES, RELAY_EVENT_TYPES, TRACKING_STATUSES } from "../events/canonical";
import type { createRouter } from "./app";

/**
 * `GET /v1/schemas/event.json`: the canonical event as JSON Schema (draft 2020-12), generated
 * from the zod schema deliveries are built with, so it cannot drift. Public like
 * /v1/openapi.json: it describes the relay, nothing of a workspace. `type` lists the
 * documented names as `examples` (it stays a string: a newer relay may add one).
 */
export function eventJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(canonicalEventSchema, { target: "draft-2020-12" }) as Record<string, any>;
  schema.$id = "https://shiprelay.dev/schemas/event.json";
  schema.title = "shiprelay canonical event";
  schema.description = "The body of every delivery (unless the destination has a transform). See docs/events.md.";
  schema.properties.type = { type: "string", examples: [...EVENT_TYPES, ...RELAY_EVENT_TYPES] };
  schema.properties.tracking.properties.status.enum = [...TRACKING_STATUSES];
  return schema;
}

const route = createRoute({
  method: "get",
  path: "/v1/schemas/event.json",
  tags: ["events"],
  summary: "The canonical event as JSON Schema (public, no key needed)",
  security: [],
  responses: {
    200: { description: "JSON Schema, draft 2020-12", content: { "application/json": { schema: zo.record(zo.string(), zo.unknown()) } } },
    500: { description: "internal error" },
  },
});

export function registerSchemaRoutes(app: ReturnType<typeof createRouter>) {
  app.openapi(route, (c) => c.json(eventJsonSchema(), 200, { "cache-control": "public, max-age=300" }));
}
