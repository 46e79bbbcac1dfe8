import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { shipstationAdapter, shipstationResourceEvents } from "../../src/ingest/providers/shipstation";
import { AdapterParseError, type NormalizedEvent } from "../../src/ingest/providers/types";
import fulfillmentShipped from "../fixtures/shipstation/fulfillment_shipped.json";
import itemShipNotify from "../fixtures/shipstation/item_ship_notify.json";
import orderNotify from "../fixtures/shipstation/order_notify.json";
import fulfillmentsPage from "../fixtures/shipstation/resources/fulfillments.json";
import ordersPage from "../fixtures/shipstation/resources/orders.json";
import shipmentsPage1 from "../fixtures/shipstation/resources/shipments.page1.json";
import shipmentsPage2 from "../fixtures/shipstation/resources/shipments.page2.json";
import shipNotify from "../fixtures/shipstation/ship_notify.json";
import unknownType from "../fixtures/shipstation/unknown_type.json";
import { mockEndpoint } from "../support/mock";
import { adapterInput, expectCanonicalEvent, expectParseError, ignoringParseErrors, neverCrashes } from "./helpers";

const receivedAt = new Date("2026-01-15T10:30:02Z");
const input = (body: unknown) => adapterInput(body, { receivedAt });
const expectCanonical = (ev: NormalizedEvent) => expectCanonicalEvent(ev, "shipstation", receivedAt);

const credentials = (base: string) => ({ api_key: "key-123", api_secret: "s3cr3t-456", api_base_url: base });

describe("shipstation normalize: pointer callbacks", () => {
  it.each([
    ["SHIP_NOTIFY", shipNotify.body],
    ["ITEM_SHIP_NOTIFY", itemShipNotify.body],
    ["ORDER_NOTIFY", orderNotify.body],
    ["FULFILLMENT_SHIPPED", fulfillmentShipped.body],
  ])("%s asks for a fetch of resource_url", (type, body) => {
    const result = shipstationAdapter.normalize(input(body));
    expect(result).toEqual({ kind: "fetch", pointer: { resource_url: body.resource_url, resource_type: type } });
  });

  it("keeps an unknown resource_type as provider.unmapped with the payload", () => {
    const result = shipstationAdapter.normalize(input(unknownType.body));
    expect(result.kind).toBe("events");
    if (result.kind !== "events") return;
    expect(result.events).toHaveLength(1);
    expect(result.events[0]).toMatchObject({ type: "provider.unmapped", source_event: "NEW_THING_NOTIFY", data: unknownType.body });
    expectCanonical(result.events[0]!);
  });

  it.each([
    [{ resource_type: "SHIP_NOTIFY" }, "resource_url"],
    [{ resource_url: "https://ssapi.shipstation.com/shipments" }, "resource_type"],
    [{ resource_url: "not a url", resource_type: "SHIP_NOTIFY" }, "resource_url"],
    [{ resource_url: 42, resource_type: "SHIP_NOTIFY" }, "resource_url"],
    [[], "resource_url"],
  ])("rejects %j with an AdapterParseError naming %s", (body, field) => {
    expectParseError(shipstationAdapter, input(body), field);
  });

  it("uses a URL token as its default proof of origin", () => {
    expect(shipstationAdapter.verificationPreset).toEqual({ type: "url_token" });
  });
});

