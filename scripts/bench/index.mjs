#!/usr/bin/env node
// `npm run bench [-- --quick] [-- --out FILE]`: measures the relay's speed and cost on this
// machine and writes BENCHMARKS.md (a quick smoke run writes .bench/BENCHMARKS.quick.md).
// `npm run bench -- --render results.json` writes the report again from a run's raw figures.
//
// Everything runs locally: a bundle of the working tree under `wrangler dev` with a fresh
// temp state, a loopback customer endpoint, and the load generators in this process.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { healthLoad, ingestLoad, integrityPlan, postAll } from "./load.mjs";
import { countOperations } from "./ops.mjs";
import { isolateHeap, profileWhile } from "./profile.mjs";
import { combineCeilings, countDeliveries, cpuMeter, d1Bytes, drain, isWritableDir } from "./measure.mjs";
import { setUpWorkspace } from "./provider.mjs";
import { startReceiver } from "./receiver.mjs";
import { sideBySide } from "./side-by-side.mjs";
import { latencyOnFreshRelay, steadyPhase } from "./steady.mjs";
import { INTEGRITY_RETRY, PROFILES } from "./profiles.mjs";
import { benchVars, buildWorker, memoryMiB, ROOT, sleep, snapshotProject, startRelay } from "./relay.mjs";
import { renderReport } from "./report.mjs";
import { summarize } from "./stats.mjs";

function parseArgs(argv) {
  const value = (flag) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const quick = argv.includes("--quick");
  const disk = argv.includes("--disk");
  const out = value("--out") ? path.resolve(value("--out")) : path.join(ROOT, quick ? ".bench/BENCHMARKS.quick.md" : "BENCHMARKS.md");
  return { quick, disk, out, render: value("--render") };
}

const log = (msg) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

function git(args) {
  try {
    return execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    return "";
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    nproc: os.availableParallelism?.() ?? cpus.length,
    cpuModel: cpus[0]?.model ?? "unknown",
    memoryGiB: os.totalmem() / 2 ** 30,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    wrangler: JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/wrangler/package.json"), "utf8")).version,
  };
}

