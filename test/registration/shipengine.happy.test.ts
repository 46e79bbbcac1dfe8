import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api } from "../support/relay";
import { bySignature, createWorkspace, fakeShipEngine, SE_KEY, shipengineSource } from "./fake-providers";

const seHook = (id: string, event: string, url: string) => ({ webhook_id: id, url, event, headers: [] });

describe("ShipStation v2 registration (the shipengine provider, CloudFFL's flow)", () => {
  it("subscribes fulfillment_shipped_v2 and shipment_created_v2 at /v2/environment/webhooks with the API-Key header", async () => {
    const { key } = await createWorkspace();
    const provider = await fakeShipEngine("/v2");
    const source = await shipengineSource(key, provider, "shipstation_v2");

    const r = await api("POST", `/v1/sources/${source.id}/register`, { token: key });
    expect(r.status, r.text).toBe(200);
    expect(r.json.registered).toBe(2);
    expect(r.json.webhooks.map((w: any) => [w.event, w.provider_webhook_id, w.action, w.registered])).toEqual([
      ["fulfillment_shipped_v2", "se-101", "created", true],
      ["shipment_created_v2", "se-102", "created", true],
    ]);

    const reqs = await provider.requests();
    for (const q of reqs) {
      expect(q.headers["api-key"]).toBe(SE_KEY);
      expect(q.headers.authorization).toBeUndefined();
    }
    const bodies = bySignature(reqs, "POST", "/v2/environment/webhooks").map((q) => JSON.parse(q.body));
    expect(bodies).toEqual([
      { name: "shiprelay CloudFFL ShipStation v2", event: "fulfillment_shipped_v2", url: source.ingest_url },
      { name: "shiprelay CloudFFL ShipStation v2", event: "shipment_created_v2", url: source.ingest_url },
    ]);
    // rsa_jwks sources have no URL token: the ingest URL is the plain /in/<id>.
    expect(source.ingest_url).toBe(`http://relay.test/in/${source.id}`);
  });

  it("lists registration live; re-registering keeps what is there and re-creates only what went missing", async () => {
    const { key } = await createWorkspace();
    const provider = await fakeShipEngine("/v2");
    const source = await shipengineSource(key, provider, "shipstation_v2");
    expect((await api("POST", `/v1/sources/${source.id}/register`, { token: key })).status).toBe(200);
    // se-102 was deleted at ShipStation meanwhile.
    await provider.script({
      routes: { "GET /v2/environment/webhooks": { status: 200, body: [seHook("se-101", "fulfillment_shipped_v2", source.ingest_url)] } },
    });

    const list = await api("GET", `/v1/sources/${source.id}/webhooks`, { token: key });
    expect(list.status, list.text).toBe(200);
    const byEvent = Object.fromEntries(list.json.data.map((w: any) => [w.event, w]));
    expect(byEvent.fulfillment_shipped_v2).toMatchObject({ provider_webhook_id: "se-101", registered: true, status: "active", trigger_count: 0 });
    expect(byEvent.shipment_created_v2).toMatchObject({ provider_webhook_id: "se-102", registered: false, status: "missing" });

    // Re-register with no body refreshes what is registered: keeps se-101, re-creates the missing one.
    await provider.script({
      routes: {
        "GET /v2/environment/webhooks": { status: 200, body: [seHook("se-101", "fulfillment_shipped_v2", source.ingest_url)] },
        "POST /v2/environment/webhooks": { status: 200, body: { webhook_id: "se-201" } },
      },
    });
    const again = await api("POST", `/v1/sources/${source.id}/register`, { token: key });
    expect(again.status, again.text).toBe(200);
    expect(again.json.webhooks.map((w: any) => [w.event, w.provider_webhook_id, w.action])).toEqual([
      ["fulfillment_shipped_v2", "se-101", "unchanged"],
      ["shipment_created_v2", "se-201", "created"],
    ]);
    const creates = bySignature(await provider.requests(), "POST", "/v2/environment/webhooks").map((q) => JSON.parse(q.body).event);
    expect(creates).toEqual(["fulfillment_shipped_v2", "shipment_created_v2", "shipment_created_v2"]);
  });

  it("moves a webhook to a new public URL in place with PUT", async () => {
    const { key } = await createWorkspace();
    const provider = await fakeShipEngine("/v2");
    const source = await shipengineSource(key, provider, "shipstation_v2");
    expect((await api("POST", `/v1/sources/${source.id}/register`, { token: key, body: { events: ["fulfillment_shipped_v2"] } })).status).toBe(200);
    await provider.script({
      routes: {
        "GET /v2/environment/webhooks": { status: 200, body: [seHook("se-101", "fulfillment_shipped_v2", source.ingest_url)] },
        "PUT /v2/environment/webhooks/se-101": { status: 204 },
      },
    });

    const res = await SELF.fetch(`http://relay-new.test/v1/sources/${source.id}/register`, { method: "POST", headers: { authorization: `Bearer ${key}` } });
    const moved = (await res.json()) as any;
    expect(res.status, JSON.stringify(moved)).toBe(200);
    expect(moved.webhooks).toMatchObject([{ event: "fulfillment_shipped_v2", provider_webhook_id: "se-101", action: "updated", url: `http://relay-new.test/in/${source.id}` }]);
    const put = bySignature(await provider.requests(), "PUT", "/v2/environment/webhooks/se-101");
    expect(put).toHaveLength(1);
    expect(JSON.parse(put[0]!.body)).toMatchObject({ url: `http://relay-new.test/in/${source.id}` });
    expect(bySignature(await provider.requests(), "POST", "/v2/environment/webhooks")).toHaveLength(1);
  });

  it("unsubscribes with DELETE, also a webhook of ours the relay had not recorded", async () => {
    const { key } = await createWorkspace();
    const provider = await fakeShipEngine("/v2");
    const source = await shipengineSource(key, provider, "shipstation_v2");
    expect((await api("POST", `/v1/sources/${source.id}/register`, { token: key, body: { events: ["fulfillment_shipped_v2"] } })).status).toBe(200);
    await provider.script({
      routes: {
        "GET /v2/environment/webhooks": {
          status: 200,
          body: [
            seHook("se-101", "fulfillment_shipped_v2", source.ingest_url),
            seHook("se-555", "label_created_v2", `https://old-relay.example/in/${source.id}`),
            seHook("se-999", "track_event_v2", "https://someone-else.example/hooks"),
          ],
        },
        "DELETE /v2/environment/webhooks/se-101": { status: 204 },
        "DELETE /v2/environment/webhooks/se-555": { status: 204 },
      },
    });

    const r = await api("DELETE", `/v1/sources/${source.id}/webhooks`, { token: key });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({ removed: 2 });
    const deleted = (await provider.requests()).filter((q) => q.method === "DELETE").map((q) => q.path);
    expect(deleted).toEqual(["/v2/environment/webhooks/se-101", "/v2/environment/webhooks/se-555"]);
  });
});

describe("ShipEngine registration", () => {
  it("uses /v1/environment/webhooks and subscribes track by default", async () => {
    const { key } = await createWorkspace();
    const provider = await fakeShipEngine("/v1");
    const source = await shipengineSource(key, provider, "shipengine");

    const r = await api("POST", `/v1/sources/${source.id}/register`, { token: key });
    expect(r.status, r.text).toBe(200);
    expect(r.json.webhooks).toMatchObject([{ event: "track", provider_webhook_id: "se-101", action: "created" }]);
    const reqs = await provider.requests();
    expect(reqs.map((q) => `${q.method} ${q.path}`)).toEqual(["GET /v1/environment/webhooks", "POST /v1/environment/webhooks"]);
    expect(JSON.parse(reqs[1]!.body)).toMatchObject({ event: "track", url: source.ingest_url });
  });
});
