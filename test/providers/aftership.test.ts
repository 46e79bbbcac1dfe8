import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { aftershipAdapter, aftershipStatus } from "../../src/ingest/providers/aftership";
import type { NormalizedEvent } from "../../src/ingest/providers/types";
import { verificationSchema } from "../../src/ingest/verification/types";
import eddRevise from "../fixtures/aftership/edd_revise.json";
import pendingTime from "../fixtures/aftership/tracking_pending_time.json";
import trackingUpdate from "../fixtures/aftership/tracking_update.json";
import attemptFail from "../fixtures/aftership/tracking_update.attempt_fail.json";
import { adapterInput, expectCanonicalEvent, expectParseError, neverCrashes, normalizeOne } from "./helpers";

const receivedAt = new Date("2021-01-06T13:02:00Z");
const input = (body: unknown) => adapterInput(body, { receivedAt });
const one = (body: unknown) => normalizeOne(aftershipAdapter, body, { receivedAt });
const expectCanonical = (ev: NormalizedEvent) => expectCanonicalEvent(ev, "aftership", receivedAt);

describe("aftership normalize", () => {
  it("maps tracking_update to tracking.updated with event_id as the dedupe key", () => {
    const ev = one(trackingUpdate.body);
    expect(ev).toMatchObject({
      type: "tracking.updated",
      livemode: true,
      source_event: "tracking_update",
      occurred_at: "2021-01-06T13:01:56Z",
      order: { reference: "#1042", id: "6113440956605" },
      shipment: { tracking_number: "9361289676091361892011", carrier: "usps", service: "USPS Priority Mail", ship_date: "2021-01-04" },
      tracking: {
        status: "out_for_delivery",
        status_detail: "Out for Delivery",
        location: { city: "AUSTIN", state: "TX", country: "USA", postal_code: "78756" },
        estimated_delivery: "2021-01-06",
      },
      provider_event_id: "3f645f5e-530b-4062-8695-db6a64420af8",
    });
    expect(ev.data).toMatchObject({ is_tracking_first_tag: true, tracking: { id: "grhrexm6t3hiwkjwq37jd003", subtag: "OutForDelivery_001" } });
    expectCanonical(ev);
  });

  it("uses order_id as the reference when there is no order_number; AttemptFail → delivery_attempted", () => {
    const ev = one(attemptFail.body);
    expect(ev).toMatchObject({
      order: { reference: "A-77" },
      shipment: { tracking_number: "1234567890", carrier: "dhl_express" },
      tracking: { status: "delivery_attempted", status_detail: "Failed Attempt" },
    });
    expect(ev.tracking).not.toHaveProperty("location");
    expect(ev.order).not.toHaveProperty("id");
    expectCanonical(ev);
  });

  it("maps edd_revise to tracking.updated with the revised estimate", () => {
    const ev = one(eddRevise.body);
    expect(ev).toMatchObject({ type: "tracking.updated", source_event: "edd_revise", tracking: { status: "in_transit", estimated_delivery: "2021-01-08" } });
  });

  it("keeps other event codes as provider.unmapped with the payload", () => {
    const ev = one(pendingTime.body);
    expect(ev).toMatchObject({
      type: "provider.unmapped",
      source_event: "tracking_pending_time",
      provider_event_id: "a8c2b9e0-3d4e-4f5a-8b6c-7d8e9f0a1b2c",
      data: pendingTime.body,
    });
    expectCanonical(ev);
  });

  it.each([
    ["Pending", "pre_transit"],
    ["InfoReceived", "pre_transit"],
    ["InTransit", "in_transit"],
    ["OutForDelivery", "out_for_delivery"],
    ["AttemptFail", "delivery_attempted"],
    ["Delivered", "delivered"],
    ["AvailableForPickup", "available_for_pickup"],
    ["Exception", "exception"],
    ["Expired", "exception"],
    ["Teleported", "unknown"],
    [undefined, "unknown"],
  ])("tag %s → %s", (tag, status) => {
    expect(aftershipStatus(tag)).toBe(status);
  });

  it.each([
    [{}, "event"],
    [{ event: "tracking_update" }, "msg"],
    [{ event: "tracking_update", msg: "x" }, "msg"],
    [{ event: "tracking_update", msg: {}, event_id: 5 }, "event_id"],
    [7, "event"],
  ])("rejects %j with an AdapterParseError naming %s", (body, field) => {
    expectParseError(aftershipAdapter, input(body), field);
  });

  it("presets AfterShip's base64 HMAC header", () => {
    expect(aftershipAdapter.verificationPreset).toMatchObject({
      type: "hmac",
      header: "aftership-hmac-sha256",
      algorithm: "sha256",
      encoding: "base64",
      prefix: "",
    });
    expect(verificationSchema.safeParse(aftershipAdapter.verificationPreset).success).toBe(true);
  });
});

describe("aftership properties", () => {
  const checkpoint = fc.record(
    {
      city: fc.jsonValue(),
      state: fc.jsonValue(),
      country_iso3: fc.jsonValue(),
      checkpoint_time: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.jsonValue()),
      message: fc.jsonValue(),
    },
    { requiredKeys: [] },
  );
  const msg = fc.record(
    {
      tracking_number: fc.jsonValue(),
      slug: fc.oneof(fc.constantFrom("usps", "dhl", "fedex"), fc.jsonValue()),
      tag: fc.oneof(fc.constantFrom("InTransit", "Delivered", "Expired"), fc.jsonValue()),
      order_number: fc.jsonValue(),
      order_id: fc.jsonValue(),
      checkpoints: fc.oneof(fc.array(checkpoint), fc.jsonValue()),
      latest_estimated_delivery: fc.jsonValue(),
      expected_delivery: fc.jsonValue(),
    },
    { requiredKeys: [] },
  );
  const bodies = fc.oneof(
    fc.jsonValue(),
    fc.record(
      {
        event: fc.oneof(fc.constantFrom("tracking_update", "edd_revise", "other"), fc.jsonValue()),
        event_id: fc.oneof(fc.uuid(), fc.jsonValue()),
        ts: fc.oneof(fc.integer(), fc.jsonValue()),
        msg: fc.oneof(msg, fc.jsonValue()),
      },
      { requiredKeys: [] },
    ),
  );

  it("normalize returns a result or throws AdapterParseError, never anything else", () => {
    neverCrashes(aftershipAdapter, bodies, { receivedAt, check: expectCanonical, numRuns: 200 });
  });
});
