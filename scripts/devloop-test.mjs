#!/usr/bin/env node
// The customer developer's loop end to end (run by `npm test`): the real relay under
// `wrangler dev` (temporary state and vars), a workspace with an AtoShip source, then the CLI
// as a developer runs it — `shiprelay listen <port>` forwarding to a local endpoint that
// verifies each delivery with the secret listen printed (the standardwebhooks library), and
// `shiprelay trigger atoship/label.created --source …` — and the relay's log shows the attempt.
// Prints `N passed, N failed` last and exits non-zero on any failure.
import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Webhook } from "standardwebhooks";
import { assert, check, summary } from "./lib/checks.mjs";

const root = path.resolve(import.meta.dirname, "..");
const cli = path.join(root, "bin", "shiprelay.mjs");
const wrangler = path.join(root, "node_modules", ".bin", "wrangler");
const children = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "shiprelay-devloop-"));
const stopAll = () => {
  for (const c of children) {
    try {
      process.kill(-c.pid, "SIGTERM");
    } catch {}
  }
  fs.rmSync(tmp, { recursive: true, force: true });
};
process.on("exit", stopAll);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(pred, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await pred().catch(() => undefined);
    if (v) return v;
    await sleep(200);
  }
  return undefined;
}
const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

// ---- the relay: wrangler dev on its own state and vars (the developer's .dev.vars is not read)
const adminToken = crypto.randomBytes(16).toString("hex");
const envFile = path.join(tmp, "vars.env");
fs.writeFileSync(envFile, `ADMIN_TOKEN="${adminToken}"\nENCRYPTION_KEY="${crypto.randomBytes(32).toString("base64")}"\nALLOW_INSECURE_DESTINATIONS="true"\n`, { mode: 0o600 });
const persist = path.join(tmp, "state");
const env = { ...process.env, PATH: [path.join(root, "node_modules", ".bin"), process.env.PATH].join(path.delimiter), WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" };
const migrated = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist], { cwd: root, env, encoding: "utf8", timeout: 120_000 });
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const logFile = path.join(tmp, "dev.log");
if (migrated.status === 0) {
  const log = fs.openSync(logFile, "w");
  children.push(spawn(wrangler, ["dev", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", persist, "--env-file", envFile], { cwd: root, env, detached: true, stdio: ["ignore", log, log] }));
}
const up = migrated.status === 0 && (await until(async () => (await fetch(`${base}/healthz`)).ok, 120_000));

async function api(method, p, token, body) {
  const res = await fetch(base + p, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) }, body: body ? JSON.stringify(body) : undefined });
  return { status: res.status, json: await res.json().catch(() => null) };
}

/** Runs the CLI in the background, collecting its output. */
function cliProcess(args, cliEnv) {
  const child = spawn(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH, ...cliEnv }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  children.push(child);
  const out = { stdout: "", stderr: "", code: null };
  child.stdout.on("data", (c) => (out.stdout += c));
  child.stderr.on("data", (c) => (out.stderr += c));
  child.on("close", (code) => (out.code = code));
  return { child, out };
}

await check("the relay starts under wrangler dev", () => {
  const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").split("\n").slice(-8).join("\n") : migrated.stderr;
  assert(up, `the relay did not start:\n${tail}`);
});

if (up) {
  const ws = await api("POST", "/v1/workspaces", adminToken, { name: "devloop" });
  const key = ws.json?.api_key;
  const source = (await api("POST", "/v1/sources", key, { name: "AtoShip", provider: "atoship" })).json;
  const cliEnv = { SHIPRELAY_URL: base, SHIPRELAY_API_KEY: key };

  // The developer's own receiver: verifies every delivery with the secret `listen` printed.
  let secret = null;
  const received = [];
  const receiver = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      try {
        received.push({ url: req.url, event: new Webhook(secret).verify(body, req.headers) });
        res.writeHead(200).end("verified");
      } catch (err) {
        received.push({ url: req.url, error: err.message });
        res.writeHead(400).end("bad signature");
      }
    });
  });
  await new Promise((r) => receiver.listen(0, "127.0.0.1", r));

  const listener = cliProcess(["listen", String(receiver.address().port), "--path", "/webhooks", "--events", "label.*"], cliEnv);
  await check("shiprelay listen prints the signing secret and ready", async () => {
    const ready = await until(async () => /^ready$/m.test(listener.out.stdout), 30_000);
    assert(ready, `no ready: ${listener.out.stdout} ${listener.out.stderr}`);
    secret = listener.out.stdout.match(/signing secret: (whsec_\S+)/)?.[1];
    assert(secret, listener.out.stdout);
  });

  let eventId = null;
  await check("shiprelay trigger runs a sample through the source", async () => {
    const r = spawnSync(process.execPath, [cli, "trigger", "atoship/label.created", "--source", source.id], { env: { PATH: process.env.PATH, ...cliEnv }, encoding: "utf8", timeout: 30_000 });
    assert(r.status === 0, r.stderr);
    eventId = r.stdout.match(/(evt_\S+) \(livemode false\)/)?.[1];
    assert(eventId, r.stdout);
  });

  await check("the listener receives it on localhost, and it verifies with the printed secret", async () => {
    const got = await until(async () => received.find((r) => r.event?.id === eventId || r.error), 30_000);
    assert(got && !got.error, `received: ${JSON.stringify(received)}`);
    assert(got.url === "/webhooks" && got.event.type === "label.created" && got.event.livemode === false, JSON.stringify(got));
    const line = await until(async () => new RegExp(`label\\.created\\s+${eventId}\\s+200\\s+\\d+ ms`).test(listener.out.stdout), 10_000);
    assert(line, listener.out.stdout);
  });

  await check("the relay's log shows the attempt with the local status", async () => {
    const d = await until(async () => {
      const list = await api("GET", `/v1/deliveries?event=${eventId}`, key);
      const found = list.json?.data?.find((x) => x.status === "succeeded");
      return found && (await api("GET", `/v1/deliveries/${found.id}`, key)).json;
    }, 15_000);
    assert(d && d.attempts?.[0]?.status_code === 200 && d.attempts[0].response_body === "verified", JSON.stringify(d));
  });

  await check("Ctrl-C closes the listener cleanly", async () => {
    process.kill(listener.child.pid, "SIGINT");
    const done = await until(async () => listener.out.code !== null, 10_000);
    assert(done && listener.out.code === 0, `exit ${listener.out.code}: ${listener.out.stderr}`);
  });
  receiver.close();
}

const code = summary();
stopAll();
process.exit(code);
