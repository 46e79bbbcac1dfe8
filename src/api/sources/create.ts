import { createRoute } from "@hono/zod-openapi";
import { createSource } from "../../sources/create";
import { createSourceSchema } from "../../sources/schemas";
import type { createRouter } from "../app";
import { errorResponses, jsonBody } from "../openapi";
import { sourceResponse, sourceView, tags } from "./view";

const route = createRoute({
  method: "post",
  path: "/v1/sources",
  tags,
  summary: "Create a source (where a provider sends)",
  request: { body: jsonBody(createSourceSchema) },
  responses: { 201: sourceResponse("created"), ...errorResponses(400, 401, 415, 503) },
});

export function registerCreateSource(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    const { row, reveal } = await createSource(c.env, c.get("workspaceId"), c.req.valid("json"));
    return c.json(sourceView(c.env, c.req.url, row, reveal), 201);
  });
}
