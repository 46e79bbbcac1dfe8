import { z } from "zod";

/**
 * The canonical event: the one shape customers code against (shared/design/EVENTS.md).
 * Provider quirks stop at the adapter; everything after it speaks this.
 */

export const TRACKING_STATUSES = [
  "pre_transit",
  "in_transit",
  "out_for_delivery",
  "delivered",
  "available_for_pickup",
  "delivery_attempted",
  "exception",
  "returned_to_sender",
  "failure",
  "cancelled",
  "unknown",
] as const;
export type TrackingStatus = (typeof TRACKING_STATUSES)[number];

export const EVENT_TYPES = [
  "order.imported",
  "order.updated",
  "order.shipped",
  "order.canceled",
  "order.refunded",
  "order.backordered",
  "order.divided",
  "order.error",
  "shipment.created",
  "label.created",
  "label.voided",
  "tracking.updated",
  "inventory.adjusted",
  "replenishment.initiated",
  "replenishment.received",
  "return.initiated",
  "return.received",
  "test.ping",
  "provider.unmapped",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The relay's own operational events; only destinations that list `relay.*` get them. */
export const RELAY_EVENT_TYPES = ["relay.destination.disabled", "relay.delivery.failed", "relay.outbox.delayed", "relay.fetch.failing"] as const;
export type RelayEventType = (typeof RELAY_EVENT_TYPES)[number];

export const PROVIDERS = [
  "shipstation",
  "shipengine",
  "shipedge",
  "shippypro",
  "shipup",
  "atoship",
  "easypost",
  "aftership",
  "generic",
] as const;
export type ProviderName = (typeof PROVIDERS)[number];

const nullableString = z.string().nullable();

export const moneySchema = z.object({
  /** Decimal string, never a float: "5.99". */
  amount: z.string(),
  /** ISO 4217, upper-case. */
  currency: z.string(),
});

export const orderSchema = z.object({
  reference: z.string().optional(),
  id: z.string().optional(),
  number: z.string().optional(),
});

export const shipmentItemSchema = z.object({
  sku: z.string().optional(),
  quantity: z.number().optional(),
  description: z.string().optional(),
});

export const shipmentSchema = z.object({
  tracking_number: z.string().optional(),
  /** Lower-case carrier code: ups, fedex, usps, dhl_express, … */
  carrier: z.string().optional(),
  service: z.string().optional(),
  ship_date: z.string().optional(),
  cost: moneySchema.optional(),
  label_id: z.string().optional(),
  items: z.array(shipmentItemSchema).optional(),
});

export const locationSchema = z.object({
  city: nullableString,
  state: nullableString,
  country: nullableString,
  postal_code: nullableString,
});

export const trackingSchema = z.object({
  status: z.enum(TRACKING_STATUSES),
  status_detail: z.string().optional(),
  location: locationSchema.optional(),
  estimated_delivery: z.string().optional(),
});

export const inventorySchema = z.object({
  sku: z.string().optional(),
  location: z.string().optional(),
  previous_quantity: z.number().optional(),
  new_quantity: z.number().optional(),
  reason: z.string().optional(),
});

export const eventSourceSchema = z.object({
  id: z.string(),
  provider: z.string(),
  /** The provider's own name for the event, e.g. "orders/shipped_v2". */
  event: z.string(),
  version: z.string().optional(),
});

export const canonicalEventSchema = z.object({
  id: z.string(),
  type: z.string(),
  livemode: z.boolean(),
  created_at: z.string(),
  occurred_at: z.string(),
  /** 1, 2, 3 … per order key within a workspace; null when the event has no order or tracking key. */
  sequence: z.number().int().nullable(),
  source: eventSourceSchema,
  order: orderSchema.optional(),
  shipment: shipmentSchema.optional(),
  tracking: trackingSchema.optional(),
  inventory: inventorySchema.optional(),
  data: z.record(z.string(), z.unknown()),
});
export type CanonicalEvent = z.infer<typeof canonicalEventSchema>;
export type Order = z.infer<typeof orderSchema>;
export type Shipment = z.infer<typeof shipmentSchema>;
export type Tracking = z.infer<typeof trackingSchema>;
export type Inventory = z.infer<typeof inventorySchema>;
export type Money = z.infer<typeof moneySchema>;
