import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseShipedgeEvent, shipedgeAdapter } from "../../src/ingest/providers/shipedge";
import type { NormalizedEvent } from "../../src/ingest/providers/types";
import billingUnknown from "../fixtures/shipedge/billing.invoice_created_v1.json";
import inventoryCorrections from "../fixtures/shipedge/inventory.corrections_v2.json";
import inventoryMirror from "../fixtures/shipedge/inventory.mirror_v2.json";
import ordersCanceled from "../fixtures/shipedge/orders.canceled_v2.json";
import ordersRefunded from "../fixtures/shipedge/orders.refunded_v2.json";
import ordersShipped from "../fixtures/shipedge/orders.shipped_v2.json";
import ordersShippedV3 from "../fixtures/shipedge/orders.shipped_v3.json";
import ordersUpdated from "../fixtures/shipedge/orders.updated_v1.json";
import replenishmentReceived from "../fixtures/shipedge/replenishments.received_v2.json";
import returnReceived from "../fixtures/shipedge/returns.received_v2.json";
import { adapterInput, expectCanonicalEvent, expectParseError, neverCrashes, normalizeOne } from "./helpers";

const receivedAt = new Date("2024-01-15T10:30:05Z");
const input = (body: unknown) => adapterInput(body, { receivedAt });
const one = (body: unknown) => normalizeOne(shipedgeAdapter, body, { receivedAt });
const expectCanonical = (ev: NormalizedEvent) => expectCanonicalEvent(ev, "shipedge", receivedAt, { withVersion: true });

