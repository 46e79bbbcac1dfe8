import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, gte, lt, or } from "drizzle-orm";
import { dbOf } from "../db/client";
import { INGEST_RESULTS, ingestLog } from "../db/schema";
import type { createRouter } from "./app";
import { errorResponses } from "./openapi";
import { decodeCursor, iso, msOf, page, pageQuerySchema, timeRangeSchema } from "./pagination";

const ingestLogQuerySchema = pageQuerySchema.extend(timeRangeSchema.shape).extend({
  source: z.string().max(100).optional(),
  result: z.enum(INGEST_RESULTS).optional(),
});

const ingestLogEntrySchema = z
  .object({
    id: z.string(),
    at: z.string(),
    source_id: z.string(),
    result: z.enum(INGEST_RESULTS),
    reason: z.string().nullable(),
    event_id: z.string().nullable(),
    event_ids: z.array(z.string()),
    http_status: z.number(),
    detail: z.record(z.string(), z.unknown()),
  })
  .openapi("IngestLogEntry");

const list = createRoute({
  method: "get",
  path: "/v1/ingest-log",
  tags: ["ingest-log"],
  summary: "Every request a source received, accepted or rejected, with why",
  request: { query: ingestLogQuerySchema },
  responses: {
    200: { description: "a page", content: { "application/json": { schema: z.object({ data: z.array(ingestLogEntrySchema), next_cursor: z.string().nullable() }) } } },
    ...errorResponses(400, 401),
  },
});

export function registerIngestLogRoutes(app: ReturnType<typeof createRouter>) {
  app.openapi(list, async (c) => {
    const q = c.req.valid("query");
    const after = decodeCursor(q.cursor);
    const since = msOf(q.since);
    const until = msOf(q.until);
    const rows = await dbOf(c.env)
      .select()
      .from(ingestLog)
      .where(
        and(
          eq(ingestLog.workspaceId, c.get("workspaceId")),
          q.source ? eq(ingestLog.sourceId, q.source) : undefined,
          q.result ? eq(ingestLog.result, q.result) : undefined,
          since !== undefined ? gte(ingestLog.at, since) : undefined,
          until !== undefined ? lt(ingestLog.at, until) : undefined,
          after ? or(lt(ingestLog.at, after.at), and(eq(ingestLog.at, after.at), lt(ingestLog.id, after.id))) : undefined,
        ),
      )
      .orderBy(desc(ingestLog.at), desc(ingestLog.id))
      .limit(q.limit + 1);
    const result = page(rows, q.limit, (r) => ({ at: r.at, id: r.id }));
    return c.json(
      {
        data: result.data.map((r) => ({
          id: r.id,
          at: iso(r.at)!,
          source_id: r.sourceId,
          result: r.result,
          reason: r.reason,
          event_id: r.eventId,
          event_ids: r.eventIds ?? [],
          http_status: r.httpStatus,
          detail: r.detail ?? {},
        })),
        next_cursor: result.next_cursor,
      },
      200,
    );
  });
}
