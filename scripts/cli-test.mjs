#!/usr/bin/env node
// Tests of the `shiprelay` command line (bin/shiprelay.mjs), run by `npm test`: its argument
// handling, and each command against a fake relay on loopback (HTTP, and the listen
// WebSocket with the relay's frames) — plus a local endpoint `listen` forwards to.
// Prints `N passed, N failed` last and exits non-zero on any failure.
import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import http from "node:http";
import path from "node:path";
import { forwardTarget, matches, parseArgs, patternsOf, settingsOf } from "../bin/shiprelay.mjs";
import { assert, check, summary } from "./lib/checks.mjs";

const root = path.resolve(import.meta.dirname, "..");
const bin = path.join(root, "bin", "shiprelay.mjs");
const throwsWith = (fn, re) => {
  try {
    fn();
  } catch (err) {
    assert(re.test(err.message), `expected ${re}, got "${err.message}"`);
    return;
  }
  throw new Error(`expected a throw matching ${re}`);
};

/** Runs the CLI to its end (or until `until` matches its stdout, then SIGINT). */
function run(args, env = {}, { until, timeoutMs = 10_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`timed out; stdout: ${stdout} stderr: ${stderr}`));
    }, timeoutMs);
    child.stdout.on("data", (c) => {
      stdout += c;
      if (until && until(stdout)) child.kill("SIGINT");
    });
    child.stderr.on("data", (c) => (stderr += c));
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// ---- argument handling, in-process
await check("parseArgs: commands, flags with values, booleans, --x=y", () => {
  const p = parseArgs(["trigger", "atoship/label.created", "--source", "src_1", "--live", "--url=http://r"]);
  assert(p.command === "trigger" && p.args[0] === "atoship/label.created", JSON.stringify(p));
  assert(p.flags.source === "src_1" && p.flags.live === true && p.flags.url === "http://r", JSON.stringify(p.flags));
  assert(parseArgs(["-h"]).flags.help === true, "-h");
});
await check("parseArgs: unknown options and missing values are refused", () => {
  throwsWith(() => parseArgs(["trigger", "--nope"]), /unknown option --nope/);
  throwsWith(() => parseArgs(["trigger", "--source"]), /--source needs a value/);
  throwsWith(() => parseArgs(["trigger", "--source", "--live"]), /--source needs a value/);
  throwsWith(() => parseArgs(["trigger", "--live=yes"]), /takes no value/);
  throwsWith(() => parseArgs(["-x"]), /unknown option -x/);
});
await check("settings: flags win over the environment; both are required", () => {
  const s = settingsOf({ url: "http://a/" }, { SHIPRELAY_URL: "http://b", SHIPRELAY_API_KEY: "sk_1" });
  assert(s.url === "http://a" && s.apiKey === "sk_1", JSON.stringify(s));
  throwsWith(() => settingsOf({}, {}), /SHIPRELAY_URL/);
  throwsWith(() => settingsOf({}, { SHIPRELAY_URL: "http://a" }), /SHIPRELAY_API_KEY/);
  throwsWith(() => settingsOf({ url: "ftp://a" }, { SHIPRELAY_API_KEY: "k" }), /http\(s\)/);
});
await check("listen targets: a port or a URL, --path appended", () => {
  assert(forwardTarget("3000") === "http://localhost:3000/", forwardTarget("3000"));
  assert(forwardTarget("3000", "hooks") === "http://localhost:3000/hooks", forwardTarget("3000", "hooks"));
  assert(forwardTarget("http://127.0.0.1:4000/in", "/x") === "http://127.0.0.1:4000/in/x", forwardTarget("http://127.0.0.1:4000/in", "/x"));
  throwsWith(() => forwardTarget(undefined), /needs a port or URL/);
  throwsWith(() => forwardTarget("99999"), /not a port/);
  throwsWith(() => forwardTarget("nonsense"), /neither a port nor a URL/);
});
await check("event patterns", () => {
  const p = patternsOf("order.*, tracking.updated");
  assert(matches(p, "order.shipped") && matches(p, "tracking.updated") && !matches(p, "label.created"), JSON.stringify(p));
  assert(matches(null, "x") && matches(["*"], "x"), "all");
  throwsWith(() => patternsOf("Order Shipped"), /not an event type/);
});

