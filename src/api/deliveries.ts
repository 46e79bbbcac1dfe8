import { createRoute, z } from "@hono/zod-openapi";
import { and, asc, desc, eq, gte, lt, or } from "drizzle-orm";
import { dbOf } from "../db/client";
import { attempts, deliveries, DELIVERY_STATUSES, destinations } from "../db/schema";
import { enqueueDeliveries } from "../delivery/messages";
import { notFound } from "../lib/errors";
import type { createRouter } from "./app";
import { errorResponses, idParam } from "./openapi";
import { decodeCursor, iso, msOf, page, pageQuerySchema, timeRangeSchema } from "./pagination";

type DeliveryRow = typeof deliveries.$inferSelect;

const deliverySchema = z
  .object({
    id: z.string(),
    event_id: z.string(),
    destination_id: z.string(),
    event_type: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempt_count: z.number(),
    next_attempt_at: z.string().nullable(),
    last_status_code: z.number().nullable(),
    last_error: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    completed_at: z.string().nullable(),
  })
  .openapi("Delivery");

const attemptSchema = z
  .object({
    attempt: z.number(),
    at: z.string(),
    url: z.string(),
    status_code: z.number().nullable(),
    duration_ms: z.number(),
    error: z.string().nullable(),
    response_body: z.string().nullable(),
  })
  .openapi("Attempt");

const deliveryQuerySchema = pageQuerySchema.extend(timeRangeSchema.shape).extend({
  destination: z.string().max(100).optional(),
  event: z.string().max(100).optional(),
  type: z.string().max(100).optional(),
  status: z.enum(DELIVERY_STATUSES).optional(),
});

export function deliveryView(d: DeliveryRow) {
  const open = d.status === "pending" || d.status === "retrying";
  return {
    id: d.id,
    event_id: d.eventId,
    destination_id: d.destinationId,
    event_type: d.eventType,
    status: d.status,
    attempt_count: d.attemptCount,
    next_attempt_at: open ? iso(d.nextAttemptAt) : null,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    created_at: iso(d.createdAt)!,
    updated_at: iso(d.updatedAt)!,
    completed_at: iso(d.completedAt),
  };
}

const DeliveryId = idParam("dlv");
const tags = ["deliveries"];

const routes = {
  list: createRoute({
    method: "get",
    path: "/v1/deliveries",
    tags,
    summary: "List deliveries, newest first",
    request: { query: deliveryQuerySchema },
    responses: {
      200: { description: "a page", content: { "application/json": { schema: z.object({ data: z.array(deliverySchema), next_cursor: z.string().nullable() }) } } },
      ...errorResponses(400, 401),
    },
  }),
  get: createRoute({
    method: "get",
    path: "/v1/deliveries/{id}",
    tags,
    summary: "A delivery with every attempt",
    request: { params: DeliveryId },
    responses: {
      200: { description: "the delivery", content: { "application/json": { schema: deliverySchema.extend({ attempts: z.array(attemptSchema) }) } } },
      ...errorResponses(401, 404),
    },
  }),
  retry: createRoute({
    method: "post",
    path: "/v1/deliveries/{id}/retry",
    tags,
    summary: "Send it again now (also after failed); one more attempt",
    request: { params: DeliveryId },
    responses: {
      202: { description: "queued", content: { "application/json": { schema: deliverySchema } } },
      ...errorResponses(401, 404),
    },
  }),
};

/**
 * Queues one more attempt of a delivery now, whatever its state: a failed one gets exactly
 * one more try (its limit is raised by one). Shared by manual retry and replays.
 */
export async function requeueDelivery(env: Env, d: DeliveryRow, now = Date.now()): Promise<DeliveryRow> {
  const attemptLimit = Math.max(d.attemptLimit, d.attemptCount + 1);
  const status = d.attemptCount === 0 ? "pending" : "retrying";
  const updated = await dbOf(env)
    .update(deliveries)
    .set({ status, attemptLimit, nextAttemptAt: now, enqueuedAt: now, leaseUntil: null, completedAt: null, updatedAt: now })
    .where(and(eq(deliveries.id, d.id), eq(deliveries.attemptCount, d.attemptCount)))
    .returning();
  const row = updated[0];
  if (!row) return d; // an attempt finished in between; its own state stands
  await enqueueDeliveries(env.DELIVERIES, [{ delivery_id: d.id, attempt: d.attemptCount + 1 }]);
  return row;
}

export function registerDeliveryRoutes(app: ReturnType<typeof createRouter>) {
  app.openapi(routes.list, async (c) => {
    const q = c.req.valid("query");
    const after = decodeCursor(q.cursor);
    const since = msOf(q.since);
    const until = msOf(q.until);
    const rows = await dbOf(c.env)
      .select()
      .from(deliveries)
      .where(
        and(
          eq(deliveries.workspaceId, c.get("workspaceId")),
          q.destination ? eq(deliveries.destinationId, q.destination) : undefined,
          q.event ? eq(deliveries.eventId, q.event) : undefined,
          q.type ? eq(deliveries.eventType, q.type) : undefined,
          q.status ? eq(deliveries.status, q.status) : undefined,
          since !== undefined ? gte(deliveries.createdAt, since) : undefined,
          until !== undefined ? lt(deliveries.createdAt, until) : undefined,
          after ? or(lt(deliveries.createdAt, after.at), and(eq(deliveries.createdAt, after.at), lt(deliveries.id, after.id))) : undefined,
        ),
      )
      .orderBy(desc(deliveries.createdAt), desc(deliveries.id))
      .limit(q.limit + 1);
    const result = page(rows, q.limit, (r) => ({ at: r.createdAt, id: r.id }));
    return c.json({ data: result.data.map(deliveryView), next_cursor: result.next_cursor }, 200);
  });

  app.openapi(routes.get, async (c) => {
    const db = dbOf(c.env);
    const ws = c.get("workspaceId");
    const id = c.req.valid("param").id;
    const [rows, attemptRows] = await db.batch([
      db.select().from(deliveries).where(and(eq(deliveries.workspaceId, ws), eq(deliveries.id, id))),
      db.select().from(attempts).where(and(eq(attempts.workspaceId, ws), eq(attempts.deliveryId, id))).orderBy(asc(attempts.attempt)),
    ]);
    const row = rows[0];
    if (!row) throw notFound("delivery");
    return c.json(
      {
        ...deliveryView(row),
        attempts: attemptRows.map((a) => ({
          attempt: a.attempt,
          at: iso(a.at)!,
          url: a.url,
          status_code: a.statusCode,
          duration_ms: a.durationMs,
          error: a.error,
          response_body: a.responseBody,
        })),
      },
      200,
    );
  });

  app.openapi(routes.retry, async (c) => {
    const db = dbOf(c.env);
    const row = await db
      .select()
      .from(deliveries)
      .where(and(eq(deliveries.workspaceId, c.get("workspaceId")), eq(deliveries.id, c.req.valid("param").id)))
      .get();
    if (!row) throw notFound("delivery");
    const dest = await db.select({ id: destinations.id }).from(destinations).where(eq(destinations.id, row.destinationId)).get();
    if (!dest) throw notFound("destination of this delivery");
    return c.json(deliveryView(await requeueDelivery(c.env, row)), 202);
  });
}
