import { createRoute, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/client";
import { getDestinationRow } from "../../db/destinations";
import { destinationStats } from "../../destinations/stats";
import { notFound } from "../../lib/errors";
import type { createRouter } from "../app";
import { errorResponses } from "../openapi";
import { iso } from "../pagination";
import { DestinationId, jsonResponse, tags } from "./view";

const statsSchema = z
  .object({
    trigger_count: z.number(),
    success_count: z.number(),
    failure_count: z.number(),
    last_triggered_at: z.string().nullable(),
    last_success_at: z.string().nullable(),
    p50_ms: z.number().nullable(),
    p95_ms: z.number().nullable(),
  })
  .openapi("DestinationStats");

const route = createRoute({
  method: "get",
  path: "/v1/destinations/{id}/stats",
  tags,
  summary: "Delivery attempt counts and durations",
  request: { params: DestinationId },
  responses: { 200: jsonResponse(statsSchema, "stats"), ...errorResponses(401, 404) },
});

export function registerDestinationStats(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    const db = dbOf(c.env);
    const row = await getDestinationRow(db, c.get("workspaceId"), c.req.valid("param").id);
    if (!row) throw notFound("destination");
    const s = await destinationStats(db, row.id);
    return c.json(
      {
        trigger_count: s.attempts,
        success_count: s.succeeded,
        failure_count: s.attempts - s.succeeded,
        last_triggered_at: iso(s.lastTriggeredAt),
        last_success_at: iso(s.lastSuccessAt),
        p50_ms: s.p50,
        p95_ms: s.p95,
      },
      200,
    );
  });
}
