import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { shipupAdapter, shipupStatus } from "../../src/ingest/providers/shipup";
import type { NormalizedEvent } from "../../src/ingest/providers/types";
import ping from "../fixtures/shipup/livemode_ping.json";
import notificationNew from "../fixtures/shipup/notification.new.json";
import eventsNew from "../fixtures/shipup/tracker.events.new.json";
import eventsNewRetry from "../fixtures/shipup/tracker.events.new.retry.json";
import eventsNewTest from "../fixtures/shipup/tracker.events.new.test.json";
import trackerNew from "../fixtures/shipup/tracker.new.json";
import { adapterInput, expectCanonicalEvent, expectParseError, neverCrashes, normalizeOne } from "./helpers";

const receivedAt = new Date("2018-06-28T19:20:00Z");
const input = (body: unknown) => adapterInput(body, { receivedAt });
const one = (body: unknown) => normalizeOne(shipupAdapter, body, { receivedAt });
const expectCanonical = (ev: NormalizedEvent) => expectCanonicalEvent(ev, "shipup", receivedAt);

describe("shipup normalize", () => {
  it('answers the save-time {"livemode": "false"} ping with a test.ping that is not live', () => {
    const ev = one(ping.body);
    expect(ev).toEqual({ type: "test.ping", livemode: false, source_event: "livemode_ping", data: { livemode: "false" } });
    expect(one({ livemode: false }).livemode).toBe(false);
    expectCanonical(ev);
  });

  it("maps tracker.new to tracking.updated (pending → pre_transit) with the order and the envelope id", () => {
    const ev = one(trackerNew.body);
    expect(ev).toMatchObject({
      type: "tracking.updated",
      livemode: true,
      source_event: "tracker.new",
      occurred_at: "2018-06-28T19:16:55Z",
      order: { reference: "ABCD123", id: "internal_id_9876" },
      shipment: { tracking_number: "AZ123456789BE", carrier: "colissimo", service: "Base" },
      tracking: { status: "pre_transit", status_detail: "pending" },
      provider_event_id: "3123333",
    });
    expect(ev.data).toMatchObject({ retry_count: 0, webhook_setting_id: 335777 });
    expectCanonical(ev);
  });

  it("maps tracker.events.new (delivered) with the new event's time, message and place", () => {
    const ev = one(eventsNew.body);
    expect(ev).toMatchObject({
      type: "tracking.updated",
      occurred_at: "2018-06-28T19:16:55Z",
      order: { reference: "ABCD123" },
      shipment: { tracking_number: "AZ123456789BE", carrier: "colissimo", ship_date: "2018-06-26" },
      tracking: {
        status: "delivered",
        status_detail: "Votre colis est livré.",
        location: { city: "Paris", state: null, country: "FR", postal_code: "75001" },
        estimated_delivery: "2018-06-28",
      },
      provider_event_id: "3124444",
    });
    expectCanonical(ev);
  });

  it("keeps retry_count in data and out of the dedupe key", () => {
    const first = one(eventsNew.body);
    const retry = one(eventsNewRetry.body);
    expect(retry.provider_event_id).toBe(first.provider_event_id);
    expect(retry.dedupe_basis).toEqual(first.dedupe_basis);
    expect(JSON.stringify(retry.dedupe_basis)).not.toContain("retry_count");
    expect(retry.data.retry_count).toBe(2);
    expect(first.data.retry_count).toBe(0);
  });

  it("relays livemode:false events as test data with their own type", () => {
    const ev = one(eventsNewTest.body);
    expect(ev).toMatchObject({ type: "tracking.updated", livemode: false, tracking: { status: "in_transit" } });
    expect(one({ ...eventsNew.body, livemode: "false" }).livemode).toBe(false);
  });

  it("keeps notification.new as provider.unmapped, still naming the order", () => {
    const ev = one(notificationNew.body);
    expect(ev).toMatchObject({
      type: "provider.unmapped",
      source_event: "notification.new",
      order: { reference: "ABCD123" },
      provider_event_id: "3125555",
      data: notificationNew.body,
    });
    expectCanonical(ev);
  });

  it.each([
    ["pending", "pre_transit"],
    ["info_received", "pre_transit"],
    ["in_transit", "in_transit"],
    ["delayed", "in_transit"],
    ["failed_attempt", "delivery_attempted"],
    ["exception", "exception"],
    ["pickup", "available_for_pickup"],
    ["delivered", "delivered"],
    ["return", "returned_to_sender"],
    ["expired", "exception"],
    ["something_new", "unknown"],
    [null, "unknown"],
  ])("delivery_status_code %j → %s", (code, status) => {
    expect(shipupStatus(code)).toBe(status);
  });

  it.each([
    [{ livemode: "maybe" }, "id"],
    [{ id: 1, type: "tracker.new" }, "data"],
    [{ id: 1, type: "tracker.new", data: { object: [] } }, "data.object"],
    [{ type: "tracker.new", data: {} }, "id"],
    [{ id: 1, type: "tracker.new", data: {}, retry_count: "x" }, "retry_count"],
  ])("rejects %j with an AdapterParseError naming %s", (body, field) => {
    expectParseError(shipupAdapter, input(body), field);
  });

  it("uses a URL token by default", () => {
    expect(shipupAdapter.verificationPreset).toEqual({ type: "url_token" });
  });
});

describe("shipup properties", () => {
  const tracker = fc.record(
    {
      tracking_number: fc.oneof(fc.string(), fc.jsonValue()),
      carrier_code: fc.oneof(fc.string(), fc.jsonValue()),
      carrier: fc.jsonValue(),
      delivery_status_code: fc.oneof(fc.constantFrom("pending", "delivered", "return"), fc.jsonValue()),
      shipped_at: fc.oneof(fc.integer(), fc.jsonValue()),
      fulfillment: fc.oneof(fc.record({ order: fc.record({ order_number: fc.jsonValue(), merchant_id: fc.jsonValue() }) }), fc.jsonValue()),
      displayable_expected_delivery_date: fc.jsonValue(),
    },
    { requiredKeys: [] },
  );
  const bodies = fc.oneof(
    fc.jsonValue(),
    fc.record({ livemode: fc.jsonValue() }),
    fc.record(
      {
        id: fc.oneof(fc.integer(), fc.jsonValue()),
        type: fc.oneof(fc.constantFrom("tracker.new", "tracker.events.new", "feedback.new"), fc.jsonValue()),
        livemode: fc.oneof(fc.boolean(), fc.constantFrom("true", "false"), fc.jsonValue()),
        retry_count: fc.oneof(fc.nat(), fc.jsonValue()),
        created_at: fc.oneof(fc.integer(), fc.jsonValue()),
        data: fc.oneof(fc.record({ object: fc.oneof(tracker, fc.jsonValue()), reason: fc.jsonValue() }, { requiredKeys: [] }), fc.jsonValue()),
      },
      { requiredKeys: [] },
    ),
  );

  it("normalize returns a result or throws AdapterParseError, never anything else", () => {
    const check = (ev: NormalizedEvent) => {
      expectCanonical(ev);
      expect(JSON.stringify(ev.dedupe_basis ?? {})).not.toContain('"retry_count"');
    };
    neverCrashes(shipupAdapter, bodies, { receivedAt, check, numRuns: 200 });
  });
});
