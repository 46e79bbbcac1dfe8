import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { shipengineAdapter, shipengineResourceEvents } from "../../../src/ingest/providers/shipengine";
import { AdapterParseError, type NormalizedEvent } from "../../../src/ingest/providers/types";
import apiTrackDelivered from "../../fixtures/shipengine/api_track.delivered.json";
import batchProcessed from "../../fixtures/shipengine/batch_processed_v2.json";
import fulfillmentShipped from "../../fixtures/shipengine/fulfillment_shipped_v2.json";
import labelCreated from "../../fixtures/shipengine/label_created_v2.json";
import fulfillmentsPage from "../../fixtures/shipengine/resources/fulfillments.json";
import labelsPage from "../../fixtures/shipengine/resources/labels.json";
import shipmentsPage from "../../fixtures/shipengine/resources/shipments.json";
import shipmentCreated from "../../fixtures/shipengine/shipment_created_v2.json";
import trackEvent from "../../fixtures/shipengine/track_event_v2.json";
import trackEventNotYetInSystem from "../../fixtures/shipengine/track_event_v2.not_yet_in_system.json";
import { mockEndpoint, type MockEndpoint } from "../../support/mock";
import { eventually } from "../../support/relay";
import { adapterInput, expectCanonicalEvent, expectParseError, ignoringParseErrors, neverCrashes, normalizeAll } from "./adapter-helpers";
import {
  deliveredEvent,
  deliveries,
  eventsOf,
  expectAccepted,
  expectCanonicalEnvelope,
  expectDeliveredAsStored,
  expectDuplicate,
  expectNoFurtherDeliveries,
  expectNothingForwarded,
  expectPendingFetch,
  expectRefused,
  ingestLog,
  type IngestLogRow,
  instant,
  providerRelay,
  type ProviderRelay,
  rawOf,
} from "./helpers";

/**
 * ShipEngine / ShipStation v2 through the real ingest route. Callbacks are signed with
 * RSASSA-PKCS1-v1_5 SHA-256 over `"<x-shipengine-timestamp>.<raw body>"`; the key comes from
 * a JWKS by `x-shipengine-rsa-sha256-key-id`. Here the key pair is generated with WebCrypto,
 * the JWKS is served by a mockEndpoint, and the source names it with
 * `verification: {type: "rsa_jwks", jwks_url}` (http is allowed: ALLOW_INSECURE_DESTINATIONS).
 * Pointer callbacks (*_V2 resources) are fetched from a fake ShipEngine API, the source's
 * `credentials.api_base_url`, with the `API-Key` header.
 */

const KID = "se-test-key-1";
let signer: CryptoKeyPair;
let impostor: CryptoKeyPair;
let publicJwk: JsonWebKey;

const rsaPair = async () =>
  (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;

beforeAll(async () => {
  [signer, impostor] = await Promise.all([rsaPair(), rsaPair()]);
  publicJwk = (await crypto.subtle.exportKey("jwk", signer.publicKey)) as JsonWebKey;
});

function base64(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)));
}

/** ShipEngine's signature headers for `raw`, signed at `at` (ISO-8601, as ShipEngine sends it). */
async function shipengineHeaders(raw: string, opts: { at?: Date; key?: CryptoKey; kid?: string } = {}) {
  const timestamp = (opts.at ?? new Date()).toISOString();
  const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", opts.key ?? signer.privateKey, new TextEncoder().encode(`${timestamp}.${raw}`));
  return {
    "x-shipengine-rsa-sha256-key-id": opts.kid ?? KID,
    "x-shipengine-rsa-sha256-signature": base64(signature),
    "x-shipengine-timestamp": timestamp,
  };
}

interface ShipEngineRelay extends ProviderRelay {
  jwks: MockEndpoint;
  providerApi: MockEndpoint;
  postSigned(raw: string, opts?: Parameters<typeof shipengineHeaders>[1]): ReturnType<ProviderRelay["post"]>;
}

