import { z } from "zod";
import type { TrackingStatus } from "../../events/canonical";
import {
  carrierCode,
  compact,
  isoDate,
  isoTimestamp,
  isRecord,
  location,
  omit,
  rec,
  str,
  trackingSection,
} from "../../events/normalize";
import type { NormalizedEvent, ProviderAdapter } from "./types";
import { parsePayload } from "./parse";

/**
 * Shipup webhooks.
 *
 * - Envelope `{id, object: "webhook_event", type, livemode, retry_count,
 *   webhook_setting_id, created_at (unix), data: {object, reason}}`; types `tracker.new`,
 *   `tracker.events.new`, `notification.new`, `feedback.new`
 *   (https://developers.shipup.co/reference/receiving-webhooks, examples at
 *   https://developers.shipup.co/reference/trackernew and …/trackereventsnew).
 * - Proof of origin: basic auth or an OAuth2 JWT bearer (same page); no HMAC. The preset
 *   is a URL token; a source may pick basic/header instead.
 * - On endpoint create/update Shipup posts `{"livemode": "false"}` and refuses to save the
 *   endpoint unless it gets a 2xx (https://developers.shipup.co/docs/webhooks): a
 *   `test.ping` with livemode false. Events with `livemode: false` keep their type and are
 *   relayed as test data.
 * - Retries: exponential, `retry_count` incremented, max 5 (same page). The envelope `id`
 *   is the dedupe key; `retry_count` goes into `data` and is left out of `dedupe_basis`.
 * - Tracker `delivery_status_code` (https://developers.shipup.co/reference/delivery-statuses):
 *   pending, info_received → pre_transit; in_transit, delayed → in_transit;
 *   failed_attempt → delivery_attempted; exception → exception; pickup →
 *   available_for_pickup; delivered → delivered; return → returned_to_sender; expired →
 *   exception (as AfterShip's Expired, EVENTS.md).
 * - The order is `tracker.fulfillment.order`: `order_number` is the reference,
 *   `merchant_id` (the merchant's own id) the id.
 */

const STATUS: Record<string, TrackingStatus> = {
  pending: "pre_transit",
  info_received: "pre_transit",
  in_transit: "in_transit",
  delayed: "in_transit",
  failed_attempt: "delivery_attempted",
  exception: "exception",
  pickup: "available_for_pickup",
  delivered: "delivered",
  return: "returned_to_sender",
  expired: "exception",
};

export function shipupStatus(code: unknown): TrackingStatus {
  return (typeof code === "string" && STATUS[code.trim().toLowerCase()]) || "unknown";
}

const TYPES: Record<string, string> = {
  "tracker.new": "tracking.updated",
  "tracker.events.new": "tracking.updated",
};

const livemodeSchema = z.union([z.boolean(), z.enum(["true", "false"])]);

export const shipupEventSchema = z.looseObject({
  id: z.union([z.number(), z.string()]),
  object: z.string().nullish(),
  type: z.string().min(1),
  livemode: livemodeSchema.nullish(),
  retry_count: z.number().nullish(),
  webhook_setting_id: z.union([z.number(), z.string()]).nullish(),
  created_at: z.union([z.number(), z.string()]).nullish(),
  data: z.looseObject({ object: z.record(z.string(), z.unknown()).nullish(), reason: z.unknown() }),
});

/** The save-time ping carries nothing but `livemode`. */
export const shipupPingSchema = z.strictObject({ livemode: livemodeSchema });

const liveFlag = (v: boolean | "true" | "false" | null | undefined) => (v === undefined || v === null ? true : v === true || v === "true");

/** The order a tracker / notification / feedback object belongs to, wherever it nests it. */
function findOrder(object: Record<string, unknown>): Record<string, unknown> | undefined {
  const candidates = [
    rec(rec(object.fulfillment).order),
    rec(object.order),
    rec(rec(rec(object.tracker).fulfillment).order),
  ];
  return candidates.find((c) => Object.keys(c).length > 0);
}

function orderSection(object: Record<string, unknown>) {
  const o = findOrder(object);
  if (!o) return undefined;
  const reference = str(o.order_number);
  const merchantId = str(o.merchant_id);
  return compact({ reference, id: merchantId ?? str(o.id) });
}

/** The new shipping event `reason` points at, when Shipup sends it inline. */
function reasonEvent(reason: unknown): Record<string, unknown> | undefined {
  const r = rec(reason);
  for (const candidate of [r, rec(r.event), rec(r.object)]) {
    if (candidate.happened_at !== undefined || candidate.event_type_code !== undefined || candidate.message !== undefined) {
      return candidate;
    }
  }
  return undefined;
}

function trackerEvent(
  env: z.infer<typeof shipupEventSchema>,
  raw: Record<string, unknown>,
  type: string,
  livemode: boolean,
): NormalizedEvent {
  const tracker = env.data.object ?? {};
  const carrier = rec(tracker.carrier);
  const service = rec(tracker.carrier_service);
  const ev = reasonEvent(env.data.reason);
  const messages = rec(ev?.messages);
  const address = rec(ev?.address);
  const order = orderSection(tracker);
  return {
    type,
    livemode,
    occurred_at: isoTimestamp(ev?.happened_at) ?? isoTimestamp(env.created_at),
    source_event: env.type,
    ...(order ? { order } : {}),
    shipment: compact({
      tracking_number: str(tracker.tracking_number),
      carrier: carrierCode(str(tracker.carrier_code) ?? str(carrier.code)),
      service: str(service.name) ?? str(service.code),
      ship_date: isoDate(tracker.shipped_at),
    }),
    tracking: trackingSection(shipupStatus(tracker.delivery_status_code), {
      status_detail: str(ev?.message) ?? str(messages.en) ?? str(tracker.delivery_status_code),
      location: location({
        city: address.city,
        state: address.state,
        country: address.country_code ?? address.country,
        postal_code: address.zip,
      }),
      estimated_delivery: tracker.displayable_expected_delivery_date,
    }),
    data: {
      retry_count: env.retry_count ?? 0,
      webhook_setting_id: env.webhook_setting_id,
      tracker: omit(tracker, ["tracking_number", "carrier_code", "carrier", "carrier_service", "shipped_at"]),
      reason: env.data.reason,
    },
    provider_event_id: String(env.id),
    dedupe_basis: omit(raw, ["retry_count"]),
  };
}

export const shipupAdapter: ProviderAdapter = {
  provider: "shipup",
  verificationPreset: { type: "url_token" },
  normalize({ body }) {
    const ping = shipupPingSchema.safeParse(body);
    if (ping.success) {
      const event: NormalizedEvent = {
        type: "test.ping",
        livemode: liveFlag(ping.data.livemode),
        source_event: "livemode_ping",
        data: body as Record<string, unknown>,
      };
      return { kind: "events", events: [event] };
    }
    const env = parsePayload(shipupEventSchema, body, { what: "not a Shipup webhook event", field: "type" });
    const livemode = liveFlag(env.livemode);
    const type = TYPES[env.type];
    if (type) return { kind: "events", events: [trackerEvent(env, body as Record<string, unknown>, type, livemode)] };

    const object = env.data.object ?? {};
    const order = isRecord(object) ? orderSection(object) : undefined;
    const event: NormalizedEvent = {
      type: "provider.unmapped",
      livemode,
      occurred_at: isoTimestamp(env.created_at),
      source_event: env.type,
      ...(order ? { order } : {}),
      data: body as Record<string, unknown>,
      provider_event_id: String(env.id),
      dedupe_basis: omit(body as Record<string, unknown>, ["retry_count"]),
    };
    return { kind: "events", events: [event] };
  },
};
