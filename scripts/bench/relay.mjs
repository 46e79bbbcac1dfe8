// Runs the relay for the benchmark: a bundle of a snapshot of the working tree, a fresh
// local state in a temp dir, vars from a temp env file (the developer's .dev.vars and .wrangler/state are
// never read or written), `wrangler dev` in its own process group on a free loopback port.
import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "..", "..");
const BIN = path.join(ROOT, "node_modules", ".bin");
const CLK_TCK = 100;

// wrangler needs the project's own Node (the `node` devDependency) whatever started us.
const childEnv = {
  ...process.env,
  PATH: `${BIN}${path.delimiter}${process.env.PATH ?? ""}`,
  WRANGLER_SEND_METRICS: "false",
  CI: "true",
  NO_COLOR: "1",
};

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function wrangler(cwd, args, label, timeoutMs = 180_000) {
  const r = spawnSync(path.join(BIN, "wrangler"), args, { cwd, env: childEnv, encoding: "utf8", timeout: timeoutMs });
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ""}\n${r.stderr ?? ""}`.split("\n").filter((l) => l.trim()).slice(-12).join("\n");
    throw new Error(`${label} failed:\n${tail}`);
  }
}

/**
 * A copy of the working tree's sources, migrations and wrangler.toml taken at one instant:
 * both bundles and the local database are built from it, so files saved during a run (and
 * wrangler dev's watch on its config) cannot change or restart what is being measured.
 */
export function snapshotProject(workDir) {
  const dir = path.join(workDir, "project");
  fs.mkdirSync(dir, { recursive: true });
  for (const entry of ["src", "scripts/bench/worker", "migrations", "wrangler.toml", "package.json", "tsconfig.json"]) {
    if (fs.existsSync(path.join(ROOT, entry))) fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

/** Bundles an entry of the snapshot the way `npm run build` does (`wrangler deploy --dry-run`). */
export function buildWorker(project, workDir, name, entry) {
  const outDir = path.join(workDir, `build-${name}`);
  wrangler(project, ["deploy", "--dry-run", "--outdir", outDir, ...(entry ? [entry] : [])], `bundling ${entry ?? "the Worker"}`);
  const bundle = fs.readdirSync(outDir).find((f) => f.endsWith(".js"));
  if (!bundle) throw new Error(`no bundle in ${outDir}`);
  return path.join(outDir, bundle);
}

/** The vars a benchmark relay runs with, written to a temp env file for `--env-file`. */
export function benchVars() {
  return {
    ADMIN_TOKEN: `adm_bench_${crypto.randomBytes(16).toString("hex")}`,
    ENCRYPTION_KEY: crypto.randomBytes(32).toString("base64"),
    ALLOW_INSECURE_DESTINATIONS: "true",
    PUBLIC_BASE_URL: "",
  };
}

/**
 * Starts `wrangler dev <bundle>` (or the project's own entry when `bundle` is null) with a fresh state dir (migrations applied first). Returns
 * the base URL, the pids of the runtime (the workerd that runs the Worker, its Durable
 * Objects, local D1 and Queues) and of wrangler's proxy workerd, and `stop()`.
 */
export async function startRelay({ project, workDir, bundle, name, vars, config = path.join(project, "wrangler.toml") }) {
  const stateDir = path.join(workDir, `state-${name}`);
  fs.rmSync(stateDir, { recursive: true, force: true });
  const envFile = path.join(workDir, `${name}.env`);
  fs.writeFileSync(envFile, Object.entries(vars).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join("\n") + "\n", { mode: 0o600 });
  wrangler(project, ["d1", "migrations", "apply", "DB", "--local", "--config", config, "--persist-to", stateDir], "applying D1 migrations");

  const port = await freePort();
  const inspectorPort = await freePort();
  const logFile = path.join(workDir, `${name}-dev.log`);
  const log = fs.openSync(logFile, "w");
  const args = [
    // Without a bundle (the edge-floor peer) wrangler bundles the project's own entry.
    "dev", ...(bundle ? [bundle, "--no-bundle"] : []), "--config", config,
    "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort),
    "--persist-to", stateDir, "--env-file", envFile,
    // Request logs off: a log line per request would be part of what we measure.
    "--log-level", "warn", "--show-interactive-dev-session=false",
  ];
  const child = spawn(path.join(BIN, "wrangler"), args, { cwd: project, env: childEnv, detached: true, stdio: ["ignore", log, log] });
  fs.closeSync(log);
  const pgid = child.pid;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off("exit", stopNow);
    signalGroup(pgid, "SIGTERM");
    for (let i = 0; i < 50 && groupAlive(pgid); i++) await sleep(100);
    if (groupAlive(pgid)) signalGroup(pgid, "SIGKILL");
  };
  const stopNow = () => signalGroup(pgid, "SIGKILL");
  process.on("exit", stopNow);

  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) {
        const pids = workerdPids(pgid, port);
        if (pids.runtime) {
          const alive = () => fs.existsSync(`/proc/${pids.runtime}`);
          return { base, port, inspectorPort, pgid, ...pids, logFile, adminToken: vars.ADMIN_TOKEN, stop, alive };
        }
      }
    } catch {
      /* not up yet */
    }
    await sleep(300);
  }
  await stop();
  const tail = fs.readFileSync(logFile, "utf8").split("\n").filter((l) => l.trim()).slice(-8).join("\n");
  throw new Error(`the relay did not start:\n${tail}`);
}

function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function processesOfGroup(pgid) {
  const out = [];
  for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid) continue;
      out.push({ pid: Number(pid), cmd: fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ") });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/**
 * wrangler dev runs two workerd processes: a proxy bound to our port, and the runtime
 * bound to an ephemeral one. Only the runtime's work would be billed in production.
 */
function workerdPids(pgid, port) {
  const workerds = processesOfGroup(pgid).filter((p) => /\/workerd\s+serve\b/.test(p.cmd));
  const proxy = workerds.find((p) => p.cmd.includes(`--socket-addr=entry=127.0.0.1:${port} `));
  const runtime = workerds.find((p) => p !== proxy);
  return { runtime: runtime?.pid ?? null, proxy: proxy?.pid ?? null };
}

/** CPU seconds (user + system, all threads) a process has used so far. */
export function cpuSeconds(pid) {
  if (!fs.existsSync(`/proc/${pid}/stat`)) {
    throw new Error(`the workerd runtime (pid ${pid}) is gone: it crashed, was killed, or wrangler restarted it`);
  }
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Peak, current and anonymous resident memory of a process, MiB. */
export function memoryMiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { peak: kb("VmHWM") / 1024, current: kb("VmRSS") / 1024, anon: kb("RssAnon") / 1024 };
}
