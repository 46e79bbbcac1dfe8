import { describe, expect, it } from "vitest";
import eddRevise from "../../fixtures/aftership/edd_revise.json";
import trackingPendingTime from "../../fixtures/aftership/tracking_pending_time.json";
import trackingUpdateAttemptFail from "../../fixtures/aftership/tracking_update.attempt_fail.json";
import trackingUpdate from "../../fixtures/aftership/tracking_update.json";
import { hmacBase64 } from "../../support/relay";
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
