import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { shipengineAdapter, shipengineResourceEvents } from "../../src/ingest/providers/shipengine";
import { AdapterParseError, type NormalizedEvent } from "../../src/ingest/providers/types";
import { verificationSchema } from "../../src/ingest/verification/types";
import apiTrackDelivered from "../fixtures/shipengine/api_track.delivered.json";
import batchProcessed from "../fixtures/shipengine/batch_processed_v2.json";
import fulfillmentShipped from "../fixtures/shipengine/fulfillment_shipped_v2.json";
import labelCreated from "../fixtures/shipengine/label_created_v2.json";
import fulfillmentsPage from "../fixtures/shipengine/resources/fulfillments.json";
import labelsPage from "../fixtures/shipengine/resources/labels.json";
import shipmentsPage from "../fixtures/shipengine/resources/shipments.json";
import shipmentCreated from "../fixtures/shipengine/shipment_created_v2.json";
import trackEvent from "../fixtures/shipengine/track_event_v2.json";
import trackNotYetInSystem from "../fixtures/shipengine/track_event_v2.not_yet_in_system.json";
import { mockEndpoint } from "../support/mock";
import { adapterInput, expectCanonicalEvent, expectParseError, ignoringParseErrors, neverCrashes, normalizeAll } from "./helpers";

const receivedAt = new Date("2026-04-27T14:02:12Z");
const input = (body: unknown) => adapterInput(body, { receivedAt });
const events = (body: unknown, headers?: Record<string, string>) => normalizeAll(shipengineAdapter, body, { receivedAt, headers });
const expectCanonical = (ev: NormalizedEvent) => expectCanonicalEvent(ev, "shipengine", receivedAt, { withVersion: true });

const credentials = (base: string) => ({ api_key: "TEST_api-key-789", api_base_url: base });

describe("shipengine inline tracking callbacks", () => {
  it("maps TRACK_EVENT_V2 to tracking.updated, out_for_delivery from the detail code", () => {
    const [ev] = events(trackEvent.body, trackEvent.headers);
    expect(ev).toMatchObject({
      type: "tracking.updated",
      livemode: true,
      source_event: "TRACK_EVENT_V2",
      version: "v2",
      occurred_at: "2026-04-27T08:15:00Z",
      shipment: { tracking_number: "1Z0000000000000000", carrier: "ups", ship_date: "2026-04-24", label_id: "se-1234567890" },
      tracking: {
        status: "out_for_delivery",
        status_detail: "Out for delivery",
        location: { city: "AUSTIN", state: "TX", country: "US", postal_code: "78756" },
        estimated_delivery: "2026-04-27",
      },
      provider_event_id: "https://api.shipstation.com/v2/labels/se-1234567890/track@2026-04-27T08:15:00Z:IT",
    });
    expect(ev!.order).toBeUndefined();
    expectCanonical(ev!);
  });

  it("maps the documented NY example to pre_transit; with no carrier event its identity is the payload, never the signature timestamp", () => {
    const [ev] = events(trackNotYetInSystem.body, trackNotYetInSystem.headers);
    expect(ev!.tracking).toEqual({ status: "pre_transit", status_detail: "Not Yet In System", estimated_delivery: "2026-04-30" });
    expect(ev!.occurred_at).toBeUndefined();
    expect(ev!.provider_event_id).toBeUndefined();
    expectCanonical(ev!);
  });

  it("keeps the same identity when the same tracking state is re-sent with a new signature timestamp", () => {
    const [a] = events(trackEvent.body, trackEvent.headers);
    const [b] = events(trackEvent.body, { ...trackEvent.headers, "x-shipengine-timestamp": "2026-04-27T16:02:11Z" });
    expect(b!.provider_event_id).toBe(a!.provider_event_id);
  });

  it("maps ShipEngine API_TRACK (delivered, newest event first or last)", () => {
    const [ev] = events(apiTrackDelivered.body);
    expect(ev).toMatchObject({
      type: "tracking.updated",
      source_event: "API_TRACK",
      occurred_at: "2024-03-02T15:10:00Z",
      shipment: { tracking_number: "9400111298370264401222", ship_date: "2024-02-28" },
      tracking: { status: "delivered", status_detail: "Delivered", location: { city: "AUSTIN", state: "TX", country: null, postal_code: "78756" } },
    });
    expect(ev!.version).toBeUndefined();
    const reversed = structuredClone(apiTrackDelivered.body);
    reversed.data.events.reverse();
    expect(events(reversed)[0]!.occurred_at).toBe("2024-03-02T15:10:00Z");
  });

  it.each([
    ["NY", null, "pre_transit"],
    ["AC", null, "pre_transit"],
    ["IT", null, "in_transit"],
    ["IT", "OUT_FOR_DELIVERY", "out_for_delivery"],
    ["DE", null, "delivered"],
    ["SP", null, "available_for_pickup"],
    ["AT", null, "delivery_attempted"],
    ["EX", null, "exception"],
    ["UN", null, "unknown"],
    ["ZZ", null, "unknown"],
  ])("status %s / detail %s → %s", (code, detail, status) => {
    const body = { ...trackNotYetInSystem.body, data: { ...trackNotYetInSystem.body.data, status_code: code, status_detail_code: detail } };
    expect(events(body)[0]!.tracking!.status).toBe(status);
  });
});

