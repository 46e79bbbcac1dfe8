import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, ingestPath } from "../support/relay";
import { bySignature, createWorkspace, fakeShipStation, shipstationSource, SS_KEY, SS_SECRET, v1Hook } from "./fake-providers";

const basic = `Basic ${btoa(`${SS_KEY}:${SS_SECRET}`)}`;

/** The URL as shiprelay shows it: the URL token masked. */
const masked = (url: string) => url.replace(/token=[^&]+/, "token=redacted");

describe("ShipStation v1 registration", () => {
  it("subscribes the full ingest URL (token included) for SHIP_NOTIFY with Basic auth and stores the webhook", async () => {
    const { key } = await createWorkspace();
    const provider = await fakeShipStation();
    const source = await shipstationSource(key, provider);

    const r = await api("POST", `/v1/sources/${source.id}/register`, { token: key });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toMatchObject({
      registered: 1,
      webhooks: [
        {
          event: "SHIP_NOTIFY",
          provider_webhook_id: "5001",
          url: masked(source.ingest_url),
          registered: true,
          status: "active",
          action: "created",
          trigger_count: 0,
          last_triggered_at: null,
        },
      ],
    });

    const reqs = await provider.requests();
    expect(reqs.map((q) => `${q.method} ${q.path}`)).toEqual(["GET /webhooks", "POST /webhooks/subscribe"]);
    for (const q of reqs) expect(q.headers.authorization).toBe(basic);
    const sent = JSON.parse(bySignature(reqs, "POST", "/webhooks/subscribe")[0]!.body);
    expect(sent).toEqual({ target_url: source.ingest_url, event: "SHIP_NOTIFY", friendly_name: "shiprelay CloudFFL ShipStation" });
    expect(source.ingest_url).toMatch(/\/in\/src_[0-9a-z]+\?token=/);
  });

  it("registers the events asked for", async () => {
    const { key } = await createWorkspace();
    const provider = await fakeShipStation();
    const source = await shipstationSource(key, provider);

    const r = await api("POST", `/v1/sources/${source.id}/register`, { token: key, body: { events: ["ship_notify", "FULFILLMENT_SHIPPED"] } });
    expect(r.status, r.text).toBe(200);
    expect(r.json.registered).toBe(2);
    expect(r.json.webhooks.map((w: any) => [w.event, w.provider_webhook_id])).toEqual([
      ["SHIP_NOTIFY", "5001"],
      ["FULFILLMENT_SHIPPED", "5002"],
    ]);
    const subscribed = bySignature(await provider.requests(), "POST", "/webhooks/subscribe").map((q) => JSON.parse(q.body).event);
    expect(subscribed).toEqual(["SHIP_NOTIFY", "FULFILLMENT_SHIPPED"]);
  });

  it("lists webhooks as registered, checked against the provider's list, with trigger counts from the ingest log", async () => {
    const { key } = await createWorkspace();
    const provider = await fakeShipStation();
    const source = await shipstationSource(key, provider);
    expect((await api("POST", `/v1/sources/${source.id}/register`, { token: key })).status).toBe(200);
    await provider.script({
      routes: {
        "GET /webhooks": { status: 200, body: { webhooks: [v1Hook(5001, "SHIP_NOTIFY", source.ingest_url), v1Hook(77, "ORDER_NOTIFY", "https://elsewhere.example/hook")] } },
        "GET /shipments": { status: 200, body: { shipments: [], total: 0, page: 1, pages: 0 } },
      },
    });

    // ShipStation calls the registered URL: that is a trigger of the SHIP_NOTIFY webhook.
    const callback = JSON.stringify({ resource_url: `${provider.url}/shipments?batchId=1`, resource_type: "SHIP_NOTIFY" });
    const hit = await api("POST", ingestPath(source), { raw: callback, headers: { "content-type": "application/json" } });
    expect(hit.status, hit.text).toBe(200);

    const list = await api("GET", `/v1/sources/${source.id}/webhooks`, { token: key });
    expect(list.status, list.text).toBe(200);
    expect(list.json).toMatchObject({
      data: [{ event: "SHIP_NOTIFY", provider_webhook_id: "5001", url: masked(source.ingest_url), registered: true, status: "active", trigger_count: 1 }],
      next_cursor: null,
      totals: { trigger_count: 1 },
    });
    expect(list.json.warning).toBeUndefined();
    expect(Date.parse(list.json.data[0].last_triggered_at)).not.toBeNaN();
  });

  it("re-registering is idempotent: the provider's list is read and nothing is subscribed twice", async () => {
    const { key } = await createWorkspace();
    const provider = await fakeShipStation();
    const source = await shipstationSource(key, provider);
    expect((await api("POST", `/v1/sources/${source.id}/register`, { token: key })).status).toBe(200);
    await provider.script({ routes: { "GET /webhooks": { status: 200, body: { webhooks: [v1Hook(5001, "SHIP_NOTIFY", source.ingest_url)] } } } });

    for (let i = 0; i < 2; i++) {
      const again = await api("POST", `/v1/sources/${source.id}/register`, { token: key });
      expect(again.status, again.text).toBe(200);
      expect(again.json).toMatchObject({ registered: 1, webhooks: [{ event: "SHIP_NOTIFY", provider_webhook_id: "5001", action: "unchanged" }] });
    }
    const reqs = await provider.requests();
    expect(bySignature(reqs, "POST", "/webhooks/subscribe")).toHaveLength(1);
    expect(reqs.filter((q) => q.method === "DELETE")).toHaveLength(0);
  });

  it("adopts a webhook that already calls the source's URL instead of subscribing a duplicate", async () => {
    const { key } = await createWorkspace();
    const provider = await fakeShipStation();
    const source = await shipstationSource(key, provider);
    await provider.script({ routes: { "GET /webhooks": { status: 200, body: { webhooks: [v1Hook(900, "SHIP_NOTIFY", source.ingest_url)] } } } });

    const r = await api("POST", `/v1/sources/${source.id}/register`, { token: key });
    expect(r.status, r.text).toBe(200);
    expect(r.json.webhooks[0]).toMatchObject({ provider_webhook_id: "900", action: "unchanged" });
    expect(bySignature(await provider.requests(), "POST", "/webhooks/subscribe")).toHaveLength(0);
  });

  it("after the public URL changed, lists the webhook as outdated and re-registering moves it (delete + subscribe)", async () => {
    const { key } = await createWorkspace();
    const provider = await fakeShipStation([], [5001, 6001]);
    const source = await shipstationSource(key, provider);
    expect((await api("POST", `/v1/sources/${source.id}/register`, { token: key })).status).toBe(200);
    await provider.script({
      routes: {
        "GET /webhooks": { status: 200, body: { webhooks: [v1Hook(5001, "SHIP_NOTIFY", source.ingest_url)] } },
        "POST /webhooks/subscribe": { status: 201, body: { id: 6001 } },
        "DELETE /webhooks/5001": { status: 200, body: "" },
      },
    });
    // PUBLIC_BASE_URL is unset in tests, so the request's origin is the public base.
    const newUrl = source.ingest_url.replace("http://relay.test", "http://relay-new.test");

    const stale = await selfOn("http://relay-new.test", "GET", `/v1/sources/${source.id}/webhooks`, key);
    expect(stale.status, JSON.stringify(stale.json)).toBe(200);
    expect(stale.json.data[0]).toMatchObject({ registered: false, status: "url_outdated" });

    const moved = await selfOn("http://relay-new.test", "POST", `/v1/sources/${source.id}/register`, key);
    expect(moved.status, JSON.stringify(moved.json)).toBe(200);
    expect(moved.json).toMatchObject({
      registered: 1,
      webhooks: [{ event: "SHIP_NOTIFY", provider_webhook_id: "6001", url: masked(newUrl), action: "replaced", registered: true }],
    });
    const reqs = await provider.requests();
    expect(reqs.slice(-3).map((q) => `${q.method} ${q.path}`)).toEqual(["GET /webhooks", "DELETE /webhooks/5001", "POST /webhooks/subscribe"]);
    expect(JSON.parse(reqs.at(-1)!.body).target_url).toBe(newUrl);

    await provider.script({ routes: { "GET /webhooks": { status: 200, body: { webhooks: [v1Hook(6001, "SHIP_NOTIFY", newUrl)] } } } });
    const fresh = await selfOn("http://relay-new.test", "GET", `/v1/sources/${source.id}/webhooks`, key);
    expect(fresh.json.data).toMatchObject([{ provider_webhook_id: "6001", registered: true, status: "active" }]);
  });

  it("unsubscribes at the provider and forgets the webhooks; one already gone counts as removed", async () => {
    const { key } = await createWorkspace();
    const provider = await fakeShipStation();
    const source = await shipstationSource(key, provider);
    const reg = await api("POST", `/v1/sources/${source.id}/register`, { token: key, body: { events: ["SHIP_NOTIFY", "ORDER_NOTIFY"] } });
    expect(reg.status, reg.text).toBe(200);
    // 5002 (ORDER_NOTIFY) was deleted in ShipStation's UI meanwhile; 5001 is still there.
    await provider.script({
      routes: {
        "GET /webhooks": { status: 200, body: { webhooks: [v1Hook(5001, "SHIP_NOTIFY", source.ingest_url)] } },
        "DELETE /webhooks/5001": { status: 200, body: "" },
      },
    });

    const r = await api("DELETE", `/v1/sources/${source.id}/webhooks`, { token: key });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({ removed: 2 });
    const deletes = (await provider.requests()).filter((q) => q.method === "DELETE").map((q) => q.path);
    expect(deletes).toEqual(["/webhooks/5001"]);

    const after = await api("GET", `/v1/sources/${source.id}/webhooks`, { token: key });
    expect(after.json.data).toEqual([]);
  });

  it("rotating the URL token moves the registered webhooks to the new URL", async () => {
    const { key } = await createWorkspace();
    const provider = await fakeShipStation([], [5001, 7001]);
    const source = await shipstationSource(key, provider);
    expect((await api("POST", `/v1/sources/${source.id}/register`, { token: key })).status).toBe(200);
    await provider.script({
      routes: {
        "GET /webhooks": { status: 200, body: { webhooks: [v1Hook(5001, "SHIP_NOTIFY", source.ingest_url)] } },
        "POST /webhooks/subscribe": { status: 201, body: { id: 7001 } },
        "DELETE /webhooks/5001": { status: 200, body: "" },
      },
    });

    const rotated = await api("POST", `/v1/sources/${source.id}/rotate-secret`, { token: key });
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.json.ingest_url).not.toBe(source.ingest_url);
    expect(rotated.json.registration).toMatchObject({
      status: "reregistered",
      registered: ["SHIP_NOTIFY"],
      not_registered: [],
      webhooks: [{ event: "SHIP_NOTIFY", provider_webhook_id: "7001", action: "replaced" }],
    });
    const subscribe = bySignature(await provider.requests(), "POST", "/webhooks/subscribe").at(-1)!;
    expect(JSON.parse(subscribe.body).target_url).toBe(rotated.json.ingest_url);
  });

  it("rotating a source with nothing registered says nothing about registration", async () => {
    const { key } = await createWorkspace();
    const provider = await fakeShipStation();
    const source = await shipstationSource(key, provider);
    const rotated = await api("POST", `/v1/sources/${source.id}/rotate-secret`, { token: key });
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.json).not.toHaveProperty("registration");
    expect(await provider.requests()).toHaveLength(0);
  });
});

