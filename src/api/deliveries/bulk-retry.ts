import { createRoute, z } from "@hono/zod-openapi";
import { dbOf } from "../../db/client";
import { deliveryFilterOf } from "../../delivery/list-filter";
import { createBulkResend } from "../../delivery/replay";
import { badRequest } from "../../lib/errors";
import type { createRouter } from "../app";
import { errorResponses, jsonBody } from "../openapi";
import { msOf } from "../pagination";
import { deliveryFilterSchema } from "./list";
import { tags } from "./view";

/** At most this many ids in one request; a larger set is asked for by `filter`. */
const MAX_IDS = 1000;

const bulkRetrySchema = z
  .strictObject({
    ids: z.array(z.string().min(1).max(100)).min(1).max(MAX_IDS).optional().openapi({ description: `delivery ids (dlv_…), at most ${MAX_IDS}` }),
    filter: deliveryFilterSchema.strict().optional().openapi({ description: "the filters of GET /v1/deliveries, by the same names and in the same form" }),
  })
  .openapi("BulkRetry");

const route = createRoute({
  method: "post",
  path: "/v1/deliveries/retry",
  tags,
  summary: "Re-send many deliveries in the background: by ids or by the list's filters",
  description:
    "Takes the workspace's finished (succeeded or failed) deliveries among `ids` or matching `filter` as they are now; " +
    "each gets one more attempt, once — open deliveries are going out anyway and are not taken. " +
    "Follow progress at GET /v1/replays/{id}.",
  request: { body: jsonBody(bulkRetrySchema) },
  responses: {
    202: { description: "accepted", content: { "application/json": { schema: z.object({ id: z.string(), queued: z.number() }).openapi("BulkRetryQueued") } } },
    ...errorResponses(400, 401, 415),
  },
});

export function registerBulkRetry(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    const body = c.req.valid("json");
    const workspaceId = c.get("workspaceId");
    if ((body.ids === undefined) === (body.filter === undefined)) throw badRequest("give either ids or filter");
    const selection = body.ids
      ? { kind: "bulk" as const, ids: body.ids }
      : {
          kind: "bulk" as const,
          filter: await deliveryFilterOf(dbOf(c.env), workspaceId, { ...body.filter!, since: msOf(body.filter!.since), until: msOf(body.filter!.until) }),
        };
    const replay = await createBulkResend(c.env, workspaceId, selection);
    return c.json({ id: replay.id, queued: replay.total }, 202);
  });
}
