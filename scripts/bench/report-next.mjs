// BENCHMARKS.md's closing sections: the floor of the design's calls on this runtime, how the hot
// path is built, and what is left — with the run's figures filled in.
import { retentionRows, rowsPerEvent } from "./report-edge.mjs";

const fmt = (n, digits = 1) => (n === null || n === undefined || Number.isNaN(n) ? "–" : Number(n).toFixed(digits));

/**
 * The floor of the design on this runtime: each binding operation an event needs under load
 * (the burst's counts), priced by the calibration run. The consumer's invocations are left
 * out, so it is a lower bound.
 */
export function floorOf(run, f) {
  const p = run.operations.primitives;
  const oc = run.operations.orderCalls;
  if (!p || !oc || f.healthCpuMs === null) return null;
  const b = run.operations.burst;
  const per = (key) => b.counts.total[key] / b.events;
  const priced = (label, count, op) => (op ? [{ label, count, cpuMs: op.cpuMs }] : []);
  const rows = [
    ...priced("the HTTP request itself (priced as a `/healthz`)", 1, { cpuMs: f.healthCpuMs }),
    ...priced("call into a warm order object", per("durableObjectRequests"), p.object_call ?? oc.warm),
    ...priced("D1 round trip (a one-row write batch)", per("d1RoundTrips"), p.d1_write),
    ...priced("queue send", per("queueSendCalls"), p.queue_send),
    ...priced("outbound fetch (the delivery)", per("fetchSubrequests"), p.fetch),
  ];
  const phases = [run.ceiling.cpu, run.ingest.cpuDuringLoad, run.ingest.cpu, run.paced.cpu, run.integrity.cpu];
  return {
    n: p.d1_write.n,
    concurrency: p.d1_write.concurrency ?? 1,
    rows,
    total: rows.reduce((sum, r) => sum + r.count * r.cpuMs, 0),
    maxCores: Math.max(...phases.map((c) => c.runtime / c.seconds)),
  };
}

function floorLine(run, f) {
  const floor = floorOf(run, f);
  const bound = floor ? ` — the calls alone would allow ${fmt(1000 / floor.total / run.ceiling.rps, 2)} × the ceiling, the code between them takes it to ${fmt(f.ratio, 2)} ×` : "";
  return `- **Throughput here is bounded mostly by the runtime**: see "The floor" above${bound}, and the edge floor beside it. Every remaining call (one object call before the 2xx; one D1 batch and one queue send per outbox flush; one fetch per delivery) is one the design needs (dedupe, order and durability in the object; the event listed in D1; its message on the queue). What is ours to shave is the ${floor ? fmt((f.eventCpuMs ?? 0) - floor.total, 2) : "–"} ms per event between the calls (verification, JSON, the object's SQLite statements, signing).`;
}

function outboxLine(run, perBurst) {
  const g = run.operations.oneObject;
  const per = (key) => (g ? ((g.counts.outbox_flush ?? g.counts.order_do)[key] + (g.counts.ingest_after?.[key] ?? 0)) / g.events : null);
  const shown = g
    ? ` ${g.events} callbacks posted at once for ${g.orders} orders of one object: **${fmt(per("d1RoundTrips"), 2)} D1 round trips, ${fmt(per("d1Statements"), 2)} statements and ${fmt(per("queueSendCalls"), 2)} queue sends per event** in its flushes.`
    : "";
  return `- **The order object's outbox** (\`src/orders/outbox.ts\`): a commit writes the event into the object's SQLite and answers; a flush starts right after and takes every entry waiting — one guarded multi-row D1 batch and one \`sendBatch\` — so commits that arrive while a flush runs share the next one.${shown} In the burst, whose 10 concurrent callbacks mostly land on different objects of ${run.config?.orderShards ?? "?"}, flushes made ${fmt(perBurst("outbox_flush", "d1RoundTrips"), 2)} round trips per event. At production rates (many commits per object while a flush waits on a remote D1) overlap is the normal case; it is what keeps D1's single writer off the ACK path and below its statement rate (SCALING.md).`;
}

