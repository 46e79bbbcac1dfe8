#!/usr/bin/env node
// shiprelay — the developer's command line for a shiprelay relay (plain Node ≥ 20, no build
// step, no dependencies): trigger bundled provider samples, follow the event log, and receive
// deliveries on localhost through a listening WebSocket. `shiprelay --help` says how.
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { connectWebSocket } from "./lib/websocket.mjs";

const HELP = `shiprelay — a command line for a shiprelay relay

Usage:
  shiprelay listen <port|url> [--events <pattern,…>] [--source <id>] [--path <p>]
      Receive deliveries on localhost: a temporary destination forwards each one, with its
      Standard Webhooks headers, to http://localhost:<port><path> (or the URL). Prints the
      signing secret, then "ready", then one line per delivery. Ctrl-C stops.
  shiprelay trigger <provider>/<event> --source <id> [--live]
      Run a bundled sample of that provider's callback through the source (livemode false
      unless --live); every run is a fresh event.
  shiprelay trigger --list
      List the bundled samples.
  shiprelay tail [--events <pattern,…>] [--source <id>]
      Follow the event log.

Settings (flags win over the environment):
  --url <relay>       SHIPRELAY_URL      e.g. http://localhost:8787
  --api-key <sk_…>    SHIPRELAY_API_KEY  a workspace API key
  --interval <ms>     how often tail polls (default 2000)
  --help, -h          this text
`;

const FLAGS = { url: "value", "api-key": "value", events: "value", source: "value", path: "value", interval: "value", live: "bool", list: "bool", help: "bool" };

class CliError extends Error {}

/** Parses argv into `{command, args, flags}`; throws CliError on anything it does not know. */
export function parseArgs(argv) {
  const flags = {};
  const args = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-h") flags.help = true;
    else if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      const kind = FLAGS[name];
      if (!kind) throw new CliError(`unknown option --${name} (see shiprelay --help)`);
      if (kind === "bool") {
        if (eq > 0) throw new CliError(`--${name} takes no value`);
        flags[name] = true;
      } else {
        const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
        if (value === undefined || value === "" || (eq < 0 && value.startsWith("--"))) throw new CliError(`--${name} needs a value`);
        flags[name] = value;
      }
    } else if (a.startsWith("-") && a !== "-") throw new CliError(`unknown option ${a} (see shiprelay --help)`);
    else args.push(a);
  }
  return { command: args[0], args: args.slice(1), flags };
}

