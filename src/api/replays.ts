import { createRoute, z } from "@hono/zod-openapi";
import { dbOf } from "../db/client";
import { getDestinationRow } from "../db/destinations";
import { createReplay, getReplayProgress, REPLAY_STATUSES, type ReplayFilter } from "../delivery/replay";
import { badRequest, notFound } from "../lib/errors";
import type { createRouter } from "./app";
import { errorResponses, idParam, jsonBody } from "./openapi";
import { iso, msOf, timeRangeSchema } from "./pagination";

const replayRequestSchema = timeRangeSchema
  .extend({
    status: z
      .enum(REPLAY_STATUSES)
      .default("failed")
      .openapi({ description: "Which deliveries to re-send: failed (dead-lettered, the default) or succeeded" }),
  })
  .strict()
  .openapi("ReplayRequest");

const replayCreatedSchema = z.object({ id: z.string(), queued: z.number() }).openapi("ReplayQueued");

const replaySchema = z
  .object({
    id: z.string(),
    destination_id: z.string().nullable().openapi({ description: "the destination of a range replay; null for a bulk resend" }),
    kind: z.enum(["range", "bulk"]).openapi({ description: "range: a destination's replay; bulk: POST /v1/deliveries/retry" }),
    status: z.enum(REPLAY_STATUSES).nullable().openapi({ description: "a range replay's status; null for a bulk resend" }),
    since: z.string().nullable(),
    until: z.string().nullable(),
    total: z.number().openapi({ description: "Deliveries that matched when the replay was asked for" }),
    sent: z.number().openapi({ description: "Deliveries re-sent so far (queued again)" }),
    succeeded: z.number().openapi({ description: "Re-sent deliveries whose new attempt succeeded" }),
    failed: z.number().openapi({ description: "Re-sent deliveries whose new attempt failed" }),
    done: z.boolean().openapi({ description: "Every matching delivery was re-sent and each new attempt finished" }),
    created_at: z.string(),
  })
  .openapi("Replay");

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });

const routes = {
  create: createRoute({
    method: "post",
    path: "/v1/destinations/{id}/replay",
    tags: ["destinations"],
    summary: "Re-send a destination's deliveries of a time range in the background",
    description:
      "Matches the destination's deliveries created in [since, until) with the given status, as they are now; " +
      "each gets one more attempt, in the order they were created. Follow progress at GET /v1/replays/{id}.",
    request: { params: idParam("dst"), body: jsonBody(replayRequestSchema, false) },
    responses: { 202: json(replayCreatedSchema, "accepted; the re-sends run in the background"), ...errorResponses(400, 401, 404, 415) },
  }),
  get: createRoute({
    method: "get",
    path: "/v1/replays/{id}",
    tags: ["destinations"],
    summary: "A replay's progress",
    request: { params: idParam("rpl") },
    responses: { 200: json(replaySchema, "the replay"), ...errorResponses(401, 404) },
  }),
};

export function registerReplayRoutes(app: ReturnType<typeof createRouter>) {
  app.openapi(routes.create, async (c) => {
    const workspaceId = c.get("workspaceId");
    const destination = await getDestinationRow(dbOf(c.env), workspaceId, c.req.valid("param").id);
    if (!destination) throw notFound("destination");
    // No body means "every failed delivery": the validator then hands over {} without defaults.
    const body = replayRequestSchema.parse(c.req.valid("json") ?? {});
    const filter: ReplayFilter = { status: body.status, since: msOf(body.since) ?? null, until: msOf(body.until) ?? null };
    if (filter.since !== null && filter.until !== null && filter.since >= filter.until) {
      throw badRequest("until: must be later than since");
    }
    const replay = await createReplay(c.env, { workspaceId, destinationId: destination.id, filter });
    return c.json({ id: replay.id, queued: replay.total }, 202);
  });

  app.openapi(routes.get, async (c) => {
    const found = await getReplayProgress(c.env, c.get("workspaceId"), c.req.valid("param").id);
    if (!found) throw notFound("replay");
    const { replay, filter, progress } = found;
    return c.json(
      {
        id: replay.id,
        destination_id: replay.destinationId,
        kind: filter ? ("range" as const) : ("bulk" as const),
        status: filter?.status ?? null,
        since: iso(filter?.since),
        until: iso(filter?.until),
        ...progress,
        created_at: iso(replay.createdAt)!,
      },
      200,
    );
  });
}