describe("shipstation resource mapping", () => {
  it("maps a SHIP_NOTIFY shipment to order.shipped with the ShipStation fields", () => {
    const [ev] = shipstationResourceEvents(shipmentsPage1.body, "SHIP_NOTIFY");
    expect(ev).toMatchObject({
      type: "order.shipped",
      livemode: true,
      source_event: "SHIP_NOTIFY",
      order: { reference: "100038-1", id: "43945660" },
      shipment: {
        tracking_number: "9400111899561704681189",
        carrier: "usps",
        service: "usps_first_class_mail",
        ship_date: "2014-10-03",
        cost: { amount: "1.93", currency: "USD" },
        label_id: "33974374",
        items: [{ sku: "ABC123", quantity: 2, description: "Test item #1" }],
      },
      provider_event_id: "shipment:33974374:shipped",
    });
    // v1 times are Pacific: 06:51:33 PDT is 13:51:33 UTC.
    expect(ev!.occurred_at).toBe("2014-10-03T13:51:33.627Z");
    expect(ev!.data).not.toHaveProperty("labelData");
    expect(ev!.data).toMatchObject({ orderKey: "8061c220f0794a9b92460b8bae6837e4", batchNumber: "100301" });
    expectCanonical(ev!);
  });

  it("maps a voided shipment to label.voided", () => {
    const [ev] = shipstationResourceEvents(shipmentsPage2.body, "SHIP_NOTIFY");
    expect(ev).toMatchObject({
      type: "label.voided",
      order: { reference: "100039", id: "43945661" },
      shipment: { tracking_number: "1Z999AA10123456784", carrier: "ups", cost: { amount: "13.5", currency: "USD" } },
      provider_event_id: "shipment:33974375:voided",
      occurred_at: "2014-10-04T16:00:00Z",
    });
    expect(ev!.shipment).not.toHaveProperty("items");
    expectCanonical(ev!);
  });

  it("maps ORDER_NOTIFY orders to order.imported, order.updated and order.canceled", () => {
    const events = shipstationResourceEvents(ordersPage.body, "ORDER_NOTIFY");
    expect(events.map((e) => e.type)).toEqual(["order.imported", "order.updated", "order.canceled"]);
    expect(events[0]).toMatchObject({
      order: { reference: "TEST-ORDER-API-DOCS", id: "987654321" },
      shipment: { carrier: "fedex", service: "fedex_2day", items: [{ sku: "ABC123", quantity: 2 }] },
      occurred_at: "2015-07-16T21:00:34.823Z",
    });
    expect(events[1]!.shipment).not.toHaveProperty("items");
    for (const ev of events) expectCanonical(ev);
    expect(new Set(events.map((e) => e.provider_event_id)).size).toBe(3);
  });

  it("maps FULFILLMENT_SHIPPED fulfillments to order.shipped and FULFILLMENT_REJECTED to order.error", () => {
    const [shipped] = shipstationResourceEvents(fulfillmentsPage.body, "FULFILLMENT_SHIPPED");
    expect(shipped).toMatchObject({
      type: "order.shipped",
      order: { reference: "20140717-1", id: "445045" },
      shipment: { tracking_number: "783408231234", carrier: "fedex", ship_date: "2014-07-17" },
    });
    expectCanonical(shipped!);
    const [rejected] = shipstationResourceEvents(ordersPage.body, "FULFILLMENT_REJECTED");
    expect(rejected!.type).toBe("order.error");
  });

  it("yields no events for an empty list and rejects a page of another shape", () => {
    expect(shipstationResourceEvents({ shipments: [], total: 0, page: 1, pages: 0 }, "SHIP_NOTIFY")).toEqual([]);
    expect(() => shipstationResourceEvents({ something: [] }, "SHIP_NOTIFY")).toThrow(AdapterParseError);
    expect(() => shipstationResourceEvents({ shipments: [{ orderNumber: { a: 1 } }] }, "SHIP_NOTIFY")).toThrow(
      AdapterParseError,
    );
  });
});

