#!/usr/bin/env node
// The dashboard in a real browser: starts `npm run dev` on a free port with its own vars and
// its own local state, plays a provider (a signed AtoShip callback) and a customer endpoint
// (fails once, then succeeds), and drives Chromium through sign-in, the event page and a
// resend; then the console's operator flows (scripts/browser-console-flows.mjs). Prints
// `N passed, N failed` last and exits non-zero on any failure.
//
//   node scripts/browser-test.mjs
//   SCREENSHOTS_DIR=docs/screenshots node scripts/browser-test.mjs   # refresh the README's pictures
//   CHROMIUM_PATH=/path/to/chrome node scripts/browser-test.mjs
import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { consoleFlows } from "./browser-console-flows.mjs";

const root = path.resolve(import.meta.dirname, "..");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const shotsDir = process.env.SCREENSHOTS_DIR ? path.resolve(root, process.env.SCREENSHOTS_DIR) : null;

// ---- checks -------------------------------------------------------------------------------
const results = [];
function check(name, ok, detail = "") {
  results.push(!!ok);
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${ok || !detail ? "" : ` — ${String(detail).slice(0, 300)}`}`);
  return !!ok;
}

// ---- cleanup: only what this script started or wrote --------------------------------------
const cleanups = [];
let cleanedUp = false;
function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const fn of cleanups.reverse()) {
    try {
      fn();
    } catch {}
  }
}
process.on("exit", cleanup);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    cleanup();
    process.exit(130);
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(pred, ms = 20_000, step = 250) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const v = await pred();
      if (v) return v;
    } catch {}
    await sleep(step);
  }
  return undefined;
}

// ---- the relay under `npm run dev` --------------------------------------------------------
/**
 * Starts `npm run dev -- --port P --ip 127.0.0.1` like the acceptance harness, but never
 * touches the developer's setup: vars come from a temporary env file (`--env-file`, which
 * makes wrangler skip .dev.vars), state lives in a temporary `--persist-to` directory with
 * the migrations applied there first, and .dev.vars is put back exactly as it was (scripts/dev.mjs
 * creates one on a fresh clone).
 */
async function startRelay(vars) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "shiprelay-browser-"));
  cleanups.push(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const devVars = path.join(root, ".dev.vars");
  const backup = fs.existsSync(devVars) ? fs.readFileSync(devVars) : null;
  cleanups.push(() => {
    if (backup) {
      if (!fs.existsSync(devVars) || !fs.readFileSync(devVars).equals(backup)) fs.writeFileSync(devVars, backup, { mode: 0o600 });
    } else fs.rmSync(devVars, { force: true });
  });
  const envFile = path.join(tmp, "browser-test.env");
  fs.writeFileSync(envFile, Object.entries(vars).map(([k, v]) => `${k}=${JSON.stringify(String(v))}`).join("\n") + "\n", { mode: 0o600 });
  const persist = path.join(tmp, "state");
  // node_modules/.bin first, as under `npm run`: the project pins the Node that wrangler needs.
  const binPath = [path.join(root, "node_modules", ".bin"), process.env.PATH].join(path.delimiter);
  const env = { ...process.env, PATH: binPath, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" };

  const migrate = spawnSync(path.join(root, "node_modules", ".bin", "wrangler"), ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persist], {
    cwd: root,
    env,
    encoding: "utf8",
    timeout: 120_000,
  });
  if (migrate.status !== 0) throw new Error(`migrations failed: ${(migrate.stderr || migrate.stdout || "").slice(-400)}`);

  const port = await freePort();
  const logFile = path.join(tmp, "dev.log");
  const log = fs.openSync(logFile, "w");
  const child = spawn(
    "npm",
    ["run", "dev", "--", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", persist, "--env-file", envFile],
    { cwd: root, detached: true, stdio: ["ignore", log, log], env },
  );
  cleanups.push(() => {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
  });
  const base = `http://127.0.0.1:${port}`;
  const up = await waitFor(async () => child.exitCode === null && (await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) })).ok, 120_000, 500);
  if (!up) {
    const tail = fs.readFileSync(logFile, "utf8").split("\n").filter(Boolean).slice(-8).join("\n");
    throw new Error(`the relay did not start:\n${tail}`);
  }
  return { base, logFile };
}

