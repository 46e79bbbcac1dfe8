import { z } from "zod";
import type { TrackingStatus } from "../../events/canonical";
import {
  carrierCode,
  compact,
  isoDate,
  isoTimestamp,
  list,
  location,
  omit,
  rec,
  str,
  trackingSection,
} from "../../events/normalize";
import type { NormalizedEvent, ProviderAdapter } from "./types";
import { parsePayload } from "./parse";

/**
 * AfterShip Tracking webhooks.
 *
 * - Proof of origin: `aftership-hmac-sha256: base64(HMAC-SHA256(webhook secret, raw body))`
 *   (https://www.aftership.com/docs/tracking/webhook/webhook-signature).
 * - Body `{ts (unix), event, event_id (uuid v4), is_tracking_first_tag, msg: Tracking}`;
 *   events `tracking_update` (Info received … Exception) and `edd_revise` (estimated delivery
 *   changed) (https://www.aftership.com/docs/tracking/webhook/webhook-specifications,
 *   example at https://developers.aftership.com/reference/specification).
 * - Tags Pending, InfoReceived, InTransit, OutForDelivery, AttemptFail, Delivered,
 *   AvailableForPickup, Exception, Expired
 *   (https://www.aftership.com/docs/tracking/2025-01/enum/delivery-statuses); mapped per
 *   EVENTS.md (AttemptFail → delivery_attempted, Expired → exception, Pending/InfoReceived →
 *   pre_transit).
 * - `msg.order_number` (else `msg.order_id`) is the order reference (EVENTS.md "Identity");
 *   `slug` is the carrier; the newest checkpoint gives the location.
 *
 * `event_id` is the dedupe key. Other event codes (e.g. `tracking_pending_time`) →
 * `provider.unmapped`.
 */

const TAGS: Record<string, TrackingStatus> = {
  pending: "pre_transit",
  inforeceived: "pre_transit",
  intransit: "in_transit",
  outfordelivery: "out_for_delivery",
  attemptfail: "delivery_attempted",
  delivered: "delivered",
  availableforpickup: "available_for_pickup",
  exception: "exception",
  expired: "exception",
};

export function aftershipStatus(tag: unknown): TrackingStatus {
  return (typeof tag === "string" && TAGS[tag.replace(/[\s_-]/g, "").toLowerCase()]) || "unknown";
}

const TYPES: Record<string, string> = {
  tracking_update: "tracking.updated",
  edd_revise: "tracking.updated",
};

export const aftershipEventSchema = z.looseObject({
  event: z.string().min(1),
  event_id: z.string().nullish(),
  is_tracking_first_tag: z.boolean().nullish(),
  ts: z.union([z.number(), z.string()]).nullish(),
  msg: z.record(z.string(), z.unknown()),
});

function newestCheckpoint(checkpoints: unknown): Record<string, unknown> | undefined {
  let best: Record<string, unknown> | undefined;
  let bestAt = -Infinity;
  for (const c of list(checkpoints)) {
    const r = rec(c);
    const at = Date.parse(String(r.checkpoint_time ?? r.created_at ?? ""));
    if (best === undefined || (!Number.isNaN(at) && at >= bestAt)) {
      best = r;
      if (!Number.isNaN(at)) bestAt = at;
    }
  }
  return best;
}

/** AfterShip has renamed its ETA fields over API versions; the newest one present wins. */
function estimatedDelivery(msg: Record<string, unknown>): string | undefined {
  return (
    isoDate(rec(msg.latest_estimated_delivery).datetime) ??
    isoDate(msg.expected_delivery) ??
    isoDate(rec(msg.courier_estimated_delivery_date).estimated_delivery_date) ??
    isoDate(rec(msg.aftership_estimated_delivery_date).estimated_delivery_date)
  );
}

const MAPPED = ["tracking_number", "slug", "order_number", "shipment_type", "shipment_pickup_date"];

export const aftershipAdapter: ProviderAdapter = {
  provider: "aftership",
  verificationPreset: {
    type: "hmac",
    header: "aftership-hmac-sha256",
    algorithm: "sha256",
    encoding: "base64",
    prefix: "",
    key_normalization: "none",
    allow_reserialized: false,
  },
  normalize({ body }) {
    const e = parsePayload(aftershipEventSchema, body, { what: "not an AfterShip webhook", field: "event" });
    const msg = e.msg;
    const reference = str(msg.order_number) ?? str(msg.order_id);
    const orderId = str(msg.order_id);
    const order = compact({ reference, id: orderId !== reference ? orderId : undefined });
    const base = {
      livemode: true,
      occurred_at: isoTimestamp(e.ts),
      source_event: e.event,
      ...(order ? { order } : {}),
      ...(str(e.event_id) ? { provider_event_id: str(e.event_id) } : {}),
    };
    const type = TYPES[e.event.trim().toLowerCase()];
    if (!type) {
      return { kind: "events", events: [{ ...base, type: "provider.unmapped", data: body as Record<string, unknown> }] };
    }
    const checkpoint = newestCheckpoint(msg.checkpoints);
    const event: NormalizedEvent = {
      ...base,
      type,
      shipment: compact({
        tracking_number: str(msg.tracking_number),
        carrier: carrierCode(msg.slug),
        service: str(msg.shipment_type),
        ship_date: isoDate(msg.shipment_pickup_date),
      }),
      tracking: trackingSection(aftershipStatus(msg.tag), {
        status_detail: str(msg.subtag_message) ?? str(checkpoint?.message),
        location: checkpoint
          ? location({
              city: checkpoint.city,
              state: checkpoint.state,
              country: checkpoint.country_region ?? checkpoint.country_iso3,
              postal_code: checkpoint.zip,
            })
          : undefined,
        estimated_delivery: estimatedDelivery(msg),
      }),
      data: {
        ...(e.is_tracking_first_tag !== undefined && e.is_tracking_first_tag !== null
          ? { is_tracking_first_tag: e.is_tracking_first_tag }
          : {}),
        tracking: omit(msg, MAPPED),
      },
    };
    return { kind: "events", events: [event] };
  },
};
