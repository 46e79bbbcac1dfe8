import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { countingEnv } from "../../scripts/bench/worker/counting-env";
import { OpCounter } from "../../scripts/bench/worker/op-counts";
import { orderShards } from "../../src/lib/config";
import { sequencerName } from "../../src/orders/identity";
import type { EventRow } from "../../src/db/events";
import { GroupCommit, type CommitWrite } from "../../src/orders/group-commit";
import { atoshipEvent, atoshipWorkspace, BASE, hmacHex, ingestPath } from "../support/relay";

/**
 * Group commit (src/orders/group-commit.ts): commits that meet in one order object while a
 * flush is in flight go to D1 together. Run against the real D1 and delivery queue; the D1
 * binding is wrapped only to count its calls.
 */

async function workspaceRow(name: string) {
  const { ws } = await atoshipWorkspace(name);
  const version = (await env.DB.prepare("SELECT config_version AS v FROM workspaces WHERE id = ?1").bind(ws.id).first<{ v: number }>())!.v;
  return { workspaceId: ws.id as string, version };
}

function eventWrite(workspaceId: string, configVersion: number | null, n: string, overrides: Partial<EventRow> = {}): CommitWrite {
  const id = `evt_gc_${n}_${crypto.randomUUID().slice(0, 8)}`;
  const now = Date.now();
  return {
    workspaceId,
    configVersion,
    events: [
      {
        id,
        workspaceId,
        sourceId: "src_test",
        type: "label.created",
        livemode: true,
        orderKey: `order:gc_${n}`,
        orderReference: `gc_${n}`,
        trackingNumber: null,
        sequence: 1,
        dedupeKey: `src_test:id:${id}`,
        body: JSON.stringify({ id }),
        raw: "{}",
        occurredAt: now,
        createdAt: now,
        ...overrides,
      },
    ],
    payloads: [{ eventId: id, workspaceId, raw: `{"n":"${n}"}` }],
    deliveries: [],
    logs: [],
    messages: [],
  };
}

async function stored(ids: string[]) {
  const rows = await env.DB.prepare(`SELECT id FROM events WHERE id IN (${ids.map(() => "?").join(",")})`)
    .bind(...ids)
    .all<{ id: string }>();
  return rows.results.map((r) => r.id).sort();
}