// ---- a fake relay
const API_KEY = "sk_test_cli";
const calls = [];
let listenSocket = null;
const relay = http.createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    calls.push({ method: req.method, url: req.url, body, auth: req.headers.authorization });
    const send = (status, json) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(json));
    if (req.headers.authorization !== `Bearer ${API_KEY}`) return send(401, { error: { code: "invalid_api_key", message: "invalid API key" } });
    if (req.url === "/v1/samples") return send(200, { data: [{ name: "atoship/label.created" }, { name: "easypost/tracker.updated" }] });
    const trigger = req.url.match(/^\/v1\/sources\/([^/]+)\/trigger$/);
    if (trigger && req.method === "POST") {
      const { sample, live } = JSON.parse(body);
      if (sample === "atoship/nope") return send(404, { error: { code: "not_found", message: "sample atoship/nope not found; GET /v1/samples lists them" } });
      return send(200, { sample, event_ids: ["evt_cli_1"], livemode: live });
    }
    if (req.url.startsWith("/v1/events")) {
      return send(200, {
        data: [
          { id: "evt_2", type: "tracking.updated", livemode: true, created_at: "2026-01-01T00:00:02Z", source: { provider: "easypost", event: "tracker.updated" } },
          { id: "evt_1", type: "order.shipped", livemode: false, created_at: "2026-01-01T00:00:01Z", source: { provider: "atoship", event: "order.fulfilled" } },
        ],
        next_cursor: null,
      });
    }
    send(404, { error: { code: "not_found", message: "not found" } });
  });
});
relay.on("upgrade", (req, socket) => {
  if (req.headers.authorization !== `Bearer ${API_KEY}`) {
    socket.end("HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\n\r\n" + JSON.stringify({ error: { code: "invalid_api_key", message: "invalid API key" } }));
    return;
  }
  const accept = crypto.createHash("sha1").update(req.headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\n\r\n`);
  listenSocket = { socket, url: req.url, frames: [] };
  const frame = (obj) => {
    const payload = Buffer.from(JSON.stringify(obj));
    const head = payload.length < 126 ? Buffer.from([0x81, payload.length]) : Buffer.from([0x81, 126, payload.length >> 8, payload.length & 255]);
    socket.write(Buffer.concat([head, payload]));
  };
  let buf = Buffer.alloc(0);
  socket.on("data", (c) => {
    buf = Buffer.concat([buf, c]);
    while (buf.length >= 6) {
      let len = buf[1] & 0x7f;
      let off = 2;
      if (len === 126) (len = buf.readUInt16BE(2)), (off = 4);
      if (buf.length < off + 4 + len) return;
      const mask = buf.subarray(off, off + 4);
      const data = Buffer.from(buf.subarray(off + 4, off + 4 + len).map((b, i) => b ^ mask[i % 4]));
      if ((buf[0] & 0x0f) === 1) listenSocket.frames.push(JSON.parse(data.toString()));
      buf = buf.subarray(off + 4 + len);
    }
  });
  socket.on("error", () => {});
  frame({ type: "ready", destination_id: "dst_listen_1", signing_secret: "whsec_dGVzdA==", events: ["order.*"] });
  const body = JSON.stringify({ id: "evt_9", type: "order.shipped" });
  setTimeout(() => frame({ type: "delivery", request_id: "r1", headers: { "content-type": "application/json", "webhook-id": "dlv_1", "webhook-signature": "v1,abc", "webhook-timestamp": "1" }, body }), 50);
});
await new Promise((r) => relay.listen(0, "127.0.0.1", r));
const relayUrl = `http://127.0.0.1:${relay.address().port}`;
const env = { SHIPRELAY_URL: relayUrl, SHIPRELAY_API_KEY: API_KEY };

const local = [];
const endpoint = http.createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    local.push({ url: req.url, headers: req.headers, body });
    res.writeHead(204).end();
  });
});
await new Promise((r) => endpoint.listen(0, "127.0.0.1", r));
const localPort = endpoint.address().port;

