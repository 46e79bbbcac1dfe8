import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { shippyproAdapter, shippyproStatus } from "../../../src/ingest/providers/shippypro";
import { type NormalizedEvent } from "../../../src/ingest/providers/types";
import orderError from "../../fixtures/shippypro/order_error.json";
import orderShipped from "../../fixtures/shippypro/order_shipped.json";
import trackingCategory from "../../fixtures/shippypro/tracking_update.category.json";
import trackingUpdate from "../../fixtures/shippypro/tracking_update.json";
import { adapterInput, expectCanonicalEvent, expectParseError, neverCrashes, normalizeOne } from "./adapter-helpers";
import {
  deliveries,
  expectAccepted,
  expectCanonicalEnvelope,
  expectDeliveredAsStored,
  expectDuplicate,
  expectNoFurtherDeliveries,
  expectNothingForwarded,
  expectRefused,
  ingestLog,
  instant,
  pathWithForgedToken,
  pathWithoutToken,
  providerRelay,
  rawOf,
} from "./helpers";

/**
 * ShippyPro through the real ingest route. ShippyPro offers optional basic auth and one
 * optional custom header, so the preset is a URL token and a source may choose basic or
 * header. ShippyPro wants a 2xx with a JSON body (or a 204): the route answers JSON always.
 * Its test call is an ordinary TRACKING_UPDATE: relayed as live. It sends no event id.
 */

describe("ShippyPro: every documented event through the ingest route (URL token preset)", () => {
  it.each([
    [
      "TRACKING_UPDATE (code 6, the documented sample)",
      trackingUpdate,
      {
        type: "tracking.updated",
        source: { event: "TRACKING_UPDATE" },
        occurred_at: instant("2021-06-02T22:00:04Z"),
        sequence: 1,
        order: { reference: "24957298" },
        shipment: { tracking_number: "WZ116539070", carrier: "fedex" },
        tracking: {
          status: "delivered",
          status_detail: "Shipment delivered",
          location: { city: "Florence", state: null, country: null, postal_code: null },
        },
        data: { TransactionID: "48572_1", code: 6, MarketplacePlatform: "Manual shipment" },
      },
    ],
    [
      "TRACKING_UPDATE (category code 2003)",
      trackingCategory,
      {
        type: "tracking.updated",
        occurred_at: instant("2024-01-15T10:30:00Z"),
        order: { reference: "ODOO-WH/OUT/00042-15" },
        shipment: { tracking_number: "1Z999AA10123456784", carrier: "ups" },
        tracking: {
          status: "in_transit",
          status_detail: "Arrived at facility",
          location: { city: "Bologna", state: null, country: null, postal_code: null },
          estimated_delivery: "2024-01-17",
        },
      },
    ],
    [
      "ORDER_SHIPPED",
      orderShipped,
      {
        type: "order.shipped",
        source: { event: "ORDER_SHIPPED" },
        occurred_at: instant("2021-06-02T22:01:40Z"),
        order: { reference: "24957299" },
        shipment: { tracking_number: "WZ116539071", carrier: "gls", service: "Business Parcel" },
        data: { TransactionID: "48574_1", LabelURL: ["https://cloud.shippypro.com/labels/48574_1.pdf"] },
      },
    ],
    [
      "ORDER_ERROR",
      orderError,
      {
        type: "order.error",
        source: { event: "ORDER_ERROR" },
        occurred_at: instant("2021-06-02T22:03:20Z"),
        order: { reference: "24957300" },
        shipment: { carrier: "brt" },
        data: { Error: "Invalid postal code for destination" },
      },
    ],
  ])("%s: 200 JSON, stored and delivered as the canonical event", async (_name, fixture, expected) => {
    const relay = await providerRelay("shippypro");
    const res = await relay.post(rawOf(fixture));
    const [id] = expectAccepted(res);

    const [delivered] = await deliveries(relay, 1);
    const event = delivered!.event;
    expect(event.id).toBe(id);
    expectCanonicalEnvelope(event, relay, "shippypro");
    // ShippyPro marks no test calls: everything it sends is relayed as live.
    expect(event).toMatchObject({ livemode: true, ...expected });
    if (expected.type !== "tracking.updated") expect(event).not.toHaveProperty("tracking");
    expect(event).not.toHaveProperty("inventory");
    await expectDeliveredAsStored(relay, event, fixture.body);
  });

  it("the dashboard's test call (an ordinary TRACKING_UPDATE) is relayed as a live event", async () => {
    const relay = await providerRelay("shippypro");
    expectAccepted(await relay.post(rawOf(trackingUpdate)));
    const [delivered] = await deliveries(relay, 1);
    expect(delivered!.event).toMatchObject({ type: "tracking.updated", livemode: true });
    expect(delivered!.event.type).not.toBe("test.ping");
  });

  it("a URL token that is missing or wrong is refused 401, logged, and nothing is forwarded", async () => {
    const relay = await providerRelay("shippypro");
    const raw = rawOf(trackingUpdate);
    await expectRefused(relay, await relay.post(raw, { path: pathWithoutToken(relay.source) }), "missing_token");
    await expectRefused(relay, await relay.post(raw, { path: pathWithForgedToken(relay.source) }), "invalid_token");
    await expectNothingForwarded(relay);
  });

  it("ShippyPro sends no event id: an identical payload again (its retry) is a duplicate, delivered once", async () => {
    const relay = await providerRelay("shippypro");
    const raw = rawOf(trackingUpdate);
    const ids = expectAccepted(await relay.post(raw));
    await deliveries(relay, 1);
    expectDuplicate(await relay.post(raw), ids);
    await expectNoFurtherDeliveries(relay, 1);
    expect((await ingestLog(relay.key, relay.source.id)).map((row) => row.result).sort()).toEqual(["accepted", "duplicate"]);
  });

  it("a later tracking update of the same shipment is a new event, sequenced after the first", async () => {
    const relay = await providerRelay("shippypro");
    const inTransit = { ...trackingUpdate.body, code: 2, message: "In transit", date: 1622600000 };
    const [first] = expectAccepted(await relay.post(JSON.stringify(inTransit)));
    const [second] = expectAccepted(await relay.post(rawOf(trackingUpdate)));
    expect(second).not.toBe(first);
    const delivered = await deliveries(relay, 2);
    const byId = Object.fromEntries(delivered.map((d) => [d.event.id, d.event]));
    expect(byId[first!]).toMatchObject({ sequence: 1, tracking: { status: "in_transit" } });
    expect(byId[second!]).toMatchObject({ sequence: 2, tracking: { status: "delivered" } });
  });
});

