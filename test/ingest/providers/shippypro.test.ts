import { describe, expect, it } from "vitest";
import orderError from "../../fixtures/shippypro/order_error.json";
import orderShipped from "../../fixtures/shippypro/order_shipped.json";
import trackingCategory from "../../fixtures/shippypro/tracking_update.category.json";
import trackingUpdate from "../../fixtures/shippypro/tracking_update.json";
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