/** A ShipEngine source verified against our JWKS, fetching resources from a fake API. */
async function shipengineRelay(resources: Record<string, unknown> = {}): Promise<ShipEngineRelay> {
  const jwks = await mockEndpoint({
    routes: { "GET /.well-known/jwks.json": { status: 200, body: { keys: [{ ...publicJwk, kid: KID, alg: "RS256", use: "sig" }] } } },
  });
  const providerApi = await mockEndpoint({
    routes: Object.fromEntries(Object.entries(resources).map(([route, body]) => [route, { status: 200, body }])),
  });
  const relay = await providerRelay("shipengine", {
    verification: { type: "rsa_jwks", jwks_url: `${jwks.url}/.well-known/jwks.json` },
    credentials: { api_key: "se-api-key-123", api_base_url: providerApi.url },
  });
  return {
    ...relay,
    jwks,
    providerApi,
    postSigned: async (raw, opts) => relay.post(raw, { headers: await shipengineHeaders(raw, opts) }),
  };
}

/** The pointer body of a fixture, its resource_url moved onto the fake API (path and query kept). */
function pointerOnFakeApi(fixture: { body: { resource_url: string; resource_type: string } }, apiBase: string): string {
  const original = new URL(fixture.body.resource_url);
  return JSON.stringify({ ...fixture.body, resource_url: `${apiBase}${original.pathname}${original.search}` });
}

/** Waits until every pointer callback of the source was fetched; returns their log rows. */
async function fetched(relay: ProviderRelay, callbacks = 1): Promise<IngestLogRow[]> {
  return eventually(async () => {
    const rows = (await ingestLog(relay.key, relay.source.id)).filter((row) => row.reason === "fetched");
    return rows.length >= callbacks ? rows : undefined;
  });
}