describe("group commit: the commits that meet in one order object share a D1 batch", () => {
  it("writes that arrive while a flush is in flight go together in the next: 1 + 7 writes in 2 D1 batches", async () => {
    const { workspaceId, version } = await workspaceRow("gc-together");
    const counter = new OpCounter();
    const writer = new GroupCommit(countingEnv(env, counter.scope("order_do")));
    const writes = Array.from({ length: 8 }, (_, i) => eventWrite(workspaceId, version, `t${i}`));
    const outcomes = await Promise.all(writes.map((w) => writer.write(w)));
    expect(outcomes).toEqual(Array(8).fill("written"));
    expect(await stored(writes.map((w) => w.events[0]!.id))).toEqual(writes.map((w) => w.events[0]!.id).sort());
    const counts = counter.snapshot().order_do;
    expect(counts.d1RoundTrips).toBe(2);
    // Per flush: the guard and one statement per table, whatever the number of writes (small
    // payloads ride in their events' rows: no event_payloads statement).
    expect(counts.d1Statements).toBe(2 * 2);
  });

  it("a write on a stale config version among fresh ones: it alone is answered stale_config, the others are written", async () => {
    const { workspaceId, version } = await workspaceRow("gc-stale");
    const writer = new GroupCommit(env);
    const first = eventWrite(workspaceId, version, "s0");
    const fresh = eventWrite(workspaceId, version, "s1");
    const stale = eventWrite(workspaceId, version - 1, "s2");
    const outcomes = await Promise.all([writer.write(first), writer.write(fresh), writer.write(stale)]);
    expect(outcomes).toEqual(["written", "written", "stale_config"]);
    expect(await stored([first, fresh, stale].map((w) => w.events[0]!.id))).toEqual([first, fresh].map((w) => w.events[0]!.id).sort());
  });

  it("a write D1 refuses fails alone: the rest of its flush is written, nothing is half-written", async () => {
    const { workspaceId, version } = await workspaceRow("gc-poison");
    const writer = new GroupCommit(env);
    const ok = [eventWrite(workspaceId, version, "p0"), eventWrite(workspaceId, version, "p1"), eventWrite(workspaceId, version, "p3")];
    // A body D1 must refuse (NOT NULL): with OR IGNORE it would have vanished silently.
    const bad = eventWrite(workspaceId, version, "p2", { body: null as unknown as string });
    const outcomes = await Promise.allSettled([writer.write(ok[0]!), writer.write(ok[1]!), writer.write(bad), writer.write(ok[2]!)]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect(await stored([...ok, bad].map((w) => w.events[0]!.id))).toEqual(ok.map((w) => w.events[0]!.id).sort());
    const payload = await env.DB.prepare("SELECT count(*) AS n FROM event_payloads WHERE event_id = ?1").bind(bad.events[0]!.id).first<{ n: number }>();
    expect(payload!.n).toBe(0);
  });

  it("a payload near the 1 MiB limit is written whole, next to small ones", async () => {
    const { workspaceId, version } = await workspaceRow("gc-large");
    const writer = new GroupCommit(env);
    const small = eventWrite(workspaceId, version, "l0");
    const large = eventWrite(workspaceId, version, "l1");
    large.payloads[0]!.raw = JSON.stringify({ blob: '"quoted" '.repeat(110_000) }); // ~1 MB, doubles when escaped
    expect(await Promise.all([writer.write(small), writer.write(large)])).toEqual(["written", "written"]);
    const raw = await env.DB.prepare("SELECT raw FROM event_payloads WHERE event_id = ?1").bind(large.events[0]!.id).first<{ raw: string }>();
    expect(raw!.raw).toBe(large.payloads[0]!.raw);
  });

  it("through the ingest route: concurrent callbacks of different orders in one object are each stored, sequenced and delivered once", async () => {
    const { ws, source } = await atoshipWorkspace("gc-route");
    const shards = orderShards(env);
    const target = sequencerName(ws.id, "order:ord_gc_0", "", shards);
    const orders = ["ord_gc_0"];
    for (let i = 1; orders.length < 6 && i < 100_000; i++) {
      if (sequencerName(ws.id, `order:ord_gc_${i}`, "", shards) === target) orders.push(`ord_gc_${i}`);
    }
    expect(orders).toHaveLength(6);
    const answers = await Promise.all(
      orders.map(async (order) => {
        const raw = JSON.stringify(atoshipEvent({ data: { order_id: order, label_id: `lbl_${order}` } }));
        const res = await SELF.fetch(`${BASE}${ingestPath(source)}`, {
          method: "POST",
          body: raw,
          headers: { "content-type": "application/json", "x-atoship-signature": `sha256=${await hmacHex(source.secret!, raw)}` },
        });
        return { status: res.status, json: (await res.json()) as { event_ids: string[]; duplicate: boolean } };
      }),
    );
    for (const a of answers) expect(a).toMatchObject({ status: 200, json: { duplicate: false } });
    const ids = answers.map((a) => a.json.event_ids[0]!);
    const rows = await env.DB.prepare(`SELECT order_reference, sequence FROM events WHERE id IN (${ids.map(() => "?").join(",")})`)
      .bind(...ids)
      .all<{ order_reference: string; sequence: number }>();
    expect(rows.results.map((r) => r.order_reference).sort()).toEqual([...orders].sort());
    for (const r of rows.results) expect(r.sequence).toBe(1);
    const logs = await env.DB.prepare("SELECT result, event_id FROM ingest_log WHERE source_id = ?1").bind(source.id).all<{ result: string; event_id: string }>();
    expect(logs.results.map((l) => l.event_id).sort()).toEqual([...ids].sort());
    expect(logs.results.every((l) => l.result === "accepted")).toBe(true);
  });
});
