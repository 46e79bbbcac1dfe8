import { describe, expect, it } from "vitest";
import { mockEndpoint } from "../support/mock";
import { api, createSource } from "../support/relay";
import { bySignature, createWorkspace, fakeShipStation, shipstationSource, SS_KEY, SS_SECRET, v1Hook } from "./fake-providers";

/** Fails if a response body carries a credential. */
function expectNoCredentials(text: string) {
  for (const secret of [SS_KEY, SS_SECRET, btoa(`${SS_KEY}:${SS_SECRET}`)]) expect(text).not.toContain(secret);
}

describe("registration errors", () => {
  it("a source without credentials → 422 missing_credentials, and the provider is never called", async () => {
    const { key } = await createWorkspace();
    const source = await createSource(key, { provider: "shipstation" });
    const r = await api("POST", `/v1/sources/${source.id}/register`, { token: key });
    expect(r.status, r.text).toBe(422);
    expect(r.json.error.code).toBe("missing_credentials");
  });

  it("ShipStation credentials without api_secret → 422 missing_credentials", async () => {
    const { key } = await createWorkspace();
    const provider = await fakeShipStation();
    const source = await createSource(key, { provider: "shipstation", credentials: { api_key: SS_KEY, api_base_url: provider.url } });
    const r = await api("POST", `/v1/sources/${source.id}/register`, { token: key });
    expect(r.status, r.text).toBe(422);
    expect(r.json.error).toMatchObject({ code: "missing_credentials" });
    expect(r.json.error.message).toContain("api_secret");
    expect(await provider.requests()).toHaveLength(0);
  });

  it("a provider the relay cannot register with → 422 registration_not_supported", async () => {
    const { key } = await createWorkspace();
    const source = await createSource(key, { provider: "atoship" });
    const r = await api("POST", `/v1/sources/${source.id}/register`, { token: key });
    expect(r.status, r.text).toBe(422);
    expect(r.json.error.code).toBe("registration_not_supported");
  });

  it("an event the provider does not have → 400 naming the field", async () => {
    const { key } = await createWorkspace();
    const provider = await fakeShipStation();
    const source = await shipstationSource(key, provider);
    const r = await api("POST", `/v1/sources/${source.id}/register`, { token: key, body: { events: ["SHIP_NOTIFY", "PARCEL_EXPLODED"] } });
    expect(r.status, r.text).toBe(400);
    expect(r.json.error.message).toMatch(/^events\.1: /);
    expect(await provider.requests()).toHaveLength(0);
  });

  it("credentials refused by the provider (401) → 422 provider_rejected that says so without the credentials", async () => {
    const { key } = await createWorkspace();
    const provider = await mockEndpoint({ routes: { "GET /webhooks": { status: 401, body: { message: `Invalid API credentials for ${SS_KEY}` } } } });
    const source = await shipstationSource(key, provider);
    const r = await api("POST", `/v1/sources/${source.id}/register`, { token: key });
    expect(r.status, r.text).toBe(422);
    expect(r.json.error.code).toBe("provider_rejected");
    expect(r.json.error.message).toMatch(/refused the source's API credentials \(HTTP 401\)/);
    expectNoCredentials(r.text);
  });

  it("a provider 4xx echoing a credential has it redacted", async () => {
    const { key } = await createWorkspace();
    const provider = await fakeShipStation();
    await provider.script({
      routes: {
        "GET /webhooks": { status: 200, body: { webhooks: [] } },
        "POST /webhooks/subscribe": { status: 400, body: { message: `target_url rejected for account ${SS_KEY}` } },
      },
    });
    const source = await shipstationSource(key, provider);
    const r = await api("POST", `/v1/sources/${source.id}/register`, { token: key });
    expect(r.status, r.text).toBe(422);
    expect(r.json.error.code).toBe("provider_rejected");
    expect(r.json.error.message).toContain("[redacted]");
    expectNoCredentials(r.text);
  });

  it("the provider rate-limits (429) → 422 provider_rejected with when to retry", async () => {
    const { key } = await createWorkspace();
    const provider = await mockEndpoint({ routes: { "GET /webhooks": { status: 429, headers: { "retry-after": "40" }, body: {} } } });
    const source = await shipstationSource(key, provider);
    const r = await api("POST", `/v1/sources/${source.id}/register`, { token: key });
    expect(r.status, r.text).toBe(422);
    expect(r.json.error).toMatchObject({ code: "provider_rejected" });
    expect(r.json.error.message).toContain("retry after 40 s");
  });

  it("a provider 5xx → 502 provider_error", async () => {
    const { key } = await createWorkspace();
    const provider = await mockEndpoint({ routes: { "GET /webhooks": { status: 503, body: { message: "down" } } } });
    const source = await shipstationSource(key, provider);
    const r = await api("POST", `/v1/sources/${source.id}/register`, { token: key });
    expect(r.status, r.text).toBe(502);
    expect(r.json.error.code).toBe("provider_error");
  });

  it("an unreachable provider (connection dropped) → 502 provider_error", async () => {
    const { key } = await createWorkspace();
    const provider = await mockEndpoint({ default: { close: true } });
    const source = await shipstationSource(key, provider);
    const r = await api("POST", `/v1/sources/${source.id}/register`, { token: key });
    expect(r.status, r.text).toBe(502);
    expect(r.json.error.code).toBe("provider_error");
    expectNoCredentials(r.text);
  });

  it("a failure part-way says which events are registered, and the list shows exactly those", async () => {
    const { key } = await createWorkspace();
    const provider = await mockEndpoint({
      routes: {
        "GET /webhooks": { status: 200, body: { webhooks: [] } },
        "POST /webhooks/subscribe": [
          { status: 201, body: { id: 5001 } },
          { status: 500, body: { message: "An internal error occurred" } },
        ],
      },
    });
    const source = await shipstationSource(key, provider);
    const r = await api("POST", `/v1/sources/${source.id}/register`, {
      token: key,
      body: { events: ["SHIP_NOTIFY", "ORDER_NOTIFY", "FULFILLMENT_SHIPPED"] },
    });
    expect(r.status, r.text).toBe(502);
    expect(r.json.error).toMatchObject({
      code: "provider_error",
      registered: ["SHIP_NOTIFY"],
      not_registered: ["ORDER_NOTIFY", "FULFILLMENT_SHIPPED"],
    });
    expect(r.json.error.message).toContain("Registered: SHIP_NOTIFY; not registered: ORDER_NOTIFY, FULFILLMENT_SHIPPED");
    expect(bySignature(await provider.requests(), "POST", "/webhooks/subscribe")).toHaveLength(2);

    await provider.script({ routes: { "GET /webhooks": { status: 200, body: { webhooks: [v1Hook(5001, "SHIP_NOTIFY", source.ingest_url)] } } } });
    const list = await api("GET", `/v1/sources/${source.id}/webhooks`, { token: key });
    expect(list.json.data).toMatchObject([{ event: "SHIP_NOTIFY", provider_webhook_id: "5001", registered: true }]);
  });

  it("listing while the provider is down still answers 200 with registered null and a warning", async () => {
    const { key } = await createWorkspace();
    const provider = await fakeShipStation();
    const source = await shipstationSource(key, provider);
    expect((await api("POST", `/v1/sources/${source.id}/register`, { token: key })).status).toBe(200);
    await provider.script({ routes: { "GET /webhooks": { status: 502, body: "bad gateway" } } });

    const list = await api("GET", `/v1/sources/${source.id}/webhooks`, { token: key });
    expect(list.status, list.text).toBe(200);
    expect(list.json.data).toMatchObject([{ event: "SHIP_NOTIFY", provider_webhook_id: "5001", registered: null, status: "unknown" }]);
    expect(list.json.warning).toMatchObject({ code: "provider_error" });
  });

  it("a redirect from the provider is not followed, so credentials never leave the configured host", async () => {
    const { key } = await createWorkspace();
    const elsewhere = await mockEndpoint();
    const provider = await mockEndpoint({ routes: { "GET /webhooks": { status: 302, headers: { location: `${elsewhere.url}/webhooks` } } } });
    const source = await shipstationSource(key, provider);
    const r = await api("POST", `/v1/sources/${source.id}/register`, { token: key });
    expect(r.status, r.text).toBe(502);
    expect(r.json.error.code).toBe("provider_error");
    expect(await elsewhere.requests()).toHaveLength(0);
  });

  it("a rotation whose re-registration fails still rotates, and says which events still call the old URL", async () => {
    const { key } = await createWorkspace();
    const provider = await fakeShipStation();
    const source = await shipstationSource(key, provider);
    expect((await api("POST", `/v1/sources/${source.id}/register`, { token: key })).status).toBe(200);
    await provider.script({ routes: { "GET /webhooks": { status: 401, body: { message: "Unauthorized" } } } });

    const rotated = await api("POST", `/v1/sources/${source.id}/rotate-secret`, { token: key });
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.json.ingest_url).not.toBe(source.ingest_url);
    expect(rotated.json.registration).toMatchObject({
      status: "failed",
      error: { code: "provider_rejected" },
      registered: [],
      not_registered: ["SHIP_NOTIFY"],
    });
    expect(rotated.json.registration.hint).toContain(`POST /v1/sources/${source.id}/register`);
    expectNoCredentials(rotated.text);

    // The new token is in force: the old URL is refused.
    const old = new URL(source.ingest_url);
    const hit = await api("POST", old.pathname + old.search, { raw: "{}", headers: { "content-type": "application/json" } });
    expect(hit.status).toBe(401);
  });

  it("removing while the provider fails → 502, and the webhooks stay recorded", async () => {
    const { key } = await createWorkspace();
    const provider = await fakeShipStation();
    const source = await shipstationSource(key, provider);
    expect((await api("POST", `/v1/sources/${source.id}/register`, { token: key })).status).toBe(200);
    await provider.script({
      routes: {
        "GET /webhooks": { status: 200, body: { webhooks: [v1Hook(5001, "SHIP_NOTIFY", source.ingest_url)] } },
        "DELETE /webhooks/5001": { status: 500, body: {} },
      },
    });
    const r = await api("DELETE", `/v1/sources/${source.id}/webhooks`, { token: key });
    expect(r.status, r.text).toBe(502);
    expect(r.json.error).toMatchObject({ code: "provider_error", removed: 0, registered: ["SHIP_NOTIFY"] });
    const list = await api("GET", `/v1/sources/${source.id}/webhooks`, { token: key });
    expect(list.json.data).toHaveLength(1);
  });
});