describe("ShipEngine: tracking callbacks (data inline) through the ingest route", () => {
  it.each([
    [
      "TRACK_EVENT_V2 (out for delivery)",
      trackEvent,
      {
        type: "tracking.updated",
        source: { event: "TRACK_EVENT_V2", version: "v2" },
        occurred_at: instant("2026-04-27T08:15:00Z"),
        sequence: 1,
        shipment: { tracking_number: "1Z0000000000000000", carrier: "ups", ship_date: "2026-04-24", label_id: "se-1234567890" },
        tracking: {
          status: "out_for_delivery",
          status_detail: "Out for delivery",
          location: { city: "AUSTIN", state: "TX", country: "US", postal_code: "78756" },
          estimated_delivery: "2026-04-27",
        },
        data: { resource_url: trackEvent.body.resource_url, status_code: "IT", carrier_status_code: "OT" },
      },
      ["order", "inventory"],
    ],
    [
      "TRACK_EVENT_V2 (not yet in system, no carrier events)",
      trackEventNotYetInSystem,
      {
        type: "tracking.updated",
        source: { event: "TRACK_EVENT_V2", version: "v2" },
        shipment: { tracking_number: "1Z0000000000000000", carrier: "ups", label_id: "se-1234567890" },
        tracking: { status: "pre_transit", status_detail: "Not Yet In System", estimated_delivery: "2026-04-30" },
      },
      ["order", "inventory"],
    ],
    [
      "API_TRACK (ShipEngine, delivered)",
      apiTrackDelivered,
      {
        type: "tracking.updated",
        source: { event: "API_TRACK" },
        occurred_at: instant("2024-03-02T15:10:00Z"),
        shipment: { tracking_number: "9400111298370264401222" },
        tracking: { status: "delivered", status_detail: "Delivered", location: { city: "AUSTIN", state: "TX", country: null, postal_code: "78756" } },
      },
      ["order", "inventory"],
    ],
    [
      "BATCH_PROCESSED_V2 (no canonical home)",
      batchProcessed,
      {
        type: "provider.unmapped",
        source: { event: "BATCH_PROCESSED_V2", version: "v2" },
        sequence: null,
        data: batchProcessed.body,
      },
      ["order", "shipment", "tracking", "inventory"],
    ],
  ])("%s: signed, 200, stored and delivered as the canonical event", async (_name, fixture, expected, absent) => {
    const relay = await shipengineRelay();
    const [id] = expectAccepted(await relay.postSigned(rawOf(fixture)));
    const [delivered] = await deliveries(relay, 1);
    const event = delivered!.event;
    expect(event.id).toBe(id);
    expectCanonicalEnvelope(event, relay, "shipengine");
    expect(event).toMatchObject({ livemode: true, ...expected });
    for (const section of absent) expect(event).not.toHaveProperty(section);
    await expectDeliveredAsStored(relay, event, fixture.body);
    // Data inline: nothing was fetched from the provider's API.
    expect(await relay.providerApi.requests()).toHaveLength(0);
    expect((await relay.jwks.requests()).length).toBeGreaterThanOrEqual(1);
  });

  it("a signature by another key, over another body, with an unknown key id, or none is refused 401, logged, nothing forwarded", async () => {
    const relay = await shipengineRelay();
    const raw = rawOf(trackEvent);
    await expectRefused(relay, await relay.postSigned(raw, { key: impostor.privateKey }), "invalid_signature");
    const signedOriginal = await shipengineHeaders(raw);
    await expectRefused(relay, await relay.post(raw.replace('"IT"', '"DE"'), { headers: signedOriginal }), "invalid_signature");
    await expectRefused(relay, await relay.postSigned(raw, { kid: "se-unknown-key" }), "unknown_key");
    await expectRefused(relay, await relay.post(raw), "missing_signature");
    const { "x-shipengine-rsa-sha256-signature": _dropped, ...withoutSignature } = signedOriginal;
    await expectRefused(relay, await relay.post(raw, { headers: withoutSignature }), "missing_signature");
    await expectNothingForwarded(relay);
  });

  it("a genuine signature with a stale (or far-future) timestamp is refused 401 timestamp_out_of_window", async () => {
    const relay = await shipengineRelay();
    const raw = rawOf(trackEvent);
    await expectRefused(relay, await relay.postSigned(raw, { at: new Date(Date.now() - 10 * 60_000) }), "timestamp_out_of_window");
    await expectRefused(relay, await relay.postSigned(raw, { at: new Date(Date.now() + 10 * 60_000) }), "timestamp_out_of_window");
    // The same body signed now passes: it was the time, not the signature.
    expectAccepted(await relay.postSigned(raw));
    await deliveries(relay, 1);
  });

  it("the same signed request again is a duplicate: 200 duplicate true, delivered once", async () => {
    const relay = await shipengineRelay();
    const raw = rawOf(trackEvent);
    const headers = await shipengineHeaders(raw);
    const ids = expectAccepted(await relay.post(raw, { headers }));
    await deliveries(relay, 1);
    expectDuplicate(await relay.post(raw, { headers }), ids);
    await expectNoFurtherDeliveries(relay, 1);
    expect((await ingestLog(relay.key, relay.source.id)).map((row) => row.result).sort()).toEqual(["accepted", "duplicate"]);
  });

  it("ShipEngine's retry (same body, signed anew with a later timestamp) is a duplicate, delivered once", async () => {
    const relay = await shipengineRelay();
    const raw = rawOf(trackEvent);
    const ids = expectAccepted(await relay.postSigned(raw, { at: new Date(Date.now() - 60_000) }));
    await deliveries(relay, 1);
    expectDuplicate(await relay.postSigned(raw), ids);
    await expectNoFurtherDeliveries(relay, 1);
  });

  // Every delivery attempt is signed anew with a fresh x-shipengine-timestamp, so that header
  // must never be part of the identity: a retried "not yet in system" callback (no carrier
  // event to date it) dedupes on its payload.
  it("ShipEngine's retry of a callback without carrier events (not yet in system) is a duplicate", async () => {
    const relay = await shipengineRelay();
    const raw = rawOf(trackEventNotYetInSystem);
    const ids = expectAccepted(await relay.postSigned(raw, { at: new Date(Date.now() - 60_000) }));
    await deliveries(relay, 1);
    expectDuplicate(await relay.postSigned(raw), ids);
  });
});

