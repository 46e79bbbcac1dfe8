import { describe, expect, it } from "vitest";
import batchUpdated from "../../fixtures/easypost/batch.updated.json";
import refundSuccessful from "../../fixtures/easypost/refund.successful.json";
import scanFormCreated from "../../fixtures/easypost/scan_form.created.json";
import trackerCreatedTest from "../../fixtures/easypost/tracker.created.test.json";
import trackerUpdated from "../../fixtures/easypost/tracker.updated.json";
import trackerUpdatedRetry from "../../fixtures/easypost/tracker.updated.retry.json";
import { hmacHex } from "../../support/relay";
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
  rawOf,
  type ProviderRelay,
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
