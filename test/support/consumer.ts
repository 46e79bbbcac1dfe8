import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { expect } from "vitest";
import { consumeDeliveries, processDeliveries } from "../../src/delivery/consumer";
import type { ProcessResult } from "../../src/delivery/decide";
import type { DeliveryMessage } from "../../src/delivery/messages";
import { mockEndpoint, type MockEndpoint } from "./mock";
import { api, atoshipEvent, atoshipWorkspace, createDestination, postAtoship } from "./relay";

/**
 * Helpers for tests that run the delivery consumer themselves: deliveries that wait with no
 * queue message out for them, and a hand-made queue batch run through the real consumer.
 */

/** One AtoShip event delivered to `count` destinations, created paused (so no message is sent) and then set active in D1 directly. */
export async function waitingDeliveries(name: string, count: number, destination: Record<string, unknown> = {}) {
  const { key, source } = await atoshipWorkspace(name);
  const endpoints: MockEndpoint[] = [];
  const dests: { id: string }[] = [];
  for (let i = 0; i < count; i++) {
    const endpoint = await mockEndpoint();
    endpoints.push(endpoint);
    dests.push(await createDestination(key, { url: endpoint.url, status: "paused", ...destination }));
  }
  expect((await postAtoship(source, atoshipEvent({ data: { order_id: `ord_${name}` } }))).status).toBe(200);
  const deliveries: { id: string; status: string; attempt_count: number }[] = [];
  for (const d of dests) {
    await env.DB.prepare("UPDATE destinations SET status = 'active' WHERE id = ?1").bind(d.id).run();
    const listed = await api("GET", `/v1/deliveries?destination=${d.id}`, { token: key });
    deliveries.push(listed.json.data[0]);
  }
  return { key, endpoints, dests, deliveries };
}

/** Runs the delivery consumer on a batch of these messages; answers what it acked and retried. */
export async function runDeliveryBatch(messages: { id: string; body: unknown; attempts?: number }[], runEnv: Env = env) {
  const batch = createMessageBatch(
    "shiprelay-deliveries",
    messages.map((m) => ({ id: m.id, body: m.body, attempts: m.attempts ?? 1, timestamp: new Date() })),
  );
  const ctx = createExecutionContext();
  await consumeDeliveries(batch, runEnv);
  return getQueueResult(batch, ctx);
}

/** One message through the consumer's steps on its own, at `now`: what became of it (its failure thrown). */
export async function processDelivery(runEnv: Env, msg: DeliveryMessage, now = Date.now()): Promise<ProcessResult> {
  const [outcome] = await processDeliveries(runEnv, [msg], now);
  if (outcome!.status === "rejected") throw outcome!.reason;
  return outcome!.value;
}
