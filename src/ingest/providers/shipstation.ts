import { z } from "zod";
import {
  carrierCode,
  compact,
  isoDate,
  money,
  omit,
  shipmentItems,
  str,
  zonedTimestamp,
} from "../../events/normalize";
import { toBase64, utf8 } from "../../lib/encoding";
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
 * ShipStation v1 API webhooks: pointer callbacks.
 *
 * - Body `{resource_url, resource_type}`; `resource_type` is one of ORDER_NOTIFY,
 *   ITEM_ORDER_NOTIFY, SHIP_NOTIFY, ITEM_SHIP_NOTIFY, FULFILLMENT_SHIPPED,
 *   FULFILLMENT_REJECTED (https://docs.shipstation.com/apis/shipstation-v1/docs/models/webhook).
 *   The resource is read with `Authorization: Basic base64(api_key:api_secret)` (same page).
 * - No signature is published, so the preset is an unguessable URL token
 *   (shared/design/PROVIDERS.md; api-evangelist/shipstation asyncapi/shipstation-webhooks-asyncapi.yml).
 * - The resource is a page of `{shipments|orders|fulfillments, total, page, pages}` with the
 *   v1 Shipment / Order / Fulfillment models
 *   (https://docs.shipstation.com/apis/shipstation-v1/docs/models/order, api-evangelist/shipstation
 *   json-schema/shipstation-shipment-schema.json, …-fulfillment-schema.json).
 * - v1 timestamps carry no zone and are Pacific time (several public integrations rely on
 *   it; not stated on the pages above), so they are read as America/Los_Angeles.
 *
 * Mapping: shipments → `order.shipped` (voided → `label.voided`); ORDER_NOTIFY orders →
 * `order.imported` (`order.updated` once modified, `order.canceled` when cancelled);
 * FULFILLMENT_SHIPPED fulfillments → `order.shipped`; FULFILLMENT_REJECTED → `order.error`.
 * `orderNumber` is the order reference (EVENTS.md "Identity"), `orderId` (else `orderKey`)
 * the order id. One event per listed item; each is deduplicated on the item's own id and
 * state, because the resource is read live and its other fields drift between retries.
 */

const SHIPSTATION_ZONE = "America/Los_Angeles";
const V1_HOST = /^ssapi\d*\.shipstation\.com$/;

export const SHIPSTATION_RESOURCE_TYPES = [
  "ORDER_NOTIFY",
  "ITEM_ORDER_NOTIFY",
  "SHIP_NOTIFY",
  "ITEM_SHIP_NOTIFY",
  "FULFILLMENT_SHIPPED",
  "FULFILLMENT_REJECTED",
] as const;
const KNOWN_TYPES = new Set<string>(SHIPSTATION_RESOURCE_TYPES);

export const shipstationWebhookSchema = z.object({
  resource_url: z.string().min(1),
  resource_type: z.string().min(1),
});

const id = z.union([z.string(), z.number()]).nullish();
const text = z.union([z.string(), z.number()]).nullish();
const amount = z.union([z.number(), z.string()]).nullish();
const itemSchema = z.looseObject({ sku: text, name: text, quantity: amount });

export const shipstationShipmentSchema = z.looseObject({
  shipmentId: id,
  orderId: id,
  orderKey: text,
  orderNumber: text,
  createDate: z.string().nullish(),
  shipDate: z.string().nullish(),
  shipmentCost: amount,
  trackingNumber: text,
  carrierCode: z.string().nullish(),
  serviceCode: z.string().nullish(),
  voided: z.boolean().nullish(),
  voidDate: z.string().nullish(),
  shipmentItems: z.array(itemSchema).nullish(),
});

export const shipstationOrderSchema = z.looseObject({
  orderId: id,
  orderNumber: text,
  orderKey: text,
  orderDate: z.string().nullish(),
  createDate: z.string().nullish(),
  modifyDate: z.string().nullish(),
  orderStatus: z.string().nullish(),
  carrierCode: z.string().nullish(),
  serviceCode: z.string().nullish(),
  shipDate: z.string().nullish(),
  items: z.array(itemSchema).nullish(),
});

export const shipstationFulfillmentSchema = z.looseObject({
  fulfillmentId: id,
  orderId: id,
  orderNumber: text,
  trackingNumber: text,
  createDate: z.string().nullish(),
  shipDate: z.string().nullish(),
  voidDate: z.string().nullish(),
  carrierCode: z.string().nullish(),
  fulfillmentServiceCode: z.string().nullish(),
  voided: z.boolean().nullish(),
});

const pageSchema = z.looseObject({
  shipments: z.array(z.unknown()).nullish(),
  orders: z.array(z.unknown()).nullish(),
  fulfillments: z.array(z.unknown()).nullish(),
  page: amount,
  pages: amount,
});

/** Label images and forms are base64 blobs: never copied into `data`. */
const BULKY_FIELDS = ["labelData", "formData"];

/**
 * The SSRF rule of PROVIDERS.md: with a custom `api_base_url` (sandbox, tests) only that
 * origin; with the default base only `https://ssapi<N>.shipstation.com` on the default port.
 * Never a URL that carries userinfo.
 */
export function shipstationFetchAllowed(resourceUrl: string, credentials: ProviderCredentials): boolean {
  return resourceFetchAllowed(resourceUrl, credentials, (host) => V1_HOST.test(host));
}

const ssTime = (value: unknown) => zonedTimestamp(value, SHIPSTATION_ZONE);

function items(lines: unknown) {
  return shipmentItems(lines, { sku: ["sku"], quantity: ["quantity"], description: ["name"] });
}

function orderIds(o: { orderNumber?: unknown; orderId?: unknown; orderKey?: unknown }) {
  return compact({ reference: str(o.orderNumber), id: str(o.orderId) ?? str(o.orderKey) });
}

function shipmentEvent(raw: unknown, index: number, resourceType: string): NormalizedEvent {
  const s = parsePayload(shipstationShipmentSchema, raw, { at: `shipments.${index}` });
  const voided = s.voided === true;
  const shipmentId = str(s.shipmentId);
  const cleaned = omit(s, BULKY_FIELDS);
  return {
    type: voided ? "label.voided" : "order.shipped",
    livemode: true,
    occurred_at: voided ? (ssTime(s.voidDate) ?? ssTime(s.createDate)) : ssTime(s.createDate),
    source_event: resourceType,
    order: orderIds(s),
    shipment: compact({
      tracking_number: str(s.trackingNumber),
      carrier: carrierCode(s.carrierCode),
      service: str(s.serviceCode),
      ship_date: isoDate(s.shipDate),
      // v1 reports label costs without a currency; ShipStation bills in USD.
      cost: money(s.shipmentCost, "USD"),
      label_id: shipmentId,
      items: items(s.shipmentItems),
    }),
    data: omit(cleaned, [
      "orderNumber",
      "trackingNumber",
      "carrierCode",
      "serviceCode",
      "shipDate",
      "shipmentCost",
      "shipmentItems",
    ]),
    provider_event_id: shipmentId ? `shipment:${shipmentId}:${voided ? "voided" : "shipped"}` : undefined,
    dedupe_basis: { resource_type: resourceType, shipment: cleaned },
  };
}

function orderEvent(raw: unknown, index: number, resourceType: string): NormalizedEvent {
  const o = parsePayload(shipstationOrderSchema, raw, { at: `orders.${index}` });
  const status = str(o.orderStatus)?.toLowerCase();
  let type: string;
  if (resourceType === "FULFILLMENT_REJECTED") type = "order.error";
  else if (status === "cancelled" || status === "canceled") type = "order.canceled";
  else if (!o.modifyDate || o.modifyDate === o.createDate) type = "order.imported";
  else type = "order.updated";
  const orderId = str(o.orderId) ?? str(o.orderKey);
  return {
    type,
    livemode: true,
    occurred_at: ssTime(o.modifyDate) ?? ssTime(o.createDate) ?? ssTime(o.orderDate),
    source_event: resourceType,
    order: orderIds(o),
    shipment: compact({
      carrier: carrierCode(o.carrierCode),
      service: str(o.serviceCode),
      ship_date: isoDate(o.shipDate),
      items: items(o.items),
    }),
    data: omit(o, ["orderNumber", "carrierCode", "serviceCode", "shipDate", "items"]),
    provider_event_id: orderId ? `order:${orderId}:${type}:${str(o.modifyDate) ?? ""}` : undefined,
    dedupe_basis: { resource_type: resourceType, order: o },
  };
}

function fulfillmentEvent(raw: unknown, index: number, resourceType: string): NormalizedEvent {
  const f = parsePayload(shipstationFulfillmentSchema, raw, { at: `fulfillments.${index}` });
  const voided = f.voided === true;
  const type = resourceType === "FULFILLMENT_REJECTED" ? "order.error" : voided ? "label.voided" : "order.shipped";
  const fulfillmentId = str(f.fulfillmentId);
  return {
    type,
    livemode: true,
    occurred_at: voided ? (ssTime(f.voidDate) ?? ssTime(f.createDate)) : ssTime(f.createDate),
    source_event: resourceType,
    order: orderIds(f),
    shipment: compact({
      tracking_number: str(f.trackingNumber),
      carrier: carrierCode(f.carrierCode),
      service: str(f.fulfillmentServiceCode),
      ship_date: isoDate(f.shipDate),
    }),
    data: omit(f, ["orderNumber", "trackingNumber", "carrierCode", "fulfillmentServiceCode", "shipDate"]),
    provider_event_id: fulfillmentId ? `fulfillment:${fulfillmentId}:${type}` : undefined,
    dedupe_basis: { resource_type: resourceType, fulfillment: f },
  };
}

/** One canonical event per shipment, order or fulfillment the resource page lists. */
export function shipstationResourceEvents(page: unknown, resourceType: string): NormalizedEvent[] {
  const p = parsePayload(pageSchema, page);
  if (p.shipments) return p.shipments.map((s, i) => shipmentEvent(s, i, resourceType));
  if (p.fulfillments) return p.fulfillments.map((f, i) => fulfillmentEvent(f, i, resourceType));
  if (p.orders) return p.orders.map((o, i) => orderEvent(o, i, resourceType));
  throw new AdapterParseError("the resource lists no shipments, orders or fulfillments", "shipments");
}

export const shipstationAdapter: ProviderAdapter = {
  provider: "shipstation",
  verificationPreset: { type: "url_token" },
  normalize({ body }) {
    const { resource_url, resource_type } = parsePayload(shipstationWebhookSchema, body, {
      what: "not a ShipStation webhook",
      field: "resource_url",
    });
    if (!parseUrl(resource_url)) throw new AdapterParseError("resource_url is not a URL", "resource_url");
    const type = resource_type.toUpperCase();
    if (!KNOWN_TYPES.has(type)) {
      return { kind: "events", events: [unmappedEvent(resource_type, body as Record<string, unknown>)] };
    }
    return { kind: "fetch", pointer: { resource_url, resource_type: type } };
  },
  isFetchAllowed: shipstationFetchAllowed,
  async fetchResource({ pointer, credentials, fetch: fetcher }: FetchInput) {
    if (!shipstationFetchAllowed(pointer.resource_url, credentials)) {
      throw new Error("ShipStation resource fetch refused: the URL is not on the configured API host");
    }
    if (!credentials.api_key || !credentials.api_secret) {
      throw new Error("ShipStation resource fetch needs the source's api_key and api_secret");
    }
    const authorization = `Basic ${toBase64(utf8(`${credentials.api_key}:${credentials.api_secret}`))}`;
    const pages = await fetchResourcePages(
      pointer.resource_url,
      { authorization, accept: "application/json" },
      fetcher,
      "ShipStation",
    );
    return pages.flatMap((page) => shipstationResourceEvents(page, pointer.resource_type));
  },
};
