import { z } from "@hono/zod-openapi";
import { DELIVERY_STATUSES } from "../../db/schema";
import { canonicalEventSchema } from "../../events/canonical";

export const canonicalEvent = canonicalEventSchema.openapi("CanonicalEvent", {
  description: "The normalized event, as delivered to destinations (EVENTS.md)",
});

// The delivery fields of `GET /v1/deliveries/{id}`, plus the attempt timeline.
const timelineAttemptSchema = z
  .object({
    attempt: z.number().int(),
    at: z.string(),
    url: z.string(),
    status_code: z.number().int().nullable(),
    duration_ms: z.number(),
    error: z.string().nullable(),
    response_body: z.string().nullable().openapi({ description: "first 1 KiB of the response" }),
  })
  .openapi("EventDeliveryAttempt");
const eventDeliverySchema = z
  .object({
    id: z.string(),
    event_id: z.string(),
    destination_id: z.string(),
    event_type: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempt_count: z.number().int(),
    next_attempt_at: z.string().nullable(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    completed_at: z.string().nullable(),
    attempts: z.array(timelineAttemptSchema).openapi({ description: "every attempt, oldest first" }),
  })
  .openapi("EventDelivery");
export const eventDetailSchema = canonicalEventSchema
  .extend({
    raw: z.unknown().openapi({ description: "the provider's payload as received (a string when it was not JSON)" }),
    deliveries: z.array(eventDeliverySchema).openapi({ description: "one per destination, with its attempt timeline" }),
  })
  .openapi("EventDetail");
