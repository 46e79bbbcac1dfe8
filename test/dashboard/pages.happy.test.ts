import { describe, expect, it } from "vitest";
import { mockEndpoint } from "../support/mock";
import { api, atoshipEvent, atoshipWorkspace, createDestination, eventually, postAtoship } from "../support/relay";
import { csrfOf, page, postForm, signIn, textOf } from "../support/dashboard";

/** A workspace with an AtoShip source, a destination, one delivered event, and a signed-in session. */
async function workspaceWithEvent(name: string, endpointScript = {}) {
  const { key, source, ws } = await atoshipWorkspace(name);
  const endpoint = await mockEndpoint(endpointScript);
  const dest = await createDestination(key, { url: endpoint.url, name: `${name} ERP`, retry: { max_attempts: 1, schedule_seconds: [60] } });
  const res = await postAtoship(
    source,
    atoshipEvent({ event: "shipment.in_transit", data: { order_id: `ORD-${name}`, tracking_number: `1Z${name.toUpperCase()}`, label_id: `lbl_${name}` } }),
  );
  expect(res.status, res.text).toBe(200);
  const eventId = res.json.event_ids[0] as string;
  const cookie = await signIn(key);
  return { key, source, ws, dest, endpoint, eventId, cookie };
}

async function settled(key: string, eventId: string) {
  return eventually(async () => {
    const r = await api("GET", `/v1/events/${eventId}`, { token: key });
    const d = r.json?.deliveries?.[0];
    return d && (d.status === "succeeded" || d.status === "failed") && d.attempts.length > 0 ? r.json : undefined;
  });
}

