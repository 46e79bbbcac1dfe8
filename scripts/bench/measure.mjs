// What the bench reads around its phases: CPU split by process (/proc), the receiver's drain,
// the local D1 files' size, the relay's own delivery counts.
import fs from "node:fs";
import path from "node:path";
import { api } from "./provider.mjs";
import { cpuSeconds, sleep } from "./relay.mjs";

export function isWritableDir(dir) {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** Busy and total CPU seconds of the whole machine (/proc/stat). */
export function machineCpu() {
  const fields = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0) / 100;
  const idle = ((fields[3] ?? 0) + (fields[4] ?? 0)) / 100;
  return { busy: total - idle, total };
}

/** CPU seconds of every process of the relay's group, this process included. */
export function ourCpu(relay) {
  let sum = process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6;
  for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(f[2]) === relay.pgid) sum += (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      /* exited */
    }
  }
  return sum;
}

/** Per-phase CPU split: the runtime, wrangler's proxy, this process, everything else on the machine. */
export function cpuMeter(relay) {
  const read = () => ({
    at: performance.now(),
    runtime: cpuSeconds(relay.runtime),
    proxy: relay.proxy ? cpuSeconds(relay.proxy) : 0,
    bench: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    ours: ourCpu(relay),
    machine: machineCpu(),
  });
  const start = read();
  return () => {
    const end = read();
    const seconds = (end.at - start.at) / 1000;
    const busy = end.machine.busy - start.machine.busy;
    return {
      seconds,
      runtime: end.runtime - start.runtime,
      proxy: end.proxy - start.proxy,
      bench: end.bench - start.bench,
      others: Math.max(0, busy - (end.ours - start.ours)),
      machineBusy: busy,
      machineTotal: end.machine.total - start.machine.total,
    };
  };
}

/** Waits until the receiver holds `expected` events and nothing new arrived for `quietMs`. */
export async function drain(receiver, expected, { timeoutMs, quietMs = 1000, relay }) {
  const started = Date.now();
  let last = -1;
  let lastChange = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (relay && !relay.alive()) throw new Error(`the workerd runtime (pid ${relay.runtime}) exited during the run`);
    const n = receiver.books.delivered.size;
    if (n !== last) {
      last = n;
      lastChange = Date.now();
    }
    if (n >= expected && Date.now() - lastChange >= quietMs) return { complete: true, ms: Date.now() - started };
    await sleep(100);
  }
  return { complete: false, ms: Date.now() - started };
}

export function d1Bytes(stateDir) {
  const dir = path.join(stateDir, "v3", "d1");
  let bytes = 0;
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.includes(".sqlite")) bytes += fs.statSync(p).size;
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return bytes;
}

/** Both halves of the ceiling as one run: requests and CPU summed, latency percentiles averaged. */
export function combineCeilings(a, b) {
  const avg = (x, y) => (x + y) / 2;
  return {
    requests: a.requests + b.requests,
    ok: a.ok + b.ok,
    failed: a.failed + b.failed,
    seconds: a.seconds + b.seconds,
    rps: (a.requests + b.requests) / (a.seconds + b.seconds),
    latency: { p50: avg(a.latency.p50, b.latency.p50), p97_5: avg(a.latency.p97_5, b.latency.p97_5), p99: avg(a.latency.p99, b.latency.p99), max: Math.max(a.latency.max, b.latency.max) },
    halves: [
      { rps: a.rps, p50: a.latency.p50, p99: a.latency.p99 },
      { rps: b.rps, p50: b.latency.p50, p99: b.latency.p99 },
    ],
    cpu: Object.fromEntries(Object.keys(a.cpu).map((k) => [k, a.cpu[k] + b.cpu[k]])),
  };
}

export async function countDeliveries(base, key, destinationId, status) {
  let n = 0;
  let cursor = null;
  for (let page = 0; page < 100; page++) {
    const q = `/v1/deliveries?destination=${destinationId}&status=${status}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const r = await api(base, "GET", q, { token: key });
    n += r.data.length;
    cursor = r.next_cursor;
    if (!cursor) break;
  }
  return n;
}
