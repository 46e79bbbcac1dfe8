import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { dbOf } from "../../src/db/client";
import { insertedEventIds, insertEventsStatements, type EventRow } from "../../src/db/events";
import {
  uncarriedLogStatements,
  ingestLogQuery,
  insertIngestLogStatement,
  placeLogs,
  upsertIngestLogStatements,
  type IngestLogEntry,
  type IngestLogFilter,
  type IngestLogRow,
} from "../../src/db/ingest-log";
import { listIngestLog } from "../../src/ingest/log";
import type { Keyset } from "../../src/lib/pagination";
import { atoshipEvent, atoshipWorkspace, postAtoship } from "../support/relay";

/**
 * Where the ingest log is stored: an accepted request's entry rides in the row of the event it
 * brought (`events.request`), every other entry is an `ingest_log` row, and the listing merges
 * the two (src/db/ingest-log.ts). These pin where each entry goes, that the merged listing pages
 * both ways across both kinds (rows of one millisecond included) with each entry once, and that
 * each arm of the listing walks its own key or index in order.
 */

const wsId = () => `ws_ill_${crypto.randomUUID().slice(0, 8)}`;

function event(workspaceId: string, id: string, at: number, sourceId = "src_ill"): EventRow {
  return {
    id, workspaceId, sourceId, type: "label.created", livemode: true, orderKey: null, orderReference: null, trackingNumber: null,
    sequence: null, dedupeKey: `dk_${id}`, body: JSON.stringify({ id, source: { event: "label.created" } }), raw: "{}", occurredAt: at, createdAt: at, request: null,
  };
}

function log(workspaceId: string, id: string, at: number, fields: Partial<IngestLogEntry> = {}): IngestLogEntry {
  return { id, workspaceId, sourceId: "src_ill", at, result: "accepted", reason: null, eventIds: [], httpStatus: 200, detail: { request_id: id }, ...fields };
}

/** What the listing shows for an entry (as selectIngestLog maps it). */
function listed(l: IngestLogEntry): IngestLogRow {
  return { id: l.id, workspaceId: l.workspaceId, sourceId: l.sourceId, at: l.at, result: l.result, reason: l.reason, eventId: l.eventIds[0] ?? null, eventIds: l.eventIds, httpStatus: l.httpStatus, detail: l.detail, count: 1, lastAt: null };
}

/** Writes entries as a flush does: each accepted request's log on the event it brought, the rest as rows. */
async function flush(entries: { event?: EventRow; logs: IngestLogEntry[] }[]) {
  const { events, logs, carried } = placeLogs(entries);
  const results = await env.DB.batch([...insertEventsStatements(env.DB, events), ...upsertIngestLogStatements(env.DB, logs)]);
  const uncarried = uncarriedLogStatements(env.DB, carried, insertedEventIds(results));
  if (uncarried.length) await env.DB.batch(uncarried);
}

const logRowIds = async (workspaceId: string) =>
  (await env.DB.prepare("SELECT id FROM ingest_log WHERE workspace_id = ?1 ORDER BY id").bind(workspaceId).all<{ id: string }>()).results.map((r) => r.id);
const requestIds = async (workspaceId: string) =>
  (await env.DB.prepare("SELECT request ->> '$.id' AS id FROM events WHERE workspace_id = ?1 AND request IS NOT NULL ORDER BY 1").bind(workspaceId).all<{ id: string }>()).results.map((r) => r.id);

