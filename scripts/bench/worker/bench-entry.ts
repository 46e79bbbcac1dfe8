/**
 * The benchmark's Worker entry: the real one (src/index.ts) with its bindings wrapped in
 * counters of billable operations. `npm run bench` bundles it
 * (scripts/bench/worker/bench-entry.ts) and runs it only for the operation count; every
 * timing and CPU figure comes from the unmodified entry. Benchmark only: it lives outside
 * src/, so `npm run build` and deploys never see it.
 *
 * `GET /__bench/ops` answers the counters; `POST /__bench/ops/reset` zeroes them.
 * `POST /__bench/order-calls?n=&fresh=1` times n calls into order objects (new ones with
 * `fresh=1`), to price a Durable Object hop on this runtime. `POST /__bench/primitive?op=&n=`
 * makes n of one binding operation the hot path is built of (a D1 read or write round trip, a
 * queue send, an outbound fetch), on the raw bindings, so the bench can
 * price each on this runtime and add up the floor of the relay's design.
 * `POST /__bench/retention?workspace=&orders=` runs retention as of a day past RETENTION_DAYS:
 * D1's purge (scope `retention`) and the expiry of the named orders' objects (`order_do`).
 */
import worker, { OrderSequencer as BaseOrderSequencer, RateLimiter as BaseRateLimiter } from "../../../src/index";
import { purgeExpired } from "../../../src/housekeeping/retention";
import { orderShards, retentionDays } from "../../../src/lib/config";
import { sequencerName } from "../../../src/orders/identity";
import { countDurableObjectStorage } from "./counting-durable-objects";
import { countingEnv } from "./counting-env";
import { countingBatch } from "./counting-queues";
import { opCounter, requestScope } from "./op-counts";

export * from "../../../src/index";

const realFetch = globalThis.fetch;
globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
  opCounter.scope("other").fetchSubrequests++;
  return realFetch(input, init);
};

export class OrderSequencer extends BaseOrderSequencer {
  constructor(ctx: DurableObjectState, env: Env) {
    countDurableObjectStorage(ctx, opCounter);
    // Only the outbox uses the object's bindings (D1 batch, sendBatch): counted as its flush.
    super(ctx, countingEnv(env, opCounter.scope("outbox_flush")));
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

/** Scratch table of the calibration writes (the ops relay's own database; never in production). */
const SCRATCH = "CREATE TABLE IF NOT EXISTS bench_scratch (id TEXT PRIMARY KEY, body TEXT NOT NULL)";

/** n binding operations of one kind, one after another. */
async function primitive(env: Env, params: URLSearchParams): Promise<Response> {
  const n = Math.min(Math.max(Number(params.get("n") ?? 50), 1), 2000);
  const op = params.get("op");
  const started = Date.now();
  if (op === "d1_write") await env.DB.prepare(SCRATCH).run();
  for (let i = 0; i < n; i++) {
    if (op === "d1_read") await env.DB.prepare("SELECT 1 AS one").first();
    else if (op === "d1_write") {
      await env.DB.batch([env.DB.prepare("INSERT INTO bench_scratch (id, body) VALUES (?1, ?2)").bind(crypto.randomUUID(), "x".repeat(500))]);
    } else if (op === "queue_send") {
      // A queue the bench adds to the ops relay's config with no consumer: the producer's side alone.
      const sink = (env as unknown as { BENCH_SINK?: Queue }).BENCH_SINK;
      if (!sink) return Response.json({ error: "no BENCH_SINK queue binding" }, { status: 400 });
      await sink.sendBatch([{ body: { delivery_id: `dlv_calibration_${i}`, attempt: 1 }, contentType: "json" }]);
    } else if (op === "fetch") {
      const res = await realFetch(params.get("url")!, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
      await res.arrayBuffer();
    } else return Response.json({ error: `unknown op ${op}` }, { status: 400 });
  }
  return Response.json({ op, n, ms: Date.now() - started });
}

/** Retention a day after it is due: D1's purge of every workspace, and the named orders' objects' expiry. */
async function retention(env: Env, params: URLSearchParams): Promise<Response> {
  const at = Date.now() + (retentionDays(env) + 1) * 86_400_000;
  const purged = await purgeExpired(countingEnv(env, opCounter.scope("retention")), at, { maxBatches: 100 });
  const workspaceId = params.get("workspace") ?? "";
  const names = new Set((params.get("orders") ?? "").split(",").filter(Boolean).map((key) => sequencerName(workspaceId, key, "", orderShards(env))));
  let dedupeRows = 0;
  for (const name of names) dedupeRows += await env.ORDERS.get(env.ORDERS.idFromName(name)).expireAsOf(at);
  return Response.json({ purged, dedupeRows, objects: names.size });
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
    if (path === "/__bench/primitive" && request.method === "POST") return primitive(env, new URL(request.url).searchParams);
    if (path === "/__bench/retention" && request.method === "POST") return retention(env, new URL(request.url).searchParams);
    // An ingest request counts as the ACK path until its response is out; what it does after
    // (ctx.waitUntil) is counted apart. Every other request is `other`.
    const ingest = path.startsWith("/in/");
    const scope = requestScope(opCounter, ingest ? "ingest" : "other", ingest ? "ingest_after" : "other");
    scope.counts.workerFetches++;
    try {
      return await worker.fetch(request, countingEnv(env, scope.counts), ctx);
    } finally {
      scope.close();
    }
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
