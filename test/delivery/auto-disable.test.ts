import { describe, expect, it } from "vitest";
import { mockEndpoint } from "../support/mock";
import { api, createDestination, deliveriesFinished, eventually } from "../support/relay";
import { bodyOf, deliveriesOf, getDestination, rig, sendEvent, settle, waitForDelivery } from "./helpers";

async function waitForStatus(key: string, id: string, status: string) {
  return eventually(async () => {
    const d = await getDestination(key, id);
    return d.status === status ? d : undefined;
  }, 15_000);
}

describe("410 Gone", () => {
  it("disables the destination at once; its deliveries wait and go out when it is re-enabled", async () => {
    const r = await rig({ retry: { max_attempts: 5, schedule_seconds: [1] } }, { responses: [{ status: 410 }], default: { status: 200 } });
    const first = await sendEvent(r);

    const disabled = await waitForStatus(r.key, r.destination.id, "disabled");
    expect(disabled.disabled_reason).toBe("the endpoint answered 410 Gone");
    expect(disabled.disabled_at).not.toBeNull();

    // The 410'd delivery is kept (its retry is held, not failed), and new events still queue up.
    const second = await sendEvent(r);
    await settle(1200);
    expect(await r.endpoint.requests()).toHaveLength(1);
    const waiting = await deliveriesOf(r.key, r.destination.id);
    expect(waiting.map((d) => d.status).sort()).toEqual(["pending", "retrying"]);

    const patch = await api("PATCH", `/v1/destinations/${r.destination.id}`, { token: r.key, body: { status: "active" } });
    expect(patch.status).toBe(200);
    expect(patch.json).toMatchObject({ status: "active", disabled_reason: null, disabled_at: null });
    await waitForDelivery(r.key, r.destination.id, first, "succeeded");
    await waitForDelivery(r.key, r.destination.id, second, "succeeded");
    expect(await r.endpoint.requests()).toHaveLength(3);
  });
});

