import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { purgeEvents } from "../../src/db/events";
import { mockEndpoint } from "../support/mock";
import { api, atoshipWorkspace, createDestination, eventually } from "../support/relay";
import { idsOf, listPage, postDistinct, type Page } from "../support/lists";

/**
 * `?order=` and `?tracking_number=` read events by their order key (one index entry per event):
 * a reference is its `order:` key, a tracking number goes through `tracking_numbers` to the
 * order keys that carry it (src/db/events.ts, eventsOf). Every reader takes the same rule:
 * GET /v1/events, GET /v1/deliveries, GET /v1/orders.
 */

const post = postDistinct;
const list = listPage;
const ids = idsOf;
const q = encodeURIComponent;
const unique = (s: string) => `${s}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

/** `these` in the order the unfiltered list gives them: (created_at, id), newest first (two events may share a millisecond). */
async function inListOrder(key: string, these: string[]): Promise<string[]> {
  return ids(await list(key, "/v1/events?limit=100")).filter((id) => these.includes(id));
}

async function pairs(workspaceId: string): Promise<string[]> {
  const { results } = await env.DB.prepare("SELECT tracking_number AS t, order_key AS k FROM tracking_numbers WHERE workspace_id = ?1")
    .bind(workspaceId)
    .all<{ t: string; k: string }>();
  return results.map((r) => `${r.t}>${r.k}`).sort();
}

describe("order and tracking-number lookups", () => {
  it("an event with an order reference and a tracking number is found by each, on events and on deliveries", async () => {
    const { key, source } = await atoshipWorkspace("lookups-both");
    const hook = await mockEndpoint({ default: { status: 200 } });
    await createDestination(key, { url: hook.url });
    const ref = unique("R/1");
    const tn = unique("1ZBOTH");
    const e = await post(source, "label.created", { order_id: ref, tracking_number: tn, carrier: "ups" });
    const other = await post(source, "label.created", { order_id: unique("R/2"), tracking_number: unique("1ZOTHER") });

    expect(ids(await list(key, `/v1/events?order=${q(ref)}`))).toEqual([e]);
    expect(ids(await list(key, `/v1/events?tracking_number=${q(tn)}`))).toEqual([e]);
    expect(ids(await list(key, `/v1/events?order=${q(ref)}&tracking_number=${q(tn)}`))).toEqual([e]);
    // Both filters must hold.
    expect(ids(await list(key, `/v1/events?order=${q(ref)}&tracking_number=NOPE`))).toEqual([]);
    expect(ids(await list(key, "/v1/events?order=NOPE"))).toEqual([]);

    await eventually(async () => (await list(key, "/v1/deliveries")).data.length === 2);
    const deliveryEvents = async (query: string) => (await list(key, `/v1/deliveries?${query}`)).data.map((d) => d.event_id);
    expect(await deliveryEvents(`order=${q(ref)}`)).toEqual([e]);
    expect(await deliveryEvents(`tracking_number=${q(tn)}`)).toEqual([e]);
    expect(await deliveryEvents(`tracking_number=${q(tn)},NOPE`)).toEqual([e]);
    expect(await deliveryEvents("tracking_number=NOPE")).toEqual([]);
    expect(await deliveryEvents(`tracking_number=${q(tn)}&order=NOPE`)).toEqual([]);
    expect(await deliveryEvents(`order=${q(ref)},NOPE`)).toEqual([e]);
    expect(ids(await list(key, "/v1/events"))).toEqual(await inListOrder(key, [e, other]));
  });

  it("a tracking-only event (no order reference) is found by its tracking number", async () => {
    const { ws, key, source } = await atoshipWorkspace("lookups-tracking-only");
    const tn = unique("9XONLY");
    const e = await post(source, "shipment.in_transit", { order_id: null, tracking_number: tn, carrier: "usps" });
    expect(await pairs(ws.id)).toEqual([`${tn}>tracking:usps:${tn}`]);
    expect(ids(await list(key, `/v1/events?tracking_number=${q(tn)}`))).toEqual([e]);
    const order = await api("GET", `/v1/orders?tracking_number=${q(tn)}`, { token: key });
    expect(order.status, order.text).toBe(200);
    expect(order.json.reference).toBeNull();
    expect(order.json.events.map((x: { id: string }) => x.id)).toEqual([e]);
  });

  it("an order whose shipments have two tracking numbers: each number finds only its events; a pair is written once", async () => {
    const { ws, key, source } = await atoshipWorkspace("lookups-two-shipments");
    const ref = unique("R/TWO");
    const [t1, t2] = [unique("1ZONE"), unique("1ZTWO")];
    const a1 = await post(source, "label.created", { order_id: ref, tracking_number: t1, carrier: "ups" });
    const a2 = await post(source, "label.created", { order_id: ref, tracking_number: t2, carrier: "ups" });
    const a3 = await post(source, "shipment.delivered", { order_id: ref, tracking_number: t1, carrier: "ups" });
    // The carrier's updates know only the numbers.
    const c1 = await post(source, "shipment.in_transit", { order_id: null, tracking_number: t1, carrier: "ups" });
    const c2 = await post(source, "shipment.in_transit", { order_id: null, tracking_number: t2, carrier: "ups" });
    const c2b = await post(source, "shipment.delivered", { order_id: null, tracking_number: t2, carrier: "ups" });

    // Six events, four pairs: a number's later events add none.
    expect(await pairs(ws.id)).toEqual(
      [`${t1}>order:${ref}`, `${t2}>order:${ref}`, `${t1}>tracking:ups:${t1}`, `${t2}>tracking:ups:${t2}`].sort(),
    );
    expect(ids(await list(key, `/v1/events?tracking_number=${q(t1)}`))).toEqual(await inListOrder(key, [a1, a3, c1]));
    expect(ids(await list(key, `/v1/events?tracking_number=${q(t2)}`))).toEqual(await inListOrder(key, [a2, c2, c2b]));
    expect(ids(await list(key, `/v1/events?order=${q(ref)}`))).toEqual(await inListOrder(key, [a1, a2, a3]));

    // The order's timeline: its own events and every event of its numbers; by a number, the
    // order it belongs to and that number's events (not the other number's carrier updates).
    const byRef = await api("GET", `/v1/orders/${q(ref)}`, { token: key });
    expect(byRef.status, byRef.text).toBe(200);
    const timeline = (r: { json: { events: { id: string }[] } }) => r.json.events.map((x) => x.id).sort();
    expect(timeline(byRef)).toEqual([a1, a2, a3, c1, c2, c2b].sort());
    const byT1 = await api("GET", `/v1/orders?tracking_number=${q(t1)}`, { token: key });
    expect(byT1.status, byT1.text).toBe(200);
    expect(byT1.json.reference).toBe(ref);
    expect(timeline(byT1)).toEqual([a1, a2, a3, c1].sort());
  });

  it("pages forward and back with cursors on the tracking filter, across the number's order keys", async () => {
    const { key, source } = await atoshipWorkspace("lookups-paging");
    const ref = unique("R/PAGE");
    const tn = unique("1ZPAGE");
    const mine: string[] = [];
    for (let i = 0; i < 5; i++) {
      // Alternating between the order's key and the carrier's tracking key.
      mine.push(await post(source, "shipment.in_transit", { order_id: i % 2 ? null : ref, tracking_number: tn, carrier: "ups" }));
      await post(source, "shipment.in_transit", { order_id: ref, tracking_number: unique("1ZNOISE"), carrier: "ups" });
    }
    const expected = await inListOrder(key, mine);
    expect(expected).toHaveLength(5);

    const pages: Page[] = [await list(key, `/v1/events?tracking_number=${q(tn)}&limit=2`)];
    expect(pages[0]!.prev_cursor).toBeNull();
    while (pages.at(-1)!.next_cursor) pages.push(await list(key, `/v1/events?tracking_number=${q(tn)}&limit=2&cursor=${q(pages.at(-1)!.next_cursor!)}`));
    expect(pages.map((p) => p.data.length)).toEqual([2, 2, 1]);
    expect(pages.flatMap(ids)).toEqual(expected);
    for (let i = pages.length - 1; i > 0; i--) {
      const back = await list(key, `/v1/events?tracking_number=${q(tn)}&limit=2&prev_cursor=${q(pages[i]!.prev_cursor!)}`);
      expect(ids(back)).toEqual(ids(pages[i - 1]!));
    }
  });

  it("retention drops a pair with the last event that has it", async () => {
    const { ws, key, source } = await atoshipWorkspace("lookups-retention");
    const ref = unique("R/RET");
    const [t1, t2] = [unique("1ZRET1"), unique("1ZRET2")];
    await post(source, "label.created", { order_id: ref, tracking_number: t1, carrier: "ups" });
    await post(source, "label.created", { order_id: ref, tracking_number: t2, carrier: "ups" });
    const first = await env.DB.prepare("SELECT max(created_at) AS at FROM events WHERE workspace_id = ?1").bind(ws.id).first<{ at: number }>();
    await eventually(async () => Date.now() > first!.at + 1);
    const last = await post(source, "shipment.delivered", { order_id: ref, tracking_number: t2, carrier: "ups" });

    // The two older events go; t1's pair goes with them, t2's stays for the event that has it.
    expect(await purgeEvents(env.DB, ws.id, first!.at + 1, 10)).toBe(2);
    expect(await pairs(ws.id)).toEqual([`${t2}>order:${ref}`]);
    expect(ids(await list(key, `/v1/events?tracking_number=${q(t2)}`))).toEqual([last]);
    expect(ids(await list(key, `/v1/events?tracking_number=${q(t1)}`))).toEqual([]);

    expect(await purgeEvents(env.DB, ws.id, Date.now() + 1, 10)).toBe(1);
    expect(await pairs(ws.id)).toEqual([]);
  });
});
