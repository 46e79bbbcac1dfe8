import { describe, expect, it } from "vitest";
import { mockEndpoint } from "../support/mock";
import { api, atoshipEvent, atoshipWorkspace, createDestination, createSource, createWorkspace, eventually, postAtoship } from "../support/relay";
import { idsOf, listPage, postDistinct, type Page } from "../support/lists";

/**
 * Filters that compose (CONTRACT.md, Additions, "Filters"): `prefix.*` types, comma lists,
 * `destination_url`, and paging back with `prev_cursor`, on every list that has the field.
 */

const post = postDistinct;
const list = listPage;
const ids = idsOf;
const q = encodeURIComponent;

/** Pages forward to the end, then back to the start with prev_cursor; both walks must give the same rows. */
async function pagesBothWays(key: string, path: string, expected: string[]) {
  const sep = path.includes("?") ? "&" : "?";
  const pages: Page[] = [await list(key, `${path}${sep}limit=2`)];
  expect(pages[0]!.prev_cursor).toBeNull();
  while (pages[pages.length - 1]!.next_cursor) {
    pages.push(await list(key, `${path}${sep}limit=2&cursor=${q(pages[pages.length - 1]!.next_cursor!)}`));
  }
  expect(pages.flatMap(ids)).toEqual(expected);
  // Back from the last page: each prev_cursor gives the page before it, exactly.
  for (let i = pages.length - 1; i > 0; i--) {
    const back = await list(key, `${path}${sep}limit=2&prev_cursor=${q(pages[i]!.prev_cursor!)}`);
    expect(ids(back)).toEqual(ids(pages[i - 1]!));
    expect(back.next_cursor).not.toBeNull();
    if (i === 1) expect(back.prev_cursor).toBeNull();
  }
}

async function settled(key: string, eventId: string, count: number) {
  return eventually(async () => {
    const r = await api("GET", `/v1/events/${eventId}`, { token: key });
    const ds = (r.json?.deliveries ?? []) as Array<{ status: string; attempts: unknown[] }>;
    return ds.length === count && ds.every((d) => (d.status === "succeeded" || d.status === "failed") && d.attempts.length > 0) ? r.json : undefined;
  });
}

describe("GET /v1/events filters", () => {
  it("takes prefix.* types, comma lists of types, sources and delivery statuses, and pages back", async () => {
    const { key, source } = await atoshipWorkspace("filters-events");
    const other = await createSource(key, { name: "AtoShip EU", provider: "atoship" });
    const third = await createSource(key, { name: "AtoShip US", provider: "atoship" });
    const e0 = await post(source, "label.created");
    const e1 = await post(source, "shipment.in_transit");
    const e2 = await post(other, "shipment.delivered");
    const e3 = await post(third, "label.created");
    const e4 = await post(third, "label.voided");

    expect(ids(await list(key, `/v1/events?type=${q("tracking.*")}`))).toEqual([e2, e1]);
    expect(ids(await list(key, `/v1/events?type=${q("label.*")}`))).toEqual([e4, e3, e0]);
    expect(ids(await list(key, `/v1/events?type=${q("label.created,tracking.*")}`))).toEqual([e3, e2, e1, e0]);
    expect(ids(await list(key, `/v1/events?type=${q("*")}`))).toEqual([e4, e3, e2, e1, e0]);
    // `label_*`'s underscore is a character, not a LIKE wildcard.
    expect(ids(await list(key, `/v1/events?type=${q("labe_.*")}`))).toEqual([]);
    expect(ids(await list(key, `/v1/events?source=${other.id},${third.id}`))).toEqual([e4, e3, e2]);
    expect(ids(await list(key, `/v1/events?source=${other.id},${third.id}&type=${q("label.*")}`))).toEqual([e4, e3]);

    await pagesBothWays(key, "/v1/events", [e4, e3, e2, e1, e0]);
    await pagesBothWays(key, `/v1/events?type=${q("label.*,tracking.*")}`, [e4, e3, e2, e1, e0]);

    const bad = await api("GET", "/v1/events?type=Label!", { token: key });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain("Label!");
    const badStatus = await api("GET", "/v1/events?delivery_status=failed,lost", { token: key });
    expect(badStatus.status).toBe(400);
    expect(badStatus.json.error.message).toContain('"lost"');
    const both = await api("GET", "/v1/events?cursor=a&prev_cursor=b", { token: key });
    expect(both.status).toBe(400);
  });

  it("delivery_status takes several states", async () => {
    const { key, source } = await atoshipWorkspace("filters-events-status");
    const up = await mockEndpoint({ default: { status: 200 } });
    const down = await mockEndpoint({ default: { status: 500 } });
    await createDestination(key, { url: up.url, events: ["tracking.*"] });
    await createDestination(key, { url: down.url, events: ["label.*"], retry: { max_attempts: 1, schedule_seconds: [60] } });
    const ok = await post(source, "shipment.delivered");
    const failed = await post(source, "label.created");
    await settled(key, ok, 1);
    await settled(key, failed, 1);
    expect(ids(await list(key, "/v1/events?delivery_status=failed"))).toEqual([failed]);
    expect(ids(await list(key, "/v1/events?delivery_status=failed,succeeded"))).toEqual([failed, ok]);
  });
});

