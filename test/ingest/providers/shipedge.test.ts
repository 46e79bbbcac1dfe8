import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseShipedgeEvent, shipedgeAdapter } from "../../../src/ingest/providers/shipedge";
import { type NormalizedEvent } from "../../../src/ingest/providers/types";
import billingInvoice from "../../fixtures/shipedge/billing.invoice_created_v1.json";
import inventoryCorrections from "../../fixtures/shipedge/inventory.corrections_v2.json";
import inventoryMirror from "../../fixtures/shipedge/inventory.mirror_v2.json";
import ordersCanceled from "../../fixtures/shipedge/orders.canceled_v2.json";
import ordersRefunded from "../../fixtures/shipedge/orders.refunded_v2.json";
import ordersShipped from "../../fixtures/shipedge/orders.shipped_v2.json";
import ordersShippedV3 from "../../fixtures/shipedge/orders.shipped_v3.json";
import ordersUpdated from "../../fixtures/shipedge/orders.updated_v1.json";
import replenishmentReceived from "../../fixtures/shipedge/replenishments.received_v2.json";
import returnReceived from "../../fixtures/shipedge/returns.received_v2.json";
import { api } from "../../support/relay";
import { adapterInput, expectCanonicalEvent, expectParseError, neverCrashes, normalizeOne } from "./adapter-helpers";
import {
  deliveredEvent,
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
 * ShipEdge through the real ingest route. ShipEdge authenticates by what the user configures
 * on the webhook (custom headers, an auth method, or an SSL client certificate), so the
 * preset is a URL token and a source may choose basic, header or client_cert instead.
 *
 * Client certificates: `SELF.fetch(url, {cf: {tlsClientAuth: {...}}})` reaches the Worker's
 * `request.cf` in @cloudflare/vitest-plugin, so these tests post through the real Worker
 * with the `cf` object Cloudflare's mTLS rule would fill in.
 */

const FINGERPRINT = "af363dc85bc942a892d3cee9796190fdb36d89cd588a4f1cb17c74a943439714";
const verifiedCert = (fingerprint = FINGERPRINT, certVerified = "SUCCESS") => ({
  tlsClientAuth: {
    certPresented: "1",
    certVerified,
    certRevoked: "0",
    certFingerprintSHA256: fingerprint,
    certSubjectDN: "CN=webhooks.shipedge.com",
  },
});

describe("ShipEdge: every documented event through the ingest route (URL token preset)", () => {
  it.each([
    [
      "orders/shipped_v2",
      ordersShipped,
      {
        type: "order.shipped",
        source: { event: "orders/shipped_v2", version: "v2" },
        occurred_at: instant("2024-01-15T10:30:00Z"),
        sequence: 1,
        order: { reference: "REF-123", id: "12345", number: "ORD-001" },
        shipment: {
          tracking_number: "1Z999AA10123456784",
          carrier: "ups",
          service: "Ground",
          ship_date: "2024-01-15",
          cost: { amount: "5.99", currency: "USD" },
          items: [{ sku: "PROD-001", quantity: 2, description: "Product Description" }],
        },
        data: { account_id: 100, status: "shipped", total: 59.98 },
      },
      ["tracking", "inventory"],
    ],
    [
      "orders/shipped_v3",
      ordersShippedV3,
      {
        type: "order.shipped",
        source: { event: "orders/shipped_v3", version: "v3" },
        occurred_at: instant("2024-01-16T08:00:00Z"),
        order: { reference: "ORD-002", id: "12346" },
        shipment: {
          tracking_number: "9400111899223197428490",
          carrier: "usps",
          service: "Priority Mail",
          ship_date: "2024-01-16",
          cost: { amount: "7.73", currency: "USD" },
          items: [{ sku: "PROD-002", quantity: 1, description: "Gadget" }],
        },
      },
      ["tracking", "inventory"],
    ],
    [
      "orders/updated_v1",
      ordersUpdated,
      {
        type: "order.updated",
        source: { event: "orders/updated_v1", version: "v1" },
        occurred_at: instant("2024-01-16T10:00:00Z"),
        order: { reference: "ORD-004", id: "12348" },
        data: { status: "processing", previous_status: "pending" },
      },
      ["shipment", "tracking", "inventory"],
    ],
    [
      "orders/canceled_v2",
      ordersCanceled,
      {
        type: "order.canceled",
        occurred_at: instant("2024-01-16T09:00:00Z"),
        order: { reference: "REF-125", id: "12347", number: "ORD-003" },
        data: { reason: "Customer request" },
      },
      ["shipment", "tracking", "inventory"],
    ],
    [
      "orders/refunded_v2",
      ordersRefunded,
      {
        type: "order.refunded",
        occurred_at: instant("2024-01-20T12:00:00Z"),
        order: { reference: "REF-123", id: "12345", number: "ORD-001" },
        data: { refund_amount: 59.98 },
      },
      ["tracking", "inventory"],
    ],
    [
      "inventory/corrections_v2",
      inventoryCorrections,
      {
        type: "inventory.adjusted",
        occurred_at: instant("2024-01-15T14:20:00Z"),
        // Neither an order nor a tracking number: deduplicated, not sequenced (EVENTS.md).
        sequence: null,
        inventory: { sku: "PROD-001", location: "A-01", previous_quantity: 50, new_quantity: 45, reason: "Cycle count adjustment" },
        data: { correction_id: 789, bin: "BIN-001", adjustment: -5 },
      },
      ["order", "shipment", "tracking"],
    ],
    [
      "inventory/mirror_v2",
      inventoryMirror,
      {
        type: "inventory.adjusted",
        occurred_at: instant("2024-01-15T15:00:00Z"),
        inventory: { sku: "PROD-001", location: "A-01", previous_quantity: 50, new_quantity: 45 },
      },
      ["order", "shipment", "tracking"],
    ],
    [
      "replenishments/received_v2",
      replenishmentReceived,
      {
        type: "replenishment.received",
        occurred_at: instant("2024-01-17T11:00:00Z"),
        order: { reference: "PO-7788" },
        data: { replenishment_id: 555 },
      },
      ["tracking", "inventory"],
    ],
    [
      "returns/received_v2",
      returnReceived,
      {
        type: "return.received",
        occurred_at: instant("2024-01-25T16:45:00Z"),
        order: { reference: "REF-123", id: "12345", number: "ORD-001" },
        shipment: { tracking_number: "1Z999AA10123456799", carrier: "ups" },
        data: { return_id: 77, reason: "Damaged" },
      },
      ["tracking", "inventory"],
    ],
    [
      "billing/invoice_created_v1 (no canonical home)",
      billingInvoice,
      {
        type: "provider.unmapped",
        source: { event: "billing/invoice_created_v1", version: "v1" },
        order: { reference: "ORD-001" },
        data: billingInvoice.body,
      },
      ["shipment", "tracking", "inventory"],
    ],
  ])("%s: stored and delivered as the canonical event", async (_name, fixture, expected, absent) => {
    const relay = await providerRelay("shipedge");
    const [id] = expectAccepted(await relay.post(rawOf(fixture)));

    const [delivered] = await deliveries(relay, 1);
    expect(delivered!.event.id).toBe(id);
    expect(delivered!.request.headers["webhook-id"]).toEqual(expect.any(String));
    const event = delivered!.event;
    expectCanonicalEnvelope(event, relay, "shipedge");
    expect(event).toMatchObject({ livemode: true, ...expected });
    for (const section of absent) expect(event).not.toHaveProperty(section);
    await expectDeliveredAsStored(relay, event, fixture.body);

    const [log] = await ingestLog(relay.key, relay.source.id);
    expect(log).toMatchObject({ result: "accepted", event_id: id, event_ids: [id] });
  });

  it("events of one order reference are sequenced 1, 2, 3 in arrival order", async () => {
    const relay = await providerRelay("shipedge");
    const ids = [];
    for (const fixture of [ordersShipped, ordersRefunded, returnReceived]) ids.push(expectAccepted(await relay.post(rawOf(fixture)))[0]!);
    const delivered = await deliveries(relay, 3);
    expect(ids.map((id) => deliveredEvent(delivered, id).sequence)).toEqual([1, 2, 3]);
    expect(ids.map((id) => deliveredEvent(delivered, id).order.reference)).toEqual(["REF-123", "REF-123", "REF-123"]);
  });

  it("a URL token that is missing or wrong is refused 401, logged, and nothing is forwarded", async () => {
    const relay = await providerRelay("shipedge");
    const raw = rawOf(ordersShipped);
    await expectRefused(relay, await relay.post(raw, { path: pathWithoutToken(relay.source) }), "missing_token");
    await expectRefused(relay, await relay.post(raw, { path: pathWithForgedToken(relay.source) }), "invalid_token");
    await expectNothingForwarded(relay);
  });

  it("ShipEdge sends no event id: an identical payload again (a retry or a hand-made resend) is a duplicate, delivered once", async () => {
    const relay = await providerRelay("shipedge");
    const raw = rawOf(ordersShipped);
    const ids = expectAccepted(await relay.post(raw));
    await deliveries(relay, 1);
    expectDuplicate(await relay.post(raw), ids);
    await expectNoFurtherDeliveries(relay, 1);
    const results = (await ingestLog(relay.key, relay.source.id)).map((row) => row.result).sort();
    expect(results).toEqual(["accepted", "duplicate"]);
  });

  it("a payload that differs in any field is a new event, not a duplicate", async () => {
    const relay = await providerRelay("shipedge");
    const first = expectAccepted(await relay.post(rawOf(ordersShipped)));
    const changed = { ...ordersShipped.body, tracking_number: "1Z999AA10123456785" };
    const second = expectAccepted(await relay.post(JSON.stringify(changed)));
    expect(second).not.toEqual(first);
    await deliveries(relay, 2);
  });
});

describe("ShipEdge: the authentication methods a user can configure instead", () => {
  it("basic auth: the configured credentials pass; missing or wrong ones are refused 401", async () => {
    const relay = await providerRelay("shipedge", { verification: { type: "basic", username: "shipedge", password: "pa55-w0rd" } });
    const raw = rawOf(ordersShipped);
    const basic = (user: string, pass: string) => ({ authorization: `Basic ${btoa(`${user}:${pass}`)}` });

    await expectRefused(relay, await relay.post(raw), "missing_credentials");
    await expectRefused(relay, await relay.post(raw, { headers: basic("shipedge", "guess") }), "invalid_credentials");
    const [id] = expectAccepted(await relay.post(raw, { headers: basic("shipedge", "pa55-w0rd") }));
    const [delivered] = await deliveries(relay, 1);
    expect(delivered!.event).toMatchObject({ id, type: "order.shipped", order: { reference: "REF-123" } });
  });

  it("custom header (the fixture's Authorization: Bearer): the exact value passes; missing or other values are refused 401", async () => {
    const relay = await providerRelay("shipedge", {
      verification: { type: "header", name: "authorization", value: "Bearer se-0123456789abcdef" },
    });
    const raw = rawOf(inventoryCorrections);
    await expectRefused(relay, await relay.post(raw), "missing_credentials");
    await expectRefused(relay, await relay.post(raw, { headers: { authorization: "Bearer se-0123456789abcdee" } }), "invalid_credentials");
    const [id] = expectAccepted(await relay.post(raw, { headers: { authorization: "Bearer se-0123456789abcdef" } }));
    const [delivered] = await deliveries(relay, 1);
    expect(delivered!.event).toMatchObject({ id, type: "inventory.adjusted" });
  });

  it("client certificate (request.cf.tlsClientAuth): the configured fingerprint passes", async () => {
    const relay = await providerRelay("shipedge", { verification: { type: "client_cert", fingerprint_sha256: FINGERPRINT } });
    // Cloudflare reports the fingerprint in hex; the user may paste it upper-case with colons.
    const colons = FINGERPRINT.toUpperCase().match(/../g)!.join(":");
    const [id] = expectAccepted(await relay.post(rawOf(ordersShipped), { cf: verifiedCert(colons) }));
    const [delivered] = await deliveries(relay, 1);
    expect(delivered!.event).toMatchObject({ id, type: "order.shipped", shipment: { tracking_number: "1Z999AA10123456784" } });
    await expectDeliveredAsStored(relay, delivered!.event, ordersShipped.body);
  });

  it("client certificate: none presented, one Cloudflare did not verify, or another certificate → 401", async () => {
    const relay = await providerRelay("shipedge", { verification: { type: "client_cert", fingerprint_sha256: FINGERPRINT } });
    const raw = rawOf(ordersShipped);
    await expectRefused(relay, await relay.post(raw), "missing_client_certificate");
    await expectRefused(
      relay,
      await relay.post(raw, { cf: { tlsClientAuth: { certPresented: "0", certVerified: "NONE", certFingerprintSHA256: "" } } }),
      "missing_client_certificate",
    );
    await expectRefused(
      relay,
      await relay.post(raw, { cf: verifiedCert(FINGERPRINT, "FAILED:certificate has expired") }),
      "invalid_client_certificate",
    );
    await expectRefused(relay, await relay.post(raw, { cf: verifiedCert(FINGERPRINT.replace(/^af/, "ae")) }), "invalid_client_certificate");
    await expectNothingForwarded(relay);
  });

  it("client certificate plus a custom header: both must hold", async () => {
    const relay = await providerRelay("shipedge", {
      verification: { type: "client_cert", fingerprint_sha256: FINGERPRINT, header: { name: "x-shipedge-token", value: "tok-42" } },
    });
    const raw = rawOf(ordersShipped);
    await expectRefused(relay, await relay.post(raw, { cf: verifiedCert() }), "missing_credentials");
    await expectRefused(relay, await relay.post(raw, { cf: verifiedCert(), headers: { "x-shipedge-token": "tok-41" } }), "invalid_credentials");
    await expectRefused(relay, await relay.post(raw, { headers: { "x-shipedge-token": "tok-42" } }), "missing_client_certificate");
    expectAccepted(await relay.post(raw, { cf: verifiedCert(), headers: { "x-shipedge-token": "tok-42" } }));
    await deliveries(relay, 1);
  });

  // The optional header of a client_cert source is a credential, like a `header` source's
  // value: sealed at rest, never echoed by POST/GET /v1/sources.
  it("client certificate plus a custom header: the header value is a secret, never returned by the API", async () => {
    const relay = await providerRelay("shipedge", {
      verification: { type: "client_cert", fingerprint_sha256: FINGERPRINT, header: { name: "x-shipedge-token", value: "tok-secret-42" } },
    });
    expect(JSON.stringify(relay.source)).not.toContain("tok-secret-42");
    const read = await api("GET", `/v1/sources/${relay.source.id}`, { token: relay.key });
    expect(read.status).toBe(200);
    expect(read.text).not.toContain("tok-secret-42");
  });
});

// --- The adapter alone: normalize, presets and resource mapping, without the route.
const receivedAt = new Date("2024-01-15T10:30:05Z");
const input = (body: unknown) => adapterInput(body, { receivedAt });
const one = (body: unknown) => normalizeOne(shipedgeAdapter, body, { receivedAt });
const expectCanonical = (ev: NormalizedEvent) => expectCanonicalEvent(ev, "shipedge", receivedAt, { withVersion: true });

describe("shipedge normalize", () => {
  // Its order, shipment and data fields are checked through the route (the orders/shipped_v2 case).
  it("maps orders/shipped_v2 (seed sample) to order.shipped", () => {
    const ev = one(ordersShipped.body);
    expect(ev).toMatchObject({ type: "order.shipped", livemode: true, source_event: "orders/shipped_v2", version: "v2", occurred_at: "2024-01-15T10:30:00Z" });
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
    const ev = one(billingInvoice.body);
    expect(ev).toMatchObject({ type: "provider.unmapped", source_event: "billing/invoice_created_v1", data: billingInvoice.body });
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
