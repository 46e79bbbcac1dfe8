import { env } from "cloudflare:test";
import { drizzle } from "drizzle-orm/d1";
import { describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client";
import { countReplaySet, EXPIRED_IDS_SQL, reopenReplayPage, type ReplaySet } from "../../src/db/deliveries-pages";
import { deliveryCountsSince, listDeliveries, type DeliveryFilter } from "../../src/db/deliveries-reads";
import * as schema from "../../src/db/schema";
import type { Keyset } from "../../src/lib/pagination";

/**
 * No index lists a workspace's deliveries (src/db/deliveries-walks.ts): every walk of them goes
 * through the workspace's events in index order, each joined to its deliveries by key range, or
 * through deliveries_destination_created, one range per destination. Each reader's SQL, as it
 * runs, goes through EXPLAIN QUERY PLAN: the order comes from an index (at most a sort of the
 * deliveries of one event, "LAST TERM OF ORDER BY"), never from sorting all the rows walked.
 */

/** The SQL and parameters of every query `run` makes through drizzle. */
async function queriesOf(run: (db: Db) => Promise<unknown>): Promise<{ query: string; params: unknown[] }[]> {
  const logged: { query: string; params: unknown[] }[] = [];
  const db = drizzle(env.DB, { schema, logger: { logQuery: (query, params) => void logged.push({ query, params }) } });
  await run(db);
  return logged;
}

async function planOf(query: string, params: unknown[]): Promise<string[]> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${query}`).bind(...params).all<{ detail: string }>();
  return results.map((r) => r.detail);
}

/** The plan of the one statement `run` makes. */
async function planOfOne(run: (db: Db) => Promise<unknown>): Promise<string[]> {
  const qs = await queriesOf(run);
  expect(qs).toHaveLength(1);
  return planOf(qs[0]!.query, qs[0]!.params);
}

const EVENTS_CREATED = /^SEARCH (events|e) USING (COVERING )?INDEX events_workspace_created \(workspace_id=\?/;
const EVENTS_ORDER_KEY = /^SEARCH events USING (COVERING )?INDEX events_workspace_order_key \(workspace_id=\? AND order_key=\?/;
const BY_KEY = "SEARCH deliveries USING PRIMARY KEY (id>? AND id<?)";
const BY_LEGACY = "SEARCH deliveries USING INDEX deliveries_event_legacy (event_id=?)";

/**
 * Events first, on `eventsIndex`, then each event's deliveries by key range and the legacy
 * index; no other read of deliveries (but `also`), no scan, no sort of the whole result.
 */
function expectThroughEvents(plan: string[], eventsIndex = EVENTS_CREATED, also: string[] = []) {
  const text = plan.join("\n");
  const first = plan.findIndex((d) => /^SEARCH (events|e) /.test(d));
  expect(plan[first], text).toMatch(eventsIndex);
  expect(plan.filter((d) => /^SEARCH (events|e) /.test(d)), text).toHaveLength(1);
  expect(plan.filter((d) => /\bdeliveries\b/.test(d)).sort(), text).toEqual([BY_KEY, BY_LEGACY, ...also].sort());
  expect(plan.indexOf(BY_KEY), text).toBeGreaterThan(first);
  expect(plan.filter((d) => /^SCAN (events|deliveries|e)\b/.test(d)), text).toEqual([]);
  expect(plan.filter((d) => d === "USE TEMP B-TREE FOR ORDER BY"), text).toEqual([]);
}

/**
 * One range of deliveries_destination_created per destination, merged in order: no sort, no
 * other read of deliveries; bounded by the cursor when there is one.
 */
function expectThroughDestinations(plan: string[], legs: number, cursor: boolean) {
  const text = plan.join("\n");
  const ranges = plan.filter((d) => /^SEARCH deliveries USING INDEX deliveries_destination_created \(destination_id=\?/.test(d));
  expect(ranges, text).toHaveLength(legs);
  expect(plan.filter((d) => /\bdeliveries\b/.test(d)), text).toEqual(ranges);
  if (legs > 1) expect(plan, text).toContain("MERGE (UNION ALL)");
  // A replay's UPDATE reads the merged page as a co-routine (SCAN (subquery-N)): that page, no table.
  expect(plan.filter((d) => /TEMP B-TREE|^SCAN (?!\(subquery-\d+\))/.test(d)), text).toEqual([]);
  if (cursor) for (const range of ranges) expect(range, text).toMatch(/\(created_at,id\)[<>]\(\?,\?\)/);
}

const ws = "ws_walks";
const at = Date.now();
const current = { at, id: "dlv_0123456789abcdefghjkmnpqrs0123456789" };
const legacy = { at, id: "dlv_srqpnmkjhgfedcba9876543210" };
/** A first page; the next page and the page before, from a current and from a legacy delivery's cursor. */
const keysets: Keyset[] = [
  { direction: "older" },
  { direction: "older", from: current },
  { direction: "newer", from: current },
  { direction: "older", from: legacy },
  { direction: "newer", from: legacy },
];

describe("the delivery list without a destination walks the workspace's events", () => {
  it("newest first and back, with and without the filters on the event's or the delivery's fields", async () => {
    const filters: DeliveryFilter[] = [
      {},
      { statuses: ["failed"] },
      { statuses: ["pending", "retrying"], eventTypes: ["label.*", "tracking.updated"] },
      { sources: ["src_a", "src_b"], since: at - 86_400_000, until: at + 1 },
    ];
    for (const f of filters) {
      for (const k of keysets) {
        const plan = await planOfOne((db) => listDeliveries(db, ws, f, k, 51));
        // A legacy cursor's event id is read off its row, by key.
        const lookup = k.from === legacy ? ["SEARCH deliveries USING PRIMARY KEY (id=?)"] : [];
        expectThroughEvents(plan, EVENTS_CREATED, lookup.length ? [...lookup, ...lookup] : []);
        // The cursor bounds the events' range (not a since or until it makes redundant).
        if (k.from) expect(plan.find((d) => EVENTS_CREATED.test(d)), JSON.stringify(k)).toMatch(/\(created_at,id\)[<>]\(\?,\?\)/);
      }
    }
  });

  it("an order's deliveries walk its events on events_workspace_order_key", async () => {
    for (const k of keysets.slice(0, 3)) {
      expectThroughEvents(await planOfOne((db) => listDeliveries(db, ws, { orders: ["R-1"] }, k, 51)), EVENTS_ORDER_KEY);
    }
  });

  it("more destinations than one statement can bind legs for: the events' walk, filtered by destination", async () => {
    const many = Array.from({ length: 40 }, (_, i) => `dst_${i}`);
    expectThroughEvents(await planOfOne((db) => listDeliveries(db, ws, { destinationIds: many, statuses: ["failed", "succeeded"] }, { direction: "older" }, 51)));
  });
});

describe("the delivery list with destinations reads their ranges of deliveries_destination_created", () => {
  it("one destination or several, both directions, with the delivery's own filters", async () => {
    for (const destinationIds of [["dst_a"], ["dst_a", "dst_b", "dst_c"]]) {
      for (const k of keysets.slice(0, 3)) {
        const f: DeliveryFilter = { destinationIds, statuses: ["failed"], eventTypes: ["label.*"], since: at - 1000, until: at + 1 };
        expectThroughDestinations(await planOfOne((db) => listDeliveries(db, ws, f, k, 51)), destinationIds.length, !!k.from);
      }
    }
  });

  it("with a filter on the event's fields, the events are the way in (an order's few), not each destination's range", async () => {
    const plan = await planOfOne((db) => listDeliveries(db, ws, { destinationIds: ["dst_a", "dst_b"], orders: ["R-1"] }, { direction: "older" }, 51));
    expectThroughEvents(plan, EVENTS_ORDER_KEY);
  });
});

describe("the other walks of a workspace's deliveries", () => {
  it("counts since (the console's overview)", async () => {
    const plan = await planOfOne((db) => deliveryCountsSince(db, ws, at));
    expectThroughEvents(plan);
    expect(plan.find((d) => EVENTS_CREATED.test(d))).toMatch(/created_at>\?/);
  });

  it("retention's expired walk: the events received before the cutoff, oldest first, no sort at all", async () => {
    const plan = await planOf(EXPIRED_IDS_SQL, [ws, at, 200]);
    expectThroughEvents(plan);
    expect(plan.find((d) => EVENTS_CREATED.test(d))).toMatch(/created_at<\?/);
    expect(plan.filter((d) => /TEMP B-TREE/.test(d)), plan.join("\n")).toEqual([]);
  });

  it("a bulk resend by filter: its total and its pages (oldest first from the walk's cursor) walk the events", async () => {
    const set: ReplaySet = { workspaceId: ws, filter: { statuses: ["failed"], eventTypes: ["label.*"] }, snapshotAt: at };
    expectThroughEvents(await planOfOne((db) => countReplaySet(db, set)));
    for (const after of [{ at: -1, id: "" }, current]) {
      const plan = await planOfOne((db) => reopenReplayPage(db, "rpl_x", set, after, at, 100));
      // The UPDATE takes the page's rows by key; the page is the walk.
      expect(plan[0], plan.join("\n")).toBe("SEARCH deliveries USING PRIMARY KEY (id=?)");
      const page = plan.slice(1).filter((d) => !/SCALAR SUBQUERY|REUSE SUBQUERY|^SEARCH deliveries USING PRIMARY KEY \(id=\?\)$/.test(d));
      expectThroughEvents(page);
    }
  });

  it("a range replay (one destination) walks its range; a bulk resend of several destinations merges theirs", async () => {
    for (const destinationIds of [["dst_a"], ["dst_a", "dst_b"]]) {
      const set: ReplaySet = { workspaceId: ws, filter: { destinationIds, statuses: ["failed"], since: at - 1000 }, snapshotAt: at };
      // The walk's start (before since: since bounds it) and a page further on (the cursor does).
      for (const after of [{ at: -1, id: "" }, current]) {
        const plan = await planOfOne((db) => reopenReplayPage(db, "rpl_x", set, after, at, 100));
        expect(plan[0], plan.join("\n")).toBe("SEARCH deliveries USING PRIMARY KEY (id=?)");
        expectThroughDestinations(plan.slice(1), destinationIds.length, true);
      }
    }
  });
});
