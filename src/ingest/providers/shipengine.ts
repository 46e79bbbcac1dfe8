import { z } from "zod";
import type { TrackingStatus } from "../../events/canonical";
import {
  carrierCode,
  compact,
  isoDate,
  isoTimestamp,
  list,
  location,
  money,
  omit,
  rec,
  shipmentItems,
  str,
  trackingSection,
} from "../../events/normalize";
import { unmappedEvent } from "../unmapped";
import { fetchResourcePages, parseUrl, resourceFetchAllowed } from "./resource-fetch";
import {
  AdapterParseError,
  type FetchInput,
  type NormalizedEvent,
  type ProviderAdapter,
  type ProviderCredentials,
} from "./types";
import { parsePayload } from "./parse";

/**
 * ShipEngine and the ShipStation v2 API (the same platform; CloudFFL's "Fulfillment Shipped
 * v2" / "Shipment Created" flow lands here).
 *
 * - Proof of origin: RSA-SHA256 over `"<x-shipengine-timestamp>.<raw body>"` with headers
 *   `x-shipengine-rsa-sha256-key-id` / `-signature`, key from https://api.shipengine.com/jwks,
 *   5 minutes tolerance (https://docs.shipstation.com/apis/docs/guides/webhooks-validation;
 *   see ../verification/rsa-jwks.ts).
 * - Payloads `{resource_url, resource_type, data?}` (https://docs.shipstation.com/apis/docs/guides/webhooks-schemas):
 *   TRACK_EVENT_V2 / ShipEngine API_TRACK carry the tracking inline in `data` (`status_code`,
 *   `status_detail_code`, `carrier_code`, `estimated_delivery_date`, cumulative `events[]`);
 *   FULFILLMENT_SHIPPED_V2, SHIPMENT_CREATED_V2 and LABEL_CREATED_V2 are pointers whose
 *   `resource_url` (`/v2/fulfillments?…`, `/v2/shipments?…`, `/v2/labels?…`) answers a page of
 *   `fulfillments` / `shipments` / `labels` when read with the `API-Key` header.
 *   BATCH_PROCESSED_V2 and the other notifications have no canonical home: `provider.unmapped`.
 * - Status codes (same page and ShipEngine's tracking docs): NY/AC → pre_transit, IT →
 *   in_transit (out_for_delivery when `status_detail_code` is OUT_FOR_DELIVERY,
 *   @shipengine/connect-carrier-api StandardizedStatusDetailCodes), DE → delivered, SP →
 *   available_for_pickup, AT → delivery_attempted, EX → exception, UN → unknown.
 * - v2 names: `shipment_number` is the order number and so the order reference;
 *   `shipment_id` the order id (https://docs.shipstation.com/orders/understanding-orders-shipments.md).
 *
 * Dedupe: a tracking callback is identified by its resource URL plus the time of the newest
 * carrier event it reports (EVENTS.md: "ShipEngine resource URL + timestamp"). The event's
 * time, not the `x-shipengine-timestamp` header, because every delivery attempt is signed
 * anew and a retry hours later carries a fresh header. Fetched items are identified by
 * their own ids.
 */

const V2_HOSTS = new Set(["api.shipengine.com", "api.shipstation.com"]);
const TRACKING_TYPES = new Set(["TRACK_EVENT_V2", "API_TRACK", "TRACK"]);
const POINTER_TYPES = new Set(["FULFILLMENT_SHIPPED_V2", "SHIPMENT_CREATED_V2", "LABEL_CREATED_V2"]);

const STATUS: Record<string, TrackingStatus> = {
  NY: "pre_transit",
  AC: "pre_transit",
  IT: "in_transit",
  DE: "delivered",
  SP: "available_for_pickup",
  AT: "delivery_attempted",
  EX: "exception",
  UN: "unknown",
};

export const shipengineWebhookSchema = z.object({
  resource_url: z.string().min(1),
  resource_type: z.string().min(1),
  data: z.record(z.string(), z.unknown()).nullish(),
});

