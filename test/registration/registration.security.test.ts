import { describe, expect, it } from "vitest";
import { mockEndpoint } from "../support/mock";
import { api } from "../support/relay";
import { createWorkspace, fakeShipStation, shipstationSource, SS_KEY, SS_SECRET } from "./fake-providers";

describe("registration security", () => {
  it("another workspace's source is 404 on register, list and remove, and its provider is never called", async () => {
    const owner = await createWorkspace("owner");
    const other = await createWorkspace("other");
    const provider = await fakeShipStation();
    const source = await shipstationSource(owner.key, provider);

    for (const [method, path] of [
      ["POST", `/v1/sources/${source.id}/register`],
      ["GET", `/v1/sources/${source.id}/webhooks`],
      ["DELETE", `/v1/sources/${source.id}/webhooks`],
    ] as const) {
      const r = await api(method, path, { token: other.key });
      expect(r.status, `${method} ${path}: ${r.text}`).toBe(404);
      expect(r.json.error.code).toBe("not_found");
    }
    expect(await provider.requests()).toHaveLength(0);
  });

  it("needs a workspace key", async () => {
    const owner = await createWorkspace();
    const provider = await fakeShipStation();
    const source = await shipstationSource(owner.key, provider);
    const r = await api("POST", `/v1/sources/${source.id}/register`);
    expect(r.status).toBe(401);
  });

  it("never returns the credentials or the URL token once the source exists", async () => {
    const { key } = await createWorkspace();
    const provider = await fakeShipStation();
    const source = await shipstationSource(key, provider);
    const token = new URL(source.ingest_url).searchParams.get("token")!;
    expect(token).toBeTruthy();

    const reg = await api("POST", `/v1/sources/${source.id}/register`, { token: key });
    const list = await api("GET", `/v1/sources/${source.id}/webhooks`, { token: key });
    for (const r of [reg, list]) {
      expect(r.status, r.text).toBe(200);
      for (const secret of [SS_KEY, SS_SECRET, token]) expect(r.text).not.toContain(secret);
    }
    expect(reg.json.webhooks[0].url).toBe(`http://relay.test/in/${source.id}?token=redacted`);
  });

  it("refuses an api_base_url that carries userinfo", async () => {
    // Tests run with ALLOW_INSECURE_DESTINATIONS on, so http and loopback pass; userinfo never does.
    const { key } = await createWorkspace();
    const r = await api("POST", "/v1/sources", {
      token: key,
      body: { name: "x", provider: "shipstation", credentials: { api_key: "k", api_secret: "s", api_base_url: "http://user:pw@127.0.0.1:9/" } },
    });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(/^credentials\.api_base_url: /);
  });

  it("a provider's refusal that quotes the ingest URL does not echo its token in the 422", async () => {
    const { key } = await createWorkspace();
    const provider = await mockEndpoint({ routes: { "GET /webhooks": { status: 200, body: { webhooks: [] } } } });
    const source = await shipstationSource(key, provider);
    const token = new URL(source.ingest_url).searchParams.get("token")!;
    const echoed = [source.ingest_url, `http://relay.test/in/${source.id}/${token}`, encodeURIComponent(source.ingest_url)];
    for (const quote of echoed) {
      await provider.script({
        routes: {
          "GET /webhooks": { status: 200, body: { webhooks: [] } },
          "POST /webhooks/subscribe": { status: 400, body: { Message: `The target_url ${quote} is not reachable` } },
        },
      });
      const r = await api("POST", `/v1/sources/${source.id}/register`, { token: key });
      expect(r.status, r.text).toBe(422);
      expect(r.json.error.code).toBe("provider_rejected");
      expect(r.json.error.message).toContain("not reachable");
      expect(r.text).not.toContain(token);
    }
  });
});