describe("shipedge normalize", () => {
  it("maps orders/shipped_v2 (seed sample) to order.shipped", () => {
    const ev = one(ordersShipped.body);
    expect(ev).toMatchObject({
      type: "order.shipped",
      livemode: true,
      source_event: "orders/shipped_v2",
      version: "v2",
      occurred_at: "2024-01-15T10:30:00Z",
      order: { reference: "REF-123", id: "12345", number: "ORD-001" },
      shipment: {
        tracking_number: "1Z999AA10123456784",
        carrier: "ups",
        service: "Ground",
        ship_date: "2024-01-15",
        cost: { amount: "5.99", currency: "USD" },
        items: [{ sku: "PROD-001", quantity: 2, description: "Product Description" }],
      },
    });
    expect(ev.tracking).toBeUndefined();
    expect(ev.inventory).toBeUndefined();
    expect(ev.data).toMatchObject({ account_id: 100, status: "shipped", total: 59.98 });
    expect(ev.data).not.toHaveProperty("tracking_number");
    expect(ev.provider_event_id).toBeUndefined();
    expectCanonical(ev);
  });

  it("maps orders/shipped_v3 with the tracking in packages[], order_number as the reference", () => {
    const ev = one(ordersShippedV3.body);
    expect(ev).toMatchObject({
      type: "order.shipped",
      version: "v3",
      order: { reference: "ORD-002", id: "12346" },
      shipment: { tracking_number: "9400111899223197428490", carrier: "usps", service: "Priority Mail", cost: { amount: "7.73", currency: "USD" } },
    });
    expect(ev.order).not.toHaveProperty("number");
    expectCanonical(ev);
  });

  it("maps inventory/corrections_v2 (seed sample) to inventory.adjusted", () => {
    const ev = one(inventoryCorrections.body);
    expect(ev).toMatchObject({
      type: "inventory.adjusted",
      version: "v2",
      occurred_at: "2024-01-15T14:20:00Z",
      inventory: { sku: "PROD-001", location: "A-01", previous_quantity: 50, new_quantity: 45, reason: "Cycle count adjustment" },
    });
    expect(ev.order).toBeUndefined();
    expect(ev.shipment).toBeUndefined();
    expect(ev.data).toMatchObject({ correction_id: 789, bin: "BIN-001", adjustment: -5, user: "warehouse_user" });
    expectCanonical(ev);
  });

  it("maps the inventory mirror to inventory.adjusted", () => {
    const ev = one(inventoryMirror.body);
    expect(ev).toMatchObject({ type: "inventory.adjusted", inventory: { sku: "PROD-001", previous_quantity: 50, new_quantity: 45 } });
    expectCanonical(ev);
  });

  it.each([
    [ordersCanceled.body, "order.canceled", "REF-125"],
    [ordersRefunded.body, "order.refunded", "REF-123"],
    [ordersUpdated.body, "order.updated", "ORD-004"],
    [replenishmentReceived.body, "replenishment.received", "PO-7788"],
    [returnReceived.body, "return.received", "REF-123"],
  ])("maps %j", (body, type, reference) => {
    const ev = one(body);
    expect(ev.type).toBe(type);
    expect(ev.order?.reference).toBe(reference);
    expectCanonical(ev);
  });

  it.each([
    ["orders/backordered_v2", "order.backordered"],
    ["orders/divided_v1", "order.divided"],
    ["orders/cancelled_v3", "order.canceled"],
    ["orders/any_status_change_v2", "order.updated"],
    ["orders/updated_by_oms_v2", "order.updated"],
    ["orders/shipped_by_channel_v2", "order.shipped"],
    ["orders/created_v1", "order.imported"],
    ["replenishments/created_v2", "replenishment.initiated"],
    ["returns/created_v2", "return.initiated"],
    ["exchanges/received_v1", "return.received"],
    ["inventory/corrections", "inventory.adjusted"],
    ["billing/invoice_created_v1", "provider.unmapped"],
    ["whatever", "provider.unmapped"],
  ])("event %s → %s", (event, type) => {
    expect(one({ event, order_number: "X-1" }).type).toBe(type);
  });

  it("keeps an unknown event as provider.unmapped with the payload", () => {
    const ev = one(billingUnknown.body);
    expect(ev).toMatchObject({ type: "provider.unmapped", source_event: "billing/invoice_created_v1", data: billingUnknown.body });
    expect(ev.order).toEqual({ reference: "ORD-001" });
    expectCanonical(ev);
  });

  it("parses event names with their version", () => {
    expect(parseShipedgeEvent("orders/shipped_v2")).toEqual({ resource: "orders", action: "shipped", version: "v2" });
    expect(parseShipedgeEvent("inventory/corrections")).toEqual({ resource: "inventory", action: "corrections", version: undefined });
    expect(parseShipedgeEvent("nonsense")).toBeUndefined();
  });

  it.each([
    [{}, "event"],
    [{ event: 7 }, "event"],
    [{ event: "orders/shipped_v2", items: "x" }, "items"],
    [{ event: "orders/shipped_v2", tracking_number: { a: 1 } }, "tracking_number"],
    ["orders/shipped_v2", "event"],
  ])("rejects %j with an AdapterParseError naming %s", (body, field) => {
    expectParseError(shipedgeAdapter, input(body), field);
  });

  it("uses a URL token by default", () => {
    expect(shipedgeAdapter.verificationPreset).toEqual({ type: "url_token" });
  });
});

describe("shipedge properties", () => {
  const bodies = fc.oneof(
    fc.jsonValue(),
    fc.record(
      {
        event: fc.oneof(
          fc.constantFrom("orders/shipped_v2", "inventory/corrections_v2", "returns/received_v1", "x/y"),
          fc.jsonValue(),
        ),
        order_id: fc.oneof(fc.integer(), fc.jsonValue()),
        order_reference: fc.oneof(fc.string(), fc.jsonValue()),
        tracking_number: fc.oneof(fc.string(), fc.jsonValue()),
        carrier: fc.oneof(fc.string(), fc.jsonValue()),
        shipped_date: fc.oneof(fc.string(), fc.jsonValue()),
        items: fc.oneof(fc.array(fc.object()), fc.jsonValue()),
        packages: fc.oneof(fc.array(fc.object()), fc.jsonValue()),
        previous_quantity: fc.oneof(fc.integer(), fc.jsonValue()),
        new_quantity: fc.oneof(fc.integer(), fc.jsonValue()),
        shipping_cost: fc.oneof(fc.double(), fc.jsonValue()),
        timestamp: fc.oneof(fc.string(), fc.integer(), fc.jsonValue()),
      },
      { requiredKeys: [] },
    ),
  );

  it("normalize returns a result or throws AdapterParseError, never anything else", () => {
    neverCrashes(shipedgeAdapter, bodies, { receivedAt, check: expectCanonical, numRuns: 200 });
  });
});
