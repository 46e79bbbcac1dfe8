import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { atoshipAdapter } from "../../../src/ingest/providers/atoship";
import { type NormalizedEvent } from "../../../src/ingest/providers/types";
import labelCreated from "../../fixtures/atoship/label.created.json";
import orderCanceled from "../../fixtures/atoship/order.canceled.json";
import orderFulfilled from "../../fixtures/atoship/order.fulfilled.json";
import shipmentDelivered from "../../fixtures/atoship/shipment.delivered.json";
import { hmacHex } from "../../support/relay";
import { expectCanonicalEvent, neverCrashes, normalizeOne } from "./adapter-helpers";
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
  providerRelay,
  type ProviderRelay,
  rawOf,
} from "./helpers";

/**
 * AtoShip through the real ingest route: `X-AtoShip-Signature: sha256=<hex HMAC-SHA256(secret,
 * raw body)>` with the secret the relay generates (or the one AtoShip issued). Envelopes
 * `{event, timestamp, data}` and `{type, data}`.
 */

async function postSigned(relay: ProviderRelay, raw: string, secret = relay.source.secret!) {
  return relay.post(raw, { headers: { "x-atoship-signature": `sha256=${await hmacHex(secret, raw)}` } });
}

const USPS = { tracking_number: "9400111899223", carrier: "usps", service: "Priority Mail" };

describe("AtoShip: its events through the ingest route (HMAC preset, generated secret)", () => {
  it.each([
    [
      "label.created (seed sample)",
      labelCreated,
      {
        type: "label.created",
        source: { event: "label.created" },
        occurred_at: instant("2024-01-15T10:30:00Z"),
        sequence: 1,
        order: { reference: "ord_xyz789" },
        shipment: { ...USPS, label_id: "lbl_abc123" },
      },
      ["tracking", "inventory"],
    ],
    [
      "shipment.delivered",
      shipmentDelivered,
      {
        type: "tracking.updated",
        source: { event: "shipment.delivered" },
        occurred_at: instant("2024-01-18T15:04:00Z"),
        order: { reference: "ord_xyz789" },
        shipment: { ...USPS, label_id: "lbl_abc123" },
        tracking: { status: "delivered", status_detail: "Delivered, In/At Mailbox" },
        data: { delivered_at: "2024-01-18T15:04:00Z" },
      },
      ["inventory"],
    ],
    [
      "order.fulfilled",
      orderFulfilled,
      {
        type: "order.shipped",
        source: { event: "order.fulfilled" },
        occurred_at: instant("2024-01-15T11:00:00Z"),
        order: { reference: "ord_xyz789", number: "1001" },
        shipment: { ...USPS, ship_date: "2024-01-15", cost: { amount: "8.25", currency: "USD" } },
      },
      ["tracking", "inventory"],
    ],
    [
      "order.canceled in the {type, data} envelope",
      orderCanceled,
      {
        type: "order.canceled",
        source: { event: "order.canceled" },
        order: { reference: "ord_def456", number: "1002" },
        data: { reason: "customer_request" },
      },
      ["shipment", "tracking", "inventory"],
    ],
  ])("%s: 200, stored and delivered as the canonical event", async (_name, fixture, expected, absent) => {
    const relay = await providerRelay("atoship");
    const [id] = expectAccepted(await postSigned(relay, rawOf(fixture)));
    const [delivered] = await deliveries(relay, 1);
    const event = delivered!.event;
    expect(event.id).toBe(id);
    expectCanonicalEnvelope(event, relay, "atoship");
    expect(event).toMatchObject({ livemode: true, ...expected });
    for (const section of absent) expect(event).not.toHaveProperty(section);
    // Without a provider time, occurred_at is when the relay accepted it.
    if (!("occurred_at" in expected)) expect(event.occurred_at).toBe(event.created_at);
    await expectDeliveredAsStored(relay, event, fixture.body);
  });

  it("one order's label, shipment and delivery are sequenced 1, 2, 3 in arrival order", async () => {
    const relay = await providerRelay("atoship");
    const ids: string[] = [];
    for (const fixture of [labelCreated, orderFulfilled, shipmentDelivered]) ids.push(expectAccepted(await postSigned(relay, rawOf(fixture)))[0]!);
    const delivered = await deliveries(relay, 3);
    expect(ids.map((id) => deliveredEvent(delivered, id).sequence)).toEqual([1, 2, 3]);
  });

  it("a forged signature (other body, other secret) or none is refused 401, logged, and nothing is forwarded", async () => {
    const relay = await providerRelay("atoship");
    const raw = rawOf(labelCreated);
    const tampered = raw.replace("9400111899223", "9400111899224");
    const signatureOfOriginal = { "x-atoship-signature": `sha256=${await hmacHex(relay.source.secret!, raw)}` };
    await expectRefused(relay, await relay.post(tampered, { headers: signatureOfOriginal }), "invalid_signature");
    await expectRefused(relay, await postSigned(relay, raw, "guessed-secret"), "invalid_signature");
    await expectRefused(relay, await relay.post(raw), "missing_signature");
    await expectNothingForwarded(relay);
  });

  it("the same signed request again is a duplicate: 200 duplicate true, delivered once", async () => {
    const relay = await providerRelay("atoship");
    const raw = rawOf(labelCreated);
    const ids = expectAccepted(await postSigned(relay, raw));
    await deliveries(relay, 1);
    expectDuplicate(await postSigned(relay, raw), ids);
    await expectNoFurtherDeliveries(relay, 1);
    expect((await ingestLog(relay.key, relay.source.id)).map((row) => row.result).sort()).toEqual(["accepted", "duplicate"]);
  });

  it("the secret AtoShip issued (verification: {secret}) verifies; the preset fills in the rest", async () => {
    const relay = await providerRelay("atoship", { verification: { secret: "atoship-issued-6b1d" } });
    expect(relay.source.secret, "a provider-issued secret is not echoed").toBeUndefined();
    expect(relay.source.verification).toMatchObject({ type: "hmac", header: "x-atoship-signature", prefix: "sha256=" });
    const [id] = expectAccepted(await postSigned(relay, rawOf(labelCreated), "atoship-issued-6b1d"));
    const [delivered] = await deliveries(relay, 1);
    expect(delivered!.event).toMatchObject({ id, type: "label.created" });
  });
});

