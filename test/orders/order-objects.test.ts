import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { orderShards } from "../../src/lib/config";
import { sequencerName } from "../../src/orders/identity";
import type { OrderSequencer } from "../../src/orders/sequencer";
import { handleIngest } from "../../src/ingest/route";
import { atoshipEvent, atoshipWorkspace, BASE, hmacHex, ingestPath, postAtoship, eventually } from "../support/relay";

/** Two order references of this workspace that land on the same order object. */
function collidingOrders(workspaceId: string, shards: number): [string, string] {
  const first = "ord_shared_0";
  const target = sequencerName(workspaceId, `order:${first}`, "", shards);
  for (let i = 1; i < 10_000; i++) {
    const candidate = `ord_shared_${i}`;
    if (sequencerName(workspaceId, `order:${candidate}`, "", shards) === target) return [first, candidate];
  }
  throw new Error("no colliding order reference found");
}

/** The event's sequence as D1 stores it, once the order object's outbox has written it. */
async function sequenceOf(eventId: string): Promise<number | null> {
  const row = await eventually(() => env.DB.prepare("SELECT sequence FROM events WHERE id = ?").bind(eventId).first<{ sequence: number | null }>());
  return row.sequence;
}

describe("order objects: sharding by order key (ORDER_SHARDS)", () => {
  it("the configured shard count is the deployment's (wrangler.toml)", () => {
    expect(orderShards(env)).toBe(Number(env.ORDER_SHARDS));
    expect(orderShards(env)).toBeGreaterThan(0);
  });

  it("orderShards: unset means the default; a value that is not a whole number in range is an error naming ORDER_SHARDS", () => {
    const base = { ...env } as Env;
    expect(orderShards({ ...base, ORDER_SHARDS: "0" })).toBe(0);
    expect(orderShards({ ...base, ORDER_SHARDS: "128" })).toBe(128);
    expect(orderShards({ ...base, ORDER_SHARDS: "" })).toBe(64);
    for (const bad of ["-1", "1.5", "4097", "many", "6a"]) expect(() => orderShards({ ...base, ORDER_SHARDS: bad }), bad).toThrow(/ORDER_SHARDS/);
  });

  it("names are stable, per workspace, and spread over exactly the shard count", () => {
    const names = new Set<string>();
    for (let i = 0; i < 2000; i++) names.add(sequencerName("ws_a", `order:ord_${i}`, "", 16));
    expect(names.size).toBe(16);
    expect(sequencerName("ws_a", "order:ord_1", "", 16)).toBe(sequencerName("ws_a", "order:ord_1", "evt_other", 16));
    expect(sequencerName("ws_a", "order:ord_1", "", 16).startsWith("ws_a|shard:16:")).toBe(true);
    expect(sequencerName("ws_b", "order:ord_1", "", 16).startsWith("ws_b|")).toBe(true);
    // Unsequenced events spread by event id over the same objects.
    const unsequenced = new Set(Array.from({ length: 500 }, (_, i) => sequencerName("ws_a", null, `evt_${i.toString(36)}`, 16)));
    expect(unsequenced.size).toBe(16);
  });

  it("with ORDER_SHARDS = 0 every order key has its own object (EVENTS.md's literal layout)", () => {
    expect(sequencerName("ws_a", "order:ord_1", "", 0)).toBe("ws_a|order:ord_1");
    expect(sequencerName("ws_a", null, "evt_q123", 0)).toBe("ws_a|unsequenced:q");
  });

  it("two orders sharing an object keep separate sequences and separate dedupe", async () => {
    const { ws, source } = await atoshipWorkspace("shared-object");
    const shards = orderShards(env);
    const [a, b] = collidingOrders(ws.id, shards);
    const ids: Record<string, string[]> = { [a]: [], [b]: [] };
    // Interleaved: a1 b1 a2 b2 a3 b3.
    for (let i = 0; i < 3; i++) {
      for (const order of [a, b]) {
        const r = await postAtoship(source, atoshipEvent({ data: { order_id: order, label_id: `lbl_${order}_${i}` } }));
        expect(r.status).toBe(200);
        ids[order]!.push(r.json.event_ids[0]);
      }
    }
    expect(await Promise.all(ids[a]!.map(sequenceOf))).toEqual([1, 2, 3]);
    expect(await Promise.all(ids[b]!.map(sequenceOf))).toEqual([1, 2, 3]);

    const stub = env.ORDERS.get(env.ORDERS.idFromName(sequencerName(ws.id, `order:${a}`, "", shards)));
    expect(await stub.peekSequence(`order:${a}`)).toBe(3);
    expect(await stub.peekSequence(`order:${b}`)).toBe(3);
    const seen = await runInDurableObject(stub, (_i: OrderSequencer, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM dedupe").one().n);
    expect(seen).toBe(6);

    // A re-sent event of one order is a duplicate; the other order is not disturbed.
    const again = await postAtoship(source, atoshipEvent({ data: { order_id: a, label_id: `lbl_${a}_1` } }));
    expect(again.json.duplicate).toBe(true);
    expect(again.json.event_ids).toEqual([ids[a]![1]]);
    const next = await postAtoship(source, atoshipEvent({ data: { order_id: b, label_id: `lbl_${b}_9` } }));
    expect(await sequenceOf(next.json.event_ids[0])).toBe(4);
  });

  it("concurrent callbacks for two orders on one object are all committed, each order numbered without gaps", async () => {
    const { ws, source } = await atoshipWorkspace("shared-object-concurrent");
    const [a, b] = collidingOrders(ws.id, orderShards(env));
    const posts = Array.from({ length: 10 }, (_, i) => {
      const order = i % 2 === 0 ? a : b;
      return postAtoship(source, atoshipEvent({ data: { order_id: order, label_id: `lbl_c_${i}` } }));
    });
    const answers = await Promise.all(posts);
    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200));
    const rows = await env.DB.prepare("SELECT order_key, sequence FROM events WHERE source_id = ? ORDER BY order_key, sequence")
      .bind(source.id)
      .all<{ order_key: string; sequence: number }>();
    const byOrder = (key: string) => rows.results.filter((r) => r.order_key === key).map((r) => r.sequence);
    expect(byOrder(`order:${a}`)).toEqual([1, 2, 3, 4, 5]);
    expect(byOrder(`order:${b}`)).toEqual([1, 2, 3, 4, 5]);
  });

  it("ORDER_SHARDS = 0 commits through one object per order, with the same answers", async () => {
    const { ws, source } = await atoshipWorkspace("per-order-objects");
    const perOrder = { ...env, ORDER_SHARDS: "0" } as Env;
    const post = async (payload: unknown) => {
      const raw = JSON.stringify(payload);
      const headers = { "content-type": "application/json", "x-atoship-signature": `sha256=${await hmacHex(source.secret!, raw)}` };
      const res = await handleIngest(perOrder, new Request(BASE + ingestPath(source), { method: "POST", body: raw, headers }), source.id, undefined, { waitUntil: (p) => void p });
      return { status: res.status, json: (await res.json()) as { event_ids: string[]; duplicate: boolean } };
    };
    const first = await post(atoshipEvent({ data: { order_id: "ord_own_object", label_id: "lbl_1" } }));
    const second = await post(atoshipEvent({ data: { order_id: "ord_own_object", label_id: "lbl_2" } }));
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await sequenceOf(second.json.event_ids[0]!)).toBe(2);
    expect((await post(atoshipEvent({ data: { order_id: "ord_own_object", label_id: "lbl_1" } }))).json.duplicate).toBe(true);
    const own = env.ORDERS.get(env.ORDERS.idFromName(sequencerName(ws.id, "order:ord_own_object", "", 0)));
    expect(await own.peekSequence("order:ord_own_object")).toBe(2);
  });
});