/** Every page of the listing from the first, then back from the last with prev_cursor: both as lists of pages. */
async function walk(workspaceId: string, filter: IngestLogFilter, limit: number) {
  const db = dbOf(env);
  const forward: string[][] = [];
  let cursor: string | undefined;
  let prev: string | null = null;
  for (;;) {
    const page = await listIngestLog(db, workspaceId, filter, { limit, cursor });
    forward.push(page.data.map((r) => r.id));
    prev = page.prev_cursor;
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  const back: string[][] = [];
  while (prev) {
    const page = await listIngestLog(db, workspaceId, filter, { limit, prev_cursor: prev });
    back.unshift(page.data.map((r) => r.id));
    prev = page.prev_cursor;
  }
  return { forward, back };
}

describe("where an ingest-log entry is stored", () => {
  it("through the route: the accepted request rides on its event, the duplicate is a row", async () => {
    const { ws, source } = await atoshipWorkspace("ill-route");
    const body = atoshipEvent({ data: { label_id: "lbl_ill_route" } });
    const accepted = await postAtoship(source, body);
    const duplicate = await postAtoship(source, body);
    expect(duplicate.json.duplicate).toBe(true);
    const rows = await env.DB.prepare("SELECT result, json_extract(detail, '$.request_id') AS request_id FROM ingest_log WHERE workspace_id = ?1").bind(ws.id).all();
    expect(rows.results).toEqual([{ result: "duplicate", request_id: duplicate.headers.get("request-id") }]);
    const ev = await env.DB.prepare("SELECT request FROM events WHERE id = ?1").bind(accepted.json.event_ids[0]).first<{ request: string }>();
    const request = JSON.parse(ev!.request);
    expect(request).toEqual({
      id: expect.stringMatching(/^ilg_/),
      reason: null,
      event_ids: accepted.json.event_ids,
      http_status: 200,
      detail: { request_id: accepted.headers.get("request-id"), content_length: JSON.stringify(body).length },
    });
    const page = await listIngestLog(dbOf(env), ws.id, {}, { limit: 10 });
    expect(page.data.map((r) => r.id)).toEqual([expect.stringMatching(/^ilg_/), request.id]);
  });

  it("placeLogs: only an accepted log of its own event, at its time, goes on the event; one per event", () => {
    const ws = "ws_place";
    const at = 1_000;
    const e = event(ws, "evt_p", at);
    const own = log(ws, "ilg_own", at, { eventIds: ["evt_p", "evt_q"] });
    const sameMs = log(ws, "ilg_same_ms", at, { eventIds: ["evt_p"] });
    const dup = log(ws, "ilg_dup", at + 5, { result: "duplicate", eventIds: ["evt_p"] });
    const later = log(ws, "ilg_later", at + 5, { eventIds: ["evt_p", "evt_r"] });
    const otherSource = log(ws, "ilg_other", at, { eventIds: ["evt_p"], sourceId: "src_else" });
    const placed = placeLogs([{ event: e, logs: [otherSource, own, sameMs, dup, later] }, { logs: [log(ws, "ilg_alone", at, { eventIds: ["evt_x"] })] }]);
    expect(placed.events).toEqual([{ ...e, request: { id: "ilg_own", reason: null, event_ids: ["evt_p", "evt_q"], http_status: 200, detail: { request_id: "ilg_own" } } }]);
    expect(placed.carried.map((l) => l.id)).toEqual(["ilg_own"]);
    expect(placed.logs.map((l) => l.id)).toEqual(["ilg_other", "ilg_same_ms", "ilg_dup", "ilg_later", "ilg_alone"]);
  });

  it("a request whose event was in D1 already (its insert did nothing) is written as a row; a second flush writes nothing", async () => {
    const ws = wsId();
    const at = Date.now();
    const [knownId, freshId] = [`evt_known_${ws}`, `evt_fresh_${ws}`];
    // Stored before, without a request: an order object that no longer knew it committed it again.
    await env.DB.batch(insertEventsStatements(env.DB, [event(ws, knownId, at - 10)]));
    const known = { event: { ...event(ws, knownId, at - 10), createdAt: at }, logs: [log(ws, "ilg_known", at, { eventIds: [knownId] })] };
    const fresh = { event: event(ws, freshId, at), logs: [log(ws, "ilg_fresh", at, { eventIds: [freshId] })] };
    await flush([known, fresh]);
    expect(await logRowIds(ws)).toEqual(["ilg_known"]);
    expect(await requestIds(ws)).toEqual(["ilg_fresh"]);
    await flush([known, fresh]);
    expect(await logRowIds(ws)).toEqual(["ilg_known"]);
    expect(await requestIds(ws)).toEqual(["ilg_fresh"]);
  });
});

describe("the merged listing", () => {
  /**
   * A workspace whose log mixes both kinds: four entries in one millisecond (two rows, two on
   * events whose ids sort the other way round from their requests'), an event with no request,
   * a request shadowed by a correction row with its id, another source, and rows on either side.
   */
  async function mixed() {
    const ws = wsId();
    const t = 1_700_000_000_000;
    // Event ids are the events table's key across workspaces.
    const evt = (n: string) => `evt_${ws.slice(-8)}_${n}`;
    const rows = [
      log(ws, "ilg_t0_a", t - 7, { result: "rejected", reason: "invalid_signature", httpStatus: 401 }),
      log(ws, "ilg_t1_b", t, { result: "duplicate", eventIds: [evt("1")] }),
      log(ws, "ilg_t1_d", t, { result: "accepted", reason: "pending_fetch" }),
      log(ws, "ilg_t2_x", t + 3, { result: "rejected", reason: "commit_failed", httpStatus: 503 }),
      log(ws, "ilg_t3_a", t + 9, { result: "duplicate", sourceId: "src_two", eventIds: [evt("6")] }),
    ];
    const requests = [
      { event: event(ws, evt("1"), t - 3), log: log(ws, "ilg_t0_z", t - 3, { eventIds: [evt("1"), evt("1b")], detail: { request_id: "r1", content_length: 12 } }) },
      { event: event(ws, evt("9"), t), log: log(ws, "ilg_t1_a", t, { eventIds: [evt("9")] }) },
      { event: event(ws, evt("8"), t), log: log(ws, "ilg_t1_c", t, { eventIds: [evt("8")], reason: "fetch_refused" }) },
      { event: event(ws, evt("7"), t + 3), log: log(ws, "ilg_t2_x", t + 3, { eventIds: [evt("7")] }) },
      { event: event(ws, evt("6"), t + 9, "src_two"), log: log(ws, "ilg_t3_b", t + 9, { sourceId: "src_two", eventIds: [evt("6")] }) },
    ];
    await env.DB.batch([
      ...insertEventsStatements(env.DB, [event(ws, evt("no_request"), t)]),
      ...rows.map((r) => insertIngestLogStatement(env.DB, r)),
    ]);
    await flush(requests.map((r) => ({ event: r.event, logs: [r.log] })));
    // Newest first on (at, id); the shadowed request is listed as its correction row.
    const all = [...rows, ...requests.filter((r) => r.log.id !== "ilg_t2_x").map((r) => r.log)].sort((a, b) => b.at - a.at || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0));
    return { ws, t, all };
  }

  it("lists each entry once with its fields, newest first on (at, id)", async () => {
    const { ws, all } = await mixed();
    expect(await requestIds(ws)).toEqual(["ilg_t0_z", "ilg_t1_a", "ilg_t1_c", "ilg_t2_x", "ilg_t3_b"]);
    const page = await listIngestLog(dbOf(env), ws, {}, { limit: 100 });
    expect(page).toEqual({ data: all.map(listed), next_cursor: null, prev_cursor: null });
    expect(page.data.map((r) => r.id)).toEqual(["ilg_t3_b", "ilg_t3_a", "ilg_t2_x", "ilg_t1_d", "ilg_t1_c", "ilg_t1_b", "ilg_t1_a", "ilg_t0_z", "ilg_t0_a"]);
    expect(page.data.find((r) => r.id === "ilg_t2_x")).toMatchObject({ result: "rejected", httpStatus: 503, eventIds: [] });
  });

  it("pages both ways across both kinds and within one millisecond, by every page size", async () => {
    const { ws, all } = await mixed();
    for (const limit of [1, 2, 3, 4, 5]) {
      const { forward, back } = await walk(ws, {}, limit);
      expect(forward.flat()).toEqual(all.map((l) => l.id));
      for (const p of forward) expect(p.length).toBeLessThanOrEqual(limit);
      expect(back).toEqual(forward.slice(0, -1));
    }
  });

  it("filters by result, source and time on both kinds", async () => {
    const { ws, t, all } = await mixed();
    const ids = (pred: (l: IngestLogEntry) => boolean) => all.filter(pred).map((l) => l.id);
    const cases: [IngestLogFilter, string[]][] = [
      [{ results: ["accepted"] }, ids((l) => l.result === "accepted")],
      [{ results: ["rejected"] }, ids((l) => l.result === "rejected")],
      [{ results: ["duplicate", "rejected"] }, ids((l) => l.result !== "accepted")],
      [{ results: ["accepted", "duplicate"] }, ids((l) => l.result !== "rejected")],
      [{ sources: ["src_two"] }, ["ilg_t3_b", "ilg_t3_a"]],
      [{ sources: ["src_ill", "src_two"], results: ["accepted"] }, ids((l) => l.result === "accepted")],
      [{ since: t, until: t + 3 }, ["ilg_t1_d", "ilg_t1_c", "ilg_t1_b", "ilg_t1_a"]],
      [{ since: t + 1 }, ["ilg_t3_b", "ilg_t3_a", "ilg_t2_x"]],
    ];
    for (const [filter, expected] of cases) {
      for (const limit of [2, 100]) {
        const { forward, back } = await walk(ws, filter, limit);
        expect(forward.flat(), JSON.stringify(filter)).toEqual(expected);
        expect(back).toEqual(forward.slice(0, -1));
      }
    }
    expect(ids((l) => l.result === "accepted")).toEqual(["ilg_t3_b", "ilg_t1_d", "ilg_t1_c", "ilg_t1_a", "ilg_t0_z"]);
  });

  it("each arm walks its own key or index in order: no sort of the workspace", async () => {
    const plan = async (filter: IngestLogFilter, from: Keyset) => {
      const q = ingestLogQuery("ws_x", filter, from, 51);
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).bind(...q.params).all<{ detail: string }>();
      return results.map((r) => r.detail);
    };
    const cursor = { at: 5, id: "ilg_x" };
    // The events arm is bounded twice: by the cursor, and by how far the page of ingest_log rows reaches.
    for (const [from, op, reach] of [
      [{ direction: "older" }, "", " AND created_at>?"],
      [{ direction: "older", from: cursor }, " AND at<?", " AND created_at>? AND created_at<?"],
      [{ direction: "newer", from: cursor }, " AND at>?", " AND created_at>? AND created_at<?"],
    ] as const) {
      const p = await plan({}, from);
      expect(p[0]).toBe("MERGE (UNION ALL)");
      expect(p).toContain(`SEARCH l USING PRIMARY KEY (workspace_id=?${op})`);
      expect(p).toContain(`SEARCH e USING INDEX events_workspace_created (workspace_id=?${reach})`);
      // The correction check is a lookup by key.
      expect(p).toContain("SEARCH c USING PRIMARY KEY (workspace_id=? AND at=? AND id=?)");
      // Sorted: the page of ingest_log rows (at most the limit), and an event's millisecond by the
      // request's id — never an arm's walk.
      expect(p.filter((d) => d.includes("TEMP B-TREE"))).toEqual(["USE TEMP B-TREE FOR ORDER BY", "USE TEMP B-TREE FOR LAST TERM OF ORDER BY"]);
      expect(p[p.indexOf("USE TEMP B-TREE FOR ORDER BY") - 1]).toBe("SCAN page");
      expect(p.join(" | ")).not.toMatch(/SCAN (l|e)\b/);
    }
    const filtered = await plan({ sources: ["src_a", "src_b"], results: ["accepted", "duplicate"], since: 1, until: 9 }, { direction: "older" });
    expect(filtered).toContain("SEARCH l USING PRIMARY KEY (workspace_id=? AND at>? AND at<?)");
    expect(filtered).toContain("SEARCH e USING INDEX events_workspace_created (workspace_id=? AND created_at>? AND created_at<?)");
    // No accepted rows asked for: the events arm is not read at all.
    const refused = await plan({ results: ["rejected"] }, { direction: "older" });
    expect(refused[0]).toBe("SEARCH l USING PRIMARY KEY (workspace_id=?)");
    expect(refused.join(" | ")).not.toMatch(/events|TEMP B-TREE/);
  });
});

