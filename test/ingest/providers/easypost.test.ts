import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { easypostAdapter, easypostStatus } from "../../../src/ingest/providers/easypost";
import { type NormalizedEvent } from "../../../src/ingest/providers/types";
import batchUpdated from "../../fixtures/easypost/batch.updated.json";
import refundSuccessful from "../../fixtures/easypost/refund.successful.json";
import scanFormCreated from "../../fixtures/easypost/scan_form.created.json";
import trackerCreatedTest from "../../fixtures/easypost/tracker.created.test.json";
import trackerUpdated from "../../fixtures/easypost/tracker.updated.json";
import trackerUpdatedRetry from "../../fixtures/easypost/tracker.updated.retry.json";
import { hmacHex } from "../../support/relay";
import { adapterInput, expectCanonicalEvent, expectParseError, neverCrashes, normalizeOne } from "./adapter-helpers";
import {
  deliveries,
  eventsOf,
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
 * EasyPost through the real ingest route: `X-Hmac-Signature: hmac-sha256-hex=<hex>`, the
 * HMAC-SHA256 of the raw body keyed by the webhook secret NFKD-normalized (easypost-node
 * `validateWebhook`). The Event `id` is the dedupe key; `mode: "test"` is test data.
 */

async function easypostSignature(secret: string, raw: string) {
  return { "x-hmac-signature": `hmac-sha256-hex=${await hmacHex(secret.normalize("NFKD"), raw)}` };
}

async function postSigned(relay: ProviderRelay, raw: string, secret = relay.source.secret!) {
  return relay.post(raw, { headers: await easypostSignature(secret, raw) });
}

const USPS_TRACKER = { tracking_number: "9400100105440281296040", carrier: "usps" };

describe("EasyPost: every documented event through the ingest route (HMAC preset)", () => {
  it.each([
    [
      "tracker.updated",
      trackerUpdated,
      {
        type: "tracking.updated",
        livemode: true,
        source: { event: "tracker.updated" },
        occurred_at: instant("2022-09-12T07:39:53Z"),
        // A tracker names no order: sequenced by carrier + tracking number.
        sequence: 1,
        shipment: { ...USPS_TRACKER, service: "First-Class Package Service" },
        tracking: {
          status: "in_transit",
          status_detail: "Arrived at USPS Facility",
          location: { city: "COLUMBIA", state: "SC", country: null, postal_code: "29201" },
          estimated_delivery: "2022-10-14",
        },
        data: { tracker: { id: "trk_e3e4ce22f52b4bc4bd4c66ee8ebdd3ad" }, previous_attributes: { status: "pre_transit" } },
      },
      ["order", "inventory"],
    ],
    [
      "refund.successful",
      refundSuccessful,
      {
        type: "label.voided",
        livemode: true,
        source: { event: "refund.successful" },
        occurred_at: instant("2022-10-12T08:00:00Z"),
        shipment: USPS_TRACKER,
        data: { refund: { id: "rfnd_d0ab1c8ff3a64a43a7b9b4c0d06fc5a5", shipment_id: "shp_4d3ec3aea0b54fb2a62a49d8e1d8dbb3" } },
      },
      ["order", "tracking", "inventory"],
    ],
    [
      "scan_form.created (no canonical home)",
      scanFormCreated,
      {
        type: "provider.unmapped",
        livemode: true,
        source: { event: "scan_form.created" },
        occurred_at: instant("2022-10-12T09:00:00Z"),
        sequence: null,
        data: scanFormCreated.body,
      },
      ["order", "shipment", "tracking", "inventory"],
    ],
  ])("%s: 200, stored and delivered as the canonical event", async (_name, fixture, expected, absent) => {
    const relay = await providerRelay("easypost");
    const [id] = expectAccepted(await postSigned(relay, rawOf(fixture)));
    const [delivered] = await deliveries(relay, 1);
    const event = delivered!.event;
    expect(event.id).toBe(id);
    expectCanonicalEnvelope(event, relay, "easypost");
    expect(event).toMatchObject({ ...expected });
    for (const section of absent) expect(event).not.toHaveProperty(section);
    await expectDeliveredAsStored(relay, event, fixture.body);
  });

  it("batch.updated is ONE event about the Batch, not one per shipment in it", async () => {
    const relay = await providerRelay("easypost");
    const [id] = expectAccepted(await postSigned(relay, rawOf(batchUpdated)), 1);
    const [delivered] = await deliveries(relay, 1);
    expect(delivered!.event).toMatchObject({
      id,
      type: "provider.unmapped",
      livemode: true,
      source: { provider: "easypost", event: "batch.updated" },
      occurred_at: instant("2022-10-11T18:00:00Z"),
    });
    expect(delivered!.event.data.result).toMatchObject({ object: "Batch", num_shipments: 3 });
    expect(delivered!.event.data.result.shipments).toHaveLength(3);
    // The batch's own `reference` names the batch, not an order.
    expect(delivered!.event).not.toHaveProperty("order");
    await expectDeliveredAsStored(relay, delivered!.event, batchUpdated.body);
    await expectNoFurtherDeliveries(relay, 1);
    expect(await eventsOf(relay.key, relay.source.id)).toHaveLength(1);
  });

  it('mode "test" → delivered with livemode false', async () => {
    const relay = await providerRelay("easypost");
    const [id] = expectAccepted(await postSigned(relay, rawOf(trackerCreatedTest)));
    const [delivered] = await deliveries(relay, 1);
    expect(delivered!.event).toMatchObject({
      id,
      type: "tracking.updated",
      livemode: false,
      shipment: { tracking_number: "EZ4000000004", carrier: "usps" },
      tracking: { status: "returned_to_sender", status_detail: "Return to sender" },
    });
    expect((await expectDeliveredAsStored(relay, delivered!.event, trackerCreatedTest.body)).livemode).toBe(false);
  });

  it("a forged signature (other body, other secret) or none is refused 401, logged, and nothing is forwarded", async () => {
    const relay = await providerRelay("easypost");
    const raw = rawOf(trackerUpdated);
    const tampered = raw.replace('"in_transit"', '"delivered"');
    expect(tampered).not.toBe(raw);
    await expectRefused(relay, await relay.post(tampered, { headers: await easypostSignature(relay.source.secret!, raw) }), "invalid_signature");
    await expectRefused(relay, await postSigned(relay, raw, "not-the-webhook-secret"), "invalid_signature");
    await expectRefused(relay, await relay.post(raw), "missing_signature");
    await expectNothingForwarded(relay);
  });

  it("the same signed request again is a duplicate: 200 duplicate true, delivered once", async () => {
    const relay = await providerRelay("easypost");
    const raw = rawOf(trackerUpdated);
    const headers = await easypostSignature(relay.source.secret!, raw);
    const ids = expectAccepted(await relay.post(raw, { headers }));
    await deliveries(relay, 1);
    expectDuplicate(await relay.post(raw, { headers }), ids);
    await expectNoFurtherDeliveries(relay, 1);
    expect((await ingestLog(relay.key, relay.source.id)).map((row) => row.result).sort()).toEqual(["accepted", "duplicate"]);
  });

  it("EasyPost's retry (same Event id, new delivery bookkeeping) is a duplicate, delivered once", async () => {
    const relay = await providerRelay("easypost");
    const ids = expectAccepted(await postSigned(relay, rawOf(trackerUpdated)));
    await deliveries(relay, 1);
    expectDuplicate(await postSigned(relay, rawOf(trackerUpdatedRetry)), ids);
    await expectNoFurtherDeliveries(relay, 1);
  });

  it("the secret is NFKD-normalized before keying the HMAC (a provider-issued secret with ligatures and accents)", async () => {
    const issued = "whsec-ﬁle-cafe\u0301-Å";
    expect(issued.normalize("NFKD")).not.toBe(issued);
    const relay = await providerRelay("easypost", { verification: { secret: issued } });
    expect(relay.source.secret, "a provider-issued secret is not echoed").toBeUndefined();
    const raw = rawOf(refundSuccessful);
    // Keyed by the secret as typed (UTF-8, not normalized): not what EasyPost signs with.
    const unnormalized = { "x-hmac-signature": `hmac-sha256-hex=${await hmacHex(issued, raw)}` };
    await expectRefused(relay, await relay.post(raw, { headers: unnormalized }), "invalid_signature");
    expectAccepted(await relay.post(raw, { headers: await easypostSignature(issued, raw) }), 1);
    await deliveries(relay, 1);
  });
});

// --- The adapter alone: normalize, presets and resource mapping, without the route.
const receivedAt = new Date("2022-10-11T16:52:00Z");
const input = (body: unknown) => adapterInput(body, { receivedAt });
const one = (body: unknown) => normalizeOne(easypostAdapter, body, { receivedAt });
const expectCanonical = (ev: NormalizedEvent) => expectCanonicalEvent(ev, "easypost", receivedAt);

describe("easypost normalize", () => {
  it("maps tracker.updated to tracking.updated from the newest tracking detail", () => {
    const ev = one(trackerUpdated.body);
    expect(ev).toMatchObject({
      type: "tracking.updated",
      livemode: true,
      source_event: "tracker.updated",
      occurred_at: "2022-09-12T07:39:53Z",
      shipment: { tracking_number: "9400100105440281296040", carrier: "usps", service: "First-Class Package Service" },
      tracking: {
        status: "in_transit",
        status_detail: "Arrived at USPS Facility",
        location: { city: "COLUMBIA", state: "SC", country: null, postal_code: "29201" },
        estimated_delivery: "2022-10-14",
      },
      provider_event_id: "evt_1d1b8a6f494711ed86c67f30e7f05fa8",
    });
    expect(ev.order).toBeUndefined();
    expect(ev.data).toMatchObject({
      previous_attributes: { status: "pre_transit" },
      tracker: { id: "trk_e3e4ce22f52b4bc4bd4c66ee8ebdd3ad", shipment_id: "shp_4d3ec3aea0b54fb2a62a49d8e1d8dbb3" },
    });
    expectCanonical(ev);
  });

  it("deduplicates on the Event id; delivery bookkeeping stays out of dedupe_basis", () => {
    const a = one(trackerUpdated.body);
    const b = one(trackerUpdatedRetry.body);
    expect(b.provider_event_id).toBe(a.provider_event_id);
    expect(b.dedupe_basis).toEqual(a.dedupe_basis);
    expect(a.dedupe_basis).not.toHaveProperty("pending_urls");
    expect(a.dedupe_basis).not.toHaveProperty("status");
  });

  it('treats mode "test" as livemode false, and maps return_to_sender', () => {
    const ev = one(trackerCreatedTest.body);
    expect(ev).toMatchObject({
      type: "tracking.updated",
      livemode: false,
      source_event: "tracker.created",
      tracking: { status: "returned_to_sender", status_detail: "Return to sender" },
    });
  });

  it.each([
    ["unknown", "unknown"],
    ["pre_transit", "pre_transit"],
    ["in_transit", "in_transit"],
    ["out_for_delivery", "out_for_delivery"],
    ["delivered", "delivered"],
    ["available_for_pickup", "available_for_pickup"],
    ["return_to_sender", "returned_to_sender"],
    ["failure", "failure"],
    ["cancelled", "cancelled"],
    ["error", "failure"],
    ["brand_new_status", "unknown"],
  ])("status %s → %s", (status, canonical) => {
    expect(easypostStatus(status)).toBe(canonical);
  });

  it("maps batch.updated to ONE event about the batch", () => {
    const result = easypostAdapter.normalize(input(batchUpdated.body));
    expect(result.kind === "events" && result.events).toHaveLength(1);
    const ev = one(batchUpdated.body);
    expect(ev).toMatchObject({ type: "provider.unmapped", source_event: "batch.updated", provider_event_id: "evt_batch0001", data: batchUpdated.body });
    // A batch's reference names the batch, not an order.
    expect(ev.order).toBeUndefined();
    expectCanonical(ev);
  });

  it("maps refund.successful to label.voided", () => {
    const ev = one(refundSuccessful.body);
    expect(ev).toMatchObject({
      type: "label.voided",
      shipment: { tracking_number: "9400100105440281296040", carrier: "usps" },
      occurred_at: "2022-10-12T08:00:00Z",
      data: { refund: { id: "rfnd_d0ab1c8ff3a64a43a7b9b4c0d06fc5a5", shipment_id: "shp_4d3ec3aea0b54fb2a62a49d8e1d8dbb3" } },
    });
    expectCanonical(ev);
  });

  it("keeps other descriptions as provider.unmapped", () => {
    const ev = one(scanFormCreated.body);
    expect(ev).toMatchObject({ type: "provider.unmapped", source_event: "scan_form.created", data: scanFormCreated.body });
  });

  it("reads a Shipment/Insurance result's reference as the order reference", () => {
    const body = { ...scanFormCreated.body, description: "insurance.purchased", result: { object: "Insurance", reference: "ORDER-9" } };
    expect(one(body).order).toEqual({ reference: "ORDER-9" });
  });

  it.each([
    [{}, "object"],
    [{ object: "Tracker", id: "trk_1", description: "tracker.updated" }, "object"],
    [{ object: "Event", description: "tracker.updated" }, "id"],
    [{ object: "Event", id: "evt_1" }, "description"],
    [{ object: "Event", id: "evt_1", description: "tracker.updated", result: [1] }, "result"],
  ])("rejects %j with an AdapterParseError naming %s", (body, field) => {
    expectParseError(easypostAdapter, input(body), field);
  });
});

describe("easypost properties", () => {
  const detail = fc.record(
    {
      message: fc.jsonValue(),
      status: fc.jsonValue(),
      datetime: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.jsonValue()),
      tracking_location: fc.oneof(fc.record({ city: fc.jsonValue(), zip: fc.jsonValue() }), fc.jsonValue()),
    },
    { requiredKeys: [] },
  );
  const result = fc.record(
    {
      object: fc.oneof(fc.constantFrom("Tracker", "Batch", "Shipment"), fc.jsonValue()),
      tracking_code: fc.jsonValue(),
      carrier: fc.oneof(fc.constantFrom("USPS", "UPS", "DHLExpress"), fc.jsonValue()),
      status: fc.oneof(fc.constantFrom("in_transit", "error"), fc.jsonValue()),
      reference: fc.jsonValue(),
      tracking_details: fc.oneof(fc.array(detail), fc.jsonValue()),
      est_delivery_date: fc.jsonValue(),
    },
    { requiredKeys: [] },
  );
  const bodies = fc.oneof(
    fc.jsonValue(),
    fc.record(
      {
        object: fc.oneof(fc.constant("Event"), fc.jsonValue()),
        id: fc.oneof(fc.string({ minLength: 1 }), fc.jsonValue()),
        description: fc.oneof(fc.constantFrom("tracker.updated", "refund.successful", "batch.created"), fc.jsonValue()),
        mode: fc.oneof(fc.constantFrom("test", "production"), fc.jsonValue()),
        result: fc.oneof(result, fc.jsonValue()),
      },
      { requiredKeys: [] },
    ),
  );

  it("normalize returns a result or throws AdapterParseError, never anything else", () => {
    neverCrashes(easypostAdapter, bodies, { receivedAt, check: expectCanonical, numRuns: 200 });
  });
});
