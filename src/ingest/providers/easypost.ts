import { z } from "zod";
import type { TrackingStatus } from "../../events/canonical";
import {
  carrierCode,
  compact,
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
 * EasyPost webhooks.
 *
 * - Proof of origin: `X-Hmac-Signature: hmac-sha256-hex=<hex HMAC-SHA256>` keyed by the
 *   webhook secret NFKD-normalized and UTF-8 encoded, over the body
 *   (EasyPost/easypost-node src/utils/util.ts `validateWebhook`; https://docs.easypost.com/guides/webhooks-guide).
 * - Body: an Event object `{object: "Event", id: "evt_…", description, mode: "test"|"production",
 *   result, previous_attributes, status, pending_urls, completed_urls, created_at, updated_at}`
 *   (easypost-node types/Event/Event.d.ts; https://docs.easypost.com/docs/events.md lists the
 *   descriptions: tracker.*, batch.*, scan_form.*, insurance.*, refund.successful, report.*,
 *   payment.*, claim(s).*, shipment.invoice.*).
 * - Tracker statuses unknown, pre_transit, in_transit, out_for_delivery, delivered,
 *   available_for_pickup, return_to_sender, failure, cancelled, error
 *   (easypost-node types/Tracker/TrackerStatus.d.ts): `return_to_sender` → returned_to_sender,
 *   `error` → failure (EVENTS.md), the rest keep their names.
 *
 * Mapping: tracker.created/updated → `tracking.updated`; refund.successful (a label's
 * postage refunded) → `label.voided`; batch.* is ONE event about the Batch object (it has no
 * canonical type, so `provider.unmapped` with the batch in `data`); every other description →
 * `provider.unmapped`. `mode: "test"` → livemode false. The Event `id` is the dedupe key;
 * the delivery bookkeeping (`status`, `pending_urls`, `completed_urls`, `updated_at`) is left
 * out of `dedupe_basis`. A Shipment / Insurance / Claim result's `reference` is the order
 * reference; trackers carry none and are keyed by carrier + tracking code.
 */

const STATUS: Record<string, TrackingStatus> = {
  unknown: "unknown",
  pre_transit: "pre_transit",
  in_transit: "in_transit",
  out_for_delivery: "out_for_delivery",
  delivered: "delivered",
  available_for_pickup: "available_for_pickup",
  return_to_sender: "returned_to_sender",
  failure: "failure",
  cancelled: "cancelled",
  error: "failure",
};

export function easypostStatus(status: unknown): TrackingStatus {
  return (typeof status === "string" && STATUS[status.trim().toLowerCase()]) || "unknown";
}

export const easypostEventSchema = z.looseObject({
  object: z.literal("Event"),
  id: z.string().min(1),
  description: z.string().min(1),
  mode: z.string().nullish(),
  result: z.record(z.string(), z.unknown()).nullish(),
  previous_attributes: z.unknown(),
  created_at: z.string().nullish(),
});

/** Per-delivery bookkeeping EasyPost updates on every attempt. */
const DELIVERY_METADATA = ["status", "pending_urls", "completed_urls", "updated_at"];

function newestDetail(details: unknown): Record<string, unknown> | undefined {
  let best: Record<string, unknown> | undefined;
  let bestAt = -Infinity;
  for (const d of list(details)) {
    const r = rec(d);
    const at = Date.parse(String(r.datetime ?? ""));
    if (best === undefined || (!Number.isNaN(at) && at >= bestAt)) {
      best = r;
      if (!Number.isNaN(at)) bestAt = at;
    }
  }
  return best;
}

/** Objects whose `reference` is the user's own (order) reference; a Batch's names the batch. */
const REFERENCED_OBJECTS = new Set(["Shipment", "Insurance", "Claim"]);

function orderRef(result: Record<string, unknown>) {
  const reference = REFERENCED_OBJECTS.has(String(result.object)) ? str(result.reference) : undefined;
  return reference ? { order: { reference } } : {};
}

export const easypostAdapter: ProviderAdapter = {
  provider: "easypost",
  verificationPreset: {
    type: "hmac",
    header: "x-hmac-signature",
    algorithm: "sha256",
    encoding: "hex",
    prefix: "hmac-sha256-hex=",
    key_normalization: "nfkd",
    allow_reserialized: false,
  },
  normalize({ body }) {
    const e = parsePayload(easypostEventSchema, body, { what: "not an EasyPost Event", field: "object" });
    const raw = body as Record<string, unknown>;
    const result = e.result ?? {};
    const description = e.description.trim().toLowerCase();
    const livemode = str(e.mode)?.toLowerCase() !== "test" && str(result.mode)?.toLowerCase() !== "test";
    const base = {
      livemode,
      source_event: e.description,
      provider_event_id: e.id,
      dedupe_basis: omit(raw, DELIVERY_METADATA),
    };

    let event: NormalizedEvent;
    if (description === "tracker.created" || description === "tracker.updated") {
      const latest = newestDetail(result.tracking_details);
      const where = rec(latest?.tracking_location);
      event = {
        ...base,
        type: "tracking.updated",
        occurred_at: isoTimestamp(latest?.datetime) ?? isoTimestamp(result.updated_at) ?? isoTimestamp(e.created_at),
        ...orderRef(result),
        shipment: compact({
          tracking_number: str(result.tracking_code),
          carrier: carrierCode(result.carrier),
          service: str(rec(result.carrier_detail).service),
        }),
        tracking: trackingSection(easypostStatus(result.status), {
          status_detail: str(latest?.message) ?? str(result.status_detail),
          location: location({ city: where.city, state: where.state, country: where.country, postal_code: where.zip }),
          estimated_delivery: result.est_delivery_date,
        }),
        data: {
          tracker: omit(result, ["tracking_code", "carrier", "status"]),
          ...(e.previous_attributes !== undefined ? { previous_attributes: e.previous_attributes } : {}),
        },
      };
    } else if (description === "refund.successful") {
      event = {
        ...base,
        type: "label.voided",
        occurred_at: isoTimestamp(result.updated_at) ?? isoTimestamp(e.created_at),
        ...orderRef(result),
        shipment: compact({ tracking_number: str(result.tracking_code), carrier: carrierCode(result.carrier) }),
        data: { refund: omit(result, ["tracking_code", "carrier"]) },
      };
    } else {
      event = {
        ...base,
        type: "provider.unmapped",
        occurred_at: isoTimestamp(e.created_at),
        ...orderRef(result),
        data: raw,
      };
    }
    return { kind: "events", events: [event] };
  },
};
