import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { aftershipAdapter, aftershipStatus } from "../../../src/ingest/providers/aftership";
import { type NormalizedEvent } from "../../../src/ingest/providers/types";
import eddRevise from "../../fixtures/aftership/edd_revise.json";
import trackingPendingTime from "../../fixtures/aftership/tracking_pending_time.json";
import trackingUpdateAttemptFail from "../../fixtures/aftership/tracking_update.attempt_fail.json";
import trackingUpdate from "../../fixtures/aftership/tracking_update.json";
import { hmacBase64 } from "../../support/relay";
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
 * AfterShip through the real ingest route: `aftership-hmac-sha256: base64(HMAC-SHA256(secret,
 * raw body))`. Users paste the webhook secret AfterShip shows them (`verification: {secret}`);
 * without one the relay generates it. `event_id` is the dedupe key.
 */

const ISSUED_SECRET = "aftership-issued-3c9f0e7a";

async function postSigned(relay: ProviderRelay, raw: string, secret = ISSUED_SECRET) {
  return relay.post(raw, { headers: { "aftership-hmac-sha256": await hmacBase64(secret, raw) } });
}

const ORDER_1042 = { reference: "#1042", id: "6113440956605" };

describe("AfterShip: every documented event through the ingest route (HMAC preset, issued secret)", () => {
  it.each([
    [
      "tracking_update (OutForDelivery, the documented example)",
      trackingUpdate,
      {
        type: "tracking.updated",
        source: { event: "tracking_update" },
        occurred_at: instant("2021-01-06T13:01:56Z"),
        sequence: 1,
        order: ORDER_1042,
        shipment: { tracking_number: "9361289676091361892011", carrier: "usps", service: "USPS Priority Mail", ship_date: "2021-01-04" },
        tracking: {
          status: "out_for_delivery",
          status_detail: "Out for Delivery",
          location: { city: "AUSTIN", state: "TX", postal_code: "78756" },
          estimated_delivery: "2021-01-06",
        },
        data: { is_tracking_first_tag: true, tracking: { id: "grhrexm6t3hiwkjwq37jd003", tag: "OutForDelivery" } },
      },
    ],
    [
      "tracking_update (AttemptFail, order_id only)",
      trackingUpdateAttemptFail,
      {
        type: "tracking.updated",
        occurred_at: instant("2021-01-06T16:20:00Z"),
        order: { reference: "A-77" },
        shipment: { tracking_number: "1234567890", carrier: "dhl_express" },
        tracking: { status: "delivery_attempted", status_detail: "Failed Attempt" },
      },
    ],
    [
      "edd_revise",
      eddRevise,
      {
        type: "tracking.updated",
        source: { event: "edd_revise" },
        occurred_at: instant("2021-01-06T13:16:40Z"),
        order: ORDER_1042,
        tracking: { status: "in_transit", estimated_delivery: "2021-01-08" },
      },
    ],
    [
      "tracking_pending_time (no canonical home)",
      trackingPendingTime,
      {
        type: "provider.unmapped",
        source: { event: "tracking_pending_time" },
        occurred_at: instant("2021-01-06T13:33:19Z"),
        order: ORDER_1042,
        data: trackingPendingTime.body,
      },
    ],
  ])("%s: 200, stored and delivered as the canonical event", async (_name, fixture, expected) => {
    const relay = await providerRelay("aftership", { verification: { secret: ISSUED_SECRET } });
    const [id] = expectAccepted(await postSigned(relay, rawOf(fixture)));
    const [delivered] = await deliveries(relay, 1);
    const event = delivered!.event;
    expect(event.id).toBe(id);
    expectCanonicalEnvelope(event, relay, "aftership");
    expect(event).toMatchObject({ livemode: true, ...expected });
    expect(event).not.toHaveProperty("inventory");
    if (expected.type === "provider.unmapped") expect(event).not.toHaveProperty("tracking");
    await expectDeliveredAsStored(relay, event, fixture.body);
  });

  it("the order's id is kept apart from its reference only when they differ", async () => {
    const relay = await providerRelay("aftership", { verification: { secret: ISSUED_SECRET } });
    expectAccepted(await postSigned(relay, rawOf(trackingUpdateAttemptFail)));
    const [delivered] = await deliveries(relay, 1);
    expect(delivered!.event.order).toEqual({ reference: "A-77" });
    expect(delivered!.event.tracking).not.toHaveProperty("location");
  });

  it("a forged signature (other body, other secret) or none is refused 401, logged, and nothing is forwarded", async () => {
    const relay = await providerRelay("aftership", { verification: { secret: ISSUED_SECRET } });
    const raw = rawOf(trackingUpdate);
    const tampered = raw.replace('"OutForDelivery"', '"Delivered"');
    const signatureOfOriginal = { "aftership-hmac-sha256": await hmacBase64(ISSUED_SECRET, raw) };
    await expectRefused(relay, await relay.post(tampered, { headers: signatureOfOriginal }), "invalid_signature");
    await expectRefused(relay, await postSigned(relay, raw, "a-guessed-secret"), "invalid_signature");
    await expectRefused(relay, await relay.post(raw), "missing_signature");
    await expectNothingForwarded(relay);
  });

  it("the same signed request again is a duplicate: 200 duplicate true, delivered once", async () => {
    const relay = await providerRelay("aftership", { verification: { secret: ISSUED_SECRET } });
    const raw = rawOf(trackingUpdate);
    const ids = expectAccepted(await postSigned(relay, raw));
    await deliveries(relay, 1);
    expectDuplicate(await postSigned(relay, raw), ids);
    await expectNoFurtherDeliveries(relay, 1);
    expect((await ingestLog(relay.key, relay.source.id)).map((row) => row.result).sort()).toEqual(["accepted", "duplicate"]);
  });

  it("the same event_id sent again with a new ts (AfterShip's retry) is a duplicate, delivered once", async () => {
    const relay = await providerRelay("aftership", { verification: { secret: ISSUED_SECRET } });
    const ids = expectAccepted(await postSigned(relay, rawOf(trackingUpdate)));
    await deliveries(relay, 1);
    const retry = JSON.stringify({ ...trackingUpdate.body, ts: trackingUpdate.body.ts + 60 });
    expectDuplicate(await postSigned(relay, retry), ids);
    await expectNoFurtherDeliveries(relay, 1);
    expect(await eventsOf(relay.key, relay.source.id)).toHaveLength(1);
  });

  it("a source created without a secret gets a generated one, shown once, that signs callbacks", async () => {
    const relay = await providerRelay("aftership");
    expect(relay.source.secret).toEqual(expect.any(String));
    const [id] = expectAccepted(await postSigned(relay, rawOf(eddRevise), relay.source.secret));
    const [delivered] = await deliveries(relay, 1);
    expect(delivered!.event).toMatchObject({ id, type: "tracking.updated" });
  });
});

// --- The adapter alone: normalize, presets and resource mapping, without the route.
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
    const ev = one(trackingUpdateAttemptFail.body);
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
    const ev = one(trackingPendingTime.body);
    expect(ev).toMatchObject({
      type: "provider.unmapped",
      source_event: "tracking_pending_time",
      provider_event_id: "a8c2b9e0-3d4e-4f5a-8b6c-7d8e9f0a1b2c",
      data: trackingPendingTime.body,
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
