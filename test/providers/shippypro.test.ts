import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { shippyproAdapter, shippyproStatus } from "../../src/ingest/providers/shippypro";
import type { NormalizedEvent } from "../../src/ingest/providers/types";
import orderError from "../fixtures/shippypro/order_error.json";
import orderShipped from "../fixtures/shippypro/order_shipped.json";
import trackingUpdate from "../fixtures/shippypro/tracking_update.json";
import trackingCategory from "../fixtures/shippypro/tracking_update.category.json";
import { adapterInput, expectCanonicalEvent, expectParseError, neverCrashes, normalizeOne } from "./helpers";

const receivedAt = new Date("2021-06-02T22:00:05Z");
const input = (body: unknown) => adapterInput(body, { receivedAt });
const one = (body: unknown) => normalizeOne(shippyproAdapter, body, { receivedAt });
const expectCanonical = (ev: NormalizedEvent) => expectCanonicalEvent(ev, "shippypro", receivedAt);

describe("shippypro normalize", () => {
  it("maps the documented TRACKING_UPDATE (also its test call) to a live tracking.updated", () => {
    const ev = one(trackingUpdate.body);
    expect(ev).toEqual({
      type: "tracking.updated",
      livemode: true,
      source_event: "TRACKING_UPDATE",
      occurred_at: "2021-06-02T22:00:04Z",
      order: { reference: "24957298" },
      shipment: { tracking_number: "WZ116539070", carrier: "fedex" },
      tracking: {
        status: "delivered",
        status_detail: "Shipment delivered",
        location: { city: "Florence", state: null, country: null, postal_code: null },
      },
      data: {
        code: 6,
        first_status_date: "1622152801",
        late: "0",
        TransactionID: "48572_1",
        MarketplaceID: "0",
        MarketplacePlatform: "Manual shipment",
        ExternalLink: "",
        FromAddressCompany: "John Doe srl.",
        ToAddressCompany: "",
        FromAddressCountry: "IT",
        ToAddressCountry: "IT",
      },
    });
    expectCanonical(ev);
  });

  it("reads the 1000–6000 category codes and a real estimated delivery date", () => {
    const ev = one(trackingCategory.body);
    expect(ev).toMatchObject({
      order: { reference: "ODOO-WH/OUT/00042-15" },
      shipment: { tracking_number: "1Z999AA10123456784", carrier: "ups" },
      tracking: { status: "in_transit", status_detail: "Arrived at facility", estimated_delivery: "2024-01-17" },
      occurred_at: "2024-01-15T10:30:00Z",
    });
    expectCanonical(ev);
  });

  it.each([
    [1, "pre_transit"],
    [2, "in_transit"],
    [3, "out_for_delivery"],
    [4, "delivery_attempted"],
    [5, "exception"],
    [6, "delivered"],
    ["6", "delivered"],
    [0, "unknown"],
    [9, "unknown"],
    [1000, "pre_transit"],
    [2005, "in_transit"],
    [3001, "out_for_delivery"],
    [4000, "delivery_attempted"],
    [5012, "exception"],
    [6000, "delivered"],
    [7000, "unknown"],
    [null, "unknown"],
    ["abc", "unknown"],
  ])("code %j → %s", (code, status) => {
    expect(shippyproStatus(code)).toBe(status);
  });

  it("maps Order Shipped to order.shipped", () => {
    const ev = one(orderShipped.body);
    expect(ev).toMatchObject({
      type: "order.shipped",
      order: { reference: "24957299" },
      shipment: { tracking_number: "WZ116539071", carrier: "gls", service: "Business Parcel" },
    });
    expect(ev.tracking).toBeUndefined();
    expect(ev.data).toMatchObject({ TransactionID: "48574_1", LabelURL: ["https://cloud.shippypro.com/labels/48574_1.pdf"] });
    expectCanonical(ev);
  });

  it("maps Order Error to order.error with the error kept in data", () => {
    const ev = one(orderError.body);
    expect(ev).toMatchObject({ type: "order.error", order: { reference: "24957300" }, data: { Error: "Invalid postal code for destination" } });
    expectCanonical(ev);
  });

  it("accepts the event name in other spellings", () => {
    expect(one({ Event: "Order Shipped", OrderID: "1" }).type).toBe("order.shipped");
    expect(one({ event: "tracking_update", OrderID: "1", code: 2 }).type).toBe("tracking.updated");
  });

  it("keeps an unknown event as provider.unmapped", () => {
    const body = { Event: "LABEL_PRINTED", OrderID: "77" };
    expect(one(body)).toMatchObject({ type: "provider.unmapped", order: { reference: "77" }, data: body });
  });

  it.each([
    [{}, "Event"],
    [{ Event: "" }, "Event"],
    [{ Event: "TRACKING_UPDATE", tracking: {} }, "tracking"],
    [{ Event: "TRACKING_UPDATE", code: [6] }, "code"],
    [null, "Event"],
  ])("rejects %j with an AdapterParseError naming %s", (body, field) => {
    expectParseError(shippyproAdapter, input(body), field);
  });

  it("uses a URL token by default", () => {
    expect(shippyproAdapter.verificationPreset).toEqual({ type: "url_token" });
  });
});

describe("shippypro properties", () => {
  const bodies = fc.oneof(
    fc.jsonValue(),
    fc.record(
      {
        Event: fc.oneof(fc.constantFrom("TRACKING_UPDATE", "ORDER_SHIPPED", "ORDER_ERROR", "X"), fc.jsonValue()),
        tracking: fc.oneof(fc.string(), fc.jsonValue()),
        date: fc.oneof(fc.integer(), fc.string(), fc.jsonValue()),
        code: fc.oneof(fc.integer({ min: -10, max: 9000 }), fc.jsonValue()),
        city: fc.oneof(fc.string(), fc.jsonValue()),
        est_delivery_date: fc.oneof(fc.integer(), fc.string(), fc.jsonValue()),
        OrderID: fc.oneof(fc.string(), fc.integer(), fc.jsonValue()),
        TrackingCarrier: fc.oneof(fc.string(), fc.jsonValue()),
        Rate: fc.jsonValue(),
      },
      { requiredKeys: [] },
    ),
  );

  it("normalize returns a result or throws AdapterParseError, never anything else", () => {
    neverCrashes(shippyproAdapter, bodies, { receivedAt, check: expectCanonical, numRuns: 200 });
  });
});
