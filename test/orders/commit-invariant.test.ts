import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { orderShards } from "../../src/lib/config";
import { sequencerName } from "../../src/orders/identity";
import type { CommitFault, OrderSequencer } from "../../src/orders/sequencer";
import { mockEndpoint } from "../support/mock";
import { api, atoshipEvent, atoshipWorkspace, createDestination, deliveriesFinished, postAtoship } from "../support/relay";

/** Arms a one-shot failure in the Durable Object that will commit this order's events. */
async function armFault(workspaceId: string, orderReference: string, fault: CommitFault) {
  const stub = env.ORDERS.get(env.ORDERS.idFromName(sequencerName(workspaceId, `order:${orderReference}`, "evt_x", orderShards(env))));
  await runInDurableObject(stub, (instance: OrderSequencer) => {
    instance.fault = fault;
  });
}

async function count(sql: string, ...binds: unknown[]): Promise<number> {
  return (await env.DB.prepare(sql).bind(...binds).first<{ n: number }>())!.n;
}

describe("the commit invariant: 2xx only after the event is durable in its order object", () => {
  it("concurrent duplicate callbacks for one order make one event and one delivery per destination", async () => {
    const { key, source } = await atoshipWorkspace();
    const a = await mockEndpoint();
    const b = await mockEndpoint();
    await createDestination(key, { url: a.url });
    await createDestination(key, { url: b.url });
    const payload = atoshipEvent({ data: { order_id: "ord_race" } });

    const answers = await Promise.all(Array.from({ length: 8 }, () => postAtoship(source, payload)));
    expect(answers.every((r) => r.status === 200)).toBe(true);
    const ids = new Set(answers.map((r) => r.json.event_ids[0]));
    expect(ids.size).toBe(1);
    expect(answers.filter((r) => r.json.duplicate === false)).toHaveLength(1);
    expect(answers.filter((r) => r.json.duplicate === true)).toHaveLength(7);

    expect(await count("SELECT count(*) AS n FROM events WHERE source_id = ?", source.id)).toBe(1);
    expect(await count("SELECT count(*) AS n FROM deliveries WHERE event_id = ?", [...ids][0])).toBe(2);
    // Both deliveries finished: what the endpoints received is final.
    await deliveriesFinished(key, `event=${[...ids][0]}`, 2);
    expect(await a.requests()).toHaveLength(1);
    expect(await b.requests()).toHaveLength(1);
  });

  it.each<CommitFault>(["commit"])(
    "a failure in the %s answers 5xx; the provider's retry then succeeds with exactly one delivery",
    async (fault) => {
      const { ws, key, source } = await atoshipWorkspace();
      const endpoint = await mockEndpoint();
      await createDestination(key, { url: endpoint.url });
      const payload = atoshipEvent({ data: { order_id: `ord_${fault}` } });
      await armFault(ws.id, `ord_${fault}`, fault);

      const failed = await postAtoship(source, payload);
      expect(failed.status).toBe(503);
      expect(failed.json.error.code).toBe("not_committed");
      expect(failed.headers.get("retry-after")).toBe("5");

      const retried = await postAtoship(source, payload);
      expect(retried.status).toBe(200);
      // The first attempt never got a 2xx, so the retry is the event's acceptance, not a duplicate.
      expect(retried.json.duplicate).toBe(false);

      const again = await postAtoship(source, payload);
      expect(again.json.duplicate).toBe(true);

      const eventId = retried.json.event_ids[0];
      expect(await count("SELECT count(*) AS n FROM events WHERE id = ?", eventId)).toBe(1);
      expect(await count("SELECT count(*) AS n FROM deliveries WHERE event_id = ?", eventId)).toBe(1);
      const [delivery] = await deliveriesFinished(key, `event=${eventId}`, 1);
      expect(delivery!.status).toBe("succeeded");
      const received = await endpoint.requests();
      expect(received).toHaveLength(1);
      expect(JSON.parse(received[0]!.body).id).toBe(eventId);

      const log = await api("GET", `/v1/ingest-log?source=${source.id}`, { token: key });
      const results = log.json.data.map((l: any) => `${l.result}:${l.reason ?? ""}`);
      expect(results).toContain("rejected:commit_failed");
      expect(results).toContain("accepted:");
      expect(results).toContain("duplicate:");
    },
  );

  it("a failed commit keeps the order's sequence: the retried event keeps its number, the next one follows", async () => {
    const { ws, source } = await atoshipWorkspace();
    const order = "ord_seq";
    const first = await postAtoship(source, atoshipEvent({ event: "order.imported", data: { order_id: order } }));
    expect(first.status).toBe(200);
    await armFault(ws.id, order, "commit");
    const shipped = atoshipEvent({ event: "order.fulfilled", data: { order_id: order } });
    expect((await postAtoship(source, shipped)).status).toBe(503);
    const retried = await postAtoship(source, shipped);
    const delivered = await postAtoship(source, atoshipEvent({ event: "shipment.delivered", data: { order_id: order } }));

    const seq = async (id: string) =>
      (await env.DB.prepare("SELECT sequence FROM events WHERE id = ?").bind(id).first<{ sequence: number }>())!.sequence;
    expect(await seq(first.json.event_ids[0])).toBe(1);
    expect(await seq(retried.json.event_ids[0])).toBe(2);
    expect(await seq(delivered.json.event_ids[0])).toBe(3);
  });

  it("sequences are per order: two orders count independently", async () => {
    const { source } = await atoshipWorkspace();
    const a1 = await postAtoship(source, atoshipEvent({ event: "order.imported", data: { order_id: "A" } }));
    const b1 = await postAtoship(source, atoshipEvent({ event: "order.imported", data: { order_id: "B" } }));
    const a2 = await postAtoship(source, atoshipEvent({ event: "order.fulfilled", data: { order_id: "A" } }));
    const rows = await env.DB.prepare("SELECT id, sequence FROM events WHERE source_id = ?").bind(source.id).all<{ id: string; sequence: number }>();
    const byId = Object.fromEntries(rows.results.map((r) => [r.id, r.sequence]));
    expect(byId[a1.json.event_ids[0]]).toBe(1);
    expect(byId[b1.json.event_ids[0]]).toBe(1);
    expect(byId[a2.json.event_ids[0]]).toBe(2);
  });

  it("events with neither order nor tracking number are deduped but not sequenced", async () => {
    const { source } = await atoshipWorkspace();
    const payload = { event: "label.voided", data: { label_id: "lbl_1" } };
    const r1 = await postAtoship(source, payload);
    const r2 = await postAtoship(source, payload);
    expect(r2.json.duplicate).toBe(true);
    const row = await env.DB.prepare("SELECT sequence, order_key FROM events WHERE id = ?").bind(r1.json.event_ids[0]).first();
    expect(row).toEqual({ sequence: null, order_key: null });
  });

  it("an event with a tracking number but no order is sequenced by tracking number", async () => {
    const { source } = await atoshipWorkspace();
    const t1 = await postAtoship(source, { event: "shipment.in_transit", data: { tracking_number: "TRK1", carrier: "UPS" } });
    const t2 = await postAtoship(source, { event: "shipment.delivered", data: { tracking_number: "TRK1", carrier: "UPS" } });
    const row = await env.DB.prepare("SELECT sequence, order_key FROM events WHERE id = ?").bind(t2.json.event_ids[0]).first();
    expect(row).toEqual({ sequence: 2, order_key: "tracking:ups:TRK1" });
    expect(t1.status).toBe(200);
  });

  it("the same event id is given to the same provider event, and a different one to another source", async () => {
    const { key, source } = await atoshipWorkspace();
    const other = await api("POST", "/v1/sources", { token: key, body: { name: "second", provider: "atoship" } });
    const r1 = await postAtoship(source, atoshipEvent());
    const r2 = await postAtoship(other.json, atoshipEvent());
    expect(r2.json.duplicate).toBe(false);
    expect(r1.json.event_ids[0]).not.toBe(r2.json.event_ids[0]);
  });
});
