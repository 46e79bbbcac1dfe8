import { z } from "zod";
import type { TrackingStatus } from "../../events/canonical";
import {
  carrierCode,
  compact,
  isoDate,
  isoTimestamp,
  location,
  money,
  num,
  omit,
  str,
  trackingSection,
} from "../../events/normalize";
import type { NormalizedEvent, ProviderAdapter } from "./types";
import { parsePayload } from "./parse";

/**
 * ShippyPro webhooks (https://help.shippypro.com/en/articles/4134207-how-do-i-connect-webhooks):
 * events Order Shipped, Order Error and Tracking Updates; optional basic auth and one
 * optional custom header (so the preset is a URL token, a source may choose basic/header);
 * optional retries up to 10. The documented test payload is an ordinary
 * `{"Event": "TRACKING_UPDATE", "tracking", "date" (unix), "message", "city", "code",
 * "OrderID", "TransactionID", "TrackingCarrier", "est_delivery_date", …}` — nothing marks it
 * as a test, so it is relayed as a live event (CONTRACT.md).
 *
 * Tracking codes: 1 Info Received, 2 In Transit, 3 Out for Delivery, 4 Missed Delivery,
 * 5 Exception, 6 Delivered (https://help.shippypro.com/en/articles/4131853-which-statuses-will-i-receive-from-tracking-api);
 * the newer mapping groups sub-statuses under 1000 Information Received, 2000 In Transit,
 * 3000 Out for Delivery, 4000 Failed Attempt, 5000 Exception, 6000 Delivered
 * (https://help.shippypro.com/en/knowledge/tracking-mapping-statuses).
 *
 * `OrderID` is the order reference (EVENTS.md "Identity"). The Order Shipped / Order Error
 * bodies are not published: they are read with the tracking payload's field names plus the
 * ShippyPro API's usual ones (`TrackingNumber`, `Carrier`, `CarrierService`, `Error`) —
 * assumed. ShippyPro sends no event id: the relay deduplicates on the payload.
 */

const CATEGORY: Record<number, TrackingStatus> = {
  1: "pre_transit",
  2: "in_transit",
  3: "out_for_delivery",
  4: "delivery_attempted",
  5: "exception",
  6: "delivered",
};

/** Legacy codes 1–6, and the 1000–6999 categories by their thousand. */
export function shippyproStatus(code: unknown): TrackingStatus {
  const n = num(code);
  if (n === undefined || !Number.isInteger(n) || n <= 0) return "unknown";
  if (n < 10) return CATEGORY[n] ?? "unknown";
  if (n >= 1000 && n < 7000) return CATEGORY[Math.floor(n / 1000)] ?? "unknown";
  return "unknown";
}

const TYPES: Record<string, string> = {
  TRACKING_UPDATE: "tracking.updated",
  TRACKING_UPDATES: "tracking.updated",
  ORDER_SHIPPED: "order.shipped",
  ORDER_ERROR: "order.error",
};

const scalar = z.union([z.string(), z.number()]).nullish();

export const shippyproEventSchema = z.looseObject({
  Event: z.string().min(1),
  tracking: scalar,
  date: scalar,
  message: scalar,
  city: scalar,
  est_delivery_date: scalar,
  code: scalar,
  OrderID: scalar,
  TransactionID: scalar,
  TrackingCarrier: scalar,
});

const MAPPED = ["Event", "tracking", "TrackingNumber", "date", "message", "city", "est_delivery_date", "OrderID", "TrackingCarrier", "Carrier", "CarrierName", "CarrierService"];

export const shippyproAdapter: ProviderAdapter = {
  provider: "shippypro",
  verificationPreset: { type: "url_token" },
  normalize({ body }) {
    // Some senders lower-case the envelope key; read `event` as `Event` then.
    const input =
      body && typeof body === "object" && !Array.isArray(body) && !("Event" in body) && "event" in body
        ? { ...(body as Record<string, unknown>), Event: (body as Record<string, unknown>).event }
        : body;
    const e = parsePayload(shippyproEventSchema, input, { what: "not a ShippyPro webhook", field: "Event" });
    const name = e.Event.trim().toUpperCase().replace(/[\s-]+/g, "_");
    const type = TYPES[name] ?? "provider.unmapped";
    const reference = str(e.OrderID);
    const base = {
      livemode: true,
      source_event: e.Event,
      ...(reference ? { order: { reference } } : {}),
    };
    if (type === "provider.unmapped") {
      return { kind: "events", events: [{ ...base, type, data: body as Record<string, unknown> }] };
    }

    const shipment = compact({
      tracking_number: str(e.tracking) ?? str(e.TrackingNumber),
      carrier: carrierCode(str(e.TrackingCarrier) ?? str(e.Carrier) ?? str(e.CarrierName)),
      service: str(e.CarrierService),
      cost: money(e.Rate ?? e.Total, e.Currency),
    });
    const event: NormalizedEvent = {
      ...base,
      type,
      occurred_at: isoTimestamp(e.date),
      ...(shipment ? { shipment } : {}),
      data: omit(e, MAPPED),
    };
    if (type === "tracking.updated") {
      event.tracking = trackingSection(shippyproStatus(e.code), {
        status_detail: e.message,
        location: location({ city: e.city }),
        estimated_delivery: isoDate(e.est_delivery_date),
      });
    }
    return { kind: "events", events: [event] };
  },
};
