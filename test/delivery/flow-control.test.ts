import { env, evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sweepStuckDeliveries } from "../../src/delivery/sweep";
import { eventually } from "../support/relay";
import { bodyOf, deliveriesOf, rig, sendEvent, settle, waitForDelivery } from "./helpers";

/** Flow control: what decides when a delivery may go — its order's sequence, and its destination's rate. */

describe("per-order ordering", () => {
  it("holds a later event of an order back while an earlier one is retrying, then sends them in sequence", async () => {
    const r = await rig(
      { ordering: "per_order", retry: { max_attempts: 3, schedule_seconds: [1] } },
      { responses: [{ status: 500 }], default: { status: 200 } },
    );
    const order = `ord_${Date.now()}`;
    const first = await sendEvent(r, { event: "label.created", order });
    await r.endpoint.waitForRequests(1);
    // While `first` waits for its retry, two more events of the order and one of another order arrive.
    const second = await sendEvent(r, { event: "shipment.in_transit", order });
    const third = await sendEvent(r, { event: "shipment.delivered", order });
    const unrelated = await sendEvent(r, { order: `${order}-other` });

    await waitForDelivery(r.key, r.destination.id, third, "succeeded", 15_000);
    const reqs = await r.endpoint.requests();
    const seen = reqs.map((q) => ({ id: bodyOf(q).id as string, attempt: q.headers["webhook-attempt"] }));
    const ofOrder = seen.filter((s) => s.id !== unrelated);
    expect(ofOrder).toEqual([
      { id: first, attempt: "1" },
      { id: first, attempt: "2" },
      { id: second, attempt: "1" },
      { id: third, attempt: "1" },
    ]);
    expect(reqs.filter((q) => bodyOf(q).id === second || bodyOf(q).id === third).map((q) => bodyOf(q).sequence)).toEqual([2, 3]);
    // Another order is not held back by this one's retry.
    const unrelatedAt = seen.findIndex((s) => s.id === unrelated);
    const firstRetryAt = seen.findIndex((s) => s.id === first && s.attempt === "2");
    expect(unrelatedAt).toBeLessThan(firstRetryAt);
  });

  it("lets the rest of the order go once an earlier delivery failed for good", async () => {
    const r = await rig({ ordering: "per_order", retry: { max_attempts: 1 } }, { responses: [{ status: 500 }], default: { status: 200 } });
    const order = `ord_${Date.now()}`;
    const first = await sendEvent(r, { order });
    await waitForDelivery(r.key, r.destination.id, first, "failed");
    const second = await sendEvent(r, { event: "shipment.in_transit", order });
    await waitForDelivery(r.key, r.destination.id, second, "succeeded");
  });

  it("unordered destinations (the default) do not wait for an earlier event's retry", async () => {
    const r = await rig({ retry: { max_attempts: 2, schedule_seconds: [2] } }, { responses: [{ status: 500 }], default: { status: 200 } });
    expect(r.destination.ordering).toBe("unordered");
    const order = `ord_${Date.now()}`;
    const first = await sendEvent(r, { order });
    await r.endpoint.waitForRequests(1);
    const second = await sendEvent(r, { event: "shipment.in_transit", order });
    await waitForDelivery(r.key, r.destination.id, second, "succeeded");
    const [firstNow] = await deliveriesOf(r.key, r.destination.id, `&event=${first}`);
    expect(firstNow!.status).toBe("retrying");
  });

  it("the housekeeping sweep leaves a parked delivery alone while its predecessor is open", async () => {
    const r = await rig(
      { ordering: "per_order", retry: { max_attempts: 2, schedule_seconds: [3600] } },
      { responses: [{ status: 500 }], default: { status: 200 } },
    );
    const order = `ord_${Date.now()}`;
    const first = await sendEvent(r, { order });
    await waitForDelivery(r.key, r.destination.id, first, "retrying");
    const second = await sendEvent(r, { event: "shipment.in_transit", order });
    const parkedRow = () =>
      env.DB.prepare("SELECT enqueued_at, updated_at FROM deliveries WHERE event_id = ?1")
        .bind(second)
        .first<{ enqueued_at: number | null; updated_at: number }>();
    const parked = await eventually(async () => {
      const row = await parkedRow();
      return row && row.enqueued_at === null && row.updated_at > 0 ? row : undefined;
    });
    // Ten minutes on, the parked one is not "stuck" (the first one's retry is an hour away): the
    // sweep neither queues it (enqueued_at would be set) nor has it re-parked (updated_at would move).
    await sweepStuckDeliveries(env, Date.now() + 10 * 60_000);
    await settle(300);
    expect(await parkedRow()).toEqual(parked);
    expect(await r.endpoint.requests()).toHaveLength(1);
  });
});

describe("per-destination rate limit", () => {
  it("spaces a burst out to the limit; over-limit deliveries wait as pending and none fails", async () => {
    // 60 a minute: one at once, then one a second.
    const r = await rig({ rate_limit_per_minute: 60, retry: { max_attempts: 1 } });
    const events = [];
    for (let i = 0; i < 4; i++) events.push(await sendEvent(r));

    // While the burst drains, the later deliveries wait with their slot as next_attempt_at.
    const waiting = await eventually(async () => {
      const list = await deliveriesOf(r.key, r.destination.id);
      return list.find((d) => d.status === "pending" && Date.parse(d.next_attempt_at!) > Date.now());
    }, 5000, 25);
    expect(waiting.attempt_count).toBe(0);

    const reqs = await r.endpoint.waitForRequests(4, 15_000);
    expect(reqs).toHaveLength(4);
    // Slots are 1 s apart; arrival times also carry each send's own latency, hence the margin.
    for (let i = 1; i < reqs.length; i++) expect(reqs[i]!.at - reqs[i - 1]!.at).toBeGreaterThanOrEqual(800);
    expect(reqs[3]!.at - reqs[0]!.at).toBeGreaterThanOrEqual(2800);
    // Each was sent once, on its first attempt: waiting is not failing.
    expect(reqs.map((q) => q.headers["webhook-attempt"])).toEqual(["1", "1", "1", "1"]);
    expect(new Set(reqs.map((q) => q.headers["webhook-id"])).size).toBe(4);
    const done = await eventually(async () => {
      const list = await deliveriesOf(r.key, r.destination.id);
      return list.length === 4 && list.every((d) => d.status === "succeeded") ? list : undefined;
    });
    expect(done.every((d) => d.attempt_count === 1)).toBe(true);
  });
});

describe("the rate limiter Durable Object", () => {
  it("books evenly spaced slots after the burst, and remembers them across eviction", async () => {
    const limiter = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName("dst:test-limiter"));
    const now = Date.parse("2030-01-01T00:00:00Z");
    expect((await limiter.reserve(60, 2, now)).waitMs).toBe(0);
    expect((await limiter.reserve(60, 2, now)).waitMs).toBe(0);
    expect((await limiter.reserve(60, 2, now)).waitMs).toBe(1000);
    expect((await limiter.reserve(60, 2, now)).waitMs).toBe(2000);

    // Booked slots outlive the object's memory: a fresh instance must not hand them out again.
    await evictDurableObject(limiter);
    expect((await limiter.reserve(60, 2, now)).waitMs).toBe(3000);
    // take() only succeeds when a slot is free now, and books nothing when it is not.
    expect((await limiter.take(60, 2, now)).waitMs).toBe(4000);
    expect((await limiter.reserve(60, 2, now)).waitMs).toBe(4000);
  });
});