const text = z.union([z.string(), z.number()]).nullish();
const moneySchema = z.looseObject({ currency: z.string().nullish(), amount: z.union([z.number(), z.string()]).nullish() });

export const shipengineTrackingSchema = z.looseObject({
  tracking_number: text,
  status_code: z.string().nullish(),
  status_detail_code: z.string().nullish(),
  status_detail_description: z.string().nullish(),
  status_description: z.string().nullish(),
  carrier_status_description: z.string().nullish(),
  carrier_code: z.string().nullish(),
  ship_date: z.string().nullish(),
  estimated_delivery_date: z.string().nullish(),
  actual_delivery_date: z.string().nullish(),
  events: z.array(z.looseObject({ occurred_at: z.string().nullish() })).nullish(),
});

export const shipengineFulfillmentSchema = z.looseObject({
  fulfillment_id: text,
  shipment_id: text,
  shipment_number: text,
  tracking_number: text,
  created_at: z.string().nullish(),
  ship_date: z.string().nullish(),
  voided_at: z.string().nullish(),
  carrier_code: z.string().nullish(),
  fulfillment_carrier_friendly_name: z.string().nullish(),
  fulfillment_service_code: z.string().nullish(),
  voided: z.boolean().nullish(),
});

export const shipengineShipmentSchema = z.looseObject({
  shipment_id: text,
  shipment_number: text,
  external_shipment_id: text,
  carrier_code: z.string().nullish(),
  service_code: z.string().nullish(),
  ship_date: z.string().nullish(),
  created_at: z.string().nullish(),
  items: z.array(z.unknown()).nullish(),
});

export const shipengineLabelSchema = z.looseObject({
  label_id: text,
  status: z.string().nullish(),
  shipment_id: text,
  shipment_number: text,
  tracking_number: text,
  carrier_code: z.string().nullish(),
  service_code: z.string().nullish(),
  ship_date: z.string().nullish(),
  created_at: z.string().nullish(),
  voided: z.boolean().nullish(),
  voided_at: z.string().nullish(),
  shipment_cost: moneySchema.nullish(),
});

/**
 * The SSRF rule of PROVIDERS.md: with a custom `api_base_url` only that origin; with the
 * default base only `https://api.shipengine.com` / `https://api.shipstation.com`.
 */
export function shipengineFetchAllowed(resourceUrl: string, credentials: ProviderCredentials): boolean {
  return resourceFetchAllowed(resourceUrl, credentials, (host) => V2_HOSTS.has(host));
}

function trackingStatus(code: unknown, detail: unknown): TrackingStatus {
  const c = typeof code === "string" ? code.trim().toUpperCase() : "";
  const status = STATUS[c] ?? "unknown";
  if (status === "in_transit" && typeof detail === "string" && detail.trim().toUpperCase() === "OUT_FOR_DELIVERY") {
    return "out_for_delivery";
  }
  return status;
}

/** The newest carrier event of the cumulative `events[]` (by `occurred_at`, else the first). */
function newestEvent(events: unknown): Record<string, unknown> | undefined {
  let best: Record<string, unknown> | undefined;
  let bestAt = -Infinity;
  for (const e of list(events)) {
    const r = rec(e);
    const at = Date.parse(String(r.occurred_at ?? r.carrier_occurred_at ?? ""));
    if (best === undefined || (!Number.isNaN(at) && at > bestAt)) {
      best = r;
      if (!Number.isNaN(at)) bestAt = at;
    }
  }
  return best;
}

