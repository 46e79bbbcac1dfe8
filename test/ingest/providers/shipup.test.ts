import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { shipupAdapter, shipupStatus } from "../../../src/ingest/providers/shipup";
import { type NormalizedEvent } from "../../../src/ingest/providers/types";
import livemodePing from "../../fixtures/shipup/livemode_ping.json";
import notificationNew from "../../fixtures/shipup/notification.new.json";
import trackerEventsNew from "../../fixtures/shipup/tracker.events.new.json";
import trackerEventsNewRetry from "../../fixtures/shipup/tracker.events.new.retry.json";
import trackerEventsNewTest from "../../fixtures/shipup/tracker.events.new.test.json";
import trackerNew from "../../fixtures/shipup/tracker.new.json";
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
  pathWithForgedToken,
  pathWithoutToken,
  providerRelay,
  rawOf,
} from "./helpers";

/**
 * Shipup through the real ingest route. Shipup authenticates with basic auth or an OAuth2
 * JWT bearer (no HMAC): the preset is a URL token, a source may choose basic or header.
 * On save Shipup posts `{"livemode": "false"}` and refuses the URL without a 2xx; events
 * with `livemode: false` are test data. Retries carry the same envelope `id` with a higher
 * `retry_count`.
 */

const ORDER = { reference: "ABCD123", id: "internal_id_9876" };

describe("Shipup: every documented event through the ingest route (URL token preset)", () => {
  it.each([
    [
      "tracker.new",
      trackerNew,
      {
        type: "tracking.updated",
        livemode: true,
        source: { event: "tracker.new" },
        occurred_at: instant("2018-06-28T19:16:55Z"),
        sequence: 1,
        order: ORDER,
        shipment: { tracking_number: "AZ123456789BE", carrier: "colissimo", service: "Base" },
        tracking: { status: "pre_transit", status_detail: "pending" },
        data: { retry_count: 0, webhook_setting_id: 335777 },
      },
    ],
    [
      "tracker.events.new",
      trackerEventsNew,
      {
        type: "tracking.updated",
        livemode: true,
        source: { event: "tracker.events.new" },
        occurred_at: instant("2018-06-28T19:16:55Z"),
        order: ORDER,
        shipment: { tracking_number: "AZ123456789BE", carrier: "colissimo", service: "Base", ship_date: "2018-06-26" },
        tracking: {
          status: "delivered",
          status_detail: "Votre colis est livré.",
          location: { city: "Paris", state: null, country: "FR", postal_code: "75001" },
          estimated_delivery: "2018-06-28",
        },
        data: { retry_count: 0, reason: { id: 775, event_type_code: "delivered" } },
      },
    ],
    [
      "notification.new (no canonical home)",
      notificationNew,
      {
        type: "provider.unmapped",
        livemode: true,
        source: { event: "notification.new" },
        occurred_at: instant("2018-06-28T19:18:20Z"),
        order: ORDER,
        data: notificationNew.body,
      },
    ],
  ])("%s: 200, stored and delivered as the canonical event", async (_name, fixture, expected) => {
    const relay = await providerRelay("shipup");
    const [id] = expectAccepted(await relay.post(rawOf(fixture)));
    const [delivered] = await deliveries(relay, 1);
    const event = delivered!.event;
    expect(event.id).toBe(id);
    expectCanonicalEnvelope(event, relay, "shipup");
    expect(event).toMatchObject({ ...expected });
    expect(event).not.toHaveProperty("inventory");
    await expectDeliveredAsStored(relay, event, fixture.body);
  });

  it('the save-time ping {"livemode": "false"} gets a 200, is recorded, and is forwarded only as a livemode false test.ping', async () => {
    const relay = await providerRelay("shipup");
    const [id] = expectAccepted(await relay.post(rawOf(livemodePing)));

    const [log] = await ingestLog(relay.key, relay.source.id);
    expect(log).toMatchObject({ result: "accepted", event_id: id });
    const [delivered] = await deliveries(relay, 1);
    expect(delivered!.event).toMatchObject({ id, type: "test.ping", livemode: false, source: { provider: "shipup", event: "livemode_ping" } });
    expect(delivered!.event).not.toHaveProperty("order");
    expect(delivered!.event).not.toHaveProperty("shipment");
    const stored = await expectDeliveredAsStored(relay, delivered!.event, { livemode: "false" });
    expect(stored.livemode).toBe(false);
  });

  it("the ping of a second save is acknowledged 200 too (a duplicate), so Shipup keeps the endpoint", async () => {
    const relay = await providerRelay("shipup");
    const ids = expectAccepted(await relay.post(rawOf(livemodePing)));
    expectDuplicate(await relay.post(rawOf(livemodePing)), ids);
    await deliveries(relay, 1);
    await expectNoFurtherDeliveries(relay, 1);
  });

  it("an event sent with livemode false keeps its type and is delivered with livemode false", async () => {
    const relay = await providerRelay("shipup");
    const [id] = expectAccepted(await relay.post(rawOf(trackerEventsNewTest)));
    const [delivered] = await deliveries(relay, 1);
    expect(delivered!.event).toMatchObject({
      id,
      type: "tracking.updated",
      livemode: false,
      order: ORDER,
      tracking: { status: "in_transit", status_detail: "Colis en cours d'acheminement" },
    });
    expect((await expectDeliveredAsStored(relay, delivered!.event)).livemode).toBe(false);
  });

  it("a retry (same envelope id, higher retry_count) is a duplicate: 200 duplicate true, delivered once, retry_count of the first kept", async () => {
    const relay = await providerRelay("shipup");
    const ids = expectAccepted(await relay.post(rawOf(trackerEventsNew)));
    await deliveries(relay, 1);
    expectDuplicate(await relay.post(rawOf(trackerEventsNewRetry)), ids);
    await expectNoFurtherDeliveries(relay, 1);
    const events = await eventsOf(relay.key, relay.source.id);
    expect(events).toHaveLength(1);
    expect(events[0].data.retry_count).toBe(0);
    expect((await ingestLog(relay.key, relay.source.id)).map((row) => row.result).sort()).toEqual(["accepted", "duplicate"]);
  });

  it("another envelope id with the same content is a new event (the id, not the payload, is the key)", async () => {
    const relay = await providerRelay("shipup");
    const [first] = expectAccepted(await relay.post(rawOf(trackerEventsNew)));
    const [second] = expectAccepted(await relay.post(JSON.stringify({ ...trackerEventsNew.body, id: 3124445 })));
    expect(second).not.toBe(first);
    await deliveries(relay, 2);
  });

  it("a URL token that is missing or wrong is refused 401, logged, and nothing is forwarded", async () => {
    const relay = await providerRelay("shipup");
    const raw = rawOf(trackerNew);
    await expectRefused(relay, await relay.post(raw, { path: pathWithoutToken(relay.source) }), "missing_token");
    await expectRefused(relay, await relay.post(raw, { path: pathWithForgedToken(relay.source) }), "invalid_token");
    // The save-time ping is no way around the proof of origin.
    await expectRefused(relay, await relay.post(rawOf(livemodePing), { path: pathWithoutToken(relay.source) }), "missing_token");
    await expectNothingForwarded(relay);
  });
});