describe("auto-disable after sustained failure", () => {
  it("disables after N failed deliveries in a row, tells relay.* subscribers (only them), and drains on re-enable", async () => {
    const r = await rig(
      { retry: { max_attempts: 1, schedule_seconds: [1] }, auto_disable: { after_failed_deliveries: 2, after_failing_seconds: 0 } },
      { default: { status: 500 } },
    );
    expect(r.destination.auto_disable).toEqual({ after_failed_deliveries: 2, after_failing_seconds: 0 });
    const ops = await mockEndpoint();
    const opsDest = await createDestination(r.key, { url: ops.url, events: ["relay.*"] });
    const everything = await mockEndpoint();
    const everythingDest = await createDestination(r.key, { url: everything.url, events: ["*"] });

    const e1 = await sendEvent(r);
    await waitForDelivery(r.key, r.destination.id, e1, "failed");
    expect((await getDestination(r.key, r.destination.id)).status).toBe("active");
    const e2 = await sendEvent(r);
    await waitForDelivery(r.key, r.destination.id, e2, "failed");

    const disabled = await waitForStatus(r.key, r.destination.id, "disabled");
    expect(disabled.disabled_reason).toBe("2 deliveries in a row failed");

    // The operational events, delivered (signed, through the normal path) to the relay.* subscriber.
    const opsReqs = await ops.waitForRequests(3);
    const received = opsReqs.map(bodyOf);
    expect(received.map((b) => b.type).sort()).toEqual(["relay.delivery.failed", "relay.delivery.failed", "relay.destination.disabled"]);
    const failedEvents = received.filter((b) => b.type === "relay.delivery.failed");
    expect(failedEvents.map((b) => b.data.event_id).sort()).toEqual([e1, e2].sort());
    expect(failedEvents[0]).toMatchObject({
      livemode: true,
      source: { id: "relay", provider: "shiprelay" },
      data: { destination_id: r.destination.id, attempts: 1, last_status_code: 500 },
    });
    const disabledEvent = received.find((b) => b.type === "relay.destination.disabled")!;
    expect(disabledEvent.data).toMatchObject({ destination_id: r.destination.id, reason: "2 deliveries in a row failed" });
    expect(opsReqs.every((q) => q.headers["webhook-signature"]?.startsWith("v1,"))).toBe(true);
    // Stored as workspace events, listed like any other.
    const listed = await api("GET", "/v1/events?source=relay", { token: r.key });
    expect(listed.json.data.map((e: { type: string }) => e.type).sort()).toEqual(received.map((b) => b.type).sort());
    expect((await deliveriesOf(r.key, opsDest.id)).every((d) => d.status === "succeeded")).toBe(true);
    // A catch-all destination is not sent relay events: the relay events are stored (listed above)
    // with their deliveries, and the catch-all's are e1's and e2's alone, all finished.
    const catchAll = await deliveriesFinished(r.key, `destination=${everythingDest.id}`, 2);
    expect(catchAll.map((d) => d.event_type).filter((t) => t.startsWith("relay."))).toEqual([]);
    expect(catchAll).toHaveLength(2);
    expect((await everything.requests()).map(bodyOf).every((b) => !b.type.startsWith("relay."))).toBe(true);

    // Disabled: new events still make deliveries, which wait.
    const e3 = await sendEvent(r);
    await settle(800);
    expect(await r.endpoint.requests()).toHaveLength(2);
    expect((await deliveriesOf(r.key, r.destination.id, `&event=${e3}`))[0]!.status).toBe("pending");

    await r.endpoint.script({ default: { status: 200 } });
    const patch = await api("PATCH", `/v1/destinations/${r.destination.id}`, { token: r.key, body: { status: "active" } });
    expect(patch.status).toBe(200);
    await waitForDelivery(r.key, r.destination.id, e3, "succeeded");
    expect(await r.endpoint.requests()).toHaveLength(3);
  });

  it("disables once every attempt has failed for the configured window, keeping the delivery open", async () => {
    const r = await rig(
      { retry: { max_attempts: 11, schedule_seconds: [1] }, auto_disable: { after_failed_deliveries: 0, after_failing_seconds: 2 } },
      { default: { status: 500 } },
    );
    const eventId = await sendEvent(r);
    const disabled = await waitForStatus(r.key, r.destination.id, "disabled");
    expect(disabled.disabled_reason).toMatch(/^every delivery attempt failed since \d{4}-\d\d-\d\dT/);

    await settle(1200);
    const [d] = await deliveriesOf(r.key, r.destination.id, `&event=${eventId}`);
    expect(d!.status).toBe("retrying");
    const sent = (await r.endpoint.requests()).length;
    expect(sent).toBeGreaterThanOrEqual(3);
    expect(sent).toBeLessThanOrEqual(4);
    expect(d!.attempt_count).toBe(sent);
  });

  it("a success resets the failure record, so intermittent failures never disable", async () => {
    const r = await rig(
      { retry: { max_attempts: 1, schedule_seconds: [1] }, auto_disable: { after_failed_deliveries: 2, after_failing_seconds: 0 } },
      { responses: [{ status: 500 }, { status: 200 }, { status: 500 }], default: { status: 200 } },
    );
    for (const status of ["failed", "succeeded", "failed"]) {
      const eventId = await sendEvent(r);
      await waitForDelivery(r.key, r.destination.id, eventId, status);
    }
    expect((await getDestination(r.key, r.destination.id)).status).toBe("active");
  });
});

describe("relay events never recurse", () => {
  it("a relay.* subscriber that fails its relay deliveries produces no further relay events", async () => {
    const r = await rig({ retry: { max_attempts: 1, schedule_seconds: [1] } }, { default: { status: 500 } });
    const brokenOps = await mockEndpoint({ default: { status: 500 } });
    const brokenDest = await createDestination(r.key, { url: brokenOps.url, events: ["relay.*"], retry: { max_attempts: 1 } });

    const e1 = await sendEvent(r);
    await waitForDelivery(r.key, r.destination.id, e1, "failed");
    const relayDeliveries = await eventually(async () => {
      const list = await deliveriesOf(r.key, brokenDest.id);
      return list.length === 1 && list[0]!.status === "failed" ? list : undefined;
    });
    expect(relayDeliveries[0]!.event_type).toBe("relay.delivery.failed");

    // Its failure was recorded in the same batch that would have written any further event.
    await settle(500);
    const events = await api("GET", "/v1/events?source=relay", { token: r.key });
    expect(events.json.data).toHaveLength(1);
    expect(await brokenOps.requests()).toHaveLength(1);
  });
});
