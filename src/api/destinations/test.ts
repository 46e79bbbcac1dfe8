import { createRoute, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/client";
import { getDestinationRow } from "../../db/destinations";
import { sendDestinationTest } from "../../destinations/test-ping";
import { requireKeyring } from "../../lib/config";
import { notFound } from "../../lib/errors";
import type { createRouter } from "../app";
import { errorResponses, noOptionsBody } from "../openapi";
import { DestinationId, jsonResponse, tags } from "./view";

const attemptSchema = z
  .object({
    status_code: z.number().nullable(),
    duration_ms: z.number(),
    response_body: z.string().nullable(),
    error: z.string().nullable(),
    url: z.string(),
  })
  .openapi("TestAttempt");

const route = createRoute({
  method: "post",
  path: "/v1/destinations/{id}/test",
  tags,
  summary: "Send a test event (livemode false) now and report the endpoint's answer",
  request: { params: DestinationId, body: noOptionsBody() },
  responses: {
    200: jsonResponse(attemptSchema.extend({ payload: z.unknown() }), "the attempt, also when the endpoint failed"),
    ...errorResponses(400, 401, 404, 503),
  },
});

export function registerTestDestination(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    const row = await getDestinationRow(dbOf(c.env), c.get("workspaceId"), c.req.valid("param").id);
    if (!row) throw notFound("destination");
    const { outcome, payload } = await sendDestinationTest(c.env, await requireKeyring(c.env), row);
    return c.json(
      {
        status_code: outcome.statusCode,
        duration_ms: outcome.durationMs,
        response_body: outcome.responseBody,
        error: outcome.error,
        url: outcome.url,
        payload,
      },
      200,
    );
  });
}
