import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { countingEnv } from "../../scripts/bench/worker/counting-env";
import { OpCounter } from "../../scripts/bench/worker/op-counts";
import { runDeliveryBatch as runBatch, waitingDeliveries } from "../support/consumer";
import { api } from "../support/relay";

/**
 * The delivery consumer works a queue batch as a whole: one D1 round trip reads and claims
 * every delivery in it, the sends go out together, one round trip records every attempt.
 * These tests run the real consumer on hand-made batches over real D1 rows, with the D1
 * binding wrapped only to count its calls.
 */

async function deliveryRow(id: string) {
  return env.DB.prepare("SELECT status, attempt_count, lease_until FROM deliveries WHERE id = ?1")
    .bind(id)
    .first<{ status: string; attempt_count: number; lease_until: number | null }>();
}

describe("the delivery consumer works a batch as a whole", () => {
  it("eight deliveries in one batch: all sent once, in two D1 round trips (read and claim, record) and nothing per delivery", async () => {
    const { endpoints, deliveries } = await waitingDeliveries("batch-eight", 8);
    const counter = new OpCounter();
    const counted = countingEnv(env, counter.scope("delivery"));
    const result = await runBatch(
      deliveries.map((d, i) => ({ id: `m${i}`, body: { delivery_id: d.id, attempt: 1 } })),
      counted,
    );
    expect(result.explicitAcks.sort()).toEqual(["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7"]);
    expect(result.retryMessages).toEqual([]);
    for (const e of endpoints) expect(await e.requests()).toHaveLength(1);
    for (const d of deliveries) expect((await deliveryRow(d.id))).toMatchObject({ status: "succeeded", attempt_count: 1, lease_until: null });
    const counts = counter.snapshot().delivery;
    // One batch to read and claim, one to record; no per-delivery statements for successes.
    expect(counts.d1RoundTrips).toBe(2);
    // The claim; the deliveries update. First attempts that succeeded write no attempt row.
    expect(counts.d1WriteStatements).toBe(1 + 1);
    expect(counts.queueSendCalls).toBe(0);
    // Every attempt recorded, on its delivery's row (the API shows it as attempt 1).
    const ids = deliveries.map(() => "?").join(",");
    const kept = await env.DB.prepare(
      `SELECT count(*) AS n, (SELECT count(*) FROM attempts WHERE delivery_id IN (${ids})) AS rows
         FROM deliveries WHERE id IN (${ids}) AND first_attempt_at IS NOT NULL AND first_status_code = 200`,
    )
      .bind(...deliveries.map((d) => d.id), ...deliveries.map((d) => d.id))
      .first<{ n: number; rows: number }>();
    expect(kept).toEqual({ n: 8, rows: 0 });
  });

  it("two copies of one message in a batch send once; a stale attempt's message next to them is dropped", async () => {
    const { endpoints, deliveries } = await waitingDeliveries("batch-copies", 1);
    const id = deliveries[0]!.id;
    const result = await runBatch([
      { id: "a", body: { delivery_id: id, attempt: 1 } },
      { id: "b", body: { delivery_id: id, attempt: 1 } },
      { id: "c", body: { delivery_id: id, attempt: 3 } },
    ]);
    expect(result.explicitAcks.sort()).toEqual(["a", "b", "c"]);
    expect(await endpoints[0]!.requests()).toHaveLength(1);
    expect(await deliveryRow(id)).toMatchObject({ status: "succeeded", attempt_count: 1 });
  });

  it("a failed and a successful attempt in one batch: each recorded as itself, the failure queued for its retry", async () => {
    const { endpoints, deliveries, dests, key } = await waitingDeliveries("batch-mixed", 2, { retry: { max_attempts: 3, schedule_seconds: [60] } });
    await endpoints[0]!.script({ default: { status: 500, body: "down" } });
    const result = await runBatch(deliveries.map((d, i) => ({ id: `m${i}`, body: { delivery_id: d.id, attempt: 1 } })));
    expect(result.explicitAcks.sort()).toEqual(["m0", "m1"]);
    expect(await deliveryRow(deliveries[0]!.id)).toMatchObject({ status: "retrying", attempt_count: 1, lease_until: null });
    expect(await deliveryRow(deliveries[1]!.id)).toMatchObject({ status: "succeeded", attempt_count: 1 });
    const failed = await api("GET", `/v1/deliveries/${deliveries[0]!.id}`, { token: key });
    expect(failed.json.attempts).toHaveLength(1);
    expect(failed.json.attempts[0]).toMatchObject({ attempt: 1, status_code: 500, response_body: "down" });
    // The failure moved its destination's health, the success did not touch the other's.
    const health = await env.DB.prepare("SELECT id, consecutive_failures, failing_since FROM destinations WHERE id IN (?1, ?2)")
      .bind(dests[0]!.id, dests[1]!.id)
      .all<{ id: string; consecutive_failures: number; failing_since: number | null }>();
    const byId = new Map(health.results.map((r) => [r.id, r]));
    expect(byId.get(dests[0]!.id)!.failing_since).not.toBeNull();
    expect(byId.get(dests[1]!.id)!.failing_since).toBeNull();
  });

  it("one attempt whose record cannot be written does not lose the others: they are recorded, it is retried", async () => {
    const { endpoints, deliveries } = await waitingDeliveries("batch-poison", 3);
    // The first delivery's attempt fails, so it writes an attempt row; one already claims
    // attempt 1 of that delivery: its record conflicts. (A first success writes no attempt row.)
    await endpoints[0]!.script({ default: { status: 500, body: "down" } });
    await env.DB.prepare(
      `INSERT INTO attempts (id, delivery_id, workspace_id, destination_id, attempt, at, url, status_code, duration_ms, error, response_body, succeeded)
       SELECT 'att_poison', id, workspace_id, destination_id, 1, 0, 'x', NULL, 0, NULL, NULL, 0 FROM deliveries WHERE id = ?1`,
    )
      .bind(deliveries[0]!.id)
      .run();
    const result = await runBatch(deliveries.map((d, i) => ({ id: `m${i}`, body: { delivery_id: d.id, attempt: 1 } })));
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["m0"]);
    expect(result.explicitAcks.sort()).toEqual(["m1", "m2"]);
    expect(await deliveryRow(deliveries[1]!.id)).toMatchObject({ status: "succeeded", attempt_count: 1 });
    expect(await deliveryRow(deliveries[2]!.id)).toMatchObject({ status: "succeeded", attempt_count: 1 });
    // The unrecorded one keeps its attempt count and lets its lease go, so the retry can make it again.
    expect(await deliveryRow(deliveries[0]!.id)).toMatchObject({ status: "pending", attempt_count: 0, lease_until: null });
    for (const e of endpoints) expect(await e.requests()).toHaveLength(1);
  });

  it("a batch mixing a sendable delivery, a paused destination's and a finished one sends only the first", async () => {
    const { endpoints, deliveries, dests } = await waitingDeliveries("batch-varied", 3);
    await env.DB.prepare("UPDATE destinations SET status = 'paused' WHERE id = ?1").bind(dests[1]!.id).run();
    await env.DB.prepare("UPDATE deliveries SET status = 'succeeded', attempt_count = 1 WHERE id = ?1").bind(deliveries[2]!.id).run();
    const result = await runBatch(deliveries.map((d, i) => ({ id: `m${i}`, body: { delivery_id: d.id, attempt: 1 } })));
    expect(result.explicitAcks.sort()).toEqual(["m0", "m1", "m2"]);
    expect(await endpoints[0]!.requests()).toHaveLength(1);
    expect(await endpoints[1]!.requests()).toHaveLength(0);
    expect(await endpoints[2]!.requests()).toHaveLength(0);
    // The paused destination's delivery waits for the drain, with no message out for it.
    const held = await env.DB.prepare("SELECT status, enqueued_at, lease_until FROM deliveries WHERE id = ?1").bind(deliveries[1]!.id).first();
    expect(held).toMatchObject({ status: "pending", enqueued_at: null, lease_until: null });
  });
});