describe("shipengine pointer callbacks and other types", () => {
  it.each([
    ["FULFILLMENT_SHIPPED_V2", fulfillmentShipped.body],
    ["SHIPMENT_CREATED_V2", shipmentCreated.body],
    ["LABEL_CREATED_V2", labelCreated.body],
  ])("%s asks for a fetch", (type, body) => {
    expect(shipengineAdapter.normalize(input(body))).toEqual({
      kind: "fetch",
      pointer: { resource_url: body.resource_url, resource_type: type },
    });
  });

  it("a tracking callback without data asks for a fetch of the track resource", () => {
    const body = { resource_url: "https://api.shipengine.com/v1/labels/se-1/track", resource_type: "API_TRACK" };
    expect(shipengineAdapter.normalize(input(body)).kind).toBe("fetch");
  });

  it("keeps BATCH_PROCESSED_V2 as provider.unmapped", () => {
    const [ev] = events(batchProcessed.body);
    expect(ev).toMatchObject({ type: "provider.unmapped", source_event: "BATCH_PROCESSED_V2", version: "v2", data: batchProcessed.body });
    expectCanonical(ev!);
  });

  it.each([
    [{}, "resource_url"],
    [{ resource_url: "https://api.shipengine.com/x" }, "resource_type"],
    [{ resource_url: "nope", resource_type: "API_TRACK" }, "resource_url"],
    [{ resource_url: "https://api.shipengine.com/x", resource_type: "API_TRACK", data: [] }, "data"],
    [{ resource_url: "https://api.shipengine.com/x", resource_type: "API_TRACK", data: { events: "x" } }, "data.events"],
  ])("rejects %j with an AdapterParseError naming %s", (body, field) => {
    expectParseError(shipengineAdapter, input(body), field);
  });

  it("presets RSA/JWKS verification with ShipEngine's JWKS and 5 minutes tolerance", () => {
    expect(shipengineAdapter.verificationPreset).toEqual({
      type: "rsa_jwks",
      jwks_url: "https://api.shipengine.com/jwks",
      tolerance_seconds: 300,
    });
    expect(verificationSchema.safeParse(shipengineAdapter.verificationPreset).success).toBe(true);
  });
});

