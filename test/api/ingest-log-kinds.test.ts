import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import fixture from "../fixtures/shipstation/resources/shipments.page1.json";
import { triggerCountsByEvent } from "../../src/db/ingest-log";
import { newId } from "../../src/lib/ids";
import { commitEvents } from "../../src/ingest/pipeline";
import { reloadIngestConfig } from "../../src/ingest/source-config";
import type { NormalizedEvent } from "../../src/ingest/providers/types";
import { page, signIn } from "../support/dashboard";
import { mockEndpoint } from "../support/mock";
import { api, atoshipEvent, atoshipWorkspace, createSource, eventually, ingestPath, postAtoship } from "../support/relay";

/**
 * `GET /v1/ingest-log` (CONTRACT.md, Additions: "Accepted and duplicate requests keep one row
 * each"): every kind of request — accepted, duplicate, refused (folded), a pointer callback,
 * a body of several events (one order object and several), a triggered sample — is listed
 * exactly once, with the fields the API has always answered, whichever table holds it; and so
 * in the console's ingest log and in registration's trigger counts.
 */

type LogRow = { id: string; at: string; source_id: string; result: string; event_id: string | null; event_ids: string[]; count: number; [k: string]: unknown };

async function logOf(key: string, query = "", limit = 100): Promise<{ data: LogRow[]; next_cursor: string | null; prev_cursor: string | null }> {
  const r = await api("GET", `/v1/ingest-log?limit=${limit}${query}`, { token: key });
  expect(r.status, r.text).toBe(200);
  return r.json;
}

/** What the log shows for one request of its own. */
function row(fields: { id?: unknown; at: string; source_id: string; result: string; reason?: string | null; event_ids: string[]; http_status?: number; detail: Record<string, unknown> }) {
  return {
    id: fields.id ?? expect.stringMatching(/^ilg_/),
    at: fields.at,
    source_id: fields.source_id,
    result: fields.result,
    reason: fields.reason ?? null,
    event_id: fields.event_ids[0] ?? null,
    event_ids: fields.event_ids,
    http_status: fields.http_status ?? 200,
    detail: fields.detail,
    count: 1,
    first_at: fields.at,
    last_at: fields.at,
  };
}

const createdAt = async (key: string, eventId: string) => (await api("GET", `/v1/events/${eventId}`, { token: key })).json.created_at as string;

/** Normalized events of three orders: `a1` and `a2` share an order (one order object), `b` has its own. */
function threeEvents(tag: string): NormalizedEvent[] {
  const ev = (order: string, label: string): NormalizedEvent => ({
    type: "label.created",
    livemode: true,
    source_event: "label.created",
    order: { reference: `ord_${tag}_${order}` },
    data: { label_id: `lbl_${tag}_${label}` },
    provider_event_id: `pe_${tag}_${label}`,
  });
  return [ev("a", "a1"), ev("a", "a2"), ev("b", "b")];
}

