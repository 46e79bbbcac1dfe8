import { createRoute, z } from "@hono/zod-openapi";
import { dbOf } from "../db/client";
import type { IngestLogRow } from "../db/ingest-log";
import { INGEST_RESULTS } from "../db/schema";
import { listIngestLog } from "../ingest/log";
import type { createRouter } from "./app";
import { errorResponses } from "./openapi";
import { enumListParam, enumValues, listParam, values } from "./filters";
import { iso, msOf, pageCursors, pageQuerySchema, timeRangeSchema } from "./pagination";

const ingestLogQuerySchema = pageQuerySchema.extend(timeRangeSchema.shape).extend({
  source: listParam("source ids (src_…)"),
  result: enumListParam(INGEST_RESULTS),
});

const ingestLogEntrySchema = z
  .object({
    id: z.string(),
    at: z.string(),
    source_id: z.string(),
    result: z.enum(INGEST_RESULTS),
    reason: z.string().nullable().openapi({ description: "why it was rejected, e.g. invalid_signature", example: "invalid_signature" }),
    event_id: z.string().nullable().openapi({ description: "the first event the request produced" }),
    event_ids: z.array(z.string()).openapi({ description: "every event the request produced" }),
    http_status: z.number().int().openapi({ description: "what the provider was answered" }),
    detail: z.record(z.string(), z.unknown()).openapi({ description: "what the request was: provider event name, body size, client ip" }),
    count: z.number().int().openapi({ description: "requests this row stands for: refusals are folded per source, reason and minute; 1 otherwise" }),
    first_at: z.string().openapi({ description: "the first of them (= at)" }),
    last_at: z.string().openapi({ description: "the last of them (= at when count is 1)" }),
  })
  .openapi("IngestLogEntry");

const list = createRoute({
  method: "get",
  path: "/v1/ingest-log",
  tags: ["ingest-log"],
  summary: "Every request a source received, accepted or rejected, with why",
  request: { query: ingestLogQuerySchema },
  responses: {
    200: { description: "a page", content: { "application/json": { schema: z.object({ data: z.array(ingestLogEntrySchema), ...pageCursors }) } } },
    ...errorResponses(400, 401),
  },
});

export function ingestLogView(r: IngestLogRow) {
  return {
    id: r.id,
    at: iso(r.at)!,
    source_id: r.sourceId,
    result: r.result,
    reason: r.reason,
    event_id: r.eventId,
    event_ids: r.eventIds ?? [],
    http_status: r.httpStatus,
    detail: r.detail ?? {},
    count: r.count,
    first_at: iso(r.at)!,
    last_at: iso(r.lastAt ?? r.at)!,
  };
}

export function registerIngestLogRoutes(app: ReturnType<typeof createRouter>) {
  app.openapi(list, async (c) => {
    const q = c.req.valid("query");
    const result = await listIngestLog(
      dbOf(c.env),
      c.get("workspaceId"),
      { sources: values(q.source), results: enumValues(q.result, INGEST_RESULTS), since: msOf(q.since), until: msOf(q.until) },
      q,
    );
    return c.json({ data: result.data.map(ingestLogView), next_cursor: result.next_cursor, prev_cursor: result.prev_cursor }, 200);
  });
}
