import { describe, expect, it } from "vitest";
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
  instant,
  pathWithForgedToken,
  pathWithoutToken,
  providerRelay,
} from "./helpers";

/**
 * The generic provider through the real ingest route, with its preset: an unguessable URL
 * token (also what Shippo uses, since its `t=…,v1=…` signature fits no `hmac` config).
 * Bodies are either canonical-shaped or read through the source's field paths.
 */

const canonicalBody = {
  id: "ext-msg-0001",
  type: "tracking.updated",
  livemode: true,
  occurred_at: "2024-01-15T10:30:00Z",
  order: { reference: "SO-1001", number: "1001" },
  shipment: { tracking_number: "1Z999AA10123456784", carrier: "ups", service: "Ground" },
  tracking: { status: "out_for_delivery", status_detail: "On vehicle for delivery" },
  data: { warehouse: "FRA-1" },
};

/** A Shippo track_updated callback (https://docs.goshippo.com/docs/tracking/webhooks). */
const shippoTrackUpdated = {
  event: "track_updated",
  test: false,
  data: {
    carrier: "usps",
    tracking_number: "9205590164917312751089",
    metadata: "Order 1002",
    tracking_status: { status: "TRANSIT", status_details: "Your shipment has departed from the origin.", status_date: "2024-01-16T08:00:00Z" },
  },
};

const shippoSettings = {
  event_type_path: "event",
  order_reference_path: "data.metadata",
  tracking_number_path: "data.tracking_number",
  carrier_path: "data.carrier",
  occurred_at_path: "data.tracking_status.status_date",
  type_map: { track_updated: "tracking.updated", transaction_created: "label.created" },
};

describe("generic: through the ingest route (URL token preset)", () => {
  it("a canonical-shaped body: 200, stored and delivered as it was sent", async () => {
    const relay = await providerRelay("generic");
    const [id] = expectAccepted(await relay.post(JSON.stringify(canonicalBody)));
    const [delivered] = await deliveries(relay, 1);
    const event = delivered!.event;
    expect(event.id).toBe(id);
    expectCanonicalEnvelope(event, relay, "generic");
    expect(event).toMatchObject({
      type: "tracking.updated",
      livemode: true,
      occurred_at: instant("2024-01-15T10:30:00Z"),
      sequence: 1,
      source: { provider: "generic", event: "tracking.updated" },
      order: canonicalBody.order,
      shipment: canonicalBody.shipment,
      tracking: canonicalBody.tracking,
      data: canonicalBody.data,
    });
    await expectDeliveredAsStored(relay, event, canonicalBody);
  });

  it("a body read through the source's field paths (a Shippo track_updated)", async () => {
    const relay = await providerRelay("generic", { settings: shippoSettings });
    const [id] = expectAccepted(await relay.post(JSON.stringify(shippoTrackUpdated)));
    const [delivered] = await deliveries(relay, 1);
    expect(delivered!.event).toMatchObject({
      id,
      type: "tracking.updated",
      occurred_at: instant("2024-01-16T08:00:00Z"),
      source: { provider: "generic", event: "track_updated" },
      order: { reference: "Order 1002" },
      shipment: { tracking_number: "9205590164917312751089", carrier: "usps" },
      data: shippoTrackUpdated,
    });
    await expectDeliveredAsStored(relay, delivered!.event, shippoTrackUpdated);
  });

  it("a URL token that is missing or wrong is refused 401, logged, and nothing is forwarded", async () => {
    const relay = await providerRelay("generic");
    const raw = JSON.stringify(canonicalBody);
    await expectRefused(relay, await relay.post(raw, { path: pathWithoutToken(relay.source) }), "missing_token");
    await expectRefused(relay, await relay.post(raw, { path: pathWithForgedToken(relay.source) }), "invalid_token");
    await expectNothingForwarded(relay);
  });

  it("the same request again is a duplicate: 200 duplicate true, delivered once", async () => {
    const relay = await providerRelay("generic");
    const raw = JSON.stringify(canonicalBody);
    const ids = expectAccepted(await relay.post(raw));
    await deliveries(relay, 1);
    expectDuplicate(await relay.post(raw), ids);
    await expectNoFurtherDeliveries(relay, 1);
  });

  it("a canonical body with the same id is a duplicate even when its content changed", async () => {
    const relay = await providerRelay("generic");
    const ids = expectAccepted(await relay.post(JSON.stringify(canonicalBody)));
    await deliveries(relay, 1);
    const resent = { ...canonicalBody, data: { warehouse: "FRA-1", resent: true } };
    expectDuplicate(await relay.post(JSON.stringify(resent)), ids);
    await expectNoFurtherDeliveries(relay, 1);
    expect(await eventsOf(relay.key, relay.source.id)).toHaveLength(1);
  });

  // CONTRACT "Ingest": Shippo `test: true` callbacks are forwarded only as livemode false;
  // Shippo comes in through the generic provider, whose `test_path` setting reads that flag.
  it("a Shippo callback marked test: true can be configured to arrive as livemode false", async () => {
    const relay = await providerRelay("generic", { settings: { ...shippoSettings, test_path: "test" } });
    expectAccepted(await relay.post(JSON.stringify({ ...shippoTrackUpdated, test: true })));
    const [delivered] = await deliveries(relay, 1);
    expect(delivered!.event.livemode).toBe(false);
  });
});