function labelIdFromUrl(resourceUrl: string): string | undefined {
  const m = /\/labels\/([^/?#]+)/.exec(resourceUrl);
  return m?.[1] ? decodeURIComponent(m[1]) : undefined;
}

/** A tracking payload (inline `data` or a fetched track resource) as `tracking.updated`. */
export function shipengineTrackingEvent(
  raw: unknown,
  ctx: { resourceUrl: string; resourceType: string },
): NormalizedEvent {
  const t = parsePayload(shipengineTrackingSchema, raw, { at: "data" });
  const latest = newestEvent(t.events);
  const status = trackingStatus(t.status_code, t.status_detail_code ?? latest?.status_detail_code);
  const occurredAt = isoTimestamp(latest?.occurred_at) ?? isoTimestamp(t.actual_delivery_date);
  return {
    type: "tracking.updated",
    livemode: true,
    occurred_at: occurredAt,
    source_event: ctx.resourceType,
    ...(ctx.resourceType.endsWith("_V2") ? { version: "v2" } : {}),
    shipment: compact({
      tracking_number: str(t.tracking_number),
      carrier: carrierCode(t.carrier_code),
      ship_date: isoDate(t.ship_date),
      label_id: labelIdFromUrl(ctx.resourceUrl),
    }),
    tracking: trackingSection(status, {
      status_detail: t.status_detail_description ?? t.status_description ?? t.carrier_status_description,
      location: latest
        ? location({
            city: latest.city_locality,
            state: latest.state_province,
            country: latest.country_code,
            postal_code: latest.postal_code,
          })
        : undefined,
      estimated_delivery: t.estimated_delivery_date,
    }),
    data: { resource_url: ctx.resourceUrl, ...omit(t, ["tracking_number", "carrier_code", "ship_date"]) },
    // Never the x-shipengine-timestamp header: every retry is re-signed with a new one. With no
    // carrier event yet ("not yet in system") the relay dedupes on the payload instead.
    provider_event_id: occurredAt ? `${ctx.resourceUrl}@${occurredAt}:${t.status_code ?? ""}` : undefined,
    dedupe_basis: { resource_url: ctx.resourceUrl, resource_type: ctx.resourceType, data: raw },
  };
}

function orderOf(o: { shipment_number?: unknown; shipment_id?: unknown }) {
  return compact({ reference: str(o.shipment_number), id: str(o.shipment_id) });
}

function fulfillmentEvent(raw: unknown, index: number, resourceType: string): NormalizedEvent {
  const f = parsePayload(shipengineFulfillmentSchema, raw, { at: `fulfillments.${index}` });
  const voided = f.voided === true || Boolean(f.voided_at);
  const type = voided ? "label.voided" : "order.shipped";
  const id = str(f.fulfillment_id);
  return {
    type,
    livemode: true,
    occurred_at: isoTimestamp(voided ? (f.voided_at ?? f.created_at) : f.created_at),
    source_event: resourceType,
    version: "v2",
    order: orderOf(f),
    shipment: compact({
      tracking_number: str(f.tracking_number),
      carrier: carrierCode(f.carrier_code ?? f.fulfillment_carrier_friendly_name),
      service: str(f.fulfillment_service_code),
      ship_date: isoDate(f.ship_date),
    }),
    data: omit(f, ["shipment_number", "tracking_number", "carrier_code", "fulfillment_service_code", "ship_date"]),
    provider_event_id: id ? `fulfillment:${id}:${type}` : undefined,
    dedupe_basis: { resource_type: resourceType, fulfillment: f },
  };
}

function shipmentEvent(raw: unknown, index: number, resourceType: string): NormalizedEvent {
  const s = parsePayload(shipengineShipmentSchema, raw, { at: `shipments.${index}` });
  const id = str(s.shipment_id);
  return {
    type: "shipment.created",
    livemode: true,
    occurred_at: isoTimestamp(s.created_at),
    source_event: resourceType,
    version: "v2",
    order: orderOf(s),
    shipment: compact({
      carrier: carrierCode(s.carrier_code),
      service: str(s.service_code),
      ship_date: isoDate(s.ship_date),
      items: shipmentItems(s.items, { sku: ["sku"], quantity: ["quantity"], description: ["name"] }),
    }),
    data: omit(s, ["shipment_number", "carrier_code", "service_code", "ship_date", "items"]),
    provider_event_id: id ? `shipment:${id}:created` : undefined,
    dedupe_basis: { resource_type: resourceType, shipment: s },
  };
}

function labelEvent(raw: unknown, index: number, resourceType: string): NormalizedEvent {
  const l = parsePayload(shipengineLabelSchema, raw, { at: `labels.${index}` });
  const voided = l.voided === true || str(l.status)?.toLowerCase() === "voided";
  const type = voided ? "label.voided" : "label.created";
  const id = str(l.label_id);
  const cost = l.shipment_cost ?? undefined;
  return {
    type,
    livemode: true,
    occurred_at: isoTimestamp(voided ? (l.voided_at ?? l.created_at) : l.created_at),
    source_event: resourceType,
    version: "v2",
    order: orderOf(l),
    shipment: compact({
      tracking_number: str(l.tracking_number),
      carrier: carrierCode(l.carrier_code),
      service: str(l.service_code),
      ship_date: isoDate(l.ship_date),
      cost: cost ? money(cost.amount, cost.currency) : undefined,
      label_id: id,
    }),
    data: omit(l, ["shipment_number", "tracking_number", "carrier_code", "service_code", "ship_date", "shipment_cost"]),
    provider_event_id: id ? `label:${id}:${type}` : undefined,
    dedupe_basis: { resource_type: resourceType, label: l },
  };
}

/** One canonical event per fulfillment / shipment / label listed, or the tracking resource. */
export function shipengineResourceEvents(page: Record<string, unknown>, resourceType: string, resourceUrl: string): NormalizedEvent[] {
  const arrays: Array<[string, (raw: unknown, i: number, type: string) => NormalizedEvent]> = [
    ["fulfillments", fulfillmentEvent],
    ["shipments", shipmentEvent],
    ["labels", labelEvent],
  ];
  for (const [key, map] of arrays) {
    const value = page[key];
    if (value === undefined || value === null) continue;
    if (!Array.isArray(value)) throw new AdapterParseError(`${key} must be a list`, key);
    return value.map((item, i) => map(item, i, resourceType));
  }
  if ("status_code" in page || "tracking_number" in page) {
    return [shipengineTrackingEvent(page, { resourceUrl, resourceType })];
  }
  throw new AdapterParseError("the resource lists no fulfillments, shipments or labels", "fulfillments");
}

export const shipengineAdapter: ProviderAdapter = {
  provider: "shipengine",
  verificationPreset: { type: "rsa_jwks", jwks_url: "https://api.shipengine.com/jwks", tolerance_seconds: 300 },
  normalize({ body }) {
    const { resource_url, resource_type, data } = parsePayload(shipengineWebhookSchema, body, {
      what: "not a ShipEngine webhook",
      field: "resource_url",
    });
    if (!parseUrl(resource_url)) throw new AdapterParseError("resource_url is not a URL", "resource_url");
    const type = resource_type.toUpperCase();
    if (TRACKING_TYPES.has(type)) {
      if (data) {
        const event = shipengineTrackingEvent(data, { resourceUrl: resource_url, resourceType: type });
        return { kind: "events", events: [event] };
      }
      return { kind: "fetch", pointer: { resource_url, resource_type: type } };
    }
    if (POINTER_TYPES.has(type)) return { kind: "fetch", pointer: { resource_url, resource_type: type } };
    const version = type.endsWith("_V2") ? { version: "v2" } : {};
    return { kind: "events", events: [unmappedEvent(resource_type, body as Record<string, unknown>, version)] };
  },
  isFetchAllowed: shipengineFetchAllowed,
  async fetchResource({ pointer, credentials, fetch: fetcher }: FetchInput) {
    if (!shipengineFetchAllowed(pointer.resource_url, credentials)) {
      throw new Error("ShipEngine resource fetch refused: the URL is not on the configured API host");
    }
    if (!credentials.api_key) throw new Error("ShipEngine resource fetch needs the source's api_key");
    const pages = await fetchResourcePages(
      pointer.resource_url,
      { "api-key": credentials.api_key, accept: "application/json" },
      fetcher,
      "ShipEngine",
    );
    return pages.flatMap((page) => shipengineResourceEvents(page, pointer.resource_type, pointer.resource_url));
  },
};