describe("GET /v1/ingest-log lists every request once, with its fields", () => {
  it("accepted, duplicate, refused, several-event, pointer and triggered requests", async () => {
    const { ws, key, source } = await atoshipWorkspace("ilg-kinds");
    const provider = await mockEndpoint({ routes: { "GET /shipments": { status: 200, body: { ...fixture.body, page: 1, pages: 1 } } } as any });
    const ss = await createSource(key, { provider: "shipstation", credentials: { api_key: "k", api_secret: "s", api_base_url: provider.url } });

    const body = atoshipEvent({ data: { label_id: "lbl_ilgk_1", order_id: "ord_ilgk_1" } });
    const accepted = await postAtoship(source, body);
    const duplicate = await postAtoship(source, body);
    expect(duplicate.json.duplicate).toBe(true);
    for (let i = 0; i < 2; i++) expect((await postAtoship({ ...source, secret: "wrong" }, atoshipEvent())).status).toBe(401);

    // A body of several events, committed as ingest commits it: one log row for all of them.
    const config = (await reloadIngestConfig(env, source.id))!;
    const several = async (tag: string, events: NormalizedEvent[]) => {
      const receivedAt = Date.now();
      const log = { id: newId("ilg", receivedAt), workspaceId: ws.id, sourceId: source.id, at: receivedAt, reason: null, httpStatus: 200, detail: { batch: tag } };
      const done = await commitEvents(env, { source: config.source, routing: null, events, raw: JSON.stringify({ tag }), parsed: { tag }, receivedAt, log });
      return { log, eventIds: done.eventIds };
    };
    const oneObject = await several("one", threeEvents("one").slice(0, 2));
    const manyObjects = await several("many", threeEvents("many"));
    // A body whose first event was seen before and the rest not: accepted, its first event a duplicate.
    const partly = await several("partly", [threeEvents("many")[0]!, ...threeEvents("partly").slice(2)]);

    const pointer = await api("POST", ingestPath(ss), { raw: JSON.stringify({ resource_url: `${provider.url}/shipments?batchId=1`, resource_type: "SHIP_NOTIFY" }), headers: { "content-type": "application/json" } });
    expect(pointer.status, pointer.text).toBe(200);
    const triggered = await api("POST", `/v1/sources/${source.id}/trigger`, { token: key, body: { sample: "atoship/label.created" } });
    expect(triggered.status, triggered.text).toBe(200);

    const settled = await eventually(async () => {
      const page = await logOf(key);
      const refused = page.data.filter((r) => r.result === "rejected").reduce((n, r) => n + r.count, 0);
      const fetched = page.data.some((r) => r.reason === "fetched");
      return page.data.length >= 8 && refused === 2 && fetched ? page : undefined;
    });
    const rows = settled.data;
    const rejected = rows.filter((r) => r.result === "rejected");
    expect(rows).toHaveLength(7 + rejected.length);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    // Newest first on (at, id).
    const keys = rows.map((r) => `${r.at}|${r.id}`);
    expect([...keys].sort().reverse()).toEqual(keys);

    const iso = (ms: number) => new Date(ms).toISOString();
    const byRequest = (res: { headers: Headers }) => rows.filter((r) => (r.detail as Record<string, unknown>).request_id === res.headers.get("request-id"));
    const length = JSON.stringify(body).length;
    expect(byRequest(accepted)).toEqual([
      row({ at: await createdAt(key, accepted.json.event_ids[0]), source_id: source.id, result: "accepted", event_ids: accepted.json.event_ids, detail: { request_id: accepted.headers.get("request-id"), content_length: length } }),
    ]);
    const [dup] = byRequest(duplicate);
    expect(dup).toEqual(row({ at: dup!.at, source_id: source.id, result: "duplicate", event_ids: duplicate.json.event_ids, detail: { request_id: duplicate.headers.get("request-id"), content_length: length } }));
    expect(byRequest(duplicate)).toHaveLength(1);
    for (const r of rejected) expect(r).toMatchObject({ source_id: source.id, result: "rejected", reason: "invalid_signature", event_id: null, event_ids: [], http_status: 401 });
    for (const s of [oneObject, manyObjects, partly]) {
      expect(rows.filter((r) => r.id === s.log.id)).toEqual([row({ id: s.log.id, at: iso(s.log.at), source_id: source.id, result: "accepted", event_ids: s.eventIds, detail: s.log.detail })]);
    }
    expect(manyObjects.eventIds).toHaveLength(3);
    expect(partly.eventIds[0]).toBe(manyObjects.eventIds[0]);
    const [pointerRow] = byRequest(pointer);
    expect(pointerRow!.event_ids).toHaveLength(fixture.body.shipments.length);
    expect(pointerRow).toEqual(
      row({
        at: pointerRow!.at,
        source_id: ss.id,
        result: "accepted",
        reason: "fetched",
        event_ids: pointerRow!.event_ids,
        detail: { request_id: pointer.headers.get("request-id"), content_length: expect.any(Number), resource_type: "SHIP_NOTIFY", resource_url: `${provider.url}/shipments?batchId=1` },
      }),
    );
    const trig = rows.filter((r) => (r.detail as Record<string, unknown>).trigger);
    expect(trig).toEqual([
      row({ at: await createdAt(key, triggered.json.event_ids[0]), source_id: source.id, result: "accepted", event_ids: triggered.json.event_ids, detail: { trigger: "atoship/label.created", live: false } }),
    ]);

    // The filters see the same rows.
    expect((await logOf(key, "&result=accepted")).data).toEqual(rows.filter((r) => r.result === "accepted"));
    expect((await logOf(key, "&result=duplicate,rejected")).data).toEqual(rows.filter((r) => r.result !== "accepted"));
    expect((await logOf(key, `&source=${ss.id}`)).data).toEqual([pointerRow]);
    const mid = rows[4]!;
    expect((await logOf(key, `&since=${encodeURIComponent(mid.at)}`)).data).toEqual(rows.filter((r) => r.at >= mid.at));
    expect((await logOf(key, `&until=${encodeURIComponent(mid.at)}`)).data).toEqual(rows.filter((r) => r.at < mid.at));

    // Pages of every size, both ways, give the same rows in the same order.
    for (const limit of [1, 2, 3]) {
      const pages: LogRow[][] = [];
      let cursor: string | null = null;
      let last: { prev_cursor: string | null } | null = null;
      do {
        const page = await logOf(key, cursor ? `&cursor=${encodeURIComponent(cursor)}` : "", limit);
        pages.push(page.data);
        cursor = page.next_cursor;
        last = page;
      } while (cursor);
      expect(pages.flat()).toEqual(rows);
      // Back from the last page: each prev page is the one before it.
      const back: LogRow[][] = [];
      let prev = last!.prev_cursor;
      while (prev) {
        const page = await logOf(key, `&prev_cursor=${encodeURIComponent(prev)}`, limit);
        back.unshift(page.data);
        prev = page.prev_cursor;
      }
      expect(back).toEqual(pages.slice(0, -1));
    }

    // The console lists the same rows, in the same order, with their events.
    const cookie = await signIn(key);
    const consolePage = await page("/dashboard/sources", cookie);
    expect(consolePage.status).toBe(200);
    expect([...consolePage.text.matchAll(/data-ingest-id="([^"]+)"/g)].map((m) => m[1])).toEqual(rows.map((r) => r.id));
    for (const id of accepted.json.event_ids) expect(consolePage.text).toContain(`href="/dashboard/events/${id}"`);
    const accepting = await page(`/dashboard/sources?result=accepted&source=${source.id}`, cookie);
    expect([...accepting.text.matchAll(/data-ingest-id="([^"]+)"/g)].map((m) => m[1])).toEqual(
      rows.filter((r) => r.result === "accepted" && r.source_id === source.id).map((r) => r.id),
    );

    // Registration's trigger counts: accepted and duplicate requests per provider event.
    const counts = async (sourceId: string) => (await triggerCountsByEvent(env.DB, ws.id, sourceId)).sort((a, b) => String(a.event).localeCompare(String(b.event)));
    const newest = (pred: (r: LogRow) => boolean) => Math.max(...rows.filter(pred).map((r) => Date.parse(r.at)));
    expect(await counts(source.id)).toEqual([{ event: "label.created", n: 6, last_at: newest((r) => r.source_id === source.id && r.result !== "rejected") }]);
    expect(await counts(ss.id)).toEqual([{ event: "SHIP_NOTIFY", n: 1, last_at: Date.parse(pointerRow!.at) }]);
  });
});
