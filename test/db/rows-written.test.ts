import { env } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { countingD1 } from "../../scripts/bench/worker/counting-d1";
import { OpCounter } from "../../scripts/bench/worker/op-counts";
import { purgeExpired } from "../../src/housekeeping/retention";
import { mockEndpoint } from "../support/mock";
import { atoshipEvent, atoshipWorkspace, createDestination, eventually, postAtoship } from "../support/relay";

/**
 * D1 bills every row written, each index entry and each delete included. This file drives one
 * event with one destination through the real runtime — ingest, the order object's commit, the
 * queue, the consumer's claim and record — and sums `meta.rows_written` of every D1 statement
 * any of them runs, per table (the bench's counting wrapper, scripts/bench/worker/counting-d1.ts,
 * installed on the D1 binding's prototype so the order object's and the consumer's own `env.DB`
 * are counted too). Before this design the same event wrote 28 rows: events 7, event_payloads 2,
 * ingest_log 4, deliveries 11 (insert 7, claim 1, finish 3), attempts 4. It runs in a runtime of its own (vitest.config.ts, ISOLATED): nothing else
 * writes meanwhile. An index added without thinking, or a second write of a row, fails it.
 */

const counter = new OpCounter();
const counts = counter.scope("other");

type Proto = { prepare(sql: string): D1PreparedStatement; batch(s: D1PreparedStatement[]): Promise<D1Result[]> };
const proto = Object.getPrototypeOf(env.DB) as Proto;
const original = { prepare: proto.prepare, batch: proto.batch };
let counting = false;

function counted(db: D1Database): D1Database {
  const real = { prepare: (sql: string) => original.prepare.call(db, sql), batch: (s: D1PreparedStatement[]) => original.batch.call(db, s) };
  return countingD1(real as unknown as D1Database, counts);
}
proto.prepare = function (this: D1Database, sql: string) {
  return counting ? counted(this).prepare(sql) : original.prepare.call(this, sql);
};
proto.batch = function (this: D1Database, statements: D1PreparedStatement[]) {
  return counting ? counted(this).batch(statements) : original.batch.call(this, statements);
};
afterAll(() => Object.assign(proto, original));

/** Rows written per table since counting began. */
function rowsByTable(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, t] of Object.entries(counter.snapshot().other.tables)) if (t.rowsWritten > 0) out[key.replace(/^d1:/, "")] = t.rowsWritten;
  return out;
}

/** The first test's workspace, for the same shipment's next event. */
let shipment: { source: Awaited<ReturnType<typeof atoshipWorkspace>>["source"]; endpoint: Awaited<ReturnType<typeof mockEndpoint>> } | undefined;

describe("rows written per event in D1", () => {
  it(
    "one event, one destination, first attempt succeeds: events 3 + tracking_numbers 1 + ingest_log 0 + deliveries 5 (insert 3, claim 1, finish 1) + attempts 0 + event_payloads 0 = 9",
    async () => {
      const { key, source } = await atoshipWorkspace("rows-written");
      const endpoint = await mockEndpoint();
      await createDestination(key, { url: endpoint.url });
      shipment = { source, endpoint };

      counting = true;
      // An event with an order reference and a tracking number: one order-key entry serves both,
      // and its (tracking number, order key) pair is new.
      const res = await postAtoship(source, atoshipEvent({ data: { order_id: "ord_rows", tracking_number: "1Z_ROWS" } }));
      expect(res.status).toBe(200);
      await eventually(async () => {
        const d = await env.DB.prepare("SELECT status, lease_until FROM deliveries WHERE event_id = ?1").bind(res.json.event_ids[0]).first<{ status: string; lease_until: number | null }>();
        return d?.status === "succeeded" && d.lease_until === null;
      });
      counting = false;

      expect(await endpoint.requests()).toHaveLength(1);
      expect(rowsByTable()).toEqual({
        // the row (WITHOUT ROWID: no autoindex) + workspace_created + workspace_order_key (before:
        // workspace_order and workspace_tracking, 4); the request's ingest-log entry rides in the
        // row (`events.request`): no row of its own
        events: 3,
        // the new pair (WITHOUT ROWID: the key is the table); the shipment's next events write none
        tracking_numbers: 1,
        // ingest_log: none — the accepted request's entry is on its event's row (before: 1, the row
        // alone; a duplicate or a refusal still writes its row)
        // insert: the row + destination_created + open (3) — its event's deliveries are a range
        // of its id (before: deliveries_event, 1 more), and a workspace's deliveries are its
        // events' (before: deliveries_workspace_created, 1 more); the claim's lease: the row (1);
        // the finish: the row (1) — leaving the open partial index deletes its entry, which D1
        // does not report as a row written, and no full index holds status, so nothing is
        // re-inserted (before: status in two full indexes, 2 more rows)
        deliveries: 5,
      });
      expect(counter.snapshot().other.d1RowsWritten).toBe(9);
    },
  );

  it("the shipment's next event: no tracking pair written, nor its statement sent (the order object knows it wrote it)", async () => {
    const { source, endpoint } = shipment!;
    const before = counter.snapshot().other;
    const pairsBefore = { ...before.tables["d1:tracking_numbers"]! };
    const rowsBefore = before.d1RowsWritten;
    counting = true;
    const res = await postAtoship(source, atoshipEvent({ event: "label.voided", data: { order_id: "ord_rows", tracking_number: "1Z_ROWS" } }));
    expect(res.json.duplicate).toBe(false);
    await endpoint.waitForRequests(2);
    await eventually(async () => {
      const d = await env.DB.prepare("SELECT status, lease_until FROM deliveries WHERE event_id = ?1").bind(res.json.event_ids[0]).first<{ status: string; lease_until: number | null }>();
      return d?.status === "succeeded" && d.lease_until === null;
    });
    counting = false;
    const after = counter.snapshot().other;
    expect(after.tables["d1:tracking_numbers"]).toEqual(pairsBefore);
    expect(after.d1RowsWritten - rowsBefore).toBe(8);
    // Still found by its tracking number.
    const found = await env.DB.prepare("SELECT count(*) AS n FROM tracking_numbers WHERE tracking_number = '1Z_ROWS'").first<{ n: number }>();
    expect(found!.n).toBe(1);
  });
});

describe("rows written when retention removes those events", () => {
  it("the purge after RETENTION_DAYS deletes each row once: events 2 + their shared tracking pair 1 + ingest_log 0 + deliveries 2 = 5", async () => {
    const before = rowsByTable();
    counting = true;
    const report = await purgeExpired(env, Date.now() + 31 * 86_400_000);
    counting = false;
    // The request's ingest-log entry is in the event's row and goes with it (before: an ingest_log row, 1 more).
    expect(report).toMatchObject({ deliveries: 2, events: 2, ingest_log: 0 });
    const after = rowsByTable();
    const deleted = Object.fromEntries(Object.keys(after).map((t) => [t, after[t]! - (before[t] ?? 0)]).filter(([, n]) => n !== 0));
    // D1 reports a delete as one row written, its index entries included (the bench adds these
    // to the per-event price: scripts/bench/report-ops.mjs retentionRows).
    expect(deleted).toEqual({ events: 2, tracking_numbers: 1, deliveries: 2 });
  });
});
