import { env } from "cloudflare:test";
import { drizzle } from "drizzle-orm/d1";
import { describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client";
import { listDeliveries } from "../../src/db/deliveries-reads";
import { selectEvents, selectOrderEvents } from "../../src/db/events";
import * as schema from "../../src/db/schema";
import type { Keyset } from "../../src/lib/pagination";
import { deleteTrackingNumbersOfSql } from "../../src/db/tracking-numbers";

/**
 * The order and tracking-number lookups (src/db/events.ts, eventsOf) read events on
 * events_workspace_order_key and tracking_numbers' key, never by walking the workspace:
 * each reader's SQL, as it runs, goes through EXPLAIN QUERY PLAN.
 */

/** The SQL and parameters of every query `run` makes through drizzle. */
async function queriesOf(run: (db: Db) => Promise<unknown>): Promise<{ query: string; params: unknown[] }[]> {
  const logged: { query: string; params: unknown[] }[] = [];
  const db = drizzle(env.DB, { schema, logger: { logQuery: (query, params) => void logged.push({ query, params }) } });
  await run(db);
  expect(logged).toHaveLength(1);
  return logged;
}

async function planOf(query: string, params: unknown[]): Promise<string[]> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${query}`).bind(...params).all<{ detail: string }>();
  return results.map((r) => r.detail);
}

/** The plan reads events on events_workspace_order_key, and never scans events or walks events_workspace_created. */
function expectOrderKeyPlan(plan: string[]) {
  expect(plan.some((d) => /SEARCH events USING (COVERING )?INDEX events_workspace_order_key \(workspace_id=\? AND order_key=\?/.test(d)), plan.join("\n")).toBe(true);
  expect(plan.filter((d) => /SCAN events|events_workspace_created/.test(d)), plan.join("\n")).toEqual([]);
}
const usesTrackingKey = (plan: string[]) => plan.some((d) => /SEARCH tracking_numbers USING PRIMARY KEY \(workspace_id=\? AND tracking_number=\?\)/.test(d));

const ws = "ws_plan";
const from = { at: Date.now(), id: "evt_z" };
/** A first page, the next page, the page before. */
const keysets: Keyset[] = [{ direction: "older" }, { direction: "older", from }, { direction: "newer", from }];

describe("order lookups use events_workspace_order_key", () => {
  it("GET /v1/events ?order= and ?tracking_number=, first page and with either cursor", async () => {
    for (const k of keysets) {
      const [byOrder] = await queriesOf((db) => selectEvents(db, ws, { order: "R-1" }, k, 51));
      expectOrderKeyPlan(await planOf(byOrder!.query, byOrder!.params));

      const [byTracking] = await queriesOf((db) => selectEvents(db, ws, { trackingNumber: "1Z1", types: ["tracking.*"] }, k, 51));
      const plan = await planOf(byTracking!.query, byTracking!.params);
      expectOrderKeyPlan(plan);
      expect(usesTrackingKey(plan), plan.join("\n")).toBe(true);
    }
  });

  it("an order's timeline (by references and tracking numbers, either)", async () => {
    for (const by of [
      { references: ["R-1"], trackingNumbers: [] },
      { references: [], trackingNumbers: ["1Z1"] },
      { references: ["R-1", "R-2"], trackingNumbers: ["1Z1", "1Z2"] },
    ]) {
      const [q] = await queriesOf((db) => selectOrderEvents(db, ws, by));
      const plan = await planOf(q!.query, q!.params);
      expectOrderKeyPlan(plan);
      if (by.trackingNumbers.length) expect(usesTrackingKey(plan), plan.join("\n")).toBe(true);
    }
  });

  it("GET /v1/deliveries ?order= and ?tracking_number=", async () => {
    for (const f of [{ orders: ["R-1"] }, { trackingNumbers: ["1Z1", "1Z2"] }]) {
      const [q] = await queriesOf((db) => listDeliveries(db, ws, f, { direction: "older" }, 51));
      expectOrderKeyPlan(await planOf(q!.query, q!.params));
    }
  });

  it("retention's delete of unused pairs reads tracking_numbers by its key", async () => {
    const going = "SELECT e.id FROM events e WHERE e.workspace_id = ?1 AND e.created_at < ?2 ORDER BY e.created_at, e.id LIMIT ?3";
    const sql = deleteTrackingNumbersOfSql(going);
    const plan = await planOf(sql, [ws, 0, 10]);
    expect(plan[0], plan.join("\n")).toMatch(/SEARCH tracking_numbers USING PRIMARY KEY \(workspace_id=\? AND tracking_number=\? AND order_key=\?\)/);
    expect(plan.some((d) => /SEARCH o USING INDEX events_workspace_order_key/.test(d)), plan.join("\n")).toBe(true);
    expect(plan.filter((d) => /SCAN (events|tracking_numbers)/.test(d)), plan.join("\n")).toEqual([]);
  });
});