describe("shipengine resource mapping", () => {
  it("fulfillment_shipped_v2 → order.shipped with shipment_number as the order reference", () => {
    const [ev] = shipengineResourceEvents(fulfillmentsPage.body, "FULFILLMENT_SHIPPED_V2", "https://x");
    expect(ev).toMatchObject({
      type: "order.shipped",
      version: "v2",
      occurred_at: "2026-01-15T10:30:00Z",
      order: { reference: "ODOO-WH/OUT/00042-15", id: "se-412669417" },
      shipment: { tracking_number: "770000000001", carrier: "fedex", service: "fedex_home_delivery", ship_date: "2026-01-15" },
      provider_event_id: "fulfillment:se-16731019:order.shipped",
    });
    expect(ev!.data).toMatchObject({ fulfillment_id: "se-16731019", fulfillment_provider_code: "external" });
    expectCanonical(ev!);
  });

  it("a voided fulfillment → label.voided", () => {
    const page = structuredClone(fulfillmentsPage.body) as { fulfillments: Record<string, unknown>[] };
    page.fulfillments[0]!.voided = true;
    page.fulfillments[0]!.voided_at = "2026-01-16T08:00:00Z";
    const [ev] = shipengineResourceEvents(page, "FULFILLMENT_SHIPPED_V2", "https://x");
    expect(ev).toMatchObject({ type: "label.voided", occurred_at: "2026-01-16T08:00:00Z" });
  });

  it("shipment_created_v2 → one shipment.created per shipment listed", () => {
    const evs = shipengineResourceEvents(shipmentsPage.body, "SHIPMENT_CREATED_V2", "https://x");
    expect(evs).toHaveLength(2);
    expect(evs[0]).toMatchObject({
      type: "shipment.created",
      order: { reference: "ODOO-WH/OUT/00042-15", id: "se-412669417" },
      shipment: { service: "usps_priority_mail", ship_date: "2026-01-15", items: [{ sku: "PROD-001", quantity: 2, description: "Widget" }] },
      occurred_at: "2026-01-14T18:02:00.123Z",
    });
    evs.forEach(expectCanonical);
  });

  it("label_created_v2 → label.created with cost and label id", () => {
    const [ev] = shipengineResourceEvents(labelsPage.body, "LABEL_CREATED_V2", "https://x");
    expect(ev).toMatchObject({
      type: "label.created",
      order: { id: "se-412669417" },
      shipment: {
        tracking_number: "9405511899223197428490",
        carrier: "usps",
        service: "usps_priority_mail",
        cost: { amount: "7.73", currency: "USD" },
        label_id: "se-799373193",
      },
    });
    expectCanonical(ev!);
  });

  it("a fetched track resource → tracking.updated", () => {
    const [ev] = shipengineResourceEvents(apiTrackDelivered.body.data, "API_TRACK", apiTrackDelivered.body.resource_url);
    expect(ev).toMatchObject({ type: "tracking.updated", tracking: { status: "delivered" } });
  });

  it("rejects a page of another shape", () => {
    expect(() => shipengineResourceEvents({ nothing: true }, "LABEL_CREATED_V2", "https://x")).toThrow(AdapterParseError);
    expect(() => shipengineResourceEvents({ labels: {} }, "LABEL_CREATED_V2", "https://x")).toThrow(AdapterParseError);
  });
});

describe("shipengine isFetchAllowed (SSRF rule)", () => {
  const none = { api_key: "k" };
  it.each(["https://api.shipengine.com/v1/labels/se-1/track", "https://api.shipstation.com/v2/fulfillments?fulfillment_id=1"])(
    "allows %s with the default base",
    (url) => {
      expect(shipengineAdapter.isFetchAllowed!(url, none)).toBe(true);
      expect(shipengineAdapter.isFetchAllowed!(url, { ...none, api_base_url: "https://api.shipstation.com" })).toBe(true);
    },
  );
  it.each([
    "http://api.shipstation.com/v2/labels",
    "https://api.shipstation.com.evil.example/v2/labels",
    "https://ssapi.shipstation.com/shipments",
    "https://u:p@api.shipengine.com/v1/labels",
    "https://api.shipengine.com:444/v1/labels",
    "file:///etc/passwd",
  ])("refuses %s", (url) => {
    expect(shipengineAdapter.isFetchAllowed!(url, none)).toBe(false);
  });
  it("with a custom base allows that origin only", () => {
    const creds = { ...none, api_base_url: "http://127.0.0.1:4000" };
    expect(shipengineAdapter.isFetchAllowed!("http://127.0.0.1:4000/v2/labels", creds)).toBe(true);
    expect(shipengineAdapter.isFetchAllowed!("https://api.shipstation.com/v2/labels", creds)).toBe(false);
  });
});