describe("Shipup: basic auth or an OAuth2 bearer instead of the URL token", () => {
  it("basic auth: the configured credentials pass (the ping too); missing or wrong ones are refused 401", async () => {
    const relay = await providerRelay("shipup", { verification: { type: "basic", username: "shipup", password: "su-pa55" } });
    const basic = (user: string, pass: string) => ({ authorization: `Basic ${btoa(`${user}:${pass}`)}` });
    await expectRefused(relay, await relay.post(rawOf(trackerNew)), "missing_credentials");
    await expectRefused(relay, await relay.post(rawOf(trackerNew), { headers: basic("shipup", "su-pa56") }), "invalid_credentials");
    expectAccepted(await relay.post(rawOf(livemodePing), { headers: basic("shipup", "su-pa55") }));
    const [id] = expectAccepted(await relay.post(rawOf(trackerNew), { headers: basic("shipup", "su-pa55") }));
    const delivered = await deliveries(relay, 2);
    expect(delivered.map((d) => d.event.type).sort()).toEqual(["test.ping", "tracking.updated"]);
    expect(delivered.find((d) => d.event.id === id)!.event.livemode).toBe(true);
  });

  it("bearer token (header check): the exact value passes; missing or other values are refused 401", async () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzaGlwdXAifQ.c2lnbmF0dXJl";
    const relay = await providerRelay("shipup", { verification: { type: "header", name: "authorization", value: `Bearer ${jwt}` } });
    await expectRefused(relay, await relay.post(rawOf(trackerEventsNew)), "missing_credentials");
    await expectRefused(relay, await relay.post(rawOf(trackerEventsNew), { headers: { authorization: `Bearer ${jwt}x` } }), "invalid_credentials");
    const [id] = expectAccepted(await relay.post(rawOf(trackerEventsNew), { headers: { authorization: `Bearer ${jwt}` } }));
    const [delivered] = await deliveries(relay, 1);
    expect(delivered!.event).toMatchObject({ id, type: "tracking.updated", tracking: { status: "delivered" } });
  });
});

// --- The adapter alone: normalize, presets and resource mapping, without the route.
const receivedAt = new Date("2018-06-28T19:20:00Z");
const input = (body: unknown) => adapterInput(body, { receivedAt });
const one = (body: unknown) => normalizeOne(shipupAdapter, body, { receivedAt });
const expectCanonical = (ev: NormalizedEvent) => expectCanonicalEvent(ev, "shipup", receivedAt);

describe("shipup normalize", () => {
  it('answers the save-time {"livemode": "false"} ping with a test.ping that is not live', () => {
    const ev = one(livemodePing.body);
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
    const ev = one(trackerEventsNew.body);
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
    const first = one(trackerEventsNew.body);
    const retry = one(trackerEventsNewRetry.body);
    expect(retry.provider_event_id).toBe(first.provider_event_id);
    expect(retry.dedupe_basis).toEqual(first.dedupe_basis);
    expect(JSON.stringify(retry.dedupe_basis)).not.toContain("retry_count");
    expect(retry.data.retry_count).toBe(2);
    expect(first.data.retry_count).toBe(0);
  });

  it("relays livemode:false events as test data with their own type", () => {
    const ev = one(trackerEventsNewTest.body);
    expect(ev).toMatchObject({ type: "tracking.updated", livemode: false, tracking: { status: "in_transit" } });
    expect(one({ ...trackerEventsNew.body, livemode: "false" }).livemode).toBe(false);
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
