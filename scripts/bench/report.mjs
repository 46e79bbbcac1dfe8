// Renders a benchmark run as BENCHMARKS.md.
import { costPerMillionEvents, PRICES } from "./prices.mjs";
import { ackPathSection, edgeTargets, retentionRows, rowsPerEvent, sideBySideSection } from "./report-edge.mjs";
import { floorOf, NEXT_STEPS } from "./report-next.mjs";
import { operationsSection } from "./report-ops.mjs";

const fmt = (n, digits = 1) => (n === null || n === undefined || Number.isNaN(n) ? "–" : Number(n).toFixed(digits));
const int = (n) => (n === null || n === undefined ? "–" : Math.round(n).toLocaleString("en-US"));
const usd = (n) => (n < 0.01 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`);
const met = (ok) =>
  ok === null
    ? "n/a"
    : ok === "partly"
      ? "**met when commits overlap**, not for an event alone"
      : ok === "fresh"
        ? "**met on a fresh runtime**, not after it has aged"
        : ok
          ? "**met**"
          : "**not met**";

/** Per-event figures of one counted scenario (counts divided by the scenario's events). */
export function perEvent(scenario) {
  const t = scenario.counts.total;
  const n = scenario.events;
  return {
    workerFetches: t.workerFetches / n,
    queueBatches: t.queueBatches / n,
    workerRequests: (t.workerFetches + t.queueBatches) / n,
    doRequests: t.durableObjectRequests / n,
    doWallMs: t.durableObjectWallMs / n,
    doSqlStatements: t.doSqlStatements / n,
    doRowsRead: t.doSqlRowsRead / n,
    doRowsWritten: t.doSqlRowsWritten / n,
    doAlarmCalls: t.doAlarmCalls / n,
    // "Each setAlarm() is billed as a single row written" (Durable Objects pricing).
    doSetAlarms: t.doSetAlarms / n,
    doBilledRowsWritten: (t.doSqlRowsWritten + t.doSetAlarms) / n,
    d1RoundTrips: t.d1RoundTrips / n,
    d1Statements: t.d1Statements / n,
    d1ReadStatements: t.d1ReadStatements / n,
    d1WriteStatements: t.d1WriteStatements / n,
    d1RowsRead: t.d1RowsRead / n,
    d1RowsWritten: t.d1RowsWritten / n,
    d1WallMs: t.d1WallMs / n,
    queueSendCalls: t.queueSendCalls / n,
    queueMessages: t.queueMessagesSent / n,
    queueBytes: t.queueBytesSent / Math.max(1, t.queueMessagesSent),
    queueAcks: t.queueAcks / n,
    queueRetries: t.queueRetries / n,
    // Queues bill write + read + delete per 64 KB of each message; a retry adds a read.
    queueOperations: (3 * t.queueMessagesSent + t.queueRetries) / n,
    fetchSubrequests: t.fetchSubrequests / n,
  };
}

/** The runtime's CPU per unit of work, with its idle background taken out. */
function cpuPer(phase, units, idleShare) {
  if (!units) return null;
  return ((phase.cpu.runtime - idleShare * phase.cpu.seconds) * 1000) / units;
}

function figures(run) {
  const idle = run.idle.runtimeCoreShare;
  const healthCpuMs = cpuPer(run.ceiling, run.ceiling.requests, idle);
  const eventCpuMs = cpuPer(run.ingest, run.ingest.delivered, idle);
  return {
    healthCpuMs,
    eventCpuMs,
    addedCpuMs: eventCpuMs !== null && healthCpuMs !== null ? eventCpuMs - healthCpuMs : null,
    ratio: run.ingest.rps / run.ceiling.rps,
  };
}

function cpuSplit(label, cpu) {
  const cores = (s) => fmt(s / cpu.seconds, 2);
  return `| ${label} | ${fmt(cpu.seconds, 0)} s | ${cores(cpu.runtime)} | ${cores(cpu.proxy)} | ${cores(cpu.bench)} | ${cores(cpu.others)} | ${fmt((100 * cpu.machineBusy) / cpu.machineTotal, 0)} % |`;
}

export function renderReport(run) {
  const f = figures(run);
  const ops = run.operations;
  const one = perEvent(ops.one_destination);
  const three = perEvent(ops.three_destinations);
  const dup = perEvent(ops.duplicate);
  const burst = perEvent(ops.burst);
  const m = run.machine;
  const others = run.wholeRun.others / run.wholeRun.machineTotal;
  const i = run.integrity;
  const p = run.paced;
  const hotOne = ops.one_destination.counts;
  /** The burst's counts of one scope (ingest, order_do, delivery), per event. */
  const burstScope = (scope) => Object.fromEntries(Object.entries(ops.burst.counts[scope]).map(([k, v]) => [k, typeof v === "number" ? v / ops.burst.events : v]));
  const floor = floorOf(run, f);

  // Requests overlapping on one object share its billed duration, so the burst's summed wait
  // overstates it: duration comes from the single event.
  // The object is active for its commit and for its outbox flush (D1 batch + queue send) after it.
  const flushWallMs = (hotOne.outbox_flush ? hotOne.outbox_flush.d1WallMs + hotOne.outbox_flush.queueSendWallMs : 0) / ops.one_destination.events;
  const costOne = costPerMillionEvents({ ...burst, doWallMs: one.doWallMs + flushWallMs, cpuMs: f.eventCpuMs ?? 0 });
  const costThree = costPerMillionEvents({
    ...three,
    // The object's own work does not depend on the destinations: the burst's average, as for one.
    doRowsRead: burst.doRowsRead,
    doBilledRowsWritten: burst.doBilledRowsWritten,
    // Its consumer ran one batch of three; under load deliveries batch like the burst's.
    workerRequests: three.workerFetches + 3 * burst.queueBatches,
    // Not measured separately: three times one event's CPU, an upper bound (the ingest part is not tripled).
    cpuMs: 3 * (f.eventCpuMs ?? 0),
  });

  const targets = edgeTargets(run, { one, burst, f, costOne, perEvent });
  const bytesPerEvent = run.storage.events ? run.storage.d1Bytes / run.storage.events : null;

  const lines = [];
  const w = (s = "") => lines.push(s);
  w("# shiprelay — benchmarks");
  w();
  const minutes = (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 60_000;
  w(`Measured by \`npm run bench\`${run.quick ? " **--quick (smoke run: tiny load, figures not meaningful)**" : ""} on ${run.startedAt.slice(0, 10)}; the run took ${fmt(minutes, 1)} min.`);
  w("Run it again with `npm run bench` (this report), `npm run bench -- --quick` (a smoke run into `.bench/`), or");
  w("`npm run bench -- --render .bench/results-full.json` (this report from the raw figures of the last run).");
  w("Everything ran on one machine: the Worker bundle under `wrangler dev` (workerd, local D1, Durable Objects and");
  w("Queues), a loopback customer endpoint, and the load generators. These are not Cloudflare-edge figures: local D1 and");
  w("Queues are in-process SQLite and a local broker, so round trips are far shorter than in production, while the");
  w("machine's 2 cores are shared by the runtime, wrangler's proxy, the load generator and the receiver.");
  w();
  w("## The run");
  w();
  w(`| | |`);
  w(`|---|---|`);
  w(`| date | ${run.startedAt} → ${run.finishedAt} |`);
  w(`| git commit | \`${run.git.commit}\`${run.git.dirty ? ` plus ${run.git.dirty} uncommitted or untracked path(s) — the working tree was benchmarked, including work in progress` : ""} |`);
  w(`| machine | ${m.nproc} CPUs (${m.cpuModel}), ${fmt(m.memoryGiB, 1)} GiB RAM, ${m.os} |`);
  w(`| software | Node ${m.node}, wrangler ${m.wrangler} (workerd) |`);
  w(`| load average before / after | ${run.loadBefore.map((l) => fmt(l, 2)).join(" ")} / ${run.loadAfter.map((l) => fmt(l, 2)).join(" ")} |`);
  w(
    `| other work on the machine | ${fmt(100 * others, 0)} % of all CPU time during the measured phases went to processes that are not the benchmark's${others > 0.05 ? " — **other work was running concurrently** (other engineers' test runs); throughput and latency figures are lower than on an idle machine" : ""} |`,
  );
  w();
  w("## Results");
  w();
  w("| # | measure | result |");
  w("|---|---|---|");
  const [cb, ca] = run.ceiling.halves;
  w(`| 1 | ceiling: \`GET /healthz\` (${run.profile.connections} connections, ${run.profile.ceilingSeconds} s: half before, half after #2) | **${int(run.ceiling.rps)} req/s** (${int(cb.rps)} before, ${int(ca.rps)} after), latency p50 ${fmt(run.ceiling.latency.p50, 0)} ms, p99 ${fmt(run.ceiling.latency.p99, 0)} ms${run.ceiling.failed ? `, ${run.ceiling.failed} failed` : ""} |`);
  w(`| 2 | ingest: signed AtoShip callbacks over ${int(run.profile.ingestOrders)} orders (${run.profile.connections} connections, ${run.profile.ingestSeconds} s) | **${int(run.ingest.rps)} req/s** = **${fmt(f.ratio, 2)} × the ceiling**; ACK p50 ${fmt(run.ingest.latency.p50, 0)} ms, p99 ${fmt(run.ingest.latency.p99, 0)} ms${run.ingest.failed ? `; ${run.ingest.failed} non-2xx` : ""}; deliveries kept pace at ${int(run.ingest.deliveryRps)} events/s (all ${int(run.ingest.delivered)} delivered ${fmt(run.ingest.drain.ms / 1000, 1)} s after the load stopped) |`);
  const margin = 10 - (f.eventCpuMs ?? 0);
  w(`| 3 | runtime CPU per event (ingest + Durable Object + delivery), minus per \`/healthz\` | ${fmt(f.eventCpuMs, 2)} ms − ${fmt(f.healthCpuMs, 2)} ms = **${fmt(f.addedCpuMs, 2)} ms added per event**. Free plan, 10 ms CPU per invocation: ${margin >= 0 ? `a margin of ${fmt(margin, 1)} ms even if one invocation did all of it` : `the local total is ${fmt(-margin, 1)} ms over 10 ms, but it is split over the ingest request, the object and the consumer invocation and includes the local D1/Queues simulators (see below)`} |`);
  w(`| 4 | billable operations per event, one destination | **${fmt(one.workerFetches, 0)} Worker request + ${fmt(burst.queueBatches, 2)} consumer invocations, ${fmt(one.doRequests, 0)} DO request (the only remote call before the 2xx), ${fmt(one.d1RoundTrips, 0)} D1 round trips (all after the 2xx: the outbox flush and the consumer), ${fmt(rowsPerEvent(burst), 1)} rows written (D1 ${fmt(burst.d1RowsWritten, 1)} + object storage ${fmt(burst.doBilledRowsWritten, 1)}, burst average), ${fmt(one.queueMessages, 0)} queue message, ${fmt(one.fetchSubrequests, 0)} subrequest** (table below); ≈ **${usd(costOne.total)} per million events** on Cloudflare vs Hookdeck ${usd(PRICES.hookdeck.eventsPerMillion)} and Svix ${usd(PRICES.svix.messagesPerMillion)} |`);
  const pacedCpuMs = cpuPer(p, p.delivered, run.idle.runtimeCoreShare);
  w(`| 5 | end-to-end (provider POST → customer receipt) at a steady ${p.targetRate} callbacks/s (half of #2), ${run.profile.pacedSeconds} s, open loop | **p50 ${fmt(p.endToEnd.p50, 0)} ms, p95 ${fmt(p.endToEnd.p95, 0)} ms, p99 ${fmt(p.endToEnd.p99, 0)} ms**; ACK p50 ${fmt(p.ack.p50, 1)} ms, p99 ${fmt(p.ack.p99, 1)} ms (${p.requests} sent at ${fmt(p.rps, 0)}/s, ${p.failed} non-2xx). At this rate an event cost ${fmt(pacedCpuMs, 2)} ms of runtime CPU (${fmt(f.eventCpuMs, 2)} flat out) and the runtime used ${fmt(p.cpu.runtime / p.cpu.seconds, 2)} of a core: fewer events share each wakeup of the runtime and each consumer batch |`);
  const fr = run.fresh;
  if (fr) {
    const lat = (x) => `ACK p50 ${fmt(x.ack.p50, 1)} ms, **p99 ${fmt(x.ack.p99, 1)} ms**; end-to-end p50 ${fmt(x.endToEnd.p50, 0)} ms, p99 ${fmt(x.endToEnd.p99, 0)} ms; runtime at ${fmt(x.cpu.runtime / x.cpu.seconds, 2)} of a core`;
    w(`| 5b | the same on a freshly started relay: ${fr.half.targetRate}/s (half of #2) for ${run.profile.pacedSeconds} s, then ${fr.quarter.targetRate}/s (a quarter) for ${run.profile.quarterSeconds} s | half: ${lat(fr.half)}. Quarter: ${lat(fr.quarter)} |`);
    const grew = fr.quarterAged.ack.p99 / Math.max(1e-9, fr.quarter.ack.p99);
    const verdict =
      grew >= 1.5
        ? ` — ${fmt(grew, 1)}× the fresh p99: the local runtime's tail grows with the requests it has served, even ones that touch none of the relay's code or storage`
        : ` — ${fmt(grew, 1)}× the fresh p99: no clear aging in this run`;
    w(`| 5c | the quarter load again, on that relay after ${int(fr.agingRequests)} \`/healthz\` requests and nothing else | ${lat(fr.quarterAged)}${verdict} |`);
  }
  const postRate = i.posted / Math.max(1, i.ingestSeconds);
  const partial =
    i.sent < i.planned.callbacks
      ? ` **— time budget (${i.budgetSeconds} s) reached: only ${int(i.sent)} of the ${int(i.planned.callbacks)} planned callbacks were posted** (at the ${fmt(postRate, 0)} callbacks/s this machine managed, all of them need ~${fmt(i.planned.callbacks / postRate / 60, 1)} min)`
      : "";
  w(`| 6 | integrity: ${int(i.planned.events)} events over ${i.planned.orders} orders + ${int(i.planned.duplicates)} duplicate callbacks${partial}, endpoint failing ${fmt((100 * i.failedAttempts) / Math.max(1, i.attempts), 1)} % of ${int(i.attempts)} attempts (retry [1, 1, 2] s, 6 attempts; the endpoint always takes a 6th attempt, so a lost event cannot hide as a dead letter) | accepted **${int(i.accepted)}**, delivered **${int(i.delivered)}**, lost **${i.lost}**, delivered twice **${i.doubled}**, dead-lettered ${i.deadLettered}, unfinished ${i.unfinished}; ${int(i.duplicateAnswers)} callbacks answered \`duplicate\`, ${i.retriedByProvider} provider retries after a 5xx; ingest took ${fmt(i.ingestSeconds, 0)} s (ACK p50 ${fmt(i.ack.p50, 0)} ms, p99 ${fmt(i.ack.p99, 0)} ms), last delivery ${fmt(i.totalSeconds, 0)} s after the first callback |`);
  const mem = run.memory;
  const perHealthzKb = mem.healthzAnonGrowthMiB !== undefined && mem.healthzRequests ? (1024 * mem.healthzAnonGrowthMiB) / mem.healthzRequests : null;
  const heapNote = mem.isolateHeap ? `; the Worker isolate's own V8 heap (the Worker and its order objects) at the end: **${fmt(mem.isolateHeap.usedMiB, 0)} MiB used** of ${fmt(mem.isolateHeap.totalMiB, 0)} MiB` : "";
  const growthNote = perHealthzKb !== null ? `. The process grows with the requests it has served, not with what the Worker holds: during the first ceiling half it gained ${fmt(perHealthzKb, 1)} KB of anonymous memory per \`/healthz\` — a request that touches nothing — so the peak measures how long local \`wrangler dev\` has been running more than the relay` : "";
  w(`| 7 | peak memory (VmHWM) of the workerd runtime process | **${fmt(mem.runtime.peak, 0)} MiB** at the end of the run (wrangler's proxy workerd: ${fmt(mem.proxy?.peak, 0)} MiB)${heapNote}${growthNote} |`);
  w();
  w("### Targets");
  w();
  w("| target | measured | |");
  w("|---|---|---|");
  for (const [name, value, ok] of targets) w(`| ${name} | ${value} | ${met(ok)} |`);
  w();
  w(`Throughput, CPU and latency targets were measured on a machine where other processes took ${fmt(100 * others, 0)} % of the CPU and where workerd simulates D1, Queues and object storage in the runtime process itself; read them as this setup's figures, not Cloudflare's. The counted ones (Durable Object requests, statements, queue sends) and the integrity ones do not depend on the machine.`);
  w();
  for (const line of sideBySideSection(run)) w(line);
  w();
  w("### Where the CPU went (cores used, on average, per phase)");
  w();
  w("| phase | length | workerd runtime | wrangler proxy (workerd) | load generator + receiver | other processes | machine busy |");
  w("|---|---|---|---|---|---|---|");
  w(cpuSplit("ceiling (/healthz, both halves)", run.ceiling.cpu));
  w(cpuSplit("ingest, flat out", run.ingest.cpuDuringLoad));
  w(cpuSplit("ingest incl. drain", run.ingest.cpu));
  w(cpuSplit("steady half load", run.paced.cpu));
  w(cpuSplit("integrity", run.integrity.cpu));
  w();
  w(`CPU per event is the runtime process's (user + system) CPU from \`/proc\` over the ingest phase until the last delivery, divided by the ${int(run.ingest.delivered)} events delivered, minus its idle background (${fmt(100 * run.idle.runtimeCoreShare, 1)} % of a core). It includes everything workerd runs locally — the Worker, the order Durable Objects, the local D1 (SQLite) and Queues broker, the HTTP stack — so it is an upper bound of the Worker CPU Cloudflare would bill. wrangler's proxy is a separate process and is not counted.`);
  w();
  if (floor) {
    w("### The floor: what the design's binding operations cost on this runtime");
    w();
    w(`Timed on the counting relay (\`/__bench/primitive\`: ${floor.n} of each on the raw bindings, ${floor.concurrency} requests at once as in #2, runtime CPU per operation), and multiplied by how many of each an event needs under load (the burst's counts). The runtime process never used more than ${fmt(floor.maxCores, 2)} of a core in any phase: workerd runs the Worker, its objects and the local D1 and Queues simulators on one thread, so **events/s cannot exceed 1 core ÷ CPU per event**, whatever the code does between the calls.`);
    w();
    w("| operation | runtime CPU per operation, ms | per event | ms per event |");
    w("|---|---|---|---|");
    for (const r of floor.rows) w(`| ${r.label} | ${fmt(r.cpuMs, 2)} | ${fmt(r.count, 2)} | ${fmt(r.cpuMs * r.count, 2)} |`);
    w(`| **floor: the calls alone** (consumer invocations not counted) | | | **${fmt(floor.total, 2)}** |`);
    w(`| measured (#3) | | | ${fmt(f.eventCpuMs, 2)} |`);
    w();
    w(`So of the ${fmt(f.eventCpuMs, 2)} ms an event costs here, ${fmt(floor.total, 2)} ms is the price of the calls themselves on this runtime and ${fmt((f.eventCpuMs ?? 0) - floor.total, 2)} ms is everything else: our code (verification, parsing, canonical event, routing, signing), the order object's own SQLite statements, the queue's dispatch of batches to the consumer, JSON. Even if our code cost nothing, one core would carry 1000 ÷ ${fmt(floor.total, 2)} ≈ ${int(1000 / floor.total)} events/s here — **${fmt(1000 / floor.total / run.ceiling.rps, 2)} × the ceiling** (measured: ${fmt(f.ratio, 2)} ×). Getting past that needs the local D1 and Queues simulators off the Worker's thread, which is what Cloudflare's edge does; on this runtime the yardstick is the edge floor run beside the relay (above), which pays the same simulators. The same one thread explains the ACK p99 at the half load (#5): at that rate an event costs more CPU than flat out, the runtime is near a full core, and ACKs queue behind deliveries and D1 work; at a quarter of the maximum on a fresh relay (#5b) the ACK path's own latency shows.`);
    w();
  }
  if (run.cpuProfile) {
    const pr = run.cpuProfile;
    w("### Where the Worker isolate's time went (sampling profile)");
    w();
    w(`A separate ${pr.seconds} s flat-out ingest run (${pr.requests} callbacks at ${fmt(pr.rps, 0)}/s, with their deliveries) under the V8 sampling profiler, through wrangler's inspector. Self time of ${fmt(pr.busyMs / 1000, 1)} s of samples, grouped by the bundle module the code came from. Samples are wall-clock: time the thread waited for a CPU (the machine was shared) or blocked inside a native call is charged to the frame it was in, so read the shares, not the milliseconds.`);
    w();
    w("| module | share of busy samples |");
    w("|---|---|");
    for (const g of pr.groups) w(`| ${g.name} | ${fmt(100 * g.share, 1)} % |`);
    w();
    w("| heaviest functions (self) | share |");
    w("|---|---|");
    for (const fn of pr.functions) w(`| \`${fn.name}\` | ${fmt(100 * fn.share, 1)} % |`);
    w();
    const share = (pred) => pr.allGroups.filter((g) => pred(g.name)).reduce((sum, g) => sum + g.share, 0);
    const dispatch = pr.functions.filter((fn) => fn.name.startsWith("(anonymous) — src/ingest/pipeline.ts")).reduce((sum, fn) => sum + fn.share, 0);
    const ours = share((n) => n.startsWith("src/")) - dispatch;
    const libs = share((n) => !n.startsWith("src/") && !n.startsWith("("));
    w(`In short: our own code ${fmt(100 * ours, 1)} %, libraries (hono, zod, drizzle, …) ${fmt(100 * libs, 1)} %, the call into the order Durable Object (stub + RPC dispatch, \`src/ingest/pipeline.ts\`) ${fmt(100 * dispatch, 1)} %, and the rest — workerd's native code and its JavaScript, garbage collection — ${fmt(100 * (1 - ours - libs - dispatch), 1)} %.`);
    w();
    const oc = ops.orderCalls;
    if (oc) {
      w(`Order objects: a call into an **existing** object costs ${fmt(oc.warm.wallMs, 2)} ms wall / ${fmt(oc.warm.cpuMs, 2)} ms runtime CPU here, a call that **creates** one ${fmt(oc.fresh.wallMs, 1)} ms wall / ${fmt(oc.fresh.cpuMs, 1)} ms CPU (${oc.calls} calls each; locally a new object is a new SQLite file and its \`CREATE TABLE\`s). With \`ORDER_SHARDS\` (${run.config?.orderShards ?? "?"} objects per workspace, by a hash of the order key) the ${int(run.profile.ingestOrders)} orders of #2 share warm objects instead of opening one each.`);
      w();
    }
    w("`(native)` is runtime code called from JavaScript (SQLite `exec` of the object's storage, `fetch`, `Headers`, crypto); `(runtime)` is workerd's own JavaScript (tracing spans, the D1 binding's client side).");
    w();
  }
  for (const line of operationsSection(ops, { one, three, dup, burst })) w(line);
  for (const line of ackPathSection(run)) w(line);
  w();
  w("## Cost per million events");
  w();
  w(`From the counts above (the burst average for one destination; for three, the three-destination event's D1 and queue counts with the burst's Durable Object figures) and Cloudflare's published marginal prices (read ${PRICES.read}; beyond the Workers Paid plan's included usage and its $5/month fee). Worker CPU uses the measured CPU per event (#3, an upper bound; for three destinations three times that). Durable Object duration uses the local wall time of a single commit plus its outbox flush (${fmt(one.doWallMs + flushWallMs, 0)} ms; production D1 and queue round trips from the object are longer — at the figures of \"The ACK path priced for production\" a lone event's flush keeps its object active ~110 ms, ≈ $0.02 per million events more — and the object bills 128 MB while active). Queue consumer invocations are counted as Worker requests (the pricing pages do not say otherwise).`);
  w();
  w("| line | 1 destination | 3 destinations |");
  w("|---|---|---|");
  costOne.lines.forEach(([label, v], k) => w(`| ${label} | ${usd(v)} | ${usd(costThree.lines[k][1])} |`));
  w(`| **total per million events** | **${usd(costOne.total)}** | **${usd(costThree.total)}** |`);
  const later = retentionRows(ops);
  if (later) {
    // Both stores bill a row written at the same rate.
    const laterUsd = later.d1PerEvent * PRICES.d1.rowsWrittenPerMillion + later.doPerEvent * PRICES.durableObjects.sqlRowsWrittenPerMillion;
    w(`| retention's deletes, RETENTION_DAYS later (${fmt(later.perEvent, 1)} rows per event, counted above) | ${usd(laterUsd)} | not counted |`);
    w(`| **total with retention's deletes** | **${usd(costOne.total + laterUsd)}** | |`);
  }
  const rowLines = costOne.lines.filter(([label]) => /rows written/.test(label)).reduce((sum, [, v]) => sum + v, 0);
  if (bytesPerEvent) {
    const gbMonthPerMillion = (bytesPerEvent * 1e6) / 1e9;
    w(`| storage: ${int(bytesPerEvent)} bytes of D1 per event (events, deliveries, attempts, ingest log, indexes; measured from the local database files), kept 30 days | ${usd(gbMonthPerMillion * PRICES.d1.storagePerGbMonth)} per million events per month kept | |`);
  }
  w();
  {
    const rest = costOne.total - rowLines;
    const budget = 12 - rest;
    w(`Rows written are ${usd(rowLines)} of the ${usd(costOne.total)} (one dollar per million rows, D1 and object storage alike); everything else — requests, CPU, duration, reads, queue operations — is ${usd(rest)}. So the $12 target is a budget of **${fmt(budget, 1)} rows written per event** at these counts${rowsPerEvent(burst) > budget ? `, against ${fmt(rowsPerEvent(burst), 1)} counted: ${fmt(rowsPerEvent(burst) - budget, 1)} rows to go (table "Rows written by table and kind" above, and "What is left" below)` : ": met"}.`);
    w();
  }
  w("| hosted alternative | published price per million events | source |");
  w("|---|---|---|");
  w(`| Hookdeck | ${usd(PRICES.hookdeck.eventsPerMillion)} (down to ${usd(PRICES.hookdeck.volumeEventsPerMillion)} at volume); ${PRICES.hookdeck.note} | ${PRICES.hookdeck.source} |`);
  w(`| Svix | ${usd(PRICES.svix.messagesPerMillion)} per million messages (one message per event per endpoint); ${PRICES.svix.note} | ${PRICES.svix.source} |`);
  w();
  w(`Cloudflare sources: [Workers](${PRICES.workers.source}), [Durable Objects](${PRICES.durableObjects.source}), [D1](${PRICES.d1.source}), [Queues](${PRICES.queues.source}).`);
  w();
  w("## Method");
  w();
  const disk = run.stateMedium?.startsWith("tmpfs")
    ? ": on Cloudflare D1, object storage and Queues are remote services, so this machine's disk flushes are kept out of the figures (`npm run bench -- --disk` measures with them)"
    : "";
  w(`- The Worker is bundled with \`wrangler deploy --dry-run\` (as \`npm run build\`) and run with \`wrangler dev <bundle> --no-bundle\`, so edits saved during a run cannot reload it. State lives in a fresh temp dir (\`--persist-to\`) on ${run.stateMedium ?? "the OS temp dir"}${disk}; vars come from a temp \`--env-file\`: the developer's \`.dev.vars\` and \`.wrangler/state\` are not read or written. Request logs are off (\`--log-level warn\`).`);
  w("- Load: autocannon (programmatic) for #1 and #2, closed loop; #5 is an open-loop generator (a callback every 1/rate s regardless of answers) because autocannon's rate limiting sends each second's requests in one burst; #6 reads every answer and retries 5xx like a provider.");
  w("- Every callback is a new AtoShip event `{id, event, timestamp, data}` signed `x-atoship-signature: sha256=<hex HMAC>`; `data.bench_sent_at` lets the receiver time the trip. The receiver deduplicates by the canonical event id in the body.");
  w("- CPU from `/proc/<pid>/stat` of the workerd process that runs the Worker (not wrangler's proxy workerd, which listens on the public port); memory from `VmHWM` in `/proc/<pid>/status`.");
  w();
  w(NEXT_STEPS(run, { one, three, burst, f, hotOne }));
  return lines.join("\n") + "\n";
}