describe("shipstation isFetchAllowed (SSRF rule)", () => {
  const none = { api_key: "k", api_secret: "s" };

  it.each([
    "https://ssapi.shipstation.com/shipments?storeID=1",
    "https://ssapi6.shipstation.com/shipments?storeID=1",
    "https://SSAPI11.shipstation.com/orders?importBatch=x",
  ])("allows %s with the default API base", (url) => {
    expect(shipstationAdapter.isFetchAllowed!(url, none)).toBe(true);
    expect(shipstationAdapter.isFetchAllowed!(url, { ...none, api_base_url: "https://ssapi.shipstation.com" })).toBe(true);
  });

  it.each([
    "http://ssapi.shipstation.com/shipments",
    "https://ssapi.shipstation.com:8443/shipments",
    "https://ssapi.shipstation.com.evil.example/shipments",
    "https://evil.example/?h=ssapi.shipstation.com",
    "https://k:s@ssapi.shipstation.com/shipments",
    "https://xssapi.shipstation.com/shipments",
    "https://api.shipstation.com/v2/labels",
    "https://169.254.169.254/latest/meta-data",
    "http://127.0.0.1:8787/shipments",
    "not a url",
  ])("refuses %s with the default API base", (url) => {
    expect(shipstationAdapter.isFetchAllowed!(url, none)).toBe(false);
  });

  it("with a custom api_base_url allows that origin only", () => {
    const creds = { ...none, api_base_url: "http://127.0.0.1:9999/e/ep1" };
    expect(shipstationAdapter.isFetchAllowed!("http://127.0.0.1:9999/e/ep1/shipments?x=1", creds)).toBe(true);
    expect(shipstationAdapter.isFetchAllowed!("http://127.0.0.1:9998/shipments", creds)).toBe(false);
    expect(shipstationAdapter.isFetchAllowed!("https://ssapi.shipstation.com/shipments", creds)).toBe(false);
    expect(shipstationAdapter.isFetchAllowed!("http://127.0.0.1:9999/x", { ...none, api_base_url: "::bad" })).toBe(false);
  });
});

