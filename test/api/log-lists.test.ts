import { describe, expect, it } from "vitest";
import { mockEndpoint } from "../support/mock";
import {
  api,
  atoshipEvent,
  atoshipWorkspace,
  createDestination,
  createSource,
  createWorkspace,
  eventually,
  postAtoship,
} from "../support/relay";

/**
 * The log's list routes (CONTRACT.md, "Events and deliveries"): every filter, keyset
 * pagination newest first that stays stable while events keep arriving, and the limits.
 */

let serial = 0;
/** Posts one AtoShip event with its own identity; returns its event id. */
async function post(source: { ingest_url: string; secret?: string }, event: string, data: Record<string, unknown> = {}) {
  serial += 1;
  const res = await postAtoship(source, atoshipEvent({ event, data: { label_id: `lbl_${serial}_${Math.random()}`, ...data } }));
  expect(res.status, res.text).toBe(200);
  return res.json.event_ids[0] as string;
}

async function list(key: string, path: string) {
  const r = await api("GET", path, { token: key });
  expect(r.status, r.text).toBe(200);
  return r.json as { data: Array<{ id: string; [k: string]: any }>; next_cursor: string | null };
}

const ids = (page: { data: Array<{ id: string }> }) => page.data.map((e) => e.id);

/** Walks every page of a list route and returns the ids, in order. */
async function walk(key: string, path: string, limit: number, between?: () => Promise<void>) {
  const out: string[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 100; i++) {
    const sep = path.includes("?") ? "&" : "?";
    const page = await list(key, `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    expect(page.data.length).toBeLessThanOrEqual(limit);
    out.push(...ids(page));
    cursor = page.next_cursor;
    if (!cursor) return out;
    await between?.();
  }
  throw new Error("pagination did not end");
}

async function settledDeliveries(key: string, eventId: string, count: number) {
  return eventually(async () => {
    const r = await api("GET", `/v1/events/${eventId}`, { token: key });
    const ds = (r.json?.deliveries ?? []) as Array<{ status: string; attempts: unknown[] }>;
    return ds.length === count && ds.every((d) => (d.status === "succeeded" || d.status === "failed") && d.attempts.length > 0) ? r.json : undefined;
  });
}

describe("GET /v1/events", () => {
  it("filters by type, source, order reference, tracking number and time", async () => {
    const { key, source } = await atoshipWorkspace("events-filters");
    const other = await createSource(key, { name: "AtoShip EU", provider: "atoship" });
    const e0 = await post(source, "label.created", { order_id: "O-1", tracking_number: "T-1" });
    const e1 = await post(source, "shipment.in_transit", { order_id: "O-2", tracking_number: "T-2" });
    const e2 = await post(other, "shipment.delivered", { order_id: "O-1", tracking_number: "T-3" });

    expect(ids(await list(key, "/v1/events"))).toEqual([e2, e1, e0]);
    expect(ids(await list(key, "/v1/events?type=tracking.updated"))).toEqual([e2, e1]);
    expect(ids(await list(key, "/v1/events?type=label.created"))).toEqual([e0]);
    expect(ids(await list(key, `/v1/events?source=${other.id}`))).toEqual([e2]);
    expect(ids(await list(key, `/v1/events?source=${source.id}`))).toEqual([e1, e0]);
    expect(ids(await list(key, "/v1/events?order=O-1"))).toEqual([e2, e0]);
    expect(ids(await list(key, "/v1/events?tracking_number=T-2"))).toEqual([e1]);
    expect(ids(await list(key, "/v1/events?order=O-1&type=label.created"))).toEqual([e0]);
    expect(ids(await list(key, "/v1/events?order=nope"))).toEqual([]);

    // since is inclusive, until exclusive, on the time the relay received the event.
    const all = await list(key, "/v1/events");
    const at = (id: string) => all.data.find((e) => e.id === id)!.created_at as string;
    const since = await list(key, `/v1/events?since=${encodeURIComponent(at(e1))}`);
    expect(ids(since)).toContain(e1);
    expect(ids(since)).toContain(e2);
    const until = await list(key, `/v1/events?until=${encodeURIComponent(at(e1))}`);
    expect(ids(until)).not.toContain(e1);
    expect(ids(until)).not.toContain(e2);
    expect(ids(await list(key, "/v1/events?since=2000-01-01T00:00:00Z&until=2000-01-02T00:00:00Z"))).toEqual([]);
    expect(ids(await list(key, "/v1/events?since=2000-01-01T00:00:00%2B02:00"))).toEqual([e2, e1, e0]);
  });

  it("filters by delivery status", async () => {
    const { key, source } = await atoshipWorkspace("events-delivery-status");
    const down = await mockEndpoint({ default: { status: 503 } });
    await createDestination(key, { url: down.url, events: ["label.*"], retry: { max_attempts: 1, schedule_seconds: [60] } });
    const up = await mockEndpoint({ default: { status: 200 } });
    await createDestination(key, { url: up.url, events: ["tracking.*"] });
    const label = await post(source, "label.created");
    const tracking = await post(source, "shipment.in_transit");
    await settledDeliveries(key, label, 1);
    await settledDeliveries(key, tracking, 1);
    expect(ids(await list(key, "/v1/events?delivery_status=failed"))).toEqual([label]);
    expect(ids(await list(key, "/v1/events?delivery_status=succeeded"))).toEqual([tracking]);
    expect(ids(await list(key, "/v1/events?delivery_status=pending"))).toEqual([]);
    expect((await api("GET", "/v1/events?delivery_status=lost", { token: key })).status).toBe(400);
  });

  it("shows only the caller's workspace", async () => {
    const a = await atoshipWorkspace("events-ws-a");
    const b = await createWorkspace("events-ws-b");
    const id = await post(a.source, "label.created", { order_id: "SHARED" });
    expect(ids(await list(b.key, "/v1/events"))).toEqual([]);
    expect(ids(await list(b.key, "/v1/events?order=SHARED"))).toEqual([]);
    expect(ids(await list(b.key, `/v1/events?source=${a.source.id}`))).toEqual([]);
    expect((await api("GET", `/v1/events/${id}`, { token: b.key })).status).toBe(404);
  });

  it("pages newest first, and events arriving between pages neither repeat nor shift later pages", async () => {
    const { key, source } = await atoshipWorkspace("events-pages");
    const first: string[] = [];
    for (let i = 0; i < 7; i++) first.push(await post(source, "label.created", { order_id: `P-${i}` }));
    const newest = [...first].reverse();

    const late: string[] = [];
    const walked = await walk(key, "/v1/events", 2, async () => {
      late.push(await post(source, "label.created", { order_id: `LATE-${late.length}` }));
      late.push(await post(source, "label.created", { order_id: `LATE-${late.length}` }));
    });
    expect(walked).toEqual(newest);
    expect(late).toHaveLength(6);

    // The late arrivals are at the head of a fresh walk; nothing is lost or doubled.
    const again = await walk(key, "/v1/events", 3);
    expect(again).toEqual([...late].reverse().concat(newest));
    expect(new Set(again).size).toBe(again.length);

    // The same holds with a filter.
    expect(await walk(key, "/v1/events?order=P-3", 1)).toEqual([first[3]]);
  });

  it("defaults to 50 per page, allows up to 500, and refuses other limits and foreign cursors", async () => {
    const { key, source } = await atoshipWorkspace("events-limits");
    for (let i = 0; i < 52; i++) await post(source, "label.created");
    const page = await list(key, "/v1/events");
    expect(page.data).toHaveLength(50);
    expect(page.next_cursor).toEqual(expect.any(String));
    expect((await list(key, `/v1/events?cursor=${encodeURIComponent(page.next_cursor!)}`)).data).toHaveLength(2);
    expect((await list(key, "/v1/events?limit=500")).data).toHaveLength(52);
    expect((await list(key, "/v1/events?limit=52")).next_cursor).toBeNull();

    for (const limit of ["0", "501", "-1", "abc", "1.5"]) {
      const r = await api("GET", `/v1/events?limit=${limit}`, { token: key });
      expect(r.status, `limit=${limit}`).toBe(400);
      expect(r.json.error.message).toMatch(/^limit/);
    }
    for (const cursor of ["garbage", btoa("abc|"), btoa("|evt_x"), "%%%"]) {
      const r = await api("GET", `/v1/events?cursor=${encodeURIComponent(cursor)}`, { token: key });
      expect(r.status, `cursor=${cursor}`).toBe(400);
      expect(r.json.error).toMatchObject({ code: "invalid_request" });
      expect(r.json.error.message).toMatch(/^cursor/);
    }
    const badDate = await api("GET", "/v1/events?since=yesterday", { token: key });
    expect(badDate.status).toBe(400);
    expect(badDate.json.error.message).toMatch(/^since/);
  });
});

describe("GET /v1/events/:id", () => {
  it("carries the raw payload and every delivery with its attempt timeline", async () => {
    const { key, source } = await atoshipWorkspace("event-timeline");
    const flaky = await mockEndpoint({ responses: [{ status: 500, body: { error: "x".repeat(3000) } }], default: { status: 200, body: { ok: 1 } } });
    const dest = await createDestination(key, { url: flaky.url, retry: { max_attempts: 2, schedule_seconds: [0] } });
    const id = await post(source, "label.created", { order_id: "TL-1" });
    const detail = await settledDeliveries(key, id, 1);
    await eventually(async () => {
      const r = await api("GET", `/v1/events/${id}`, { token: key });
      return r.json.deliveries[0].status === "succeeded" ? r : undefined;
    });
    const r = await api("GET", `/v1/events/${id}`, { token: key });
    expect(r.json).toMatchObject({ id, type: "label.created", order: { reference: "TL-1" } });
    expect(r.json.raw).toMatchObject({ event: "label.created", data: { order_id: "TL-1" } });
    const [delivery] = r.json.deliveries;
    expect(delivery).toMatchObject({ event_id: id, destination_id: dest.id, status: "succeeded", attempt_count: 2 });
    expect(delivery.attempts).toHaveLength(2);
    expect(delivery.attempts[0]).toMatchObject({ attempt: 1, status_code: 500, error: expect.any(String) });
    expect(delivery.attempts[0].response_body.length).toBeLessThanOrEqual(1024);
    expect(delivery.attempts[1]).toMatchObject({ attempt: 2, status_code: 200, error: null, response_body: '{"ok":1}' });
    for (const a of delivery.attempts) {
      expect(a.duration_ms).toEqual(expect.any(Number));
      expect(Date.parse(a.at)).not.toBeNaN();
    }
    // The timeline agrees with GET /v1/deliveries/:id.
    const single = await api("GET", `/v1/deliveries/${delivery.id}`, { token: key });
    expect(single.json.attempts.map((a: { attempt: number; status_code: number }) => [a.attempt, a.status_code])).toEqual([
      [1, 500],
      [2, 200],
    ]);
    expect(detail).toBeTruthy();
  });
});

describe("GET /v1/deliveries", () => {
  it("filters by destination, event, type, status and time, and pages", async () => {
    const { key, source } = await atoshipWorkspace("deliveries-filters");
    const up = await mockEndpoint({ default: { status: 200 } });
    const down = await mockEndpoint({ default: { status: 500 } });
    const good = await createDestination(key, { url: up.url });
    const bad = await createDestination(key, { url: down.url, events: ["label.*"], retry: { max_attempts: 1, schedule_seconds: [60] } });
    const label = await post(source, "label.created");
    const tracking = await post(source, "shipment.delivered");
    await settledDeliveries(key, label, 2);
    await settledDeliveries(key, tracking, 1);

    const all = await list(key, "/v1/deliveries");
    expect(all.data).toHaveLength(3);
    const of = (page: { data: Array<Record<string, any>> }) => page.data.map((d) => `${d.event_id}>${d.destination_id}:${d.status}`).sort();

    expect(of(await list(key, `/v1/deliveries?destination=${bad.id}`))).toEqual([`${label}>${bad.id}:failed`]);
    expect(of(await list(key, `/v1/deliveries?destination=${good.id}`))).toEqual(
      [`${label}>${good.id}:succeeded`, `${tracking}>${good.id}:succeeded`].sort(),
    );
    expect(of(await list(key, `/v1/deliveries?event=${label}`))).toEqual([`${label}>${bad.id}:failed`, `${label}>${good.id}:succeeded`].sort());
    expect(of(await list(key, "/v1/deliveries?type=tracking.updated"))).toEqual([`${tracking}>${good.id}:succeeded`]);
    expect(of(await list(key, "/v1/deliveries?status=failed"))).toEqual([`${label}>${bad.id}:failed`]);
    expect(of(await list(key, `/v1/deliveries?status=succeeded&destination=${bad.id}`))).toEqual([]);
    expect((await list(key, "/v1/deliveries?until=2000-01-01T00:00:00Z")).data).toEqual([]);
    expect((await list(key, `/v1/deliveries?since=${encodeURIComponent(all.data[2]!.created_at)}`)).data.length).toBe(3);

    const walked = await walk(key, "/v1/deliveries", 1);
    expect(walked).toEqual(ids(all));

    expect((await api("GET", "/v1/deliveries?status=lost", { token: key })).status).toBe(400);
    expect((await api("GET", "/v1/deliveries?cursor=nope", { token: key })).status).toBe(400);
    expect((await api("GET", "/v1/deliveries?limit=501", { token: key })).status).toBe(400);

    const stranger = await createWorkspace("deliveries-stranger");
    expect((await list(stranger.key, `/v1/deliveries?destination=${good.id}`)).data).toEqual([]);
    expect((await list(stranger.key, "/v1/deliveries")).data).toEqual([]);
  });
});

describe("GET /v1/ingest-log", () => {
  it("logs every request with its result and reason, filtered by source, result and time, and pages", async () => {
    const { key, source } = await atoshipWorkspace("ingest-log");
    const other = await createSource(key, { name: "second", provider: "atoship" });
    const body = atoshipEvent({ data: { label_id: "lbl_ingest_dup" } });
    const accepted = await postAtoship(source, body);
    const duplicate = await postAtoship(source, body);
    expect(duplicate.json.duplicate).toBe(true);
    const rejected = await postAtoship({ ...source, secret: "wrong" }, atoshipEvent({ data: { label_id: "lbl_ingest_bad" } }));
    expect(rejected.status).toBe(401);
    await post(other, "label.created");

    const all = await list(key, "/v1/ingest-log");
    expect(all.data.map((r) => r.result)).toEqual(["accepted", "rejected", "duplicate", "accepted"]);
    const bad = all.data[1]!;
    expect(bad).toMatchObject({ source_id: source.id, result: "rejected", reason: "invalid_signature", event_id: null, http_status: 401 });
    expect(all.data[3]).toMatchObject({ result: "accepted", event_id: accepted.json.event_ids[0], event_ids: accepted.json.event_ids });
    expect(all.data[2]).toMatchObject({ result: "duplicate", event_id: accepted.json.event_ids[0] });

    expect((await list(key, `/v1/ingest-log?source=${other.id}`)).data.map((r) => r.result)).toEqual(["accepted"]);
    expect((await list(key, "/v1/ingest-log?result=rejected")).data.map((r) => r.id)).toEqual([bad.id]);
    expect((await list(key, `/v1/ingest-log?source=${source.id}&result=accepted`)).data).toHaveLength(1);
    expect((await list(key, `/v1/ingest-log?since=${encodeURIComponent(bad.at)}`)).data.map((r) => r.id)).toContain(bad.id);
    expect((await list(key, `/v1/ingest-log?until=${encodeURIComponent(all.data[3]!.at)}`)).data).toEqual([]);

    const late: string[] = [];
    const walked = await walk(key, "/v1/ingest-log", 1, async () => {
      if (late.length < 2) late.push(await post(source, "label.created"));
    });
    expect(walked).toEqual(ids(all));

    expect((await api("GET", "/v1/ingest-log?result=maybe", { token: key })).status).toBe(400);
    expect((await api("GET", "/v1/ingest-log?cursor=x", { token: key })).status).toBe(400);
    expect((await api("GET", "/v1/ingest-log?limit=0", { token: key })).status).toBe(400);
    const stranger = await createWorkspace("ingest-stranger");
    expect((await list(stranger.key, `/v1/ingest-log?source=${source.id}`)).data).toEqual([]);
  });
});
