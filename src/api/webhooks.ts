import { canonicalEventSchema, EVENT_TYPES, RELAY_EVENT_TYPES } from "../events/canonical";
import type { createRouter } from "./app";

/** What each outbound event type is, for the reference page. */
const DESCRIPTIONS: Partial<Record<string, string>> = {
  "test.ping": "Sent by POST /v1/destinations/{id}/test and by `verify: true` (livemode false).",
  "provider.unmapped": "A provider event with no canonical type yet; `data` holds what the provider sent.",
  "relay.destination.disabled": "The relay disabled one of your destinations (auto-disable); only to destinations subscribed to relay.*.",
  "relay.delivery.failed": "A delivery failed for good (every attempt spent); only to destinations subscribed to relay.*.",
  "relay.outbox.delayed":
    "Accepted events waited in an order object's outbox for a minute or more (D1 or the queue could not take them); sent once they could. Only to destinations subscribed to relay.*.",
};

/**
 * The document's `webhooks` section: every event type the relay sends to destinations, each
 * a POST of the canonical event (EVENTS.md) signed with Standard Webhooks headers. Answer 2xx
 * to acknowledge; anything else is retried on the destination's schedule.
 */
export function registerWebhookDocs(app: ReturnType<typeof createRouter>) {
  const registry = app.openAPIRegistry;
  const event = registry.register("CanonicalEvent", canonicalEventSchema);
  for (const type of [...EVENT_TYPES, ...RELAY_EVENT_TYPES]) {
    registry.registerWebhook({
      method: "post",
      path: type,
      tags: [type.startsWith("relay.") ? "relay events" : "events"],
      summary: `${type}`,
      description:
        `${DESCRIPTIONS[type] ?? `The canonical event with \`type: "${type}"\`.`} ` +
        "Headers: webhook-id, webhook-timestamp, webhook-signature (Standard Webhooks, the destination's signing_secret).",
      request: { body: { required: true, content: { "application/json": { schema: event } } } },
      responses: {
        200: { description: "any 2xx acknowledges the delivery" },
        500: { description: "anything else (or no answer within the destination's timeout) is retried" },
      },
    });
  }
}
