// The console's operator flows in a real browser (issue #18), run by scripts/browser-test.mjs
// after its own scenario, against the same `npm run dev` relay: create an API key and revoke
// it, create a source from a provider preset and register it at a local fake ShipStation,
// create a destination from the form (a validation message first), its stats page and a test,
// filter the delivery log and resend the selected with live progress, open an order from the
// search box, and sign out (a cookie captured before no longer opens a page).
import http from "node:http";

/**
 * A fake ShipStation v1 webhooks API on loopback (the Worker under `wrangler dev` calls it):
 * subscribe, list, unsubscribe, as src/registration/shipstation-v1.ts speaks them.
 */
async function startFakeShipStation(cleanups) {
  const hooks = new Map();
  let next = 5001;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const send = (status, body) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(body === undefined ? "" : JSON.stringify(body));
      };
      if (!String(req.headers.authorization ?? "").startsWith("Basic ")) return send(401, { message: "unauthorized" });
      if (req.method === "GET" && req.url === "/webhooks") {
        return send(200, {
          webhooks: [...hooks.values()].map((h) => ({ WebHookID: h.id, HookType: h.event, Url: h.url, Name: h.name, Active: true, IsLabelAPIHook: false })),
        });
      }
      if (req.method === "POST" && req.url === "/webhooks/subscribe") {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
        const id = next++;
        hooks.set(id, { id, event: body.event, url: body.target_url, name: body.friendly_name });
        return send(201, { id });
      }
      const del = req.method === "DELETE" && req.url?.match(/^\/webhooks\/(\d+)$/);
      if (del) {
        hooks.delete(Number(del[1]));
        return send(200);
      }
      send(404, { message: "not found" });
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(() => server.close());
  return { url: `http://127.0.0.1:${server.address().port}`, hooks };
}