describe("GET /v1/deliveries filters", () => {
  it("takes comma lists of statuses, types and destinations, destination_url, and pages back", async () => {
    const { key, source } = await atoshipWorkspace("filters-deliveries");
    const up = await mockEndpoint({ default: { status: 200 } });
    const down = await mockEndpoint({ default: { status: 500 } });
    const third = await mockEndpoint({ default: { status: 200 } });
    const good = await createDestination(key, { url: up.url });
    const bad = await createDestination(key, { url: down.url, events: ["label.*"], retry: { max_attempts: 1, schedule_seconds: [60] } });
    const other = await createDestination(key, { url: third.url, events: ["tracking.*"] });
    const label = await post(source, "label.created");
    const tracking = await post(source, "shipment.delivered");
    await settled(key, label, 2);
    await settled(key, tracking, 2);
    const of = (p: Page) => p.data.map((d) => `${d.event_id}>${d.destination_id}:${d.status}`).sort();

    expect(of(await list(key, "/v1/deliveries?status=failed,succeeded"))).toHaveLength(4);
    expect(of(await list(key, "/v1/deliveries?status=failed,retrying"))).toEqual([`${label}>${bad.id}:failed`]);
    expect(of(await list(key, `/v1/deliveries?type=${q("tracking.*")}`))).toEqual([`${tracking}>${good.id}:succeeded`, `${tracking}>${other.id}:succeeded`].sort());
    expect(of(await list(key, `/v1/deliveries?type=${q("label.created,tracking.*")}`))).toHaveLength(4);
    expect(of(await list(key, `/v1/deliveries?destination=${bad.id},${other.id}`))).toEqual([`${label}>${bad.id}:failed`, `${tracking}>${other.id}:succeeded`].sort());
    expect(of(await list(key, `/v1/deliveries?destination_url=${q(down.url)}`))).toEqual([`${label}>${bad.id}:failed`]);
    expect(of(await list(key, `/v1/deliveries?destination_url=${q(`${down.url},${third.url}`)}`))).toHaveLength(2);
    // Both: a delivery must match each.
    expect(of(await list(key, `/v1/deliveries?destination_url=${q(down.url)}&destination=${good.id}`))).toEqual([]);
    expect(of(await list(key, `/v1/deliveries?destination_url=${q("https://nowhere.example/")}`))).toEqual([]);

    const all = ids(await list(key, "/v1/deliveries"));
    expect(all).toHaveLength(4);
    await pagesBothWays(key, "/v1/deliveries", all);

    const badStatus = await api("GET", "/v1/deliveries?status=failed,stuck", { token: key });
    expect(badStatus.status).toBe(400);
    expect(badStatus.json.error.message).toContain('"stuck"');
    expect(badStatus.json.error.message).toContain("status");

    // Another workspace's URL names nothing here.
    const stranger = await createWorkspace("filters-deliveries-stranger");
    expect((await list(stranger.key, `/v1/deliveries?destination_url=${q(down.url)}`)).data).toEqual([]);
  });
});