// --- The adapter alone: normalize, presets and resource mapping, without the route.
const receivedAt = new Date("2024-01-15T10:30:02Z");
const one = (body: unknown) => normalizeOne(atoshipAdapter, body, { receivedAt });
const expectCanonical = (ev: NormalizedEvent) => expectCanonicalEvent(ev, "atoship", receivedAt, { checkFormats: false });

describe("atoship normalize", () => {
  it("maps the seed label.created sample", () => {
    const ev = one(labelCreated.body);
    expect(ev).toMatchObject({
      type: "label.created",
      occurred_at: "2024-01-15T10:30:00Z",
      order: { reference: "ord_xyz789" },
      shipment: { label_id: "lbl_abc123", tracking_number: "9400111899223", carrier: "usps", service: "Priority Mail" },
    });
    expectCanonical(ev);
  });

  it("normalizes tracking dates", () => {
    const ev = one({ type: "shipment.in_transit", data: { order_id: "o1", estimated_delivery: "2024-01-18T12:00:00Z", ship_date: "2024-01-15T08:00:00Z" } });
    expect(ev.tracking).toEqual({ status: "in_transit", estimated_delivery: "2024-01-18" });
    expect(ev.shipment).toEqual({ ship_date: "2024-01-15" });
  });
});

describe("atoship properties", () => {
  const bodies = fc.oneof(
    fc.jsonValue(),
    fc.record(
      {
        event: fc.oneof(fc.constantFrom("label.created", "shipment.delivered", "order.fulfilled", "x"), fc.jsonValue()),
        timestamp: fc.jsonValue(),
        data: fc.oneof(fc.dictionary(fc.constantFrom("order_id", "carrier", "ship_date", "estimated_delivery", "rate", "status_detail"), fc.jsonValue()), fc.jsonValue()),
      },
      { requiredKeys: [] },
    ),
  );

  it("normalize returns a result or throws AdapterParseError, never anything else", () => {
    neverCrashes(atoshipAdapter, bodies, { receivedAt, check: expectCanonical, numRuns: 200 });
  });
});