describe("ShippyPro: the optional basic auth and custom header", () => {
  it("basic auth: the configured credentials pass; missing or wrong ones are refused 401", async () => {
    const relay = await providerRelay("shippypro", { verification: { type: "basic", username: "shippypro", password: "pp-s3cret" } });
    const raw = rawOf(trackingUpdate);
    const basic = (user: string, pass: string) => ({ authorization: `Basic ${btoa(`${user}:${pass}`)}` });
    await expectRefused(relay, await relay.post(raw), "missing_credentials");
    await expectRefused(relay, await relay.post(raw, { headers: basic("shippypro", "pp-s3creT") }), "invalid_credentials");
    await expectRefused(relay, await relay.post(raw, { headers: { authorization: "Bearer pp-s3cret" } }), "missing_credentials");
    const [id] = expectAccepted(await relay.post(raw, { headers: basic("shippypro", "pp-s3cret") }));
    const [delivered] = await deliveries(relay, 1);
    expect(delivered!.event).toMatchObject({ id, type: "tracking.updated", order: { reference: "24957298" } });
  });

  it("custom header: the exact value passes; missing or other values are refused 401", async () => {
    const relay = await providerRelay("shippypro", { verification: { type: "header", name: "x-shippypro-key", value: "k-7f3a9c" } });
    const raw = rawOf(orderShipped);
    await expectRefused(relay, await relay.post(raw), "missing_credentials");
    await expectRefused(relay, await relay.post(raw, { headers: { "x-shippypro-key": "k-7f3a9d" } }), "invalid_credentials");
    const [id] = expectAccepted(await relay.post(raw, { headers: { "x-shippypro-key": "k-7f3a9c" } }));
    const [delivered] = await deliveries(relay, 1);
    expect(delivered!.event).toMatchObject({ id, type: "order.shipped" });
  });
});

// --- The adapter alone: normalize, presets and resource mapping, without the route.
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