describe("ShipEngine: pointer callbacks (*_V2 resources) through the ingest route", () => {
  it("FULFILLMENT_SHIPPED_V2: pending_fetch, then the fulfillment is fetched with the API-Key header and delivered as order.shipped", async () => {
    const relay = await shipengineRelay({ "GET /v2/fulfillments": fulfillmentsPage.body });
    const callback = pointerOnFakeApi(fulfillmentShipped, relay.providerApi.url);
    expectPendingFetch(await relay.postSigned(callback));

    const [log] = await fetched(relay);
    expect(log).toMatchObject({ result: "accepted", event_ids: [expect.stringMatching(/^evt_/)] });
    const [fetchRequest] = await relay.providerApi.requests();
    expect(fetchRequest).toMatchObject({ method: "GET", path: "/v2/fulfillments", query: "?fulfillment_id=se-16731019&shipment_id=se-412669417" });
    expect(fetchRequest!.headers["api-key"]).toBe("se-api-key-123");
    expect(fetchRequest!.headers.authorization).toBeUndefined();

    const [delivered] = await deliveries(relay, 1);
    const event = delivered!.event;
    expect(event.id).toBe(log!.event_ids[0]);
    expectCanonicalEnvelope(event, relay, "shipengine");
    expect(event).toMatchObject({
      type: "order.shipped",
      livemode: true,
      source: { provider: "shipengine", event: "FULFILLMENT_SHIPPED_V2", version: "v2" },
      occurred_at: instant("2026-01-15T10:30:00Z"),
      sequence: 1,
      order: { reference: "ODOO-WH/OUT/00042-15", id: "se-412669417" },
      shipment: { tracking_number: "770000000001", carrier: "fedex", service: "fedex_home_delivery", ship_date: "2026-01-15" },
      data: { fulfillment_id: "se-16731019" },
    });
    // `raw` is the provider's payload as received: the signed callback, not the fetched resource.
    await expectDeliveredAsStored(relay, event, JSON.parse(callback));
  });

  it("SHIPMENT_CREATED_V2: one shipment.created per shipment the resource lists, sequenced per order", async () => {
    const relay = await shipengineRelay({ "GET /v2/shipments": shipmentsPage.body });
    expectPendingFetch(await relay.postSigned(pointerOnFakeApi(shipmentCreated, relay.providerApi.url)));
    const [log] = await fetched(relay);
    expect(log!.event_ids).toHaveLength(2);
    const delivered = await deliveries(relay, 2);
    const [first, second] = log!.event_ids.map((id) => deliveredEvent(delivered, id));
    expect(first).toMatchObject({
      type: "shipment.created",
      order: { reference: "ODOO-WH/OUT/00042-15", id: "se-412669417" },
      shipment: { service: "usps_priority_mail", ship_date: "2026-01-15", items: [{ sku: "PROD-001", quantity: 2, description: "Widget" }] },
    });
    expect(second).toMatchObject({
      type: "shipment.created",
      order: { reference: "ODOO-WH/OUT/00042-15", id: "se-412669418" },
      shipment: { items: [{ sku: "PROD-002", quantity: 1, description: "Gadget" }] },
    });
    expect([first.sequence, second.sequence].sort()).toEqual([1, 2]);
    await expectNoFurtherDeliveries(relay, 2);
  });

  it("LABEL_CREATED_V2: the label is fetched and delivered as label.created with its cost", async () => {
    const relay = await shipengineRelay({ "GET /v2/labels": labelsPage.body });
    expectPendingFetch(await relay.postSigned(pointerOnFakeApi(labelCreated, relay.providerApi.url)));
    const [log] = await fetched(relay);
    const [delivered] = await deliveries(relay, 1);
    expect(delivered!.event).toMatchObject({
      id: log!.event_ids[0],
      type: "label.created",
      source: { event: "LABEL_CREATED_V2", version: "v2" },
      order: { id: "se-412669417" },
      shipment: {
        tracking_number: "9405511899223197428490",
        carrier: "usps",
        service: "usps_priority_mail",
        cost: { amount: "7.73", currency: "USD" },
        label_id: "se-799373193",
      },
    });
    await expectDeliveredAsStored(relay, delivered!.event);
  });

  it("a repeated pointer callback answers pending_fetch again and relays nothing twice", async () => {
    const relay = await shipengineRelay({ "GET /v2/fulfillments": fulfillmentsPage.body });
    const raw = pointerOnFakeApi(fulfillmentShipped, relay.providerApi.url);
    const headers = await shipengineHeaders(raw);
    expectPendingFetch(await relay.post(raw, { headers }));
    await fetched(relay, 1);
    expectPendingFetch(await relay.post(raw, { headers }));
    const rows = await fetched(relay, 2);
    expect(rows[0]!.event_ids).toEqual(rows[1]!.event_ids);
    await deliveries(relay, 1);
    await expectNoFurtherDeliveries(relay, 1);
    expect(await eventsOf(relay.key, relay.source.id)).toHaveLength(1);
  });

  it("a forged pointer callback is refused before anything is fetched", async () => {
    const relay = await shipengineRelay({ "GET /v2/fulfillments": fulfillmentsPage.body });
    const raw = pointerOnFakeApi(fulfillmentShipped, relay.providerApi.url);
    await expectRefused(relay, await relay.postSigned(raw, { key: impostor.privateKey }), "invalid_signature");
    await expectNothingForwarded(relay);
    expect(await relay.providerApi.requests()).toHaveLength(0);
  });
});

