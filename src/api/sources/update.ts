import { createRoute } from "@hono/zod-openapi";
import { updateSourceSchema } from "../../sources/schemas";
import { updateSourceConfig } from "../../sources/update";
import type { createRouter } from "../app";
import { errorResponses, jsonBody } from "../openapi";
import { SourceId, sourceResponse, sourceView, tags } from "./view";

const route = createRoute({
  method: "patch",
  path: "/v1/sources/{id}",
  tags,
  summary: "Update a source",
  request: { params: SourceId, body: jsonBody(updateSourceSchema) },
  responses: { 200: sourceResponse("updated"), ...errorResponses(400, 401, 404, 415, 503) },
});

export function registerUpdateSource(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    const { row, reveal } = await updateSourceConfig(c.env, c.get("workspaceId"), c.req.valid("param").id, c.req.valid("json"));
    return c.json(sourceView(c.env, c.req.url, row, reveal), 200);
  });
}