// ---- the commands, as a developer runs them
await check("--help prints usage and exits 0", async () => {
  const r = await run(["--help"]);
  assert(r.code === 0 && /shiprelay listen <port\|url>/.test(r.stdout) && /SHIPRELAY_API_KEY/.test(r.stdout), r.stdout);
});
await check("npx shiprelay runs the package's bin", async () => {
  const r = spawnSync("npx", ["--no", "--", "shiprelay", "--help"], { cwd: root, encoding: "utf8", timeout: 60_000 });
  assert(r.status === 0 && /shiprelay trigger <provider>\/<event>/.test(r.stdout), `${r.status}: ${r.stdout}${r.stderr}`);
});
await check("an unknown command is one clear line and exit 1", async () => {
  const r = await run(["deploy"], env);
  assert(r.code === 1 && r.stderr.trim().split("\n").length === 1 && /unknown command deploy/.test(r.stderr), r.stderr);
});
await check("trigger --list prints the samples", async () => {
  const r = await run(["trigger", "--list"], env);
  assert(r.code === 0 && r.stdout.includes("atoship/label.created\neasypost/tracker.updated"), r.stdout + r.stderr);
});
await check("trigger posts the sample to the source, livemode false unless --live", async () => {
  let r = await run(["trigger", "atoship/label.created", "--source", "src_1"], env);
  assert(r.code === 0 && /evt_cli_1 \(livemode false\)/.test(r.stdout), r.stdout + r.stderr);
  const call = calls.findLast((c) => c.url === "/v1/sources/src_1/trigger");
  assert(call && JSON.parse(call.body).live === false, JSON.stringify(call));
  r = await run(["trigger", "atoship/label.created", "--source", "src_1", "--live"], env);
  assert(/livemode true/.test(r.stdout), r.stdout);
});
await check("trigger errors: no --source, a malformed name, an unknown sample, a bad key, an unreachable relay", async () => {
  let r = await run(["trigger", "atoship/label.created"], env);
  assert(r.code === 1 && /needs --source/.test(r.stderr), r.stderr);
  r = await run(["trigger", "label.created", "--source", "s"], env);
  assert(r.code === 1 && /not <provider>\/<event>/.test(r.stderr), r.stderr);
  r = await run(["trigger", "atoship/nope", "--source", "s"], env);
  assert(r.code === 1 && /sample atoship\/nope not found/.test(r.stderr), r.stderr);
  r = await run(["trigger", "--list"], { ...env, SHIPRELAY_API_KEY: "sk_wrong" });
  assert(r.code === 1 && /refused the API key/.test(r.stderr), r.stderr);
  r = await run(["trigger", "--list", "--url", "http://127.0.0.1:1"], env);
  assert(r.code === 1 && /cannot reach the relay/.test(r.stderr) && r.stderr.trim().split("\n").length === 1, r.stderr);
});
await check("tail prints the log oldest first, filtered by --events", async () => {
  const r = await run(["tail", "--events", "order.*"], env, { until: (out) => out.includes("ready") });
  assert(/order\.shipped\s+evt_1\s+atoship\/order\.fulfilled\s+\(test\)/.test(r.stdout) && !r.stdout.includes("evt_2"), r.stdout + r.stderr);
});
await check("listen: prints the secret and ready, forwards each frame with its headers, answers with the local status", async () => {
  const r = await run(["listen", String(localPort), "--events", "order.*", "--path", "/hooks"], env, {
    until: (out) => /order\.shipped\s+evt_9\s+204/.test(out),
  });
  assert(/signing secret: whsec_dGVzdA==/.test(r.stdout) && /^ready$/m.test(r.stdout), r.stdout + r.stderr);
  assert(listenSocket.url === "/v1/listen?events=order.*", listenSocket.url);
  const got = local[0];
  assert(got && got.url === "/hooks" && got.headers["webhook-id"] === "dlv_1" && got.headers["webhook-signature"] === "v1,abc", JSON.stringify(got));
  assert(got.body === JSON.stringify({ id: "evt_9", type: "order.shipped" }), got.body);
  const answer = listenSocket.frames.find((f) => f.type === "result");
  assert(answer && answer.request_id === "r1" && answer.status === 204 && typeof answer.ms === "number", JSON.stringify(listenSocket.frames));
});
await check("listen: a refused key is one clear line", async () => {
  const r = await run(["listen", "3000"], { ...env, SHIPRELAY_API_KEY: "sk_wrong" });
  assert(r.code === 1 && /refused the API key/.test(r.stderr), r.stderr);
});

relay.close();
endpoint.close();
relay.closeAllConnections?.();
const code = summary();
process.exit(code);