async function api(base, method, p, { token, body, raw, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload = raw;
  if (body !== undefined) {
    h["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const res = await fetch(base + p, { method, headers: h, body: payload, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, json, text };
}

/** A customer endpoint on loopback; `decide(request, n)` picks (or awaits) each answer's status. */
async function startEndpoint(decide) {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const entry = { headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      received.push(entry);
      const status = await decide(entry, received.length);
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(status < 300 ? { received: true } : { error: "temporarily down" }));
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(() => server.close());
  return { url: `http://127.0.0.1:${server.address().port}/hooks/shipping`, received };
}

/** An AtoShip callback, signed the way AtoShip signs (`sha256=<hex HMAC of the body>`). */
function atoship(base, source, event, data, secret = source.secret) {
  const raw = JSON.stringify({ event, timestamp: new Date().toISOString(), data });
  const signature = `sha256=${crypto.createHmac("sha256", secret).update(raw).digest("hex")}`;
  const url = new URL(source.ingest_url);
  return api(base, "POST", url.pathname + url.search, { raw, headers: { "content-type": "application/json", "x-atoship-signature": signature } });
}

async function screenshot(page, name) {
  if (!shotsDir) return;
  fs.mkdirSync(shotsDir, { recursive: true });
  await page.screenshot({ path: path.join(shotsDir, `${name}.png`), fullPage: true });
}

// ---- the scenario -------------------------------------------------------------------------
let openBrowser = null;

async function main() {
  if (!fs.existsSync(CHROMIUM)) {
    check(`Chromium at ${CHROMIUM}`, false, "install it (apt-get install -y chromium) or set CHROMIUM_PATH");
    return;
  }
  const adminToken = `adm_${crypto.randomBytes(16).toString("hex")}`;
  const relay = await startRelay({
    ADMIN_TOKEN: adminToken,
    ENCRYPTION_KEY: crypto.randomBytes(32).toString("base64"),
    ALLOW_INSECURE_DESTINATIONS: "true",
  });
  const { base } = relay;
  check("npm run dev serves the relay", true);

  // A workspace, an AtoShip source, and an ERP endpoint that fails once, then recovers.
  const ws = await api(base, "POST", "/v1/workspaces", { token: adminToken, body: { name: "Acme Outdoor" } });
  const key = ws.json?.api_key;
  check("workspace created", ws.status === 201 && key, ws.text);
  const source = (await api(base, "POST", "/v1/sources", { token: key, body: { name: "AtoShip production", provider: "atoship" } })).json;
  check("AtoShip source created", source?.id && source?.secret, JSON.stringify(source));
  // The ERP fails the first delivery of the first order, then recovers; the WMS is down until
  // it is told to recover (for the bulk resend).
  const order = `SO-${crypto.randomBytes(3).toString("hex").toUpperCase()}`;
  let erpFailedOnce = false;
  const erp = await startEndpoint((req) => {
    if (!erpFailedOnce && req.body.includes(order)) {
      erpFailedOnce = true;
      return 500;
    }
    return 200;
  });
  // Once it is back, the WMS holds its answers until the test opens the gate, so the replay is
  // surely still running when its progress page first renders.
  let wmsUp = false;
  let openGate;
  const gate = new Promise((resolve) => (openGate = resolve));
  cleanups.push(() => openGate());
  const wms = await startEndpoint(async () => {
    if (!wmsUp) return 503;
    await gate;
    return 200;
  });
  const dest = (
    await api(base, "POST", "/v1/destinations", {
      token: key,
      body: { url: erp.url, name: "Acme ERP", retry: { max_attempts: 1, schedule_seconds: [60] } },
    })
  ).json;
  check("destination created", dest?.id, JSON.stringify(dest));
  const wmsDest = (
    await api(base, "POST", "/v1/destinations", {
      token: key,
      body: { url: wms.url, name: "Acme WMS", retry: { max_attempts: 1, schedule_seconds: [60] } },
    })
  ).json;
  check("a second destination created", wmsDest?.id, JSON.stringify(wmsDest));

  const tracking = `1Z999AA1${crypto.randomInt(1e9, 9e9)}`;
  const posted = await atoship(base, source, "shipment.in_transit", {
    label_id: `lbl_${crypto.randomBytes(4).toString("hex")}`,
    tracking_number: tracking,
    carrier: "UPS",
    service: "Ground",
    order_id: order,
  });
  const eventId = posted.json?.event_ids?.[0];
  check("a signed AtoShip callback is accepted", posted.status === 200 && eventId, posted.text);
  const second = await atoship(base, source, "label.created", {
    label_id: `lbl_${crypto.randomBytes(4).toString("hex")}`,
    tracking_number: `9400${crypto.randomInt(1e9, 9e9)}`,
    carrier: "USPS",
    order_id: `SO-${crypto.randomBytes(3).toString("hex").toUpperCase()}`,
  });
  check("a second event is accepted", second.status === 200, second.text);
  const forged = await atoship(base, source, "order.canceled", { order_id: order }, "not-the-secret");
  check("a badly signed callback is refused", forged.status === 401, forged.text);

  const failed = await waitFor(async () => {
    const r = await api(base, "GET", `/v1/deliveries?destination=${dest.id}&event=${eventId}`, { token: key });
    return r.json?.data?.[0]?.status === "failed" ? r.json.data[0] : undefined;
  }, 30_000);
  check("the first delivery failed (the endpoint answered 500)", failed, "delivery did not fail in time");
  const wmsFailed = await waitFor(async () => {
    const r = await api(base, "GET", `/v1/deliveries?destination=${wmsDest.id}&status=failed`, { token: key });
    return r.json?.data?.length === 2;
  }, 30_000);
  check("both deliveries to the WMS failed", wmsFailed);

  // ---- the browser ----
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  openBrowser = browser;
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const consoleErrors = [];
  // Script errors and CSP violations; a 401 page (the wrong key, on purpose) is not one.
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(e.message));

  await page.goto(`${base}/dashboard`);
  check("a signed-out visit lands on the sign-in page", page.url().startsWith(`${base}/dashboard/login`), page.url());
  await screenshot(page, "login");
  await page.fill('input[name="api_key"]', "sk_wrong");
  await page.click('button[type="submit"]');
  check("a wrong key is refused", (await page.textContent("body")).includes("not accepted"));

  await page.fill('input[name="api_key"]', key);
  await Promise.all([page.waitForURL(`${base}/dashboard`), page.click('button[type="submit"]')]);
  check("signing in opens the overview", page.url() === `${base}/dashboard`, page.url());
  const cookie = (await context.cookies()).find((c) => c.name === "shiprelay_session");
  check(
    "the session cookie is HttpOnly, Secure, SameSite=Strict",
    cookie && cookie.httpOnly && cookie.secure && cookie.sameSite === "Strict",
    JSON.stringify(cookie),
  );

  const row = page.locator(`tr[data-event-id="${eventId}"]`);
  const rowText = (await row.count()) ? await row.innerText() : "";
  check("the overview lists the posted event", rowText.includes(order) && rowText.includes(tracking) && rowText.includes("tracking.updated"), rowText);
  check("the overview shows its delivery status", rowText.includes("failed"), rowText);
  await screenshot(page, "overview");

  await Promise.all([page.waitForURL(`${base}/dashboard/events/${eventId}`), row.locator(`a[href="/dashboard/events/${eventId}"]`).first().click()]);
  check("the event links to /dashboard/events/<id>", page.url() === `${base}/dashboard/events/${eventId}`, page.url());
  await page.locator(`section[data-delivery-id="${failed.id}"] .attempt summary`).first().click();
  const detail = await page.textContent("main");
  check("the event page shows the attempt's response", detail.includes("HTTP 500") && detail.includes("temporarily down"), detail.slice(0, 300));
  check("the event page shows the request we sent", detail.includes(`webhook-id: ${failed.id}`) && detail.includes("webhook-attempt: 1"));
  check("the event page shows the raw payload", detail.includes('"event": "shipment.in_transit"'));
  await screenshot(page, "event");

  await Promise.all([page.waitForURL(/flash=resent/), page.click(`section[data-delivery-id="${failed.id}"] button[type="submit"]`)]);
  check("resend is acknowledged", (await page.textContent("main")).includes("Queued"));
  const resent = await waitFor(async () => {
    await page.reload();
    return (await page.locator(`section[data-delivery-id="${failed.id}"] [data-attempt="2"]`).count()) > 0;
  }, 30_000, 500);
  check("the new attempt appears on the event page", resent);
  await page.locator('[data-attempt="2"] summary').click();
  const attempt2 = resent ? await page.locator('[data-attempt="2"]').innerText() : "";
  check("the new attempt succeeded", attempt2.includes("HTTP 200") && attempt2.includes("webhook-attempt: 2"), attempt2);
  const resendRequest = erp.received.find((r) => r.headers["webhook-id"] === failed.id && r.headers["webhook-attempt"] === "2");
  check("the endpoint received the resend as attempt 2 of the same message", resendRequest);
  await screenshot(page, "event-resent");

  await page.goto(`${base}/dashboard/events`);
  await page.fill('input[name="tracking_number"]', tracking);
  await Promise.all([page.waitForURL(/tracking_number=/), page.click('form.filters button[type="submit"]')]);
  const filtered = await page.locator("tr[data-event-id]").count();
  check("the event log filters by tracking number", filtered === 1 && (await page.locator(`tr[data-event-id="${eventId}"]`).count()) === 1, `${filtered} rows`);
  await page.goto(`${base}/dashboard/events`);
  await screenshot(page, "events");

  await page.goto(`${base}/dashboard/sources`);
  const sourcesText = await page.textContent("main");
  check("the sources page shows the ingest URL", sourcesText.includes(`/in/${source.id}`));
  check("the sources page shows the rejected request and why", sourcesText.includes("invalid_signature"));
  await screenshot(page, "sources");

  await page.goto(`${base}/dashboard/destinations`);
  check("the destinations page shows the destination", (await page.textContent("main")).includes("Acme ERP"));
  await screenshot(page, "destinations");
  await Promise.all([page.waitForURL(`${base}/dashboard/destinations/${dest.id}/test`), page.click(`section[data-destination-id="${dest.id}"] form[action$="/test"] button`)]);
  const testText = await page.textContent("main");
  check("the test button shows the endpoint's answer and the payload", testText.includes("acknowledged") && testText.includes('"type": "test.ping"'), testText.slice(0, 300));
  await screenshot(page, "destination-test");

  await page.goto(`${base}/dashboard/destinations`);
  await Promise.all([page.waitForURL(/flash=paused/), page.click(`section[data-destination-id="${dest.id}"] form[action$="/status"] button`)]);
  const paused = await api(base, "GET", `/v1/destinations/${dest.id}`, { token: key });
  check("pause works", paused.json?.status === "paused", paused.text);
  await Promise.all([page.waitForURL(/flash=resumed/), page.click(`section[data-destination-id="${dest.id}"] form[action$="/status"] button`)]);
  const resumed = await api(base, "GET", `/v1/destinations/${dest.id}`, { token: key });
  check("resume works", resumed.json?.status === "active", resumed.text);

  // Bulk resend: the WMS is back; resend everything that failed in the last day.
  wmsUp = true;
  await page.goto(`${base}/dashboard/destinations`);
  await Promise.all([
    page.waitForURL(/\/dashboard\/replays\/rpl_/),
    page.click(`section[data-destination-id="${wmsDest.id}"] form[action$="/replay"] button[type="submit"]`),
  ]);
  check("resend all failed in range opens the replay's progress page", /\/dashboard\/replays\/rpl_/.test(page.url()), page.url());
  const running = await page.getAttribute("#replay", "data-done");
  check("the progress page first shows the replay running", running === "false", running);
  await screenshot(page, "replay-running");
  const polled = page.waitForResponse((r) => /\/dashboard\/replays\/rpl_[^/]+\/progress$/.test(r.url()) && r.status() === 200, { timeout: 15_000 });
  openGate();
  check("the page polls the replay's progress", await polled.then(() => true).catch(() => false));
  const done = await page
    .waitForSelector('#replay[data-done="true"]', { timeout: 30_000 })
    .then(() => true)
    .catch(() => false);
  check("the progress bar runs to done without a reload", done);
  const replayText = await page.textContent("#replay");
  check("the replay resent both failed deliveries and both succeeded", /Sent 2 of 2/.test(replayText) && /succeeded 2/.test(replayText), replayText);
  const bar = await page.$eval("#replay-bar", (el) => [el.value, el.max]);
  check("the progress bar is full", bar[0] === bar[1] && bar[1] === 2, JSON.stringify(bar));
  await screenshot(page, "replay");
  const wmsNow = await api(base, "GET", `/v1/deliveries?destination=${wmsDest.id}&status=succeeded`, { token: key });
  check("the WMS deliveries are now succeeded", wmsNow.json?.data?.length === 2, wmsNow.text);

  // The console's operator flows (sources, destinations, log and resend, orders, keys), then sign-out.
  await consoleFlows({ page, context, base, key, source, order, check, screenshot, startEndpoint, api, waitFor, atoship, cleanups });
  check("no script or CSP errors in the console", consoleErrors.length === 0, consoleErrors.join(" | "));
  await page.goto(`${base}/dashboard`);
  check("signing out ends the session", page.url().startsWith(`${base}/dashboard/login`), page.url());
}

try {
  await main();
} catch (err) {
  check("browser test ran to the end", false, err?.stack || err);
} finally {
  await openBrowser?.close().catch(() => {});
  cleanup();
}
const passed = results.filter(Boolean).length;
const failedCount = results.length - passed;
console.log(`${passed} passed, ${failedCount} failed`);
process.exit(failedCount ? 1 : 0);
