// The relay beside `/work/shared/peers/edge-floor` (a minimal Worker of the relay's own design:
// HMAC check, one call into one of 64 order objects, an outbox flushed as one multi-row D1 insert
// and one sendBatch, a consumer that POSTs), under the same load in one run: a flood of signed
// AtoShip callbacks with duplicates against an endpoint that fails a share of its attempts, then
// the same steady rate against both. Both take `x-atoship-signature: sha256=<hex>`, so one
// generator drives both, each with its own secret.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { callbackClient, pacedLoad } from "./load.mjs";
import { atoshipCallback, setUpWorkspace } from "./provider.mjs";
import { startReceiver } from "./receiver.mjs";
import { benchVars, ROOT, sleep, startRelay } from "./relay.mjs";
import { summarize } from "./stats.mjs";

export const FLOOR_DIR = "/work/shared/peers/edge-floor";

/** The relay's destination retry in this comparison: the same short schedule as the integrity run. */
const RETRY = { max_attempts: 6, schedule_seconds: [1, 1, 2] };

/**
 * `callbacks` signed callbacks over `orders` orders, `duplicateShare` of them a resend of an
 * earlier one (same bytes, a few positions later, so some race their original), posted by
 * `connections` keep-alive connections as fast as answers come. Each callback is signed when it
 * is first posted, so its `bench_sent_at` and the send time recorded in `sentAt` (event id →
 * epoch ms, from the 2xx's `event_ids`) are the moment it left.
 */
export async function flood(base, target, { callbacks, orders, duplicateShare, connections, runId, sentAt }) {
  const events = Math.round(callbacks / (1 + duplicateShare));
  const plan = Array.from({ length: events }, (_, seq) => seq);
  while (plan.length < callbacks) {
    const original = Math.floor(Math.random() * events);
    plan.splice(Math.min(plan.length, plan.indexOf(original) + 1 + Math.floor(Math.random() * 50)), 0, original);
  }
  const signed = new Map();
  const client = callbackClient(base, target.ingestPath, connections);
  const ackMs = [];
  let ok = 0;
  let failed = 0;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < plan.length) {
      const seq = plan[next++];
      const at = Date.now();
      if (!signed.has(seq)) signed.set(seq, atoshipCallback(target.secret, { run: runId, seq, order: seq % orders, sentAt: at }));
      const answer = await client.post(signed.get(seq));
      ackMs.push(answer.ms);
      if (answer.status !== 200) {
        failed++;
        continue;
      }
      ok++;
      for (const id of JSON.parse(answer.body).event_ids ?? []) if (!sentAt.has(id)) sentAt.set(id, at);
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  client.close();
  return { requests: plan.length, events, ok, failed, seconds, rps: plan.length / seconds, ack: summarize(ackMs) };
}

/** Waits until every event of `sentAt` reached the receiver (or the timeout); end-to-end from the id maps. */
async function deliveries(receiver, sentAt, timeoutMs, alive) {
  const started = Date.now();
  const arrived = () => [...sentAt.keys()].filter((id) => receiver.books.receivedAt.has(id)).length;
  while (Date.now() - started < timeoutMs && arrived() < sentAt.size) {
    if (!alive()) throw new Error("a runtime of the side-by-side comparison exited");
    await sleep(100);
  }
  const ms = [...sentAt].filter(([id]) => receiver.books.receivedAt.has(id)).map(([id, at]) => receiver.books.receivedAt.get(id) - at);
  return { expected: sentAt.size, delivered: ms.length, complete: ms.length === sentAt.size, drainMs: Date.now() - started, endToEnd: summarize(ms), doubled: receiver.books.doubled };
}

/** A copy of the floor (its README's way to run it), with the project's node_modules. */
function floorProject(workDir) {
  const dir = path.join(workDir, "edge-floor");
  fs.cpSync(FLOOR_DIR, dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}.wrangler`) && !src.endsWith("node_modules") });
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

/**
 * Both Workers fresh, both running, loaded one after the other: a warm-up, the flood on the
 * floor then on the relay, then the same steady rate (half the slower flood) on each.
 */
export async function sideBySide({ project, workDir, bundle, side, drainTimeoutMs, log }) {
  if (!fs.existsSync(FLOOR_DIR)) return { skipped: `${FLOOR_DIR} not found` };
  const rxRelay = await startReceiver({ failRate: side.failRate, alwaysAcceptFrom: RETRY.max_attempts });
  const rxFloor = await startReceiver({ failRate: side.failRate });
  const secret = crypto.randomBytes(16).toString("hex");
  const relay = await startRelay({ project, workDir, bundle, name: "side-relay", vars: benchVars() });
  let floor = null;
  try {
    floor = await startRelay({ project: floorProject(workDir), workDir, bundle: null, name: "side-floor", vars: { SECRET: secret, DEST: rxFloor.url } });
    const ws = await setUpWorkspace(relay.base, relay.adminToken, { name: "side", endpoints: [rxRelay.url], retry: RETRY });
    const targets = {
      floor: { run: floor, rx: rxFloor, target: { ingestPath: "/in", secret } },
      relay: { run: relay, rx: rxRelay, target: { ingestPath: ws.ingestPath, secret: ws.source.secret } },
    };
    const runId = `s${Date.now().toString(36)}`;
    const out = { load: { ...side }, floor: {}, relay: {} };
    const load = { orders: side.orders, duplicateShare: side.duplicateShare, connections: side.connections };
    for (const [name, t] of Object.entries(targets)) {
      log(`side by side: warm-up of ${name}`);
      const sentAt = new Map();
      await flood(t.run.base, t.target, { ...load, callbacks: side.warmup, runId: `${runId}w${name}`, sentAt });
      await deliveries(t.rx, sentAt, drainTimeoutMs, t.run.alive);
    }
    for (const [name, t] of Object.entries(targets)) {
      log(`side by side: flood of ${side.callbacks} callbacks over ${side.orders} orders on ${name} (${side.connections} connections, endpoint failing ${side.failRate * 100} %)`);
      t.rx.reset();
      const sentAt = new Map();
      const f = await flood(t.run.base, t.target, { ...load, callbacks: side.callbacks, runId: `${runId}f${name}`, sentAt });
      out[name].flood = { ...f, ...(await deliveries(t.rx, sentAt, drainTimeoutMs, t.run.alive)), attempts: t.rx.books.attempts, failedAttempts: t.rx.books.failedAttempts };
    }
    out.rate = Math.max(1, Math.round(Math.min(out.floor.flood.rps, out.relay.flood.rps) / 2));
    for (const [name, t] of Object.entries(targets)) {
      log(`side by side: ${out.rate} callbacks/s for ${side.pacedSeconds} s on ${name}`);
      t.rx.reset();
      const sentAt = new Map();
      const p = await pacedLoad(t.run.base, { ingestPath: t.target.ingestPath, source: { secret: t.target.secret } }, { rate: out.rate, seconds: side.pacedSeconds, orders: side.orders, runId: `${runId}p${name}`, sentAt });
      const ack = summarize(p.ackMs);
      delete p.ackMs;
      out[name].paced = { ...p, ack, ...(await deliveries(t.rx, sentAt, drainTimeoutMs, t.run.alive)) };
    }
    return out;
  } finally {
    await relay.stop();
    await floor?.stop();
    await rxRelay.close();
    await rxFloor.close();
  }
}
