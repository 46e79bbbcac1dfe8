// Load generators: autocannon for the flat-out runs; a small keep-alive client for the
// paced run (open loop) and the integrity run (every answer read, 5xx retried as a
// provider would).
import http from "node:http";
import autocannon from "autocannon";
import { atoshipCallback } from "./provider.mjs";
import { sleep } from "./relay.mjs";

function run(options) {
  return new Promise((resolve, reject) => {
    autocannon(options, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

function figures(result) {
  return {
    requests: result.requests.total,
    ok: result["2xx"],
    failed: result.non2xx + result.errors + result.timeouts,
    seconds: result.duration,
    rps: result.requests.total / result.duration,
    latency: { p50: result.latency.p50, p97_5: result.latency.p97_5, p99: result.latency.p99, max: result.latency.max },
  };
}

/** GET /healthz as fast as it goes: the ceiling of this Worker on this runtime and machine. */
export async function healthLoad(base, { connections, seconds }) {
  return figures(await run({ url: `${base}/healthz`, connections, duration: seconds }));
}

/**
 * Signed AtoShip callbacks, each a new event, spread round-robin over `orders` orders.
 * `rate` (req/s over all connections) paces the run; without it, it goes flat out.
 */
export async function ingestLoad(base, workspace, { connections, seconds, orders, runId, rate }) {
  let seq = 0;
  const result = await run({
    url: base,
    connections,
    duration: seconds,
    ...(rate ? { overallRate: rate } : {}),
    requests: [
      {
        method: "POST",
        path: workspace.ingestPath,
        setupRequest(request) {
          const n = seq++;
          const { body, headers } = atoshipCallback(workspace.source.secret, { run: runId, seq: n, order: n % orders });
          return { ...request, body, headers };
        },
      },
    ],
  });
  return figures(result);
}

/** A keep-alive HTTP client for callbacks whose every answer we read. */
export function callbackClient(base, ingestPath, maxSockets) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const url = new URL(base);
  const post = (payload) =>
    new Promise((resolve) => {
      const started = performance.now();
      const req = http.request(
        { host: url.hostname, port: url.port, path: ingestPath, method: "POST", agent, headers: payload.headers },
        (res) => {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString("utf8"), ms: performance.now() - started }));
        },
      );
      req.on("error", () => resolve({ status: 0, body: "", ms: performance.now() - started }));
      req.setTimeout(30_000, () => req.destroy());
      req.end(payload.body);
    });
  return { post, close: () => agent.destroy() };
}

/**
 * An open-loop steady load: a new callback every 1/rate s whatever the answers, so a slow
 * answer shows as latency instead of silently lowering the rate (autocannon's own pacing
 * sends each second's requests in one burst).
 */
export async function pacedLoad(base, workspace, { rate, seconds, orders, runId, sentAt }) {
  const client = callbackClient(base, workspace.ingestPath, 256);
  const ackMs = [];
  let sent = 0;
  let ok = 0;
  let failed = 0;
  const inFlight = new Set();
  const started = performance.now();
  const total = Math.round(rate * seconds);
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    while (sent < due) {
      const n = sent++;
      const at = Date.now();
      const payload = atoshipCallback(workspace.source.secret, { run: runId, seq: n, order: n % orders, sentAt: at });
      const p = client.post(payload).then((answer) => {
        ackMs.push(answer.ms);
        // `sentAt` (a Map) times events whose delivery does not carry bench_sent_at (the edge floor's).
        if (answer.status === 200 && sentAt) for (const id of JSON.parse(answer.body).event_ids ?? []) if (!sentAt.has(id)) sentAt.set(id, at);
        if (answer.status === 200) ok++;
        else failed++;
        inFlight.delete(p);
      });
      inFlight.add(p);
    }
    await sleep(2);
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - started) / 1000;
  client.close();
  return { requests: sent, ok, failed, seconds: elapsed, rps: sent / elapsed, ackMs };
}

/**
 * Posts every callback of `plan` with `concurrency` requests in flight and reads each
 * answer. A 5xx or a broken connection is retried after a pause, as providers do; the
 * books say what the relay answered. Past `deadline` (epoch ms) no new callback is started.
 */
export async function postAll(base, workspace, plan, { concurrency, maxTries = 8, deadline = Infinity, alive = () => true }) {
  const client = callbackClient(base, workspace.ingestPath, concurrency);
  // accepted: every event id a 200 named (a retried callback may answer "duplicate" for an
  // event its first, timed-out try already committed).
  const books = { posted: 0, accepted: new Set(), duplicateAnswers: 0, retried: 0, refused: 0, ackMs: [] };
  let next = 0;
  const worker = async () => {
    while (next < plan.length && Date.now() < deadline) {
      const item = plan[next++];
      for (let attempt = 1; attempt <= maxTries; attempt++) {
        const answer = await client.post(item);
        books.posted++;
        books.ackMs.push(answer.ms);
        if (answer.status === 200) {
          const json = JSON.parse(answer.body);
          if (json.duplicate) books.duplicateAnswers++;
          for (const id of json.event_ids) books.accepted.add(id);
          break;
        }
        if (answer.status >= 400 && answer.status < 500) {
          books.refused++;
          break;
        }
        books.retried++;
        if (!alive()) throw new Error("the relay's runtime exited while callbacks were being posted");
        await sleep(200 * attempt);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  client.close();
  books.sent = next;
  return books;
}

/**
 * The integrity plan: `events` callbacks over `orders` orders, plus `duplicateShare` of
 * them sent again — the same bytes and signature, a provider's retry — a few positions
 * after the original, so some duplicates race their original through the order's object.
 */
export function integrityPlan(secret, { runId, events, orders, duplicateShare, random = Math.random }) {
  const plan = [];
  for (let seq = 0; seq < events; seq++) {
    plan.push(atoshipCallback(secret, { run: runId, seq, order: seq % orders }));
  }
  const duplicates = Math.round(events * duplicateShare);
  for (let i = 0; i < duplicates; i++) {
    const original = Math.floor(random() * events);
    const at = Math.min(plan.length, original + 1 + Math.floor(random() * 50));
    plan.splice(at, 0, plan[original]);
  }
  return plan;
}
