import { describe, expect, it } from "vitest";
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
  instant,
  pathWithForgedToken,
  pathWithoutToken,
  providerRelay,
  rawOf,
  type IngestLogRow,
  type ProviderRelay,
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
