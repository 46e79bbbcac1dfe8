import { createExecutionContext, createMessageBatch, env, evictDurableObject, getQueueResult, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { consumeDeadLetters } from "../../src/delivery/dead-letters";
import { processDelivery } from "../support/consumer";
import { sweepStuckDeliveries } from "../../src/delivery/sweep";
import { keyringOf } from "../../src/lib/config";
import { encryptString } from "../../src/lib/crypto";
import { orderShards } from "../../src/lib/config";
import { sequencerName } from "../../src/orders/identity";
import type { CommitFault, OrderSequencer } from "../../src/orders/sequencer";
import { runDeliveryBatch as runBatch, waitingDeliveries } from "../support/consumer";
import { mockEndpoint, type MockEndpoint } from "../support/mock";
import { api, atoshipEvent, atoshipWorkspace, BASE, createDestination, eventually, hmacHex, ingestPath, postAtoship, waitForDeliveryStatus } from "../support/relay";

/**
 * Faults injected into the real bindings (never mocks): the order Durable Object's fault
 * seam, D1 tables renamed away, damaged rows, a hanging endpoint. After each, the provider's
 * retry, the queue's retry or the housekeeping sweep completes the delivery, and the
 * endpoint receives it exactly once.
 */

/** The order Durable Object that commits an AtoShip event with this order_id. */
function sequencerFor(workspaceId: string, orderId: string) {
  return env.ORDERS.get(env.ORDERS.idFromName(sequencerName(workspaceId, `order:${orderId}`, "", orderShards(env))));
}

async function injectFault(workspaceId: string, orderId: string, fault: CommitFault) {
  await runInDurableObject(sequencerFor(workspaceId, orderId), (instance: OrderSequencer) => {
    instance.fault = fault;
  });
}

async function deliveriesOf(key: string, destinationId: string) {
  return (await api("GET", `/v1/deliveries?destination=${destinationId}`, { token: key })).json.data as { id: string; status: string; attempt_count: number }[];
}

async function lastLog(key: string, sourceId: string) {
  return (await api("GET", `/v1/ingest-log?source=${sourceId}&limit=1`, { token: key })).json.data[0];
}

/** Waits for the delivery to succeed, then proves the endpoint got it once and a stray attempt-1 message would send nothing. */
async function expectDeliveredOnce(key: string, destinationId: string, endpoint: MockEndpoint) {
  const done = await waitForDeliveryStatus(key, destinationId, "succeeded");
  const requests = await endpoint.requests();
  expect(requests).toHaveLength(1);
  expect(requests[0]!.headers["webhook-id"]).toBe(done.id);
  expect(await processDelivery(env, { delivery_id: done.id, attempt: 1 })).toBe("skipped");
  expect(await deliveriesOf(key, destinationId)).toHaveLength(1);
  return done;
}

async function renameTable(from: string, to: string) {
  await env.DB.prepare(`ALTER TABLE ${from} RENAME TO ${to}`).run();
}

/** Posts without waiting for the outbox (test/support/relay.ts `ingestSettled` would wait for D1). */
async function postUnsettled(source: { ingest_url: string; secret?: string }, payload: unknown) {
  const raw = JSON.stringify(payload);
  const res = await SELF.fetch(`${BASE}${ingestPath(source)}`, {
    method: "POST",
    body: raw,
    headers: { "content-type": "application/json", "x-atoship-signature": `sha256=${await hmacHex(source.secret!, raw)}` },
  });
  return { status: res.status, json: (await res.json()) as any, headers: res.headers };
}

describe("(a) a commit that fails inside the order object's write", () => {
  it("fault commit → 503 with retry-after and nothing stored; the provider's retry delivers exactly once", async () => {
    const { ws, key, source } = await atoshipWorkspace("fault-commit");
    const endpoint = await mockEndpoint();
    const dest = await createDestination(key, { url: endpoint.url });
    const event = atoshipEvent({ data: { order_id: "ord_fault_a" } });
    await injectFault(ws.id, "ord_fault_a", "commit");

    const failed = await postAtoship(source, event);
    expect(failed.status).toBe(503);
    expect(failed.json.error.code).toBe("not_committed");
    expect(failed.headers.get("retry-after")).toBe("5");
    expect(await lastLog(key, source.id)).toMatchObject({ result: "rejected", reason: "commit_failed", http_status: 503 });
    expect((await api("GET", "/v1/events?order=ord_fault_a", { token: key })).json.data).toHaveLength(0);
    expect(await deliveriesOf(key, dest.id)).toHaveLength(0);
    // The failed write took no sequence number and left nothing in the outbox.
    expect(await sequencerFor(ws.id, "ord_fault_a").peekSequence("order:ord_fault_a")).toBe(0);
    expect((await sequencerFor(ws.id, "ord_fault_a").outboxState()).waiting).toBe(0);

    const retried = await postAtoship(source, event);
    expect(retried.status).toBe(200);
    expect(retried.json.duplicate).toBe(false);
    await expectDeliveredOnce(key, dest.id, endpoint);
    expect((await postAtoship(source, event)).json.duplicate).toBe(true);
  });
});

describe("(b) D1 or the queue failing while the outbox flushes: the 2xx stands, the outbox finishes the job", () => {
  it("D1 down (the deliveries table gone) → still 200: the event waits in the object; once D1 is back it is stored and delivered exactly once", async () => {
    const { ws, key, source } = await atoshipWorkspace("fault-d1-table");
    const endpoint = await mockEndpoint();
    const dest = await createDestination(key, { url: endpoint.url });
    const event = atoshipEvent({ data: { order_id: "ord_fault_d1" } });
    const stub = sequencerFor(ws.id, "ord_fault_d1");
    await renameTable("deliveries", "deliveries_away");
    let accepted;
    try {
      accepted = await postUnsettled(source, event);
      expect(accepted.status).toBe(200);
      expect(accepted.json.duplicate).toBe(false);
      // The flush failed: the event is durable in the object, not yet in D1.
      await eventually(async () => (await stub.outboxState()).waiting === 1);
      const inD1 = await env.DB.prepare("SELECT count(*) AS n FROM events WHERE id = ?").bind(accepted.json.event_ids[0]).first<{ n: number }>();
      expect(inD1!.n).toBe(0);
      expect(await postUnsettled(source, event)).toMatchObject({ status: 200, json: { duplicate: true } });
    } finally {
      await renameTable("deliveries_away", "deliveries");
    }
    // The outbox retries on its own (backoff, then the object's alarm); nudge it for the test.
    await stub.flushNow();
    await eventually(async () => (await stub.outboxState()).waiting === 0);
    await expectDeliveredOnce(key, dest.id, endpoint);
    const detail = await api("GET", `/v1/events/${accepted!.json.event_ids[0]}`, { token: key });
    expect(detail.json.sequence).toBe(1);
    const log = (await api("GET", `/v1/ingest-log?source=${source.id}`, { token: key })).json.data.map((l: any) => l.result).sort();
    expect(log).toEqual(["accepted", "duplicate"]);
  });

  it.each<CommitFault>(["before_d1", "after_d1", "after_queue"])(
    "a flush failing %s: the provider got its 200 at once, and the delivery goes out exactly once",
    async (fault) => {
      const { ws, key, source } = await atoshipWorkspace(`fault-${fault}`);
      const endpoint = await mockEndpoint();
      const dest = await createDestination(key, { url: endpoint.url });
      const order = `ord_fault_${fault}`;
      await injectFault(ws.id, order, fault);
      const accepted = await postAtoship(source, atoshipEvent({ data: { order_id: order } }));
      expect(accepted.status).toBe(200);
      expect(accepted.json.duplicate).toBe(false);
      await expectDeliveredOnce(key, dest.id, endpoint);
      // after_queue: both had it before the entry was marked; the retry sends again, the consumer drops the copy.
      await eventually(async () => (await sequencerFor(ws.id, order).outboxState()).waiting === 0);
      expect(await endpoint.requests()).toHaveLength(1);
    },
  );

  it("an object evicted right after its 2xx, with its flush failed, still flushes: its alarm is set by the commit", async () => {
    const { ws, key, source } = await atoshipWorkspace("fault-evicted-outbox");
    const endpoint = await mockEndpoint();
    const dest = await createDestination(key, { url: endpoint.url });
    const order = "ord_fault_evicted";
    const stub = sequencerFor(ws.id, order);
    await injectFault(ws.id, order, "before_d1");
    expect((await postUnsettled(source, atoshipEvent({ data: { order_id: order } }))).status).toBe(200);
    expect(await runInDurableObject(stub, (_i: OrderSequencer, state) => state.storage.getAlarm())).not.toBeNull();
    await evictDurableObject(stub);
    // A new instance knows nothing in memory: the alarm finds the waiting entry in storage.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await expectDeliveredOnce(key, dest.id, endpoint);
    expect((await stub.outboxState()).waiting).toBe(0);
  });
});

describe("(c) the order object's state is durable", () => {
  it("dedupe survives the Durable Object being evicted (its state is durable, not in memory)", async () => {
    const { ws, key, source } = await atoshipWorkspace("fault-evict");
    const endpoint = await mockEndpoint();
    const dest = await createDestination(key, { url: endpoint.url });
    const event = atoshipEvent({ data: { order_id: "ord_fault_evict" } });
    expect((await postAtoship(source, event)).json.duplicate).toBe(false);
    await evictDurableObject(sequencerFor(ws.id, "ord_fault_evict"));
    expect((await postAtoship(source, event)).json.duplicate).toBe(true);
    await expectDeliveredOnce(key, dest.id, endpoint);
  });
});

describe("(d) an endpoint that hangs past the destination's timeout", () => {
  it("the attempt is recorded as a timeout and retried; the retry succeeds", async () => {
    const { key, source } = await atoshipWorkspace("fault-hang");
    const endpoint = await mockEndpoint({ responses: [{ status: 200, delay_ms: 4000 }], default: { status: 200 } });
    const dest = await createDestination(key, { url: endpoint.url, timeout_ms: 1000, retry: { max_attempts: 3, schedule_seconds: [0] } });
    expect((await postAtoship(source, atoshipEvent({ data: { order_id: "ord_fault_hang" } }))).status).toBe(200);
    const done = await waitForDeliveryStatus(key, dest.id, "succeeded", 20_000);
    const detail = await api("GET", `/v1/deliveries/${done.id}`, { token: key });
    expect(detail.json.attempts).toHaveLength(2);
    expect(detail.json.attempts[0]).toMatchObject({ attempt: 1, status_code: null });
    expect(detail.json.attempts[0].error).toMatch(/timeout/i);
    expect(detail.json.attempts[1]).toMatchObject({ attempt: 2, status_code: 200, error: null });
    // The endpoint saw the message twice (the first answer came too late), under one webhook-id.
    const requests = await endpoint.requests();
    expect(requests.map((r) => r.headers["webhook-attempt"])).toEqual(["1", "2"]);
    expect(new Set(requests.map((r) => r.headers["webhook-id"]))).toEqual(new Set([done.id]));
  });
});

describe("(e) a consumer crash mid-batch", () => {
  it("one message whose processing throws is retried, the rest of the batch is acked; the retry delivers it once", async () => {
    const { key, endpoints, dests, deliveries } = await waitingDeliveries("crash-one", 2);
    const [broken, fine] = deliveries;
    // Damage one destination: its signing secret sealed with a key this deployment does not have.
    await env.DB.prepare("UPDATE destinations SET signing_secret_enc = 'v1.00000000.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA==' WHERE id = ?1")
      .bind(dests[0]!.id)
      .run();
    const result = await runBatch([
      { id: "m-broken", body: { delivery_id: broken!.id, attempt: 1 } },
      { id: "m-fine", body: { delivery_id: fine!.id, attempt: 1 } },
      { id: "m-malformed", body: { what: "not a delivery message" } },
    ]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["m-broken"]);
    expect(result.explicitAcks.sort()).toEqual(["m-fine", "m-malformed"]);
    expect(await endpoints[0]!.requests()).toHaveLength(0);
    expect(await endpoints[1]!.requests()).toHaveLength(1);
    const dead = await env.DB.prepare("SELECT body FROM dead_letters WHERE body LIKE '%not a delivery message%'").all();
    expect(dead.results).toHaveLength(1); // the malformed one is kept, not silently dropped

    // Repaired, the queue's retry of the same message sends it.
    const ring = (await keyringOf(env))!;
    await env.DB.prepare("UPDATE destinations SET signing_secret_enc = ?2 WHERE id = ?1")
      .bind(dests[0]!.id, await encryptString(ring, "whsec_" + btoa("0123456789abcdef0123456789abcdef")))
      .run();
    const again = await runBatch([{ id: "m-broken", body: { delivery_id: broken!.id, attempt: 1 }, attempts: 2 }]);
    expect(again.explicitAcks).toEqual(["m-broken"]);
    await expectDeliveredOnce(key, dests[0]!.id, endpoints[0]!);
    await expectDeliveredOnce(key, dests[1]!.id, endpoints[1]!);
  });

  it("D1 failing under the consumer (the events table gone): every message is retried, none acked, none lost", async () => {
    const { key, endpoints, dests, deliveries } = await waitingDeliveries("crash-d1", 2);
    const messages = deliveries.map((d, i) => ({ id: `m-${i}`, body: { delivery_id: d.id, attempt: 1 } }));
    await renameTable("events", "events_away");
    let result;
    try {
      result = await runBatch(messages);
    } finally {
      await renameTable("events_away", "events");
    }
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((m) => m.msgId).sort()).toEqual(["m-0", "m-1"]);
    for (const e of endpoints) expect(await e.requests()).toHaveLength(0);

    const again = await runBatch(messages.map((m) => ({ ...m, attempts: 2 })));
    expect(again.explicitAcks.sort()).toEqual(["m-0", "m-1"]);
    await expectDeliveredOnce(key, dests[0]!.id, endpoints[0]!);
    await expectDeliveredOnce(key, dests[1]!.id, endpoints[1]!);
  });

  it("(f) a message that exhausted the queue's retries is dead-lettered, and the sweep sends its delivery once", async () => {
    const { key, endpoints, dests, deliveries } = await waitingDeliveries("dead-letter", 1);
    const body = { delivery_id: deliveries[0]!.id, attempt: 1 };
    // As if the queue had already tried it (the delivery looks recently enqueued).
    await env.DB.prepare("UPDATE deliveries SET enqueued_at = ?2 WHERE id = ?1").bind(deliveries[0]!.id, Date.now()).run();
    const batch = createMessageBatch("shiprelay-dead-letters", [{ id: "dl-1", body, attempts: 1, timestamp: new Date() }]);
    const ctx = createExecutionContext();
    await consumeDeadLetters(batch, env);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["dl-1"]);
    const recorded = await env.DB.prepare("SELECT queue, body FROM dead_letters WHERE body LIKE ?1").bind(`%${deliveries[0]!.id}%`).all();
    expect(recorded.results).toHaveLength(1);
    expect(await sweepStuckDeliveries(env, Date.now() + 6 * 60_000)).toBeGreaterThanOrEqual(1);
    await expectDeliveredOnce(key, dests[0]!.id, endpoints[0]!);
  });
});

function isEnvelope(json: any) {
  return typeof json?.error?.code === "string" && typeof json?.error?.message === "string";
}
