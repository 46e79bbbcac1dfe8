import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { shipstationAdapter, shipstationResourceEvents } from "../../../src/ingest/providers/shipstation";
import { AdapterParseError, type NormalizedEvent } from "../../../src/ingest/providers/types";
import fulfillmentShipped from "../../fixtures/shipstation/fulfillment_shipped.json";
import itemShipNotify from "../../fixtures/shipstation/item_ship_notify.json";
import orderNotify from "../../fixtures/shipstation/order_notify.json";
import fulfillmentsPage from "../../fixtures/shipstation/resources/fulfillments.json";
import ordersPage from "../../fixtures/shipstation/resources/orders.json";
import shipmentsPage1 from "../../fixtures/shipstation/resources/shipments.page1.json";
import shipmentsPage2 from "../../fixtures/shipstation/resources/shipments.page2.json";
import shipmentsSeveral from "../../fixtures/shipstation/resources/shipments.several.json";
import shipNotify from "../../fixtures/shipstation/ship_notify.json";
import unknownType from "../../fixtures/shipstation/unknown_type.json";
import { mockEndpoint, type MockEndpoint } from "../../support/mock";
import { eventually } from "../../support/relay";
import { adapterInput, expectCanonicalEvent, expectParseError, ignoringParseErrors, neverCrashes } from "./adapter-helpers";
import {
  deliveredEvent,
  deliveries,
  eventsOf,
  expectAccepted,
  expectCanonicalEnvelope,
  expectDeliveredAsStored,
  expectNoFurtherDeliveries,
  expectNothingForwarded,
  expectPendingFetch,
  expectRefused,
  ingestLog,
  type IngestLogRow,
  instant,
  pathWithForgedToken,
  pathWithoutToken,
  providerRelay,
  type ProviderRelay,
  rawOf,
} from "./helpers";

/**
 * ShipStation v1 through the real ingest route. ShipStation publishes no signature: the
 * preset is an unguessable URL token. Every callback is a pointer `{resource_url,
 * resource_type}`: the route ACKs `{"ok": true, "event_ids": [], "pending_fetch": true}` and
 * the resource is fetched in the background with Basic auth from the source's
 * `credentials.api_base_url` (here a fake ShipStation), one canonical event per item listed.
 */

interface ShipStationRelay extends ProviderRelay {
  providerApi: MockEndpoint;
}

async function shipstationRelay(routes: Record<string, unknown> = {}): Promise<ShipStationRelay> {
  const providerApi = await mockEndpoint({ routes: routes as never });
  const relay = await providerRelay("shipstation", {
    credentials: { api_key: "ss-api-key", api_secret: "ss-api-secret", api_base_url: providerApi.url },
  });
  return { ...relay, providerApi };
}

const page = (body: unknown) => ({ status: 200, body });

/** The callback of a fixture, its resource_url moved onto the fake API (path and query kept). */
function pointerOnFakeApi(fixture: { body: { resource_url: string; resource_type: string } }, apiBase: string, resourceType?: string): string {
  const original = new URL(fixture.body.resource_url);
  return JSON.stringify({
    resource_url: `${apiBase}${original.pathname}${original.search}`,
    resource_type: resourceType ?? fixture.body.resource_type,
  });
}

async function fetched(relay: ProviderRelay, callbacks = 1): Promise<IngestLogRow[]> {
  return eventually(async () => {
    const rows = (await ingestLog(relay.key, relay.source.id)).filter((row) => row.reason === "fetched");
    return rows.length >= callbacks ? rows : undefined;
  });
}