/** How the hot path is built today, and what is left — with this run's figures filled in. */
export function NEXT_STEPS(run, { one, burst, f, hotOne }) {
  const b = run.operations.burst;
  const perBurst = (scope, key) => (b.counts[scope]?.[key] ?? 0) / b.events;
  return [
    "## How the hot path is built (and what each piece saved)",
    "",
    `- **The 2xx follows one remote call.** The ingest request verifies the callback, calls the order object, and answers once the object's write is durable: ${fmt(hotOne.ingest.d1RoundTrips, 0)} D1 round trips and ${fmt(hotOne.ingest.queueSendCalls, 0)} queue sends while it is open. The source and its routing are cached per isolate (\`src/ingest/source-config.ts\`, \`SOURCE_CACHE_TTL_SECONDS\`); the fan-out is decided at flush time under the workspace's \`config_version\` guard, so a stale cache can only cause a redo, never a wrong fan-out.`,
    `- **Warm order objects.** \`ORDER_SHARDS\` (${run.config?.orderShards ?? "?"} per workspace) hashes order keys onto objects that stay warm; each still serializes per order key and sequences per order.`,
    outboxLine(run, perBurst),
    `- **Consumer batches** (\`src/delivery/consumer.ts\`, \`record.ts\`): one round trip reads and claims a whole queue batch, one records all its attempts (attempt rows and delivery updates one statement each): ${fmt(perBurst("delivery", "d1RoundTrips"), 2)} D1 round trips per delivery in the burst, ${fmt(hotOne.delivery.d1RoundTrips, 0)} for a delivery alone.`,
    "",
    "## What is left",
    "",
    floorLine(run, f),
    (() => {
      const t = b.counts.total.tables;
      const top = Object.entries(t)
        .filter(([, v]) => v.rowsWritten > 0)
        .sort((x, y) => y[1].rowsWritten - x[1].rowsWritten)
        .map(([name, v]) => `\`${name}\` ${fmt(v.rowsWritten / b.events, 1)}`)
        .join(", ");
      const alarms = b.counts.total.doSetAlarms / b.events;
      const later = retentionRows(run.operations);
      const retention = later
        ? ` Retention later writes ${fmt(later.perEvent, 1)} more (a delete is a row written: the event, its delivery, its dedupe row), counted and priced beside the total above; dropping time partitions instead of deleting rows (SCALING.md, "1 billion stored events") is what would remove those.`
        : "";
      return `- **Cost: rows written** are the largest lines of the bill at $1 per million each, in D1 and in the object's storage alike: ${fmt(rowsPerEvent(burst), 1)} per event in the burst (${top}; \`setAlarm\` ${fmt(alarms, 2)}). Each one is kept for a reader (test/db/rows-written.test.ts, and the comments of \`src/db/tables/\`, justify them one by one): the event row, with its payload and its request's ingest-log entry inline, and its workspace and order-key entries (the list, and the order and tracking lookups); the delivery row, its destination and open entries (the stats and the destination filter; ordering, the drain and the sweep), its claim and its finish (a first-attempt success is recorded on it); the object's dedupe row, and its outbox mark. An event's deliveries are a key range of their ids and a workspace's are read through its events, so neither has an index of its own. What would go next changes what is kept or the guarantees: the claim (one write that stops two consumers sending one attempt), or the outbox mark (leaving the entry in the object until retention, paid in storage instead).${retention}`;
    })(),
    `- **A slow endpoint holds its batch**: an invocation may hold 6 connections and waits for all its sends, so one endpoint at its timeout delays the batch's other deliveries by up to that long (not exercised here: the receiver answers at once). Per-destination batches, or putting back the messages of a destination already known to be slow, would isolate it.`,
  ].join("\n");
}