describe("shipstation fetchResource", () => {
  it("GETs the resource with Basic auth, follows pagination and maps every shipment", async () => {
    const ep = await mockEndpoint({
      routes: {
        "GET /shipments": [
          { status: 200, body: shipmentsPage1.body },
          { status: 200, body: shipmentsPage2.body },
        ],
      },
    });
    const pointer = { resource_url: `${ep.url}/shipments?storeID=123456&batchId=12345678`, resource_type: "SHIP_NOTIFY" };
    const creds = credentials(ep.url);
    expect(shipstationAdapter.isFetchAllowed!(pointer.resource_url, creds)).toBe(true);

    const events = await shipstationAdapter.fetchResource!({ pointer, credentials: creds, fetch, receivedAt });
    expect(events.map((e) => [e.type, e.order?.reference])).toEqual([
      ["order.shipped", "100038-1"],
      ["label.voided", "100039"],
    ]);
    for (const ev of events) expectCanonical(ev);

    const requests = await ep.requests();
    expect(requests).toHaveLength(2);
    expect(requests[0]!.method).toBe("GET");
    expect(requests[0]!.headers.authorization).toBe(`Basic ${btoa("key-123:s3cr3t-456")}`);
    expect(requests[0]!.query).toBe("?storeID=123456&batchId=12345678");
    expect(new URLSearchParams(requests[1]!.query).get("page")).toBe("2");
    expect(new URLSearchParams(requests[1]!.query).get("batchId")).toBe("12345678");
  });

  it("bounds pagination", async () => {
    const page = { shipments: [], total: 10_000, page: 1, pages: 500 };
    const ep = await mockEndpoint({ default: { status: 200, body: page } });
    const pointer = { resource_url: `${ep.url}/shipments?batchId=1`, resource_type: "SHIP_NOTIFY" };
    await shipstationAdapter.fetchResource!({ pointer, credentials: credentials(ep.url), fetch, receivedAt });
    expect((await ep.requests()).length).toBe(10);
  });

  it.each([401, 404, 429, 500, 503])("throws an Error naming HTTP %i, without the credentials", async (status) => {
    const ep = await mockEndpoint({ default: { status, body: { message: "nope" } } });
    const pointer = { resource_url: `${ep.url}/shipments?batchId=1`, resource_type: "SHIP_NOTIFY" };
    const err = await shipstationAdapter
      .fetchResource!({ pointer, credentials: credentials(ep.url), fetch, receivedAt })
      .then(() => undefined, (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toContain(`HTTP ${status}`);
    expect(err!.message).not.toContain("s3cr3t-456");
    expect(err!.message).not.toContain("key-123");
  });

  it("does not follow redirects (credentials stay on the checked origin)", async () => {
    const ep = await mockEndpoint({ default: { status: 302, headers: { location: "https://evil.example/steal" } } });
    const pointer = { resource_url: `${ep.url}/shipments?batchId=1`, resource_type: "SHIP_NOTIFY" };
    await expect(
      shipstationAdapter.fetchResource!({ pointer, credentials: credentials(ep.url), fetch, receivedAt }),
    ).rejects.toThrow("HTTP 302");
  });

  it("maps an ORDER_NOTIFY resource", async () => {
    const ep = await mockEndpoint({ routes: { "GET /orders": { status: 200, body: ordersPage.body } } });
    const pointer = { resource_url: `${ep.url}/orders?importBatch=abc`, resource_type: "ORDER_NOTIFY" };
    const events = await shipstationAdapter.fetchResource!({ pointer, credentials: credentials(ep.url), fetch, receivedAt });
    expect(events.map((e) => e.type)).toEqual(["order.imported", "order.updated", "order.canceled"]);
  });

  it("refuses a URL outside the rule and a source without api_secret, before any request", async () => {
    const ep = await mockEndpoint({ default: { status: 200, body: shipmentsPage1.body } });
    const outside = { resource_url: "https://evil.example/shipments", resource_type: "SHIP_NOTIFY" };
    await expect(
      shipstationAdapter.fetchResource!({ pointer: outside, credentials: credentials(ep.url), fetch, receivedAt }),
    ).rejects.toThrow(/refused/);
    const inside = { resource_url: `${ep.url}/shipments`, resource_type: "SHIP_NOTIFY" };
    await expect(
      shipstationAdapter.fetchResource!({ pointer: inside, credentials: { api_key: "k", api_base_url: ep.url }, fetch, receivedAt }),
    ).rejects.toThrow(/api_secret/);
    expect(await ep.requests()).toHaveLength(0);
  });
});

describe("shipstation properties", () => {
  const bodies = fc.oneof(
    fc.jsonValue(),
    fc.record(
      {
        resource_url: fc.oneof(fc.webUrl(), fc.string(), fc.jsonValue()),
        resource_type: fc.oneof(fc.constantFrom("SHIP_NOTIFY", "ORDER_NOTIFY", "NOPE"), fc.jsonValue()),
      },
      { requiredKeys: [] },
    ),
  );

  it("normalize returns a result or throws AdapterParseError, never anything else", () => {
    neverCrashes(shipstationAdapter, bodies, { receivedAt, check: expectCanonical, numRuns: 200 });
  });

  it("resource pages map to canonical events or throw AdapterParseError", () => {
    const item = fc.record(
      {
        shipmentId: fc.oneof(fc.integer(), fc.jsonValue()),
        orderNumber: fc.oneof(fc.string(), fc.jsonValue()),
        orderId: fc.oneof(fc.integer(), fc.jsonValue()),
        trackingNumber: fc.oneof(fc.string(), fc.jsonValue()),
        carrierCode: fc.oneof(fc.string(), fc.jsonValue()),
        shipmentCost: fc.oneof(fc.double(), fc.string(), fc.jsonValue()),
        shipDate: fc.oneof(fc.string(), fc.jsonValue()),
        createDate: fc.oneof(fc.string(), fc.jsonValue()),
        voided: fc.oneof(fc.boolean(), fc.jsonValue()),
        shipmentItems: fc.oneof(fc.array(fc.object()), fc.jsonValue()),
        orderStatus: fc.oneof(fc.constantFrom("cancelled", "shipped"), fc.jsonValue()),
      },
      { requiredKeys: [] },
    );
    const page = fc.oneof(
      fc.jsonValue(),
      fc.record({ shipments: fc.array(item) }),
      fc.record({ orders: fc.array(item) }),
      fc.record({ fulfillments: fc.array(item) }),
    );
    fc.assert(
      fc.property(
        page,
        fc.constantFrom("SHIP_NOTIFY", "ORDER_NOTIFY", "FULFILLMENT_REJECTED"),
        ignoringParseErrors((p, type) => shipstationResourceEvents(p, type).forEach(expectCanonical)),
      ),
      { numRuns: 200 },
    );
  });
});
