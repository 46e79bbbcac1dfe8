// Counts the billable operations of real events on the counting entry
// (scripts/bench/worker/bench-entry.ts): the same Worker with its bindings wrapped in counters.
import { atoshipCallback, setUpWorkspace } from "./provider.mjs";
import { cpuSeconds, sleep } from "./relay.mjs";

async function counters(base) {
  const res = await fetch(`${base}/__bench/ops`);
  if (!res.ok) throw new Error(`GET /__bench/ops → ${res.status}: the counting entry is not running`);
  return res.json();
}

async function reset(base) {
  await fetch(`${base}/__bench/ops/reset`, { method: "POST" });
}

/** Waits until `attempts` more deliveries arrived and the counters stop moving (the consumer records after the POST). */
async function settle(base, receiver, attempts, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (receiver.books.attempts < attempts && Date.now() < deadline) await sleep(20);
  let last = "";
  while (Date.now() < deadline) {
    const now = JSON.stringify(await counters(base));
    if (now === last) return JSON.parse(now);
    last = now;
    await sleep(300);
  }
  throw new Error("operation counters did not settle");
}

async function post(base, workspace, payload) {
  const res = await fetch(base + workspace.ingestPath, { method: "POST", body: payload.body, headers: payload.headers });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`callback answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

/**
 * Scenarios: one event to one destination (a new order), the same to three destinations,
 * the provider resending an event already accepted, and a burst of events over a few
 * orders (objects already exist, the consumer gets real batches) — per event.
 */
export async function countOperations(relay, receiver, { burst, orderShards }) {
  const { base } = relay;
  const one = await setUpWorkspace(base, relay.adminToken, { name: "ops-one", endpoints: [receiver.url] });
  const three = await setUpWorkspace(base, relay.adminToken, { name: "ops-three", endpoints: [receiver.url, receiver.url, receiver.url] });
  const results = {};

  // Warm the isolate (module init, keyring, HMAC key) so the counts are a steady event's.
  const warmBefore = receiver.books.attempts;
  await post(base, one, atoshipCallback(one.source.secret, { run: "ops-warm", seq: 0, order: 0 }));
  await settle(base, receiver, warmBefore + 1);

  const single = async (name, workspace, payload, deliveries) => {
    await reset(base);
    const before = receiver.books.attempts;
    await post(base, workspace, payload);
    results[name] = { events: 1, counts: await settle(base, receiver, before + deliveries) };
  };
  const first = atoshipCallback(one.source.secret, { run: "ops", seq: 1, order: 1 });
  await single("one_destination", one, first, 1);
  await single("three_destinations", three, atoshipCallback(three.source.secret, { run: "ops", seq: 2, order: 2 }), 3);
  await single("duplicate", one, first, 0);

  // The burst's objects exist before it (one callback per order), so it counts a steady event's
  // rows, not each new object's CREATE TABLEs and first alarm (the lone events above show those).
  const warmBurst = receiver.books.attempts;
  await Promise.all(Array.from({ length: 10 }, (_, order) => post(base, one, atoshipCallback(one.source.secret, { run: "ops-burst", seq: burst + order, order }))));
  await settle(base, receiver, warmBurst + 10);
  await reset(base);
  const before = receiver.books.attempts;
  const payloads = Array.from({ length: burst }, (_, i) => atoshipCallback(one.source.secret, { run: "ops-burst", seq: i, order: i % 10 }));
  for (let i = 0; i < payloads.length; i += 10) await Promise.all(payloads.slice(i, i + 10).map((p) => post(base, one, p)));
  results.burst = { events: burst, orders: 10, counts: await settle(base, receiver, before + burst, 60_000) };
  // The outbox batching: callbacks that arrive together for different orders of one object
  // commit one by one, and every commit that lands while a flush runs shares the next flush.
  await reset(base);
  const sameObject = ordersOfOneObject("ops-group", 40, orderShards);
  const beforeGroup = receiver.books.attempts;
  await Promise.all(sameObject.map((order, i) => post(base, one, atoshipCallback(one.source.secret, { run: "ops-group", seq: i, order }))));
  results.oneObject = { events: sameObject.length, orders: sameObject.length, counts: await settle(base, receiver, beforeGroup + sameObject.length, 60_000) };

  // Retention, a day after it is due: what deleting every row above costs (D1's purge), and the
  // burst's order objects forgetting their dedupe rows.
  await reset(base);
  const orders = Array.from({ length: 10 }, (_, order) => `order:ord_ops-burst_${order}`).join(",");
  const purge = await fetch(`${base}/__bench/retention?workspace=${one.workspaceId}&orders=${encodeURIComponent(orders)}`, { method: "POST" });
  if (!purge.ok) throw new Error(`retention answered ${purge.status}: ${await purge.text()}`);
  results.retention = { ...(await purge.json()), counts: await counters(base) };

  results.orderCalls = await timeOrderCalls(relay, burst);
  results.primitives = await timePrimitives(relay, receiver);
  return results;
}

/** Waits until the runtime's CPU stops moving (the consumer has caught up). */
async function quiet(relay) {
  let last = cpuSeconds(relay.runtime);
  for (let i = 0; i < 50; i++) {
    await sleep(200);
    const now = cpuSeconds(relay.runtime);
    if (now - last < 0.002) return;
    last = now;
  }
}

/**
 * Runtime CPU of one binding operation on this runtime (scripts/bench/worker/bench-entry.ts
 * `/__bench/primitive`), priced under the same kind of load as the flat-out ingest run —
 * `concurrency` requests at once, each making `n` operations in a row, so the HTTP requests
 * carrying them weigh 1/n — because a lone operation costs more (the runtime's wakeups are
 * shared by fewer). `queue_send` goes to a queue without a consumer (the ops relay's config only).
 */
async function timePrimitives(relay, receiver, { n = 50, concurrency = 16 } = {}) {
  const out = {};
  const run = async (op, path) => {
    await quiet(relay);
    const cpu0 = cpuSeconds(relay.runtime);
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: concurrency }, async () => {
        const res = await fetch(`${relay.base}${path}`, { method: "POST" });
        if (!res.ok) throw new Error(`${op} → ${res.status}: ${await res.text()}`);
        return res.json();
      }),
    );
    const wallMs = answers.reduce((sum, a) => sum + a.ms, 0) / (concurrency * n);
    await quiet(relay);
    out[op] = { n: n * concurrency, concurrency, wallMs, cpuMs: ((cpuSeconds(relay.runtime) - cpu0) * 1000) / (n * concurrency), seconds: (performance.now() - started) / 1000 };
  };
  for (const op of ["d1_read", "d1_write", "queue_send", "fetch"]) {
    await run(op, `/__bench/primitive?op=${op}&n=${n}&url=${encodeURIComponent(receiver.url)}`);
  }
  await run("object_call", `/__bench/order-calls?n=${n}&fresh=0`);
  return out;
}

/**
 * `n` order numbers whose AtoShip order ids (`ord_<run>_<n>`) land on the same order object:
 * the shard pick of src/orders/identity.ts (`sequencerName`: FNV-1a of the order key, modulo
 * ORDER_SHARDS), repeated here because the bench runs outside the Worker.
 */
function ordersOfOneObject(run, n, shards) {
  const shardOf = (key) => {
    let hash = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
    return (hash >>> 0) % shards;
  };
  const target = shardOf(`order:ord_${run}_0`);
  const orders = [];
  for (let order = 0; orders.length < n; order++) if (shardOf(`order:ord_${run}_${order}`) === target) orders.push(order);
  return orders;
}

/** Wall and runtime CPU time of one call into an order object: an existing one, and a new one. */
async function timeOrderCalls(relay, n) {
  const once = async (fresh) => {
    const cpu0 = cpuSeconds(relay.runtime);
    const res = await fetch(`${relay.base}/__bench/order-calls?n=${n}&fresh=${fresh ? 1 : 0}`, { method: "POST" });
    const { ms } = await res.json();
    return { wallMs: ms / n, cpuMs: ((cpuSeconds(relay.runtime) - cpu0) * 1000) / n };
  };
  await once(false); // the warm object exists from here on
  return { calls: n, warm: await once(false), fresh: await once(true) };
}