// --- The adapter alone: normalize, presets and resource mapping, without the route.
const receivedAt = new Date("2026-04-27T14:02:12Z");
const input = (body: unknown) => adapterInput(body, { receivedAt });
const events = (body: unknown, headers?: Record<string, string>) => normalizeAll(shipengineAdapter, body, { receivedAt, headers });
const expectCanonical = (ev: NormalizedEvent) => expectCanonicalEvent(ev, "shipengine", receivedAt, { withVersion: true });

const credentials = (base: string) => ({ api_key: "TEST_api-key-789", api_base_url: base });

describe("shipengine inline tracking callbacks", () => {
  // Its shipment and tracking fields are checked through the route (the "out for delivery" case).
  it("maps TRACK_EVENT_V2 to tracking.updated, out_for_delivery from the detail code", () => {
    const [ev] = events(trackEvent.body, trackEvent.headers);
    expect(ev).toMatchObject({
      type: "tracking.updated",
      livemode: true,
      source_event: "TRACK_EVENT_V2",
      version: "v2",
      occurred_at: "2026-04-27T08:15:00Z",
      tracking: { status: "out_for_delivery" },
      provider_event_id: "https://api.shipstation.com/v2/labels/se-1234567890/track@2026-04-27T08:15:00Z:IT",
    });
    expectCanonical(ev!);
  });

  it("maps the documented NY example to pre_transit; with no carrier event its identity is the payload, never the signature timestamp", () => {
    const [ev] = events(trackEventNotYetInSystem.body, trackEventNotYetInSystem.headers);
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
    const body = { ...trackEventNotYetInSystem.body, data: { ...trackEventNotYetInSystem.body.data, status_code: code, status_detail_code: detail } };
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

  // Its fields are checked through the route ("LABEL_CREATED_V2: the label is fetched …").
  it("label_created_v2 → label.created, a valid canonical event", () => {
    const [ev] = shipengineResourceEvents(labelsPage.body, "LABEL_CREATED_V2", "https://x");
    expect(ev!.type).toBe("label.created");
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