/** Calls the API under another public origin (PUBLIC_BASE_URL is unset in tests: the request's origin is the base). */
async function selfOn(origin: string, method: string, path: string, key: string) {
  const res = await SELF.fetch(`${origin}${path}`, { method, headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, json: (await res.json()) as any };
}

describe("the source's webhook list pages both ways", () => {
  it("next_cursor reads the older webhooks, prev_cursor the newer ones back", async () => {
    const { key } = await createWorkspace();
    const provider = await fakeShipStation();
    const source = await shipstationSource(key, provider);
    const events = ["SHIP_NOTIFY", "ORDER_NOTIFY", "FULFILLMENT_SHIPPED"];
    expect((await api("POST", `/v1/sources/${source.id}/register`, { token: key, body: { events } })).json.registered).toBe(3);
    const all = (await api("GET", `/v1/sources/${source.id}/webhooks`, { token: key })).json;
    expect(all.data).toHaveLength(3);
    expect(all.prev_cursor).toBeNull();

    const first = (await api("GET", `/v1/sources/${source.id}/webhooks?limit=1`, { token: key })).json;
    expect(first.data.map((w: { event: string }) => w.event)).toEqual([all.data[0].event]);
    expect(first.prev_cursor).toBeNull();
    const second = (await api("GET", `/v1/sources/${source.id}/webhooks?limit=1&cursor=${first.next_cursor}`, { token: key })).json;
    expect(second.data.map((w: { event: string }) => w.event)).toEqual([all.data[1].event]);
    const third = (await api("GET", `/v1/sources/${source.id}/webhooks?limit=1&cursor=${second.next_cursor}`, { token: key })).json;
    expect(third.data.map((w: { event: string }) => w.event)).toEqual([all.data[2].event]);
    expect(third.next_cursor).toBeNull();
    // Back from the last page: the newer two, newest first.
    const back = (await api("GET", `/v1/sources/${source.id}/webhooks?limit=2&prev_cursor=${third.prev_cursor}`, { token: key })).json;
    expect(back.data.map((w: { event: string }) => w.event)).toEqual([all.data[0].event, all.data[1].event]);
    expect(back.prev_cursor).toBeNull();
    expect(back.next_cursor).not.toBeNull();
  });
});