export async function consoleFlows(ctx) {
  const { page, context, base, key, source, order, check, screenshot, startEndpoint, api, waitFor, atoship, cleanups } = ctx;

  // ---- API keys: create named (shown once), revoke ----
  await page.goto(`${base}/dashboard/api-keys`);
  await page.fill("#key-name", "ci");
  await Promise.all([page.waitForSelector("#new-key-value"), page.click('form[action="/dashboard/api-keys"] button[type="submit"]')]);
  const newKey = await page.inputValue("#new-key-value");
  check("a named API key is created and shown once", /^sk_/.test(newKey) && (await api(base, "GET", "/v1/api-keys", { token: newKey })).status === 200, newKey);
  await screenshot(page, "api-keys");
  const keys = (await api(base, "GET", "/v1/api-keys", { token: key })).json?.data ?? [];
  const ci = keys.find((k) => k.name === "ci");
  check("the key list shows when the new key was last used", ci && ci.last_used_at, JSON.stringify(keys));
  await Promise.all([page.waitForURL(`${base}/dashboard/api-keys`), page.click(`tr[data-key-id="${ci?.id}"] button[type="submit"]`)]);
  check("revoking the key stops it", (await api(base, "GET", "/v1/api-keys", { token: newKey })).status === 401);

  // ---- a source from a provider preset, registered at the (fake) provider ----
  const provider = await startFakeShipStation(cleanups);
  await page.goto(`${base}/dashboard/sources/new`);
  await page.selectOption("#pick-provider", "shipstation");
  await Promise.all([page.waitForURL(/provider=shipstation/), page.click('form[action="/dashboard/sources/new"] button')]);
  check("the preset shows that provider's fields", (await page.locator('[name="credentials.api_secret"]').count()) === 1 && (await page.locator('[name="verification.secret"]').count()) === 0);
  await page.fill('[name="name"]', "ShipStation main");
  await page.fill('[name="credentials.api_key"]', "ss-key");
  await page.fill('[name="credentials.api_secret"]', "ss-secret");
  await page.fill('[name="credentials.api_base_url"]', provider.url);
  await screenshot(page, "source-new");
  await Promise.all([page.waitForSelector("#secret-shown"), page.click('#source-form button[type="submit"]')]);
  const ingestUrl = await page.inputValue("#ingest-url");
  check("the new source's ingest URL is shown with its token, once", /\/in\/src_[^?]+\?token=/.test(ingestUrl), ingestUrl);
  await Promise.all([page.waitForURL(/\/dashboard\/sources\/src_/), page.click('#secret-shown a[href^="/dashboard/sources/src_"]')]);
  await Promise.all([page.waitForURL(/ok=1/), page.click("#register")]);
  const webhooksText = await page.textContent("#webhooks").catch(() => "");
  check("registering lists each webhook as registered ✓", provider.hooks.size > 0 && webhooksText.includes("✓") && !webhooksText.includes("✗"), webhooksText);
  check("no credential is echoed on the page", !(await page.content()).includes("ss-secret"));
  await screenshot(page, "source-webhooks");

  // ---- a destination from the form: a validation message, then created; stats; test ----
  let consoleUp = false;
  const target = await startEndpoint(() => (consoleUp ? 200 : 503));
  await page.goto(`${base}/dashboard/destinations/new`);
  await page.fill('[name="url"]', "ftp://not-a-webhook");
  await page.fill('[name="events"]', "tracking.*, label.*");
  await page.click('#destination-form button[type="submit"]');
  check("a bad URL is refused with the API's message next to the field", ((await page.textContent("#err-url").catch(() => "")) ?? "").startsWith("url:"));
  await screenshot(page, "destination-form-errors");
  await page.fill('[name="url"]', target.url);
  await page.fill('[name="name"]', "Acme 3PL");
  await page.fill('[name="retry.max_attempts"]', "1");
  await Promise.all([page.waitForSelector("#signing-secret"), page.click('#destination-form button[type="submit"]')]);
  check("the new destination's signing secret is shown once", /^whsec_/.test(await page.inputValue("#signing-secret")));
  await Promise.all([page.waitForURL(/\/dashboard\/destinations\/dst_/), page.click('#secret-shown a[href^="/dashboard/destinations/dst_"]')]);
  const destinationUrl = page.url();

  // A delivery to it fails (the endpoint is down), for the log below.
  const posted = await atoship(base, source, "shipment.delivered", { label_id: `lbl_console_${Date.now()}`, tracking_number: "1ZCONSOLE1", carrier: "UPS", order_id: order });
  check("an event for the console's destination is accepted", posted.status === 200, posted.text);
  const failedOne = await waitFor(async () => {
    const r = await api(base, "GET", `/v1/deliveries?destination_url=${encodeURIComponent(target.url)}&status=failed`, { token: key });
    return r.json?.data?.[0];
  }, 30_000);
  check("its delivery failed", failedOne);
  await page.goto(destinationUrl);
  check("the destination page draws the 24 h chart and the last failure", (await page.locator("svg#hour-chart rect").count()) === 48 && (await page.textContent("#last-failure")).includes("HTTP 503"));
  await screenshot(page, "destination-stats");

  // ---- the delivery log: filter by the API's names, select, resend, live progress ----
  consoleUp = true;
  await page.goto(`${base}/dashboard/deliveries`);
  await page.check('input[name="status"][value="failed"]');
  await page.fill('input[name="destination_url"]', target.url);
  await Promise.all([page.waitForURL(/destination_url=/), page.click('form[aria-label="Filter deliveries"] button[type="submit"]')]);
  const shareable = new URL(page.url()).searchParams;
  check("the filters are in the query string by the API's names", shareable.get("status") === "failed" && shareable.get("destination_url") === target.url, page.url());
  const rows = await page.locator("tr[data-delivery-id]").count();
  check("the log shows only the failed delivery to that URL", rows === 1 && (await page.locator(`tr[data-delivery-id="${failedOne?.id}"]`).count()) === 1, `${rows} rows`);
  await screenshot(page, "deliveries");
  await page.check(`#sel-${failedOne?.id}`);
  await Promise.all([page.waitForURL(/\/dashboard\/replays\/rpl_/), page.click("#resend-selected")]);
  const resentDone = await page
    .waitForSelector('#replay[data-done="true"]', { timeout: 30_000 })
    .then(() => true)
    .catch(() => false);
  check("resend selected runs to done with live progress", resentDone && /Sent 1 of 1/.test(await page.textContent("#replay")));
  await screenshot(page, "bulk-resend");
  check("the endpoint got the resent delivery as its second attempt", target.received.some((r) => r.headers["webhook-id"] === failedOne?.id && r.headers["webhook-attempt"] === "2"));

  // ---- the order timeline, from the search box of any page ----
  await page.fill('header input[name="q"]', order);
  await Promise.all([page.waitForURL(/\/dashboard\/orders\//), page.press('header input[name="q"]', "Enter")]);
  const orderText = await page.textContent("main");
  check("the search box lands on the order's timeline", page.url().endsWith(`/dashboard/orders/${encodeURIComponent(order)}`), page.url());
  check("the timeline shows the current tracking status and each event", (await page.textContent("#tracking-status")).trim() === "delivered" && (await page.locator(".timeline li").count()) >= 2, orderText.slice(0, 300));
  check("each event's raw payload is a click away", (await page.locator('.timeline a[href^="/dashboard/events/"]').count()) >= 2);
  await screenshot(page, "order");

  // ---- sign out: every session of the key ends, a captured cookie included ----
  const captured = (await context.cookies()).find((c) => c.name === "shiprelay_session");
  await Promise.all([page.waitForURL(/\/dashboard\/login/), page.click('header form[action="/dashboard/logout"] button')]);
  check("the sign-out page says every session of the key ended", (await page.textContent("body")).includes("Every console session opened with that API key has ended"));
  const replayed = await fetch(`${base}/dashboard/events`, { headers: { cookie: `shiprelay_session=${captured?.value}` }, redirect: "manual" });
  check("a cookie captured before sign-out no longer works", replayed.status === 303, String(replayed.status));
}