describe("GET /v1/deliveries by the event's fields", () => {
  it("takes source, order and tracking_number (comma lists), as /v1/events names them", async () => {
    const { key, source } = await atoshipWorkspace("filters-deliveries-events");
    const other = await createSource(key, { name: "second", provider: "atoship" });
    const up = await mockEndpoint({ default: { status: 200 } });
    await createDestination(key, { url: up.url });
    const a = await post(source, "label.created", { order_id: "DO-1", tracking_number: "DT-1" });
    const b = await post(other, "label.created", { order_id: "DO-2", tracking_number: "DT-2" });
    const c = await post(source, "label.created", { order_id: "DO-3", tracking_number: "DT-3" });
    for (const id of [a, b, c]) await settled(key, id, 1);
    const events = async (query: string) => (await list(key, `/v1/deliveries?${query}`)).data.map((d) => d.event_id);
    expect(await events(`source=${other.id}`)).toEqual([b]);
    expect(await events(`source=${source.id}`)).toEqual([c, a]);
    expect(await events("order=DO-1,DO-2")).toEqual([b, a]);
    expect(await events("tracking_number=DT-3")).toEqual([c]);
    expect(await events(`order=DO-1&source=${other.id}`)).toEqual([]);
    const stranger = await createWorkspace("filters-deliveries-events-stranger");
    expect((await list(stranger.key, "/v1/deliveries?order=DO-1")).data).toEqual([]);
  });
});

describe("GET /v1/ingest-log filters", () => {
  it("takes comma lists of sources and results, and pages back", async () => {
    const { key, source } = await atoshipWorkspace("filters-ingest");
    const other = await createSource(key, { name: "second", provider: "atoship" });
    const third = await createSource(key, { name: "third", provider: "atoship" });
    await post(source, "label.created");
    const rejected = await postAtoship({ ...source, secret: "wrong" }, atoshipEvent({ data: { label_id: "lbl_filters_bad" } }));
    expect(rejected.status).toBe(401);
    await post(other, "label.created");
    await post(third, "label.created");

    const all = await list(key, "/v1/ingest-log");
    expect(all.data).toHaveLength(4);
    expect((await list(key, `/v1/ingest-log?source=${other.id},${third.id}`)).data.map((r) => r.source_id).sort()).toEqual([other.id, third.id].sort());
    expect((await list(key, "/v1/ingest-log?result=rejected,duplicate")).data.map((r) => r.result)).toEqual(["rejected"]);
    expect((await list(key, "/v1/ingest-log?result=accepted,rejected")).data).toHaveLength(4);
    await pagesBothWays(key, "/v1/ingest-log", ids(all));
    const bad = await api("GET", "/v1/ingest-log?result=accepted,maybe", { token: key });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('"maybe"');
  });
});

describe("GET /v1/sources and /v1/destinations", () => {
  it("page back with prev_cursor; destinations filter by status", async () => {
    const { key } = await createWorkspace("filters-config");
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.unshift((await createSource(key, { name: `s${i}`, provider: "atoship" })).id);
    await pagesBothWays(key, "/v1/sources", made);

    const hook = await mockEndpoint({ default: { status: 200 } });
    const dsts: string[] = [];
    for (let i = 0; i < 5; i++) dsts.unshift((await createDestination(key, { url: `${hook.url}/d${i}` })).id);
    await pagesBothWays(key, "/v1/destinations", dsts);
    const paused = await api("PATCH", `/v1/destinations/${dsts[1]}`, { token: key, body: { status: "paused" } });
    expect(paused.status, paused.text).toBe(200);
    expect(ids(await list(key, "/v1/destinations?status=paused"))).toEqual([dsts[1]]);
    expect(ids(await list(key, "/v1/destinations?status=paused,active"))).toEqual(dsts);
    const bad = await api("GET", "/v1/destinations?status=paused,gone", { token: key });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('"gone"');
  });
});
