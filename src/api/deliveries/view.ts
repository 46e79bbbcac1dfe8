import { z } from "@hono/zod-openapi";
import type { Attempt } from "../../db/attempts";
import { isOpen, type Delivery } from "../../db/deliveries";
import { DELIVERY_STATUSES } from "../../db/schema";
import { iso } from "../pagination";

export const deliverySchema = z
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

export const attemptSchema = z
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

/** A delivery as the API shows it; `next_attempt_at` only while it is open. */
export function deliveryView(d: Delivery) {
  return {
    id: d.id,
    event_id: d.eventId,
    destination_id: d.destinationId,
    event_type: d.eventType,
    status: d.status,
    attempt_count: d.attemptCount,
    next_attempt_at: isOpen(d.status) ? iso(d.nextAttemptAt) : null,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    created_at: iso(d.createdAt)!,
    updated_at: iso(d.updatedAt)!,
    completed_at: iso(d.completedAt),
  };
}

export function attemptView(a: Attempt) {
  return {
    attempt: a.attempt,
    at: iso(a.at)!,
    url: a.url,
    status_code: a.statusCode,
    duration_ms: a.durationMs,
    error: a.error,
    response_body: a.responseBody,
  };
}

export const tags = ["deliveries"];