/** The settings of the snapshot's wrangler.toml that shape the figures. */
function relayConfig(project) {
  const toml = fs.readFileSync(path.join(project, "wrangler.toml"), "utf8");
  const deliveries = /queue = "shiprelay-deliveries"\s*\n(?:#.*\n)*max_batch_size = (\d+)/.exec(toml);
  return {
    orderShards: /^ORDER_SHARDS = "(\d+)"/m.exec(toml)?.[1] ?? null,
    sourceCacheTtlSeconds: /^SOURCE_CACHE_TTL_SECONDS = "(\d+)"/m.exec(toml)?.[1] ?? null,
    deliveryBatchSize: deliveries?.[1] ?? null,
  };
}

/**
 * The counting relay's config: the project's, plus a queue without a consumer, so the
 * calibration can price a queue send on its own (scripts/bench/worker/bench-entry.ts).
 */
function opsConfig(project) {
  const file = path.join(project, "wrangler.ops.toml");
  const sink = '\n[[queues.producers]]\nbinding = "BENCH_SINK"\nqueue = "shiprelay-bench-sink"\n';
  fs.writeFileSync(file, fs.readFileSync(path.join(project, "wrangler.toml"), "utf8") + sink);
  return file;
}

async function measureOperations(project, workDir, bundle, profile, orderShards) {
  const relay = await startRelay({ project, workDir, bundle, name: "ops", vars: benchVars(), config: opsConfig(project) });
  const receiver = await startReceiver();
  try {
    log(`counting operations on ${relay.base}`);
    return await countOperations(relay, receiver, { burst: profile.burst, orderShards });
  } finally {
    await relay.stop();
    await receiver.close();
  }
}

async function main() {
  const { quick, disk, out, render } = parseArgs(process.argv.slice(2));
  if (render) {
    fs.writeFileSync(out, renderReport(JSON.parse(fs.readFileSync(render, "utf8"))));
    log(`wrote ${path.relative(process.cwd(), out)} from ${render}`);
    return;
  }
  const profile = quick ? PROFILES.quick : PROFILES.full;
  // The local D1, object storage and queue state live in RAM (tmpfs) unless --disk: on
  // Cloudflare that storage is a remote service, and this machine's disk flushes are not
  // part of what the relay costs there. `--disk` measures with them.
  const medium = !disk && isWritableDir("/dev/shm") ? "/dev/shm" : os.tmpdir();
  const workDir = fs.mkdtempSync(path.join(medium, "shiprelay-bench-"));
  // Kept when the run fails (the dev logs are in it), removed when it succeeds.
  process.on("exit", (code) => code !== 0 && console.error(`[bench] logs and state kept in ${workDir}`));
  const started = new Date();
  const run = {
    quick,
    profile,
    startedAt: started.toISOString(),
    machine: machine(),
    git: {
      commit: git(["rev-parse", "--short", "HEAD"]),
      dirty: git(["status", "--porcelain"]).split("\n").filter(Boolean).length,
    },
    loadBefore: os.loadavg(),
    stateMedium: medium === "/dev/shm" ? "tmpfs (/dev/shm)" : `disk (${medium})`,
  };
  const project = snapshotProject(workDir);
  run.config = relayConfig(project);
  log(`${quick ? "quick" : "full"} run in ${workDir}; load average ${run.loadBefore.map((l) => l.toFixed(2)).join(" ")}`);

  log("bundling the Worker (src/index.ts) and the counting entry (scripts/bench/worker/bench-entry.ts)");
  const bundle = buildWorker(project, workDir, "main");
  const opsBundle = buildWorker(project, workDir, "ops", "scripts/bench/worker/bench-entry.ts");
  run.operations = await measureOperations(project, workDir, opsBundle, profile, Number(run.config.orderShards ?? 64));

  const relay = await startRelay({ project, workDir, bundle, name: "main", vars: benchVars() });
  const main = await startReceiver();
  const flaky = await startReceiver({ failRate: profile.integrity.failRate, alwaysAcceptFrom: INTEGRITY_RETRY.max_attempts });
  const runId = `r${Date.now().toString(36)}`;
  try {
    log(`relay on ${relay.base}; runtime pid ${relay.runtime}, proxy pid ${relay.proxy}`);
    const load = await setUpWorkspace(relay.base, relay.adminToken, { name: "bench", endpoints: [main.url] });
    const integrityWs = await setUpWorkspace(relay.base, relay.adminToken, { name: "integrity", endpoints: [flaky.url], retry: INTEGRITY_RETRY });
    const wholeRun = cpuMeter(relay);

    log(`idle CPU sample (${profile.idleSeconds} s)`);
    const idleMeter = cpuMeter(relay);
    await sleep(profile.idleSeconds * 1000);
    const idle = idleMeter();
    run.idle = { runtimeCoreShare: idle.runtime / idle.seconds };

    let meter;
    log("warm-up");
    await healthLoad(relay.base, { connections: profile.connections, seconds: profile.warmupSeconds });
    const warm = await ingestLoad(relay.base, load, { connections: profile.connections, seconds: profile.warmupSeconds, orders: 50, runId: `${runId}w` });
    await drain(main, warm.ok, { timeoutMs: profile.drainTimeoutMs, relay });
    let storedEvents = main.books.delivered.size;

    // The ceiling is measured in two halves, before and after the ingest run, so background
    // load that comes and goes weighs on both figures alike.
    const ceilingHalf = async () => {
      const m = cpuMeter(relay);
      const anonBefore = memoryMiB(relay.runtime).anon;
      const r = await healthLoad(relay.base, { connections: profile.connections, seconds: profile.ceilingSeconds / 2 });
      r.cpu = m();
      // What the runtime keeps per request of a Worker that touches nothing (see the memory line of the report).
      r.anonGrowthMiB = memoryMiB(relay.runtime).anon - anonBefore;
      return r;
    };
    log(`ceiling (first half): GET /healthz, ${profile.connections} connections, ${profile.ceilingSeconds / 2} s`);
    const ceilingBefore = await ceilingHalf();

    log(`ingest: signed callbacks over ${profile.ingestOrders} orders, ${profile.connections} connections, ${profile.ingestSeconds} s`);
    main.reset();
    meter = cpuMeter(relay);
    const ingestStarted = Date.now();
    const ingest = await ingestLoad(relay.base, load, {
      connections: profile.connections,
      seconds: profile.ingestSeconds,
      orders: profile.ingestOrders,
      runId,
    });
    const ingestOnly = meter();
    const drained = await drain(main, ingest.ok, { timeoutMs: profile.drainTimeoutMs, relay });
    ingest.cpu = meter();
    ingest.cpuDuringLoad = ingestOnly;
    ingest.delivered = main.books.delivered.size;
    ingest.drain = drained;
    ingest.deliveryRps = ingest.delivered / (((main.books.lastAt ?? Date.now()) - ingestStarted) / 1000);
    ingest.doubled = main.books.doubled;
    run.ingest = ingest;
    storedEvents += ingest.delivered;

    log("ceiling (second half)");
    const ceilingAfter = await ceilingHalf();
    run.ceiling = combineCeilings(ceilingBefore, ceilingAfter);

    const rate = Math.max(1, Math.round(ingest.rps / 2));
    log(`steady load: ${rate} callbacks/s (half the measured maximum) for ${profile.pacedSeconds} s`);
    const paced = await steadyPhase(relay, main, load, {
      rate,
      seconds: profile.pacedSeconds,
      orders: profile.ingestOrders,
      runId: `${runId}p`,
      drainTimeoutMs: profile.drainTimeoutMs,
    });
    run.paced = paced;
    storedEvents += paced.delivered;


    log(`profile: ${profile.profileSeconds} s of flat-out ingest (and its deliveries) under the inspector's sampling profiler`);
    main.reset();
    const profiled = await profileWhile(relay, bundle, async () => {
      const r = await ingestLoad(relay.base, load, { connections: profile.connections, seconds: profile.profileSeconds, orders: profile.ingestOrders, runId: `${runId}x` });
      await drain(main, r.ok, { timeoutMs: profile.drainTimeoutMs, relay });
      return r;
    });
    run.cpuProfile = { ...profiled.summary, seconds: profile.profileSeconds, requests: profiled.result.requests, rps: profiled.result.rps };
    storedEvents += main.books.delivered.size;

    const { events, orders, duplicateShare, concurrency, failRate, budgetSeconds } = profile.integrity;
    log(`integrity: ${events} events over ${orders} orders, ${duplicateShare * 100} % duplicates, endpoint failing ${failRate * 100} % of attempts`);
    const plan = integrityPlan(integrityWs.source.secret, { runId: `${runId}i`, events, orders, duplicateShare });
    meter = cpuMeter(relay);
    const integrityStarted = Date.now();
    const books = await postAll(relay.base, integrityWs, plan, { concurrency, deadline: integrityStarted + budgetSeconds * 1000, alive: relay.alive });
    if (books.sent < plan.length) log(`integrity: time budget reached after ${books.sent} of ${plan.length} callbacks`);
    const postedMs = Date.now() - integrityStarted;
    const integrityDrain = await drain(flaky, books.accepted.size, { timeoutMs: profile.drainTimeoutMs, quietMs: 6000, relay });
    const delivered = flaky.books.delivered;
    const lost = [...books.accepted].filter((id) => !delivered.has(id)).length;
    const unexpected = [...delivered.keys()].filter((id) => !books.accepted.has(id)).length;
    const destinationId = integrityWs.destinations[0].id;
    run.integrity = {
      planned: { events, orders, callbacks: plan.length, duplicates: plan.length - events },
      sent: books.sent,
      budgetSeconds,
      posted: books.posted,
      retriedByProvider: books.retried,
      refused: books.refused,
      accepted: books.accepted.size,
      duplicateAnswers: books.duplicateAnswers,
      delivered: delivered.size,
      lost,
      doubled: flaky.books.doubled,
      unexpected,
      attempts: flaky.books.attempts,
      failedAttempts: flaky.books.failedAttempts,
      deadLettered: await countDeliveries(relay.base, integrityWs.key, destinationId, "failed"),
      unfinished:
        (await countDeliveries(relay.base, integrityWs.key, destinationId, "pending")) +
        (await countDeliveries(relay.base, integrityWs.key, destinationId, "retrying")),
      ingestSeconds: postedMs / 1000,
      totalSeconds: (Date.now() - integrityStarted) / 1000,
      drain: integrityDrain,
      ack: summarize(books.ackMs),
      cpu: meter(),
    };
    storedEvents += delivered.size;

    run.memory = {
      runtime: memoryMiB(relay.runtime),
      proxy: relay.proxy ? memoryMiB(relay.proxy) : null,
      isolateHeap: await isolateHeap(relay).catch(() => null),
      healthzRequests: ceilingBefore.requests,
      healthzAnonGrowthMiB: ceilingBefore.anonGrowthMiB,
    };
    run.storage = { d1Bytes: d1Bytes(path.join(workDir, "state-main")), events: storedEvents };
    run.wholeRun = wholeRun();
  } finally {
    await relay.stop();
    await main.close();
    await flaky.close();
  }
  run.fresh = await latencyOnFreshRelay(project, workDir, bundle, profile, run.ingest.rps, log);
  run.side = await sideBySide({ project, workDir, bundle, side: profile.side, drainTimeoutMs: profile.drainTimeoutMs, log });
  run.loadAfter = os.loadavg();
  run.finishedAt = new Date().toISOString();

  fs.mkdirSync(path.dirname(out), { recursive: true });
  // Raw figures next to the report's default place (.bench/ is git-ignored), to re-render with --render.
  const results = path.join(ROOT, ".bench", `results-${quick ? "quick" : "full"}.json`);
  fs.mkdirSync(path.dirname(results), { recursive: true });
  fs.writeFileSync(results, JSON.stringify(run, null, 2));
  fs.writeFileSync(out, renderReport(run));
  log(`wrote ${path.relative(process.cwd(), out)} (raw figures: ${path.relative(process.cwd(), results)})`);
  fs.rmSync(workDir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`[bench] failed: ${err.stack ?? err}`);
    process.exit(1);
  },
);
