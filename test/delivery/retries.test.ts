import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { processDelivery } from "../support/consumer";
import { sweepStuckDeliveries } from "../../src/delivery/sweep";
import { mockEndpoint } from "../support/mock";
import { api, verifyDelivery } from "../support/relay";
import { deliveriesOf, delivery, rig, sendEvent, settle, waitForDelivery } from "./helpers";

const HOUR_MS = 3_600_000;

/** Runs one batch through the Worker's own queue handler, as the Queues runtime would. */
async function runBatch(queue: string, bodies: unknown[], runEnv: Env = env) {
  const batch = createMessageBatch(
    queue,
    bodies.map((body, i) => ({ id: `msg-${Date.now()}-${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, runEnv);
  return { result: await getQueueResult(batch, ctx), ids: batch.messages.map((m) => m.id) };
}

async function deadLettersMentioning(text: string) {
  const { results } = await env.DB.prepare("SELECT queue, body FROM dead_letters WHERE body LIKE ?1").bind(`%${text}%`).all<{ queue: string; body: string }>();
  return results.map((r) => ({ queue: r.queue, ...(JSON.parse(r.body) as { why: string; body: unknown }) }));
}

/** A destination with one delivery waiting (created while paused), then switched active without a drain. */
async function waitingDelivery() {
  const r = await rig({ status: "paused" });
  const eventId = await sendEvent(r);
  const [d] = await deliveriesOf(r.key, r.destination.id, `&event=${eventId}`);
  await env.DB.prepare("UPDATE destinations SET status = 'active' WHERE id = ?1").bind(r.destination.id).run();
  return { r, eventId, deliveryId: d!.id };
}

describe("retries on the destination's schedule", () => {
  it("retries a failing endpoint after each scheduled delay, with one webhook-id and a rising webhook-attempt", async () => {
    const r = await rig({ retry: { max_attempts: 3, schedule_seconds: [1, 1] } }, { responses: [{ status: 500 }, { status: 502, body: "bad gateway" }], default: { status: 200 } });
    const eventId = await sendEvent(r);

    const reqs = await r.endpoint.waitForRequests(3, 15_000);
    expect(reqs).toHaveLength(3);
    expect(new Set(reqs.map((q) => q.headers["webhook-id"])).size).toBe(1);
    expect(reqs.map((q) => q.headers["webhook-attempt"])).toEqual(["1", "2", "3"]);
    expect(reqs[1]!.at - reqs[0]!.at).toBeGreaterThanOrEqual(900);
    expect(reqs[2]!.at - reqs[1]!.at).toBeGreaterThanOrEqual(900);
    // Every attempt is signed anew, and verifies.
    for (const q of reqs) expect(() => verifyDelivery(q, r.destination.signing_secret)).not.toThrow();

    const d = await waitForDelivery(r.key, r.destination.id, eventId, "succeeded");
    expect(d.attempts!.map((a) => a.status_code)).toEqual([500, 502, 200]);
    expect(d.attempts!.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(d.attempts![0]!.error).toBe("HTTP 500");
    expect(d.attempts![1]!.response_body).toBe("bad gateway");
    expect(d.attempt_count).toBe(3);
  });

  it("counts a 3xx as a failure and does not follow it", async () => {
    const elsewhere = await mockEndpoint();
    const r = await rig(
      { retry: { max_attempts: 2, schedule_seconds: [1] } },
      { responses: [{ status: 302, headers: { location: elsewhere.url } }], default: { status: 204 } },
    );
    const eventId = await sendEvent(r);

    const d = await waitForDelivery(r.key, r.destination.id, eventId, "succeeded");
    expect(d.attempts!.map((a) => a.status_code)).toEqual([302, 204]);
    expect(d.attempts![0]!.error).toBe("redirect (302) not followed");
    expect(await elsewhere.requests()).toHaveLength(0);
  });

  it("counts connection errors and timeouts as failures", async () => {
    const r = await rig(
      { timeout_ms: 1000, retry: { max_attempts: 3, schedule_seconds: [0] } },
      { responses: [{ close: true }, { status: 200, delay_ms: 2500 }], default: { status: 200 } },
    );
    const eventId = await sendEvent(r);

    const d = await waitForDelivery(r.key, r.destination.id, eventId, "succeeded", 20_000);
    expect(d.attempts!.map((a) => a.status_code)).toEqual([null, null, 200]);
    expect(d.attempts![0]!.error).toMatch(/^connection error/);
    expect(d.attempts![1]!.error).toBe("timeout after 1000 ms");
  });

  it("waits at least as long as a 429's Retry-After asks, beyond the schedule", async () => {
    const r = await rig(
      { retry: { max_attempts: 2, schedule_seconds: [1] } },
      { responses: [{ status: 429, headers: { "retry-after": "2" } }], default: { status: 200 } },
    );
    await sendEvent(r);
    const reqs = await r.endpoint.waitForRequests(2, 15_000);
    expect(reqs).toHaveLength(2);
    expect(reqs[1]!.at - reqs[0]!.at).toBeGreaterThanOrEqual(1900);
  });
});

describe("dead letters (deliveries that used up their attempts)", () => {
  it("marks a delivery failed after its last attempt, sends nothing more, and a manual retry sends it once more", async () => {
    const r = await rig({ retry: { max_attempts: 2, schedule_seconds: [0] } }, { default: { status: 503 } });
    const eventId = await sendEvent(r);

    const failed = await waitForDelivery(r.key, r.destination.id, eventId, "failed");
    expect(failed.attempt_count).toBe(2);
    expect(failed.completed_at).not.toBeNull();
    expect(failed.next_attempt_at).toBeNull();
    expect(failed.last_status_code).toBe(503);
    await settle(500);
    expect(await r.endpoint.requests()).toHaveLength(2);

    await r.endpoint.script({ default: { status: 200 } });
    const retry = await api("POST", `/v1/deliveries/${failed.id}/retry`, { token: r.key });
    expect(retry.status).toBe(202);
    expect(retry.json.status).toBe("retrying");
    const healed = await waitForDelivery(r.key, r.destination.id, eventId, "succeeded");
    expect(healed.attempts!.map((a) => a.status_code)).toEqual([503, 503, 200]);
    const reqs = await r.endpoint.requests();
    expect(reqs.map((q) => q.headers["webhook-attempt"])).toEqual(["1", "2", "3"]);
    // The manual retry is the same message: one webhook-id throughout.
    expect(new Set(reqs.map((q) => q.headers["webhook-id"])).size).toBe(1);
  });
});

describe("waits longer than the queue's 12 h maximum", () => {
  it("schedules the retry at its time and hops a message that arrives early instead of sending it", async () => {
    const r = await rig({ retry: { max_attempts: 2, schedule_seconds: [30 * 3600] } }, { responses: [{ status: 500 }], default: { status: 200 } });
    const eventId = await sendEvent(r);
    const retrying = await waitForDelivery(r.key, r.destination.id, eventId, "retrying");
    const failedAt = Date.parse(retrying.attempts![0]!.at);
    const nextAt = Date.parse(retrying.next_attempt_at!);
    // 30 h, plus at most 10 % jitter.
    expect(nextAt - failedAt).toBeGreaterThanOrEqual(30 * HOUR_MS - 1000);
    expect(nextAt - failedAt).toBeLessThanOrEqual(33 * HOUR_MS + 1000);

    // The queue can only hold it 12 h: at 12 h and 24 h the message arrives early and is sent on.
    const msg = { delivery_id: retrying.id, attempt: 2 };
    expect(await processDelivery(env, msg, failedAt + 12 * HOUR_MS)).toBe("hop");
    expect(await processDelivery(env, msg, failedAt + 24 * HOUR_MS)).toBe("hop");
    expect(await r.endpoint.requests()).toHaveLength(1);
    expect((await delivery(r.key, retrying.id)).attempt_count).toBe(1);

    // When it is due it goes; a duplicate of the same message afterwards is dropped.
    expect(await processDelivery(env, msg, nextAt)).toBe("sent");
    expect(await processDelivery(env, msg, nextAt)).toBe("skipped");
    const done = await delivery(r.key, retrying.id);
    expect(done.status).toBe("succeeded");
    expect(done.attempts!.map((a) => a.status_code)).toEqual([500, 200]);
    expect(await r.endpoint.requests()).toHaveLength(2);
  });
});

describe("retry policy validation", () => {
  it("refuses max_attempts outside 1–11 and naming the field", async () => {
    const r = await rig();
    for (const max_attempts of [0, 12]) {
      const res = await api("POST", "/v1/destinations", { token: r.key, body: { url: r.endpoint.url, retry: { max_attempts } } });
      expect(res.status).toBe(400);
      expect(res.json.error.message).toMatch(/^retry\.max_attempts/);
    }
    const ok = await api("POST", "/v1/destinations", { token: r.key, body: { url: r.endpoint.url, retry: { max_attempts: 11 } } });
    expect(ok.status).toBe(201);
    expect(ok.json.retry).toEqual({ max_attempts: 11, schedule_seconds: [60, 300, 1800, 7200, 86400] });
    expect((await deliveriesOf(r.key, ok.json.id)).length).toBe(0);
  });
});

describe("dead-letter queue (messages that crash the consumer)", () => {
  it("is put back for a retry, not acked, and leaves the delivery open and unleased", async () => {
    const { r, deliveryId } = await waitingDelivery();
    // A consumer that cannot open secrets throws on every message.
    const broken = { ...env, ENCRYPTION_KEY: undefined } as unknown as Env;
    const { result, ids } = await runBatch("shiprelay-deliveries", [{ delivery_id: deliveryId, attempt: 1 }], broken);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toEqual([{ msgId: ids[0] }]);
    const [d] = await deliveriesOf(r.key, r.destination.id);
    expect(d).toMatchObject({ status: "pending", attempt_count: 0 });
    // It left no lease behind: the next try of the message can send at once.
    const row = await env.DB.prepare("SELECT lease_until FROM deliveries WHERE id = ?1").bind(deliveryId).first<{ lease_until: number | null }>();
    expect(row!.lease_until).toBeNull();
  });

  it("once dead-lettered, is recorded, and the delivery is sent again by the sweep", async () => {
    const { r, eventId, deliveryId } = await waitingDelivery();
    const { result, ids } = await runBatch("shiprelay-dead-letters", [{ delivery_id: deliveryId, attempt: 1 }]);
    expect(result.explicitAcks).toEqual(ids);

    const recorded = await deadLettersMentioning(deliveryId);
    expect(recorded).toEqual([{ queue: "shiprelay-dead-letters", why: "exhausted the queue's retries", body: { delivery_id: deliveryId, attempt: 1 } }]);
    expect(await r.endpoint.requests()).toHaveLength(0);

    // The housekeeping cron, some minutes later, finds it open without a queue message.
    expect(await sweepStuckDeliveries(env, Date.now() + 6 * 60_000)).toBeGreaterThanOrEqual(1);
    const sent = await waitForDelivery(r.key, r.destination.id, eventId, "succeeded");
    expect(sent.attempt_count).toBe(1);
    expect(await r.endpoint.requests()).toHaveLength(1);
  });

  it("once dead-lettered, can also be sent at once by hand", async () => {
    const { r, eventId, deliveryId } = await waitingDelivery();
    await runBatch("shiprelay-dead-letters", [{ delivery_id: deliveryId, attempt: 1 }]);
    const retry = await api("POST", `/v1/deliveries/${deliveryId}/retry`, { token: r.key });
    expect(retry.status).toBe(202);
    await waitForDelivery(r.key, r.destination.id, eventId, "succeeded");
  });

  it("a consumer that died mid-attempt holds the delivery only until its lease ends", async () => {
    const { r, eventId, deliveryId } = await waitingDelivery();
    const now = Date.now();
    // As a consumer leaves it when it claimed the delivery and then vanished (isolate killed).
    await env.DB.prepare("UPDATE deliveries SET lease_until = ?2 WHERE id = ?1").bind(deliveryId, now + 30_000).run();
    const msg = { delivery_id: deliveryId, attempt: 1 };
    expect(await processDelivery(env, msg, now)).toBe("leased");
    expect(await r.endpoint.requests()).toHaveLength(0);
    // The message comes back when the lease has lapsed, and makes the attempt.
    expect(await processDelivery(env, msg, now + 31_000)).toBe("sent");
    expect((await waitForDelivery(r.key, r.destination.id, eventId, "succeeded")).attempt_count).toBe(1);
    expect(await r.endpoint.requests()).toHaveLength(1);
  });

  it("a stale dead-lettered message does not disturb a delivery that has moved on", async () => {
    const r = await rig({ retry: { max_attempts: 3, schedule_seconds: [3600] } }, { default: { status: 500 } });
    const eventId = await sendEvent(r);
    const retrying = await waitForDelivery(r.key, r.destination.id, eventId, "retrying");
    const before = await env.DB.prepare("SELECT enqueued_at, next_attempt_at FROM deliveries WHERE id = ?1").bind(retrying.id).first();
    expect(before!.enqueued_at).not.toBeNull();
    // The message for attempt 1 (already made) dies late: its retry message for attempt 2 is still on its way.
    await runBatch("shiprelay-dead-letters", [{ delivery_id: retrying.id, attempt: 1 }]);
    expect(await deadLettersMentioning(retrying.id)).toHaveLength(1);
    expect(await env.DB.prepare("SELECT enqueued_at, next_attempt_at FROM deliveries WHERE id = ?1").bind(retrying.id).first()).toEqual(before);
  });
});

describe("malformed queue messages", () => {
  it("are recorded as dead letters and acked, never retried for ever", async () => {
    const marker = `junk-${Date.now()}`;
    const deliveries = await runBatch("shiprelay-deliveries", [{ what: marker }]);
    expect(deliveries.result.explicitAcks).toEqual(deliveries.ids);
    const jobs = await runBatch("shiprelay-jobs", [{ kind: "nonsense", marker }]);
    expect(jobs.result.explicitAcks).toEqual(jobs.ids);
    const recorded = await deadLettersMentioning(marker);
    expect(recorded.map((d) => [d.queue, d.why]).sort()).toEqual([
      ["shiprelay-deliveries", "malformed delivery message"],
      ["shiprelay-jobs", "malformed job message"],
    ]);
  });
});