/** The relay URL and API key from flags or the environment. */
export function settingsOf(flags, env = process.env) {
  const url = (flags.url ?? env.SHIPRELAY_URL ?? "").replace(/\/+$/, "");
  const apiKey = flags["api-key"] ?? env.SHIPRELAY_API_KEY ?? "";
  if (!url) throw new CliError("no relay URL: pass --url or set SHIPRELAY_URL (e.g. http://localhost:8787)");
  if (!/^https?:\/\//.test(url)) throw new CliError(`--url must be an http(s) URL, not ${url}`);
  if (!apiKey) throw new CliError("no API key: pass --api-key or set SHIPRELAY_API_KEY");
  return { url, apiKey };
}

/** Event type patterns as the relay reads them: exact, `prefix.*` or `*`. */
export function patternsOf(value) {
  if (value === undefined) return null;
  const list = value.split(",").map((s) => s.trim()).filter(Boolean);
  for (const p of list) if (!/^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$/.test(p)) throw new CliError(`--events: ${p} is not an event type or prefix.* pattern`);
  return list.length ? list : null;
}

export function matches(patterns, type) {
  if (!patterns) return true;
  return patterns.some((p) => p === "*" || p === type || (p.endsWith(".*") && type.startsWith(p.slice(0, -1))));
}

/** Where `listen` forwards: a port on localhost, or a URL; `--path` is appended to either. */
export function forwardTarget(target, path) {
  if (target === undefined) throw new CliError("listen needs a port or URL: shiprelay listen 3000");
  const p = path === undefined ? "" : path.startsWith("/") ? path : `/${path}`;
  if (/^\d{1,5}$/.test(target)) {
    const port = Number(target);
    if (port < 1 || port > 65535) throw new CliError(`${target} is not a port`);
    return `http://localhost:${port}${p || "/"}`;
  }
  let url;
  try {
    url = new URL(target);
  } catch {
    throw new CliError(`${target} is neither a port nor a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new CliError(`${target} must be an http(s) URL`);
  return p ? `${url.origin}${url.pathname.replace(/\/$/, "")}${p}` : url.href;
}

async function call(settings, method, path, body) {
  let res;
  try {
    res = await fetch(`${settings.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${settings.apiKey}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (err) {
    throw new CliError(`cannot reach the relay at ${settings.url} (${err.cause?.code ?? err.cause?.message ?? err.message})`);
  }
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  if (!res.ok) throw new CliError(relayError(res.status, json, text));
  return json;
}

function relayError(status, json, text) {
  const code = json?.error?.code;
  if (status === 401) return `the relay refused the API key (${code ?? status}): check --api-key or SHIPRELAY_API_KEY`;
  if (json?.error) return `${json.error.message} (${code}, HTTP ${status})`;
  return `the relay answered HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ""}`;
}

async function trigger({ args, flags }) {
  const settings = settingsOf(flags);
  if (flags.list) {
    if (args.length) throw new CliError("trigger --list takes no sample name");
    const { data } = await call(settings, "GET", "/v1/samples");
    for (const s of data) console.log(s.name);
    return;
  }
  const [sample, extra] = args;
  if (!sample) throw new CliError("trigger needs a sample: shiprelay trigger <provider>/<event> --source <id> (or --list)");
  if (extra !== undefined) throw new CliError(`unexpected argument ${extra}`);
  if (!/^[a-z0-9_-]+\/[A-Za-z0-9_.-]+$/.test(sample)) throw new CliError(`${sample} is not <provider>/<event> (see shiprelay trigger --list)`);
  if (!flags.source) throw new CliError("trigger needs --source <id> (the source whose adapter runs the sample)");
  const res = await call(settings, "POST", `/v1/sources/${encodeURIComponent(flags.source)}/trigger`, { sample, live: !!flags.live });
  for (const id of res.event_ids) console.log(`${sample} → ${id} (livemode ${res.livemode})`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const clock = (iso) => (iso ? new Date(iso).toISOString().slice(11, 19) : new Date().toISOString().slice(11, 19));

async function tail({ args, flags }) {
  if (args.length) throw new CliError(`unexpected argument ${args[0]}`);
  const settings = settingsOf(flags);
  const patterns = patternsOf(flags.events);
  const interval = flags.interval ? Number(flags.interval) : 2000;
  if (!Number.isInteger(interval) || interval < 200) throw new CliError("--interval must be at least 200 (ms)");
  const seen = new Set();
  const query = `/v1/events?limit=50${flags.source ? `&source=${encodeURIComponent(flags.source)}` : ""}`;
  let first = true;
  for (;;) {
    const { data } = await call(settings, "GET", query);
    const fresh = data.filter((e) => !seen.has(e.id)).reverse();
    for (const e of fresh) seen.add(e.id);
    // On start, the last few for context; then everything new.
    for (const e of first ? fresh.slice(-10) : fresh) {
      if (matches(patterns, e.type)) console.log(`${clock(e.created_at)}  ${e.type.padEnd(24)} ${e.id}  ${e.source.provider}/${e.source.event}${e.livemode ? "" : "  (test)"}`);
    }
    if (first) console.log("ready");
    first = false;
    await sleep(interval);
  }
}

async function forward(target, frame) {
  const started = Date.now();
  try {
    const res = await fetch(target, { method: "POST", headers: frame.headers, body: frame.body, redirect: "manual", signal: AbortSignal.timeout(25_000) });
    const body = (await res.text()).slice(0, 1024);
    return { status: res.status, body, ms: Date.now() - started };
  } catch (err) {
    return { status: null, error: `${err.cause?.code ?? err.name ?? "error"}: ${err.cause?.message ?? err.message}`.slice(0, 300), ms: Date.now() - started };
  }
}

function describeFrame(frame) {
  try {
    const event = JSON.parse(frame.body);
    return { type: event.type ?? "-", id: event.id ?? "-" };
  } catch {
    return { type: "-", id: "-" };
  }
}

async function listen({ args, flags }) {
  const settings = settingsOf(flags);
  const target = forwardTarget(args[0], flags.path);
  if (args.length > 1) throw new CliError(`unexpected argument ${args[1]}`);
  const patterns = patternsOf(flags.events);
  const q = new URLSearchParams();
  if (patterns) q.set("events", patterns.join(","));
  if (flags.source) q.set("source", flags.source);
  const wsUrl = `${settings.url}/v1/listen${q.size ? `?${q}` : ""}`;
  let ws;
  try {
    ws = await connectWebSocket(wsUrl, { authorization: `Bearer ${settings.apiKey}` });
  } catch (err) {
    if (err.status) {
      let json = null;
      try {
        json = JSON.parse(err.body);
      } catch {
        /* not JSON */
      }
      throw new CliError(relayError(err.status, json, err.body));
    }
    throw new CliError(`cannot reach the relay at ${settings.url} (${err.code ?? err.message})`);
  }
  let stopping = false;
  process.on("SIGINT", () => {
    stopping = true;
    ws.close(1000);
    setTimeout(() => process.exit(0), 200).unref();
  });
  return new Promise((resolve, reject) => {
    ws.on("message", async (text) => {
      let frame;
      try {
        frame = JSON.parse(text);
      } catch {
        return;
      }
      if (frame.type === "ready") {
        console.log(`forwarding to ${target} (destination ${frame.destination_id}${frame.events ? `, events ${frame.events.join(",")}` : ""})`);
        console.log(`signing secret: ${frame.signing_secret}`);
        console.log("ready");
      } else if (frame.type === "delivery") {
        const result = await forward(target, frame);
        ws.send(JSON.stringify({ type: "result", request_id: frame.request_id, ...result }));
        const { type, id } = describeFrame(frame);
        const status = result.status ?? `ERR ${result.error}`;
        console.log(`${clock()}  ${type.padEnd(24)} ${id}  ${status}  ${result.ms} ms`);
      }
    });
    ws.on("error", (err) => reject(new CliError(`the connection to the relay failed (${err.code ?? err.message})`)));
    ws.on("close", (code, reason) => {
      if (stopping) resolve();
      else reject(new CliError(`the relay closed the connection (${code}${reason ? ` ${reason}` : ""})`));
    });
  });
}

async function main(argv) {
  const parsed = parseArgs(argv);
  if (parsed.flags.help || parsed.command === undefined || parsed.command === "help") {
    process.stdout.write(HELP);
    return;
  }
  switch (parsed.command) {
    case "trigger":
      return trigger(parsed);
    case "tail":
      return tail(parsed);
    case "listen":
      return listen(parsed);
    default:
      throw new CliError(`unknown command ${parsed.command} (commands: listen, trigger, tail; see shiprelay --help)`);
  }
}

// Run when executed — directly, or through npm's bin link — not when a test imports the helpers above.
function invokedDirectly() {
  try {
    return !!process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}
if (invokedDirectly()) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(`shiprelay: ${err instanceof CliError ? err.message : err.message ?? String(err)}`);
    process.exit(1);
  });
}