describe("dashboard pages", () => {
  it("the overview lists recent events with type, order, tracking number and delivery status, linking to their page", async () => {
    const w = await workspaceWithEvent("overview");
    await settled(w.key, w.eventId);
    const res = await page("/dashboard", w.cookie);
    expect(res.status).toBe(200);
    const row = res.text.match(new RegExp(`<tr data-event-id="${w.eventId}">([\\s\\S]*?)</tr>`))?.[1] ?? "";
    expect(row).toContain(`href="/dashboard/events/${w.eventId}"`);
    const text = textOf(row);
    expect(text).toContain("tracking.updated");
    expect(text).toContain("ORD-overview");
    expect(text).toContain("1ZOVERVIEW");
    expect(text).toContain("succeeded");
  });

  it("the event page shows the canonical event, the raw payload and every attempt with request and response", async () => {
    const w = await workspaceWithEvent("detail", { default: { status: 200, body: { received: "yes" } } });
    const detail = await settled(w.key, w.eventId);
    const res = await page(`/dashboard/events/${w.eventId}`, w.cookie);
    expect(res.status).toBe(200);
    const text = textOf(res.text);
    expect(text).toContain(w.eventId);
    expect(text).toContain("ORD-detail");
    // Raw payload as the provider sent it, and the canonical event.
    expect(text).toContain('"event": "shipment.in_transit"');
    expect(text).toContain('"reference": "ORD-detail"');
    // The delivery and its attempt: request headers we send, response status and body.
    const deliveryId = detail.deliveries[0].id as string;
    expect(res.text).toContain(`data-delivery-id="${deliveryId}"`);
    expect(text).toContain(`webhook-id: ${deliveryId}`);
    expect(text).toContain("webhook-attempt: 1");
    expect(text).toContain("HTTP 200");
    expect(text).toContain('{"received":"yes"}');
    expect(text).toContain("detail ERP");
  });

  it("another workspace's event is not found", async () => {
    const a = await workspaceWithEvent("owner-a");
    const b = await workspaceWithEvent("owner-b");
    const res = await page(`/dashboard/events/${a.eventId}`, b.cookie);
    expect(res.status).toBe(404);
    expect(res.text).not.toContain("ORD-owner-a");
    const resend = await postForm(`/dashboard/deliveries/${(await settled(a.key, a.eventId)).deliveries[0].id}/retry`, { _csrf: csrfOf((await page("/dashboard", b.cookie)).text) }, { cookie: b.cookie });
    expect(resend.status).toBe(404);
  });

  it("resends a failed delivery and shows the new attempt", async () => {
    const w = await workspaceWithEvent("resend", { responses: [{ status: 500, body: { error: "down" } }], default: { status: 200, body: { ok: true } } });
    const before = await settled(w.key, w.eventId);
    expect(before.deliveries[0].status).toBe("failed");
    const deliveryId = before.deliveries[0].id as string;

    const eventPage = await page(`/dashboard/events/${w.eventId}`, w.cookie);
    expect(textOf(eventPage.text)).toContain("HTTP 500");
    const res = await postForm(`/dashboard/deliveries/${deliveryId}/retry`, { _csrf: csrfOf(eventPage.text) }, { cookie: w.cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/dashboard/events/${w.eventId}?flash=resent#${deliveryId}`);

    await eventually(async () => {
      const r = await api("GET", `/v1/deliveries/${deliveryId}`, { token: w.key });
      return r.json?.status === "succeeded" ? r : undefined;
    });
    const after = await page(`/dashboard/events/${w.eventId}?flash=resent`, w.cookie);
    const text = textOf(after.text);
    expect(text).toContain("Queued: the delivery is being sent again now");
    expect(after.text).toContain('data-attempt="2"');
    expect(text).toContain("Attempt 2");
    expect(text).toContain("HTTP 200");
  });

  it("the event log filters by order, tracking number, type, delivery status and date range, and pages", async () => {
    const { key, source } = await atoshipWorkspace("log-filters");
    const ok = await mockEndpoint({ default: { status: 200 } });
    await createDestination(key, { url: ok.url, retry: { max_attempts: 1, schedule_seconds: [60] } });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await postAtoship(source, atoshipEvent({ event: i === 2 ? "label.created" : "shipment.delivered", data: { order_id: `LOG-${i}`, tracking_number: `TRK-${i}`, label_id: `lbl_log_${i}` } }));
      ids.push(r.json.event_ids[0]);
    }
    for (const id of ids) await settled(key, id);
    const cookie = await signIn(key);
    const rowsOf = (html: string) => [...html.matchAll(/<tr data-event-id="([^"]+)"/g)].map((m) => m[1]);

    expect(rowsOf((await page("/dashboard/events?order=LOG-1", cookie)).text)).toEqual([ids[1]]);
    expect(rowsOf((await page("/dashboard/events?tracking_number=TRK-2", cookie)).text)).toEqual([ids[2]]);
    expect(rowsOf((await page("/dashboard/events?type=label.created", cookie)).text)).toEqual([ids[2]]);
    expect(rowsOf((await page("/dashboard/events?status=succeeded", cookie)).text)).toEqual([ids[2], ids[1], ids[0]]);
    expect(rowsOf((await page("/dashboard/events?status=failed", cookie)).text)).toEqual([]);
    // The API's name for it, with several values.
    expect(rowsOf((await page("/dashboard/events?delivery_status=failed,succeeded", cookie)).text)).toEqual([ids[2], ids[1], ids[0]]);
    expect(rowsOf((await page("/dashboard/events?since=2000-01-01T00:00&until=2001-01-01T00:00", cookie)).text)).toEqual([]);
    expect(rowsOf((await page(`/dashboard/events?since=${new Date(Date.now() - 3600_000).toISOString().slice(0, 16)}`, cookie)).text)).toHaveLength(3);

    // Pagination: the page size is 50, so force two pages through the same cursor the API uses.
    const first = await page("/dashboard/events", cookie);
    expect(rowsOf(first.text)).toEqual([ids[2], ids[1], ids[0]]);
    expect(first.text).not.toContain("Older →");

    expect((await page("/dashboard/events?status=bogus", cookie)).status).toBe(400);
    expect((await page("/dashboard/events?cursor=not-a-cursor", cookie)).status).toBe(400);
    expect((await page("/dashboard/events?since=yesterday", cookie)).status).toBe(400);
  });

  it("the event log pages 50 at a time, keeping its filters", async () => {
    const { key, source } = await atoshipWorkspace("log-pages");
    const ids: string[] = [];
    for (let i = 0; i < 52; i++) {
      const r = await postAtoship(source, atoshipEvent({ event: "label.created", data: { order_id: "PAGED", label_id: `lbl_page_${i}` } }));
      ids.push(r.json.event_ids[0]);
    }
    await postAtoship(source, atoshipEvent({ event: "label.created", data: { order_id: "OTHER", label_id: "lbl_page_other" } }));
    const cookie = await signIn(key);
    const rowsOf = (html: string) => [...html.matchAll(/<tr data-event-id="([^"]+)"/g)].map((m) => m[1]);
    const first = await page("/dashboard/events?order=PAGED", cookie);
    expect(rowsOf(first.text)).toEqual([...ids].reverse().slice(0, 50));
    const older = first.text.match(/<a href="([^"]+)">Older →<\/a>/)?.[1]?.replace(/&amp;/g, "&");
    expect(older).toMatch(/^\/dashboard\/events\?order=PAGED&cursor=/);
    const second = await page(older!, cookie);
    expect(rowsOf(second.text)).toEqual([ids[1], ids[0]]);
    expect(second.text).not.toContain("Older →");
    expect(second.text).toContain("← Newest");
  });

  it("escapes provider data in every page", async () => {
    const { key, source } = await atoshipWorkspace("escaping");
    const evil = `<script>alert("x")</script>`;
    const r = await postAtoship(source, atoshipEvent({ data: { order_id: evil, tracking_number: `<img src=x onerror=alert(1)>`, label_id: "lbl_evil" } }));
    expect(r.status).toBe(200);
    const cookie = await signIn(key);
    for (const path of ["/dashboard", "/dashboard/events", `/dashboard/events/${r.json.event_ids[0]}`]) {
      const res = await page(path, cookie);
      expect(res.status).toBe(200);
      expect(res.text).not.toContain(evil);
      expect(res.text).not.toContain("<img src=x");
      expect(res.text).toContain("&lt;script&gt;");
    }
  });

  it("the sources page shows ingest URLs and rejected requests with their reason", async () => {
    const { key, source } = await atoshipWorkspace("sources-page");
    const bad = await postAtoship({ ...source, secret: "wrong-secret" }, atoshipEvent({ data: { label_id: "lbl_bad" } }));
    expect(bad.status).toBe(401);
    const good = await postAtoship(source, atoshipEvent({ data: { label_id: "lbl_good" } }));
    expect(good.status).toBe(200);
    const cookie = await signIn(key);
    const res = await page("/dashboard/sources", cookie);
    expect(res.status).toBe(200);
    const text = textOf(res.text);
    expect(text).toContain(`/in/${source.id}`);
    expect(text).toContain("invalid_signature");
    expect(text).toContain("rejected");
    expect(text).toContain("accepted");
    expect(res.text).toContain(`href="/dashboard/events/${good.json.event_ids[0]}"`);

    const rejectedOnly = textOf((await page("/dashboard/sources?result=rejected", cookie)).text);
    expect(rejectedOnly).toContain("invalid_signature");
    expect(rejectedOnly).not.toContain(good.json.event_ids[0]);
  });

  it("the destinations page shows status and stats, sends a test event and pauses and resumes", async () => {
    const w = await workspaceWithEvent("dest-page", { default: { status: 202, body: { thanks: true } } });
    await settled(w.key, w.eventId);
    const list = await page("/dashboard/destinations", w.cookie);
    expect(list.status).toBe(200);
    const card = textOf(list.text.match(new RegExp(`<section class="card" id="${w.dest.id}"[\\s\\S]*?</section>`))?.[0] ?? "");
    expect(card).toContain("dest-page ERP");
    expect(card).toContain("active");
    expect(card).toMatch(/1 attempts/);
    expect(card).toContain("100% attempts succeeded");

    const token = csrfOf(list.text);
    const test = await postForm(`/dashboard/destinations/${w.dest.id}/test`, { _csrf: token }, { cookie: w.cookie });
    expect(test.status).toBe(200);
    const testText = textOf(test.text);
    expect(testText).toContain("acknowledged the test event (HTTP 202)");
    expect(testText).toContain('"type": "test.ping"');
    expect(testText).toContain('{"thanks":true}');
    const pings = await w.endpoint.waitForRequests(2);
    expect(JSON.parse(pings[1]!.body).type).toBe("test.ping");

    const pause = await postForm(`/dashboard/destinations/${w.dest.id}/status`, { _csrf: token, status: "paused" }, { cookie: w.cookie });
    expect(pause.status).toBe(303);
    expect((await api("GET", `/v1/destinations/${w.dest.id}`, { token: w.key })).json.status).toBe("paused");
    expect(textOf((await page("/dashboard/destinations?flash=paused", w.cookie)).text)).toContain("Destination paused");
    // An event while paused waits, and goes out once the destination is resumed.
    const held = await postAtoship(w.source, atoshipEvent({ data: { label_id: "lbl_held", order_id: "HELD-1" } }));
    expect(held.status).toBe(200);
    const resume = await postForm(`/dashboard/destinations/${w.dest.id}/status`, { _csrf: token, status: "active" }, { cookie: w.cookie });
    expect(resume.status).toBe(303);
    expect((await api("GET", `/v1/destinations/${w.dest.id}`, { token: w.key })).json.status).toBe("active");
    await eventually(async () => (await w.endpoint.requests()).some((r) => r.body.includes("HELD-1")));
    await settled(w.key, held.json.event_ids[0]);

    const otherWs = await workspaceWithEvent("dest-other");
    const foreign = await postForm(`/dashboard/destinations/${w.dest.id}/status`, { _csrf: csrfOf((await page("/dashboard", otherWs.cookie)).text), status: "paused" }, { cookie: otherWs.cookie });
    expect(foreign.status).toBe(404);
  });
});
