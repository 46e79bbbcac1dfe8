import { createRoute } from "@hono/zod-openapi";
import { dbOf } from "../../db/client";
import { getSourceRow } from "../../db/sources";
import { notFound } from "../../lib/errors";
import type { createRouter } from "../app";
import { errorResponses } from "../openapi";
import { SourceId, sourceResponse, sourceView, tags } from "./view";

const route = createRoute({
  method: "get",
  path: "/v1/sources/{id}",
  tags,
  summary: "Get a source",
  request: { params: SourceId },
  responses: { 200: sourceResponse("the source"), ...errorResponses(401, 404) },
});

export function registerGetSource(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    const row = await getSourceRow(dbOf(c.env), c.get("workspaceId"), c.req.valid("param").id);
    if (!row) throw notFound("source");
    return c.json(sourceView(c.env, c.req.url, row), 200);
  });
}
