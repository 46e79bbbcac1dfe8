import { z } from "@hono/zod-openapi";
import { canonicalEventSchema } from "../../events/canonical";
import { attemptSchema, deliverySchema } from "../deliveries/view";

export const canonicalEvent = canonicalEventSchema.openapi("CanonicalEvent", {
  description: "The normalized event, as delivered to destinations (EVENTS.md)",
});

// The delivery of `GET /v1/deliveries/{id}`, plus its attempt timeline.
const eventDeliverySchema = deliverySchema
  .extend({
    attempts: z.array(attemptSchema).openapi({ description: "every attempt, oldest first" }),
  })
  .openapi("EventDelivery");
export const eventDetailSchema = canonicalEventSchema
  .extend({
    raw: z.unknown().openapi({ description: "the provider's payload as received (a string when it was not JSON)" }),
    deliveries: z.array(eventDeliverySchema).openapi({ description: "one per destination, with its attempt timeline" }),
  })
  .openapi("EventDetail");
