/**
 * The benchmark's Worker entry: the real one (src/index.ts) with its bindings wrapped in
 * counters of billable operations. `npm run bench` runs it (with `wrangler dev
 * src/metrics/bench-entry.ts`) only for the operation count; every timing and CPU figure
 * comes from the unmodified entry. Never deployed.
 *
 * `GET /__bench/ops` answers the counters; `POST /__bench/ops/reset` zeroes them.
 * `POST /__bench/order-calls?n=&fresh=1` times n calls into order objects (new ones with
 * `fresh=1`), to price a Durable Object hop on this runtime.
 */
import worker, { OrderSequencer as BaseOrderSequencer, RateLimiter as BaseRateLimiter } from "../index";
import { countDurableObjectStorage } from "./counting-durable-objects";
import { countingEnv } from "./counting-env";
import { countingBatch } from "./counting-queues";
import { opCounter } from "./op-counts";

export * from "../index";

const realFetch = globalThis.fetch;
globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
  opCounter.scope("other").fetchSubrequests++;
  return realFetch(input, init);
};

export class OrderSequencer extends BaseOrderSequencer {
  constructor(ctx: DurableObjectState, env: Env) {
    countDurableObjectStorage(ctx, opCounter);
    super(ctx, countingEnv(env, opCounter.scope("order_do")));
  }
}

export class RateLimiter extends BaseRateLimiter {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, countingEnv(env, opCounter.scope("other")));
  }
}

/** Calls the cheapest RPC method of an order object n times, on one object or each time a new one. */
async function timeOrderCalls(env: Env, params: URLSearchParams): Promise<Response> {
  const n = Math.min(Math.max(Number(params.get("n") ?? 50), 1), 1000);
  const fresh = params.get("fresh") === "1";
  const started = Date.now();
  for (let i = 0; i < n; i++) {
    const name = fresh ? `bench-call:${crypto.randomUUID()}` : "bench-call:warm";
    await env.ORDERS.get(env.ORDERS.idFromName(name)).peekSequence("order:bench");
  }
  return Response.json({ n, fresh, ms: Date.now() - started });
}

export default {
  async fetch(request, env, ctx) {
    const path = new URL(request.url).pathname;
    if (path === "/__bench/ops" && request.method === "GET") return Response.json(opCounter.snapshot());
    if (path === "/__bench/ops/reset" && request.method === "POST") {
      opCounter.reset();
      return Response.json({ ok: true });
    }
    if (path === "/__bench/order-calls" && request.method === "POST") return timeOrderCalls(env, new URL(request.url).searchParams);
    const scope = path.startsWith("/in/") ? opCounter.scope("ingest") : opCounter.scope("other");
    scope.workerFetches++;
    return worker.fetch(request, countingEnv(env, scope), ctx);
  },
  async queue(batch, env) {
    const scope = batch.queue.startsWith("shiprelay-deliveries") ? opCounter.scope("delivery") : opCounter.scope("other");
    return worker.queue(countingBatch(batch, scope), countingEnv(env, scope));
  },
  async scheduled(controller, env, ctx) {
    opCounter.scope("other").workerFetches++;
    return worker.scheduled(controller, countingEnv(env, opCounter.scope("other")), ctx);
  },
} satisfies ExportedHandler<Env, unknown>;
