import { env, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { countingEnv } from "../../scripts/bench/worker/counting-env";
import { OpCounter } from "../../scripts/bench/worker/op-counts";
import { orderShards } from "../../src/lib/config";
import { sequencerName } from "../../src/orders/identity";
import { Outbox } from "../../src/orders/outbox";
import type { OutboxEntry } from "../../src/orders/outbox-entry";
import type { OrderSequencer } from "../../src/orders/sequencer";
import { mockEndpoint } from "../support/mock";
import { api, atoshipEvent, atoshipWorkspace, BASE, createDestination, deliveriesFinished, eventually, hmacHex, ingestPath } from "../support/relay";

/**
 * The order object's outbox (src/orders/outbox.ts): the 2xx follows the object's own durable
 * write; D1 and the queue are fed in the background, in batches, and nothing is stranded or
 * doubled. Run against the real D1, delivery queue and object storage; the D1 binding is
 * wrapped only to count its calls.
 */

/** Orders of one workspace that land on one object, and that object. */
function ordersOnOneObject(workspaceId: string, n: number, prefix: string) {
  const shards = orderShards(env);
  const target = sequencerName(workspaceId, `order:${prefix}0`, "", shards);
  const orders = [`${prefix}0`];
  for (let i = 1; orders.length < n && i < 100_000; i++) {
    if (sequencerName(workspaceId, `order:${prefix}${i}`, "", shards) === target) orders.push(`${prefix}${i}`);
  }
  return { orders, stub: env.ORDERS.get(env.ORDERS.idFromName(target)) };
}

async function post(source: { ingest_url: string; secret?: string }, order: string, extra: Record<string, unknown> = {}) {
  const raw = JSON.stringify(atoshipEvent({ data: { order_id: order, label_id: `lbl_${order}`, ...extra } }));
  const res = await SELF.fetch(`${BASE}${ingestPath(source)}`, {
    method: "POST",
    body: raw,
    headers: { "content-type": "application/json", "x-atoship-signature": `sha256=${await hmacHex(source.secret!, raw)}` },
  });
  return { status: res.status, json: (await res.json()) as { event_ids: string[]; duplicate: boolean } };
}

async function storedEvents(ids: string[]) {
  const rows = await env.DB.prepare("SELECT id FROM events WHERE id IN (SELECT value FROM json_each(?1))").bind(JSON.stringify(ids)).all<{ id: string }>();
  return rows.results.map((r) => r.id).sort();
}

async function holdOutbox(stub: DurableObjectStub<OrderSequencer>, hold: boolean) {
  await runInDurableObject(stub, (instance: OrderSequencer) => {
    instance.holdOutbox = hold;
  });
}

/** Commits `orders` through the route while every flush of `stub` fails, so their entries wait in its outbox. */
async function commitWhileFlushFails(
  stub: DurableObjectStub<OrderSequencer>,
  source: { ingest_url: string; secret?: string },
  orders: string[],
  release = true,
) {
  await holdOutbox(stub, true);
  const ids: string[] = [];
  try {
    for (const order of orders) {
      const r = await post(source, order);
      expect(r.status).toBe(200);
      ids.push(r.json.event_ids[0]!);
    }
  } finally {
    if (release) await holdOutbox(stub, false);
  }
  return ids;
}

describe("the outbox: ACK on the object's durable write, D1 and the queue fed in batches", () => {
  it("through the route: concurrent callbacks of different orders in one object are each stored, sequenced, logged and delivered once", async () => {
    const { ws, key, source } = await atoshipWorkspace("outbox-route");
    const endpoint = await mockEndpoint();
    await createDestination(key, { url: endpoint.url });
    const { orders } = ordersOnOneObject(ws.id, 6, "ord_ob_");
    expect(orders).toHaveLength(6);
    const answers = await Promise.all(orders.map((o) => post(source, o)));
    for (const a of answers) expect(a).toMatchObject({ status: 200, json: { duplicate: false } });
    const ids = answers.map((a) => a.json.event_ids[0]!);
    // Listed within about a second in the normal case: here, as soon as the flush lands.
    await eventually(async () => (await storedEvents(ids)).length === ids.length);
    const rows = await env.DB.prepare("SELECT order_reference, sequence FROM events WHERE id IN (SELECT value FROM json_each(?1))")
      .bind(JSON.stringify(ids))
      .all<{ order_reference: string; sequence: number }>();
    expect(rows.results.map((r) => r.order_reference).sort()).toEqual([...orders].sort());
    for (const r of rows.results) expect(r.sequence).toBe(1);
    const logs = (await api("GET", `/v1/ingest-log?source=${source.id}`, { token: key })).json.data as { result: string; event_id: string }[];
    expect(logs.map((l) => l.event_id).sort()).toEqual([...ids].sort());
    expect(logs.every((l) => l.result === "accepted")).toBe(true);
    await deliveriesFinished(key, "", 6);
    expect(await endpoint.requests()).toHaveLength(6);
  });

  it("entries that wait are flushed together: one D1 batch of one statement per table, whatever their number", async () => {
    const { ws, source } = await atoshipWorkspace("outbox-batch");
    const { orders, stub } = ordersOnOneObject(ws.id, 5, "ord_obb_");
    // The object's own outbox stays held while a fresh one (as after an eviction) does the flush.
    const ids = await commitWhileFlushFails(stub, source, orders, false);
    expect(await storedEvents(ids)).toEqual([]);

    const counter = new OpCounter();
    await runInDurableObject(stub, async (_instance: OrderSequencer, state) => {
      // A fresh outbox over the same storage, as after an eviction: it finds the entries there.
      const outbox = new Outbox(state, countingEnv(env, counter.scope("order_do")), async () => undefined);
      expect(outbox.hasWaiting()).toBe(true);
      await outbox.kick();
      expect(outbox.state().waiting).toBe(0);
    });
    await holdOutbox(stub, false);
    expect(await storedEvents(ids)).toEqual([...ids].sort());
    const counts = counter.snapshot().order_do;
    // The routing read (this outbox holds none yet: two reads in one batch), then the write:
    // the config guard, events (small payloads and the requests' log entries ride in their rows),
    // their tracking-number pairs; no deliveries (no destination), no payload rows, no ingest_log
    // upsert, and no second batch (every event was new, so each took its request's entry).
    expect(counts.d1RoundTrips).toBe(2);
    expect(counts.d1Statements).toBe(2 + 3);
  });

  it("a stale routing never lands: a destination added after the ingest cache was warmed gets its delivery", async () => {
    const { key, source } = await atoshipWorkspace("outbox-stale");
    const first = await mockEndpoint();
    await createDestination(key, { url: first.url });
    expect((await post(source, "ord_obs_warm")).status).toBe(200); // warms the isolate's config cache
    const second = await mockEndpoint();
    await createDestination(key, { url: second.url });
    const r = await post(source, "ord_obs_after");
    expect(r.status).toBe(200);
    expect(await deliveriesFinished(key, `event=${r.json.event_ids[0]}`, 2)).toHaveLength(2);
    expect(await second.requests()).toHaveLength(1);
  });

  it("an entry D1 refuses every time is set aside after three flushes; the entries behind it are written", async () => {
    const { ws, source } = await atoshipWorkspace("outbox-poison");
    const { orders, stub } = ordersOnOneObject(ws.id, 5, "ord_obp_");
    const ids = await commitWhileFlushFails(stub, source, orders.slice(0, 3));
    // Damage one waiting entry in storage so D1 must refuse it (events.body is NOT NULL).
    await runInDurableObject(stub, (_instance: OrderSequencer, state) => {
      const row = state.storage.sql.exec<{ k: string; outbox: string }>("SELECT dedupe_key AS k, outbox FROM dedupe WHERE event_id = ?", ids[1]!).one();
      const entry = JSON.parse(row.outbox) as OutboxEntry;
      (entry.event as { body: unknown }).body = null;
      state.storage.sql.exec("UPDATE dedupe SET outbox = ? WHERE dedupe_key = ?", JSON.stringify(entry), row.k);
    });
    // A flush counts against an entry only when others in it went through (so D1 works).
    for (let round = 0; round < 3; round++) {
      if (round > 0) await commitWhileFlushFails(stub, source, [orders[2 + round]!]);
      await stub.flushNow();
    }
    const state = await stub.outboxState();
    expect(state).toMatchObject({ waiting: 0, setAside: 1 });
    expect(await storedEvents([ids[0]!, ids[2]!])).toEqual([ids[0]!, ids[2]!].sort());
    expect(await storedEvents([ids[1]!])).toEqual([]);
  });

  it("a duplicate's log row rides on the original entry and is written even after it was flushed", async () => {
    const { key, source } = await atoshipWorkspace("outbox-dup-log");
    const a = await post(source, "ord_obd");
    await eventually(async () => (await storedEvents(a.json.event_ids)).length === 1);
    const b = await post(source, "ord_obd");
    expect(b.json.duplicate).toBe(true);
    // The accepted request's entry is on its event's row; the duplicate's is a row of its own.
    await eventually(async () => {
      const rows = await env.DB.prepare("SELECT result FROM ingest_log WHERE source_id = ?1").bind(source.id).all<{ result: string }>();
      return rows.results.map((r) => r.result).join() === "duplicate";
    });
    const log = (await api("GET", `/v1/ingest-log?source=${source.id}`, { token: key })).json.data as { result: string }[];
    expect(log.map((r) => r.result)).toEqual(["duplicate", "accepted"]);
  });

  it("a failed commit leaves no gap: event 2 committed after event 1 failed is sequenced first, and per-order delivery never stalls", async () => {
    const { ws, key, source } = await atoshipWorkspace("outbox-order-gap");
    const endpoint = await mockEndpoint();
    await createDestination(key, { url: endpoint.url, ordering: "per_order" });
    const order = "ord_gap";
    const stub = env.ORDERS.get(env.ORDERS.idFromName(sequencerName(ws.id, `order:${order}`, "", orderShards(env))));
    await runInDurableObject(stub, (instance: OrderSequencer) => {
      instance.fault = "commit";
    });
    const one = { event: "order.imported", data: { order_id: order } };
    const two = { event: "order.fulfilled", data: { order_id: order } };
    const sign = async (body: unknown) => {
      const raw = JSON.stringify(atoshipEvent(body as never));
      return SELF.fetch(`${BASE}${ingestPath(source)}`, {
        method: "POST",
        body: raw,
        headers: { "content-type": "application/json", "x-atoship-signature": `sha256=${await hmacHex(source.secret!, raw)}` },
      });
    };
    expect((await sign(one)).status).toBe(503);
    expect(await stub.peekSequence(`order:${order}`)).toBe(0);
    const second = (await (await sign(two)).json()) as { event_ids: string[] };
    const retried = (await (await sign(one)).json()) as { event_ids: string[] };
    const finished = await deliveriesFinished(key, "", 2);
    expect(finished.every((d: { status: string }) => d.status === "succeeded")).toBe(true);
    const seq = async (id: string) => (await env.DB.prepare("SELECT sequence FROM events WHERE id = ?").bind(id).first<{ sequence: number }>())!.sequence;
    expect(await seq(second.event_ids[0]!)).toBe(1);
    expect(await seq(retried.event_ids[0]!)).toBe(2);
    const received = (await endpoint.requests()).map((r) => JSON.parse(r.body).sequence);
    expect(received).toEqual([1, 2]);
  });
});
