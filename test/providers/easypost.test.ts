import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { easypostAdapter, easypostStatus } from "../../src/ingest/providers/easypost";
import type { NormalizedEvent } from "../../src/ingest/providers/types";
import { verificationSchema } from "../../src/ingest/verification/types";
import batchUpdated from "../fixtures/easypost/batch.updated.json";
import refundSuccessful from "../fixtures/easypost/refund.successful.json";
import scanFormCreated from "../fixtures/easypost/scan_form.created.json";
import trackerCreatedTest from "../fixtures/easypost/tracker.created.test.json";
import trackerUpdated from "../fixtures/easypost/tracker.updated.json";
import trackerUpdatedRetry from "../fixtures/easypost/tracker.updated.retry.json";
import { adapterInput, expectCanonicalEvent, expectParseError, neverCrashes, normalizeOne } from "./helpers";

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

  it("presets EasyPost's HMAC scheme", () => {
    expect(easypostAdapter.verificationPreset).toMatchObject({
      type: "hmac",
      header: "x-hmac-signature",
      algorithm: "sha256",
      encoding: "hex",
      prefix: "hmac-sha256-hex=",
      key_normalization: "nfkd",
    });
    expect(verificationSchema.safeParse(easypostAdapter.verificationPreset).success).toBe(true);
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
