import { describe, expect, it } from "vitest";
import { mockEndpoint } from "../support/mock";
import { api, atoshipEvent, atoshipWorkspace, createDestination, createWorkspace, eventually, postAtoship } from "../support/relay";
import { page, signIn, textOf } from "../support/dashboard";

/** An order's timeline (CONTRACT.md, Additions, "Orders"): API and console. */

let serial = 0;
async function post(source: { ingest_url: string; secret?: string }, event: string, data: Record<string, unknown>) {
  serial += 1;
  const res = await postAtoship(source, atoshipEvent({ event, data: { label_id: `lbl_o${serial}_${Math.random()}`, ...data } }));
  expect(res.status, res.text).toBe(200);
  return res.json.event_ids[0] as string;
}

async function orderWorld(name: string) {
  const { key, source } = await atoshipWorkspace(name);
  const hook = await mockEndpoint({ default: { status: 200 } });
  const dst = await createDestination(key, { url: hook.url });
  const ref = `ACME/${serial}-${Date.now()}`;
  const tn = `1Z${Date.now()}${serial}`;
  const e1 = await post(source, "label.created", { order_id: ref, tracking_number: tn, carrier: "ups" });
  // The carrier's update knows only the tracking number.
  const e2 = await post(source, "shipment.in_transit", { tracking_number: tn, order_id: null, carrier: null });
  const e3 = await post(source, "shipment.delivered", { order_id: ref, tracking_number: tn, carrier: "ups" });
  await post(source, "label.created", { order_id: `OTHER-${Date.now()}`, tracking_number: `9X${Date.now()}` });
  await eventually(async () => {
    const r = await api("GET", `/v1/deliveries?destination=${dst.id}&status=succeeded`, { token: key });
    return r.json.data.length === 4;
  });
  return { key, dst, ref, tn, ids: [e1, e2, e3] };
}

describe("GET /v1/orders", () => {
  it("by reference (with %2F): every event in sequence, the tracking status, each destination's deliveries", async () => {
    const w = await orderWorld("orders-ref");
    const r = await api("GET", `/v1/orders/${encodeURIComponent(w.ref)}`, { token: w.key });
    expect(r.status, r.text).toBe(200);
    expect(r.json.reference).toBe(w.ref);
    expect(r.json.events.map((e: { id: string }) => e.id)).toEqual(w.ids);
    expect(r.json.events.map((e: { type: string }) => e.type)).toEqual(["label.created", "tracking.updated", "tracking.updated"]);
    expect(r.json.tracking).toEqual({ status: "delivered", carrier: "ups", tracking_number: w.tn });
    expect(r.json.deliveries).toHaveLength(3);
    for (const d of r.json.deliveries) expect(d).toMatchObject({ destination_id: w.dst.id, url: w.dst.url, status: "succeeded" });
    expect(r.json.deliveries.map((d: { event_id: string }) => d.event_id)).toEqual(w.ids);
  });

  it("by tracking number: the order it belongs to", async () => {
    const w = await orderWorld("orders-tracking");
    const r = await api("GET", `/v1/orders?tracking_number=${encodeURIComponent(w.tn)}`, { token: w.key });
    expect(r.status, r.text).toBe(200);
    expect(r.json.reference).toBe(w.ref);
    expect(r.json.events.map((e: { id: string }) => e.id)).toEqual(w.ids);
  });

  it("404 for an order the workspace has no event of, and for another workspace's order", async () => {
    const w = await orderWorld("orders-404");
    expect((await api("GET", "/v1/orders/NOPE-1", { token: w.key })).status).toBe(404);
    expect((await api("GET", "/v1/orders?tracking_number=NOPE", { token: w.key })).status).toBe(404);
    expect((await api("GET", "/v1/orders", { token: w.key })).status).toBe(400);
    const stranger = await createWorkspace("orders-stranger");
    const r = await api("GET", `/v1/orders/${encodeURIComponent(w.ref)}`, { token: stranger.key });
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe("not_found");
  });
});

describe("/dashboard/orders", () => {
  it("shows the timeline, tracking status, deliveries and links to each raw payload; the search box lands there", async () => {
    const w = await orderWorld("orders-console");
    const cookie = await signIn(w.key);
    const res = await page(`/dashboard/orders/${encodeURIComponent(w.ref)}`, cookie);
    expect(res.status, res.text).toBe(200);
    const text = textOf(res.text);
    expect(text).toContain(w.ref);
    expect(text).toContain("delivered");
    expect(text).toContain(w.tn);
    for (const id of w.ids) expect(res.text).toContain(`/dashboard/events/${id}`);
    expect(res.text).toContain(w.dst.url as string);

    // Every page carries the search box; a reference or a tracking number lands on the order.
    expect((await page("/dashboard/events", cookie)).text).toContain('action="/dashboard/orders"');
    for (const q of [w.ref, w.tn]) {
      const found = await page(`/dashboard/orders?q=${encodeURIComponent(q)}`, cookie);
      expect(found.status).toBe(303);
      expect(found.headers.get("location")).toBe(`/dashboard/orders/${encodeURIComponent(w.ref)}`);
    }
    const missing = await page("/dashboard/orders?q=NOPE-404", cookie);
    expect(missing.status).toBe(404);
    expect(textOf(missing.text)).toContain("NOPE-404");
  });
});
