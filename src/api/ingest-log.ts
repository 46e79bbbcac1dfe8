import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, gte, lt, or } from "drizzle-orm";
import { dbOf, type Db } from "../db/client";
import { INGEST_RESULTS, ingestLog } from "../db/schema";
import type { createRouter } from "./app";
import { errorResponses } from "./openapi";
import { decodeCursor, iso, msOf, page, pageQuerySchema, timeRangeSchema } from "./pagination";

const ingestLogQuerySchema = pageQuerySchema.extend(timeRangeSchema.shape).extend({
  source: z.string().max(100).optional().openapi({ description: "source id (src_…)" }),
  result: z.enum(INGEST_RESULTS).optional(),
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

export type IngestLogRow = typeof ingestLog.$inferSelect;
export type IngestResult = (typeof INGEST_RESULTS)[number];

/** What the ingest log can be searched by; shared by `GET /v1/ingest-log` and the dashboard. */
export interface IngestLogFilter {
  source?: string;
  result?: IngestResult;
  /** Unix ms, inclusive. */
  since?: number;
  /** Unix ms, exclusive. */
  until?: number;
}

/** One page of a workspace's ingest log, newest first, keyset-paginated on (at, id). */
export async function listIngestLog(
  db: Db,
  workspaceId: string,
  filter: IngestLogFilter,
  pageOpts: { limit: number; cursor?: string | undefined },
): Promise<{ data: IngestLogRow[]; next_cursor: string | null }> {
  const after = decodeCursor(pageOpts.cursor);
  const rows = await db
    .select()
    .from(ingestLog)
    .where(
      and(
        eq(ingestLog.workspaceId, workspaceId),
        filter.source ? eq(ingestLog.sourceId, filter.source) : undefined,
        filter.result ? eq(ingestLog.result, filter.result) : undefined,
        filter.since !== undefined ? gte(ingestLog.at, filter.since) : undefined,
        filter.until !== undefined ? lt(ingestLog.at, filter.until) : undefined,
        after ? or(lt(ingestLog.at, after.at), and(eq(ingestLog.at, after.at), lt(ingestLog.id, after.id))) : undefined,
      ),
    )
    .orderBy(desc(ingestLog.at), desc(ingestLog.id))
    .limit(pageOpts.limit + 1);
  return page(rows, pageOpts.limit, (r) => ({ at: r.at, id: r.id }));
}

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
  };
}

export function registerIngestLogRoutes(app: ReturnType<typeof createRouter>) {
  app.openapi(list, async (c) => {
    const q = c.req.valid("query");
    const result = await listIngestLog(
      dbOf(c.env),
      c.get("workspaceId"),
      { source: q.source, result: q.result, since: msOf(q.since), until: msOf(q.until) },
      { limit: q.limit, cursor: q.cursor },
    );
    return c.json({ data: result.data.map(ingestLogView), next_cursor: result.next_cursor }, 200);
  });
}