describe("shipengine fetchResource", () => {
  it("GETs the resource with the API-Key header and maps it", async () => {
    const ep = await mockEndpoint({ routes: { "GET /v2/fulfillments": { status: 200, body: fulfillmentsPage.body } } });
    const pointer = { resource_url: `${ep.url}/v2/fulfillments?fulfillment_id=se-16731019`, resource_type: "FULFILLMENT_SHIPPED_V2" };
    const creds = credentials(ep.url);
    expect(shipengineAdapter.isFetchAllowed!(pointer.resource_url, creds)).toBe(true);
    const evs = await shipengineAdapter.fetchResource!({ pointer, credentials: creds, fetch, receivedAt });
    expect(evs.map((e) => e.type)).toEqual(["order.shipped"]);
    const [req] = await ep.requests();
    expect(req!.headers["api-key"]).toBe("TEST_api-key-789");
    expect(req!.headers.authorization).toBeUndefined();
    expect(req!.query).toBe("?fulfillment_id=se-16731019");
  });

  it("follows pagination of a label list", async () => {
    const page1 = { ...labelsPage.body, total: 2, page: 1, pages: 2 };
    const page2 = {
      ...labelsPage.body,
      labels: [{ ...labelsPage.body.labels[0], label_id: "se-2", tracking_number: "9405511899223197428491" }],
      page: 2,
      pages: 2,
    };
    const ep = await mockEndpoint({ routes: { "GET /v2/labels": [{ body: page1 }, { body: page2 }] } });
    const pointer = { resource_url: `${ep.url}/v2/labels?batch_id=se-64616278`, resource_type: "LABEL_CREATED_V2" };
    const evs = await shipengineAdapter.fetchResource!({ pointer, credentials: credentials(ep.url), fetch, receivedAt });
    expect(evs.map((e) => e.shipment?.label_id)).toEqual(["se-799373193", "se-2"]);
  });

  it.each([401, 500])("throws an Error naming HTTP %i, without the API key", async (status) => {
    const ep = await mockEndpoint({ default: { status } });
    const pointer = { resource_url: `${ep.url}/v2/labels?batch_id=1`, resource_type: "LABEL_CREATED_V2" };
    const err = await shipengineAdapter
      .fetchResource!({ pointer, credentials: credentials(ep.url), fetch, receivedAt })
      .then(() => undefined, (e: unknown) => e as Error);
    expect(err!.message).toContain(`HTTP ${status}`);
    expect(err!.message).not.toContain("api-key-789");
  });

  it("throws a retryable Error when the injected fetch fails", async () => {
    const failing = (() => Promise.reject(new TypeError("connect ECONNREFUSED https://u:p@x"))) as unknown as typeof fetch;
    const pointer = { resource_url: "http://127.0.0.1:1/v2/labels?batch_id=1", resource_type: "LABEL_CREATED_V2" };
    const err = await shipengineAdapter
      .fetchResource!({ pointer, credentials: credentials("http://127.0.0.1:1"), fetch: failing, receivedAt })
      .then(() => undefined, (e: unknown) => e as Error);
    expect(err!.message).toBe("ShipEngine resource fetch failed: network error");
  });
});

describe("shipengine properties", () => {
  const event = fc.record(
    {
      occurred_at: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.jsonValue()),
      city_locality: fc.oneof(fc.string(), fc.jsonValue()),
      status_detail_code: fc.oneof(fc.constant("OUT_FOR_DELIVERY"), fc.jsonValue()),
    },
    { requiredKeys: [] },
  );
  const data = fc.record(
    {
      tracking_number: fc.oneof(fc.string(), fc.jsonValue()),
      status_code: fc.oneof(fc.constantFrom("NY", "IT", "DE", "EX"), fc.jsonValue()),
      status_detail_code: fc.oneof(fc.constant("OUT_FOR_DELIVERY"), fc.jsonValue()),
      carrier_code: fc.oneof(fc.string(), fc.jsonValue()),
      estimated_delivery_date: fc.oneof(fc.string(), fc.jsonValue()),
      events: fc.oneof(fc.array(event), fc.jsonValue()),
    },
    { requiredKeys: [] },
  );
  const bodies = fc.oneof(
    fc.jsonValue(),
    fc.record(
      {
        resource_url: fc.oneof(fc.webUrl(), fc.jsonValue()),
        resource_type: fc.oneof(fc.constantFrom("TRACK_EVENT_V2", "API_TRACK", "LABEL_CREATED_V2", "X"), fc.jsonValue()),
        data: fc.oneof(data, fc.jsonValue()),
      },
      { requiredKeys: [] },
    ),
  );

  it("normalize returns a result or throws AdapterParseError, never anything else", () => {
    const headers = { "x-shipengine-timestamp": "2026-04-27T14:02:11Z" };
    neverCrashes(shipengineAdapter, bodies, { receivedAt, headers, check: expectCanonical, numRuns: 200 });
  });

  it("resource pages map to canonical events or throw AdapterParseError", () => {
    const item = fc.dictionary(
      fc.constantFrom("fulfillment_id", "shipment_id", "shipment_number", "tracking_number", "carrier_code", "ship_date", "created_at", "voided", "shipment_cost", "items", "label_id", "status"),
      fc.jsonValue(),
    );
    const page = fc.oneof(
      fc.jsonValue(),
      fc.record({ fulfillments: fc.array(item) }),
      fc.record({ shipments: fc.array(item) }),
      fc.record({ labels: fc.array(item) }),
    );
    fc.assert(
      fc.property(
        page,
        ignoringParseErrors((p) => {
          if (typeof p !== "object" || p === null || Array.isArray(p)) return;
          shipengineResourceEvents(p as Record<string, unknown>, "LABEL_CREATED_V2", "https://x").forEach(expectCanonical);
        }),
      ),
      { numRuns: 200 },
    );
  });
});