describe("ShipStation: pointer callbacks through the ingest route (URL token preset)", () => {
  it("SHIP_NOTIFY with a resource list of several shipments: pending_fetch, then one canonical event per shipment", async () => {
    const relay = await shipstationRelay({ "GET /shipments": page(shipmentsSeveral.body) });
    expectPendingFetch(await relay.post(pointerOnFakeApi(shipNotify, relay.providerApi.url)));

    const [log] = await fetched(relay);
    expect(log).toMatchObject({ result: "accepted" });
    expect(log!.event_ids).toHaveLength(3);
    expect(new Set(log!.event_ids).size).toBe(3);

    const [request] = await relay.providerApi.requests();
    expect(request).toMatchObject({ method: "GET", path: "/shipments", query: "?storeID=123456&batchId=12345678&includeShipmentItems=True" });
    expect(request!.headers.authorization).toBe(`Basic ${btoa("ss-api-key:ss-api-secret")}`);

    const delivered = await deliveries(relay, 3);
    const [first, second, third] = log!.event_ids.map((id) => deliveredEvent(delivered, id));
    for (const event of [first, second, third]) {
      expectCanonicalEnvelope(event, relay, "shipstation");
      expect(event).toMatchObject({ type: "order.shipped", livemode: true, source: { provider: "shipstation", event: "SHIP_NOTIFY" }, sequence: 1 });
      expect(event).not.toHaveProperty("tracking");
      expect(event.data).not.toHaveProperty("labelData");
      await expectDeliveredAsStored(relay, event);
    }
    expect(first).toMatchObject({
      // v1 times carry no zone and are Pacific: 08:05 PST is 16:05 UTC.
      occurred_at: instant("2024-01-15T16:05:00Z"),
      order: { reference: "WEB-5001", id: "52000001" },
      shipment: {
        tracking_number: "1Z999AA10000000001",
        carrier: "ups",
        service: "ups_ground",
        ship_date: "2024-01-15",
        cost: { amount: "8.5", currency: "USD" },
        label_id: "41000001",
        items: [{ sku: "SKU-RED", quantity: 1, description: "Red mug" }],
      },
    });
    expect(second).toMatchObject({
      order: { reference: "WEB-5002", id: "52000002" },
      shipment: { tracking_number: "9400111899561704680002", carrier: "usps", cost: { amount: "4.25", currency: "USD" } },
    });
    expect(third).toMatchObject({
      order: { reference: "WEB-5003", id: "52000003" },
      shipment: { tracking_number: "770000000003", carrier: "fedex", service: "fedex_2day", label_id: "41000003" },
    });
    expect(third.shipment).not.toHaveProperty("items");
    await expectNoFurtherDeliveries(relay, 3);
  });

  it("SHIP_NOTIFY over two resource pages: both pages are read; a voided shipment becomes label.voided", async () => {
    const relay = await shipstationRelay({ "GET /shipments": [page(shipmentsPage1.body), page(shipmentsPage2.body)] });
    expectPendingFetch(await relay.post(pointerOnFakeApi(shipNotify, relay.providerApi.url)));
    const [log] = await fetched(relay);
    expect(log!.event_ids).toHaveLength(2);
    const requests = await relay.providerApi.requests();
    expect(requests.map((r) => new URLSearchParams(r.query).get("page"))).toEqual([null, "2"]);

    const delivered = await deliveries(relay, 2);
    const [shipped, voided] = log!.event_ids.map((id) => deliveredEvent(delivered, id));
    expect(shipped).toMatchObject({
      type: "order.shipped",
      occurred_at: instant("2014-10-03T13:51:33.627Z"),
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
    });
    expect(voided).toMatchObject({
      type: "label.voided",
      occurred_at: instant("2014-10-04T16:00:00Z"),
      order: { reference: "100039", id: "43945661" },
      shipment: { tracking_number: "1Z999AA10123456784", carrier: "ups", label_id: "33974375" },
    });
  });

  it.each([
    [
      "ITEM_SHIP_NOTIFY",
      pointerFixture(itemShipNotify),
      "GET /shipments",
      { ...shipmentsPage1.body, pages: 1 },
      [{ type: "order.shipped", source: { event: "ITEM_SHIP_NOTIFY" }, order: { reference: "100038-1" } }],
    ],
    [
      "ORDER_NOTIFY",
      pointerFixture(orderNotify),
      "GET /orders",
      ordersPage.body,
      [
        {
          type: "order.imported",
          source: { event: "ORDER_NOTIFY" },
          order: { reference: "TEST-ORDER-API-DOCS", id: "987654321" },
          shipment: { carrier: "fedex", service: "fedex_2day", ship_date: "2015-07-02", items: [{ sku: "ABC123", quantity: 2, description: "Test item #1" }] },
        },
        { type: "order.updated", order: { reference: "TEST-ORDER-2", id: "987654322" } },
        { type: "order.canceled", order: { reference: "TEST-ORDER-3" } },
      ],
    ],
    [
      "FULFILLMENT_SHIPPED",
      pointerFixture(fulfillmentShipped),
      "GET /fulfillments",
      fulfillmentsPage.body,
      [
        {
          type: "order.shipped",
          source: { event: "FULFILLMENT_SHIPPED" },
          occurred_at: instant("2014-07-17T18:11:41.643Z"),
          order: { reference: "20140717-1", id: "445045" },
          shipment: { tracking_number: "783408231234", carrier: "fedex", ship_date: "2014-07-17" },
        },
      ],
    ],
    [
      "FULFILLMENT_REJECTED",
      pointerFixture(fulfillmentShipped, "FULFILLMENT_REJECTED"),
      "GET /fulfillments",
      fulfillmentsPage.body,
      [{ type: "order.error", source: { event: "FULFILLMENT_REJECTED" }, order: { reference: "20140717-1" } }],
    ],
  ])("%s: pending_fetch, then each listed item is stored and delivered", async (_name, callback, route, resource, expected) => {
    const relay = await shipstationRelay({ [route]: page(resource) });
    expectPendingFetch(await relay.post(callback(relay.providerApi.url)));
    const [log] = await fetched(relay);
    expect(log!.event_ids).toHaveLength(expected.length);
    const delivered = await deliveries(relay, expected.length);
    for (const [i, id] of log!.event_ids.entries()) {
      const event = deliveredEvent(delivered, id);
      expectCanonicalEnvelope(event, relay, "shipstation");
      expect(event).toMatchObject({ livemode: true, ...expected[i] });
      await expectDeliveredAsStored(relay, event);
    }
  });

  it("an unknown resource_type is not fetched: acknowledged at once and kept as provider.unmapped", async () => {
    const relay = await shipstationRelay();
    const raw = pointerOnFakeApi(unknownType, relay.providerApi.url);
    const [id] = expectAccepted(await relay.post(raw));
    const [delivered] = await deliveries(relay, 1);
    expect(delivered!.event).toMatchObject({
      id,
      type: "provider.unmapped",
      source: { provider: "shipstation", event: "NEW_THING_NOTIFY" },
      data: JSON.parse(raw),
    });
    await expectDeliveredAsStored(relay, delivered!.event, JSON.parse(raw));
    expect(await relay.providerApi.requests()).toHaveLength(0);
  });

  it("a URL token that is missing or wrong is refused 401, logged, and nothing is fetched or forwarded", async () => {
    const relay = await shipstationRelay({ "GET /shipments": page(shipmentsSeveral.body) });
    const raw = pointerOnFakeApi(shipNotify, relay.providerApi.url);
    await expectRefused(relay, await relay.post(raw, { path: pathWithoutToken(relay.source) }), "missing_token");
    await expectRefused(relay, await relay.post(raw, { path: pathWithForgedToken(relay.source) }), "invalid_token");
    await expectNothingForwarded(relay);
    expect(await relay.providerApi.requests()).toHaveLength(0);
  });

  it("the same callback again answers pending_fetch, fetches again, and delivers nothing twice", async () => {
    const relay = await shipstationRelay({ "GET /shipments": page(shipmentsSeveral.body) });
    const raw = pointerOnFakeApi(shipNotify, relay.providerApi.url);
    expectPendingFetch(await relay.post(raw));
    await fetched(relay, 1);
    expectPendingFetch(await relay.post(raw));
    const rows = await fetched(relay, 2);
    expect(rows[0]!.event_ids.slice().sort()).toEqual(rows[1]!.event_ids.slice().sort());
    await deliveries(relay, 3);
    await expectNoFurtherDeliveries(relay, 3);
    expect(await eventsOf(relay.key, relay.source.id)).toHaveLength(3);
  });
});

/** A pointer fixture as a function of the fake API's base URL. */
function pointerFixture(fixture: { body: { resource_url: string; resource_type: string } }, resourceType?: string) {
  return (apiBase: string) => pointerOnFakeApi(fixture, apiBase, resourceType);
}

// --- The adapter alone: normalize, presets and resource mapping, without the route.
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
});

describe("shipstation resource mapping", () => {
  // Its order and shipment fields are checked through the route ("SHIP_NOTIFY over two resource pages").
  it("maps a SHIP_NOTIFY shipment to order.shipped with the ShipStation fields", () => {
    const [ev] = shipstationResourceEvents(shipmentsPage1.body, "SHIP_NOTIFY");
    expect(ev).toMatchObject({ type: "order.shipped", livemode: true, source_event: "SHIP_NOTIFY", provider_event_id: "shipment:33974374:shipped" });
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
