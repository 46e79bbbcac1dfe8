/**
 * The canonical event as a receiver codes against it: the one module to import (from this
 * repository) or copy (it depends on nothing but these types) into your own service. Every
 * delivery's body is a `ShiprelayEvent` unless the destination has a `transform`.
 *
 *   import type { ShiprelayEvent, TrackingUpdatedEvent } from "shiprelay/src/events/public";
 *
 *   function handle(event: ShiprelayEvent) {
 *     if (event.type === "tracking.updated") console.log(event.tracking?.status);
 *   }
 *
 * The same shape as JSON Schema: `GET /v1/schemas/event.json`; every type with an example and
 * the provider callbacks that produce it: docs/events.md.
 */
import type { CanonicalEvent, EventType, Inventory, Money, Order, RelayEventType, Shipment, Tracking, TrackingStatus } from "./canonical";

export type { EventType, Inventory, Money, Order, RelayEventType, Shipment, Tracking, TrackingStatus };

/** Where an event came from: the source, its provider and the provider's own event name. */
export type EventSource = CanonicalEvent["source"];

/** Every event a destination can receive, `type` narrowed to the documented names. */
export type ShiprelayEvent<T extends EventType | RelayEventType = EventType | RelayEventType> = Omit<CanonicalEvent, "type"> & { type: T };

export type TrackingUpdatedEvent = ShiprelayEvent<"tracking.updated"> & { tracking: Tracking };
export type OrderShippedEvent = ShiprelayEvent<"order.shipped">;
export type LabelCreatedEvent = ShiprelayEvent<"label.created">;
export type InventoryAdjustedEvent = ShiprelayEvent<"inventory.adjusted"> & { inventory: Inventory };
export type TestPingEvent = ShiprelayEvent<"test.ping"> & { livemode: false };
/** The relay's own events (only to destinations subscribed to `relay.*`); `data` says what happened. */
export type RelayEvent = ShiprelayEvent<RelayEventType>;

/** The Standard Webhooks headers every delivery carries (verify them before trusting the body). */
export interface ShiprelayWebhookHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
  "webhook-attempt": string;
}