describe("a workspace whose events carry few requests", () => {
  it("a page the ingest_log rows fill reads only the events of its own time span", async () => {
    const ws = wsId();
    const t = 1_710_000_000_000;
    // 400 older events without a request (a pointer provider's, fetched later), then 60 log rows.
    const quiet = Array.from({ length: 400 }, (_, i) => ({ ...event(ws, `evt_${ws.slice(-8)}_q${i}`, t + i), request: null }));
    await env.DB.batch(insertEventsStatements(env.DB, quiet));
    await env.DB.batch(upsertIngestLogStatements(env.DB, Array.from({ length: 60 }, (_, i) => log(ws, `ilg_pt_${String(i).padStart(3, "0")}`, t + 1_000 + i, { reason: "pending_fetch" }))));
    const q = ingestLogQuery(ws, {}, { direction: "older" }, 51);
    const r = await env.DB.prepare(q.sql).bind(...q.params).all<{ id: string }>();
    expect(r.results).toHaveLength(51);
    // The page's rows, read a few times over (the page, its reach, the merge) — fewer than the 400
    // events behind it, which an unbounded events arm walks before it can answer.
    expect(r.meta.rows_read).toBeLessThan(400);
    // The last page still reaches them: every entry is listed once.
    const all = await listIngestLog(dbOf(env), ws, {}, { limit: 500 });
    expect(all.data.map((d) => d.id)).toEqual(Array.from({ length: 60 }, (_, i) => `ilg_pt_${String(59 - i).padStart(3, "0")}`));
  });
});

