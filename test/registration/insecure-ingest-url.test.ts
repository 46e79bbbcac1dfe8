import { describe, expect, it } from "vitest";
import { api } from "../support/relay";
import { createWorkspace, fakeShipStation, shipstationSource, SS_KEY, SS_SECRET } from "./fake-providers";

/**
 * Tests run with ALLOW_INSECURE_DESTINATIONS=true (as `npm run dev` does) and the relay's own
 * URL is http://relay.test. That setting is about where the relay may send; it must not let
 * registration hand a real provider an http:// or private ingest URL.
 */
describe("registering an insecure ingest URL", () => {
  it("is refused (422 ingest_url_not_public) at a real provider even with ALLOW_INSECURE_DESTINATIONS", async () => {
    const { key } = await createWorkspace("insecure-ingest");
    for (const credentials of [
      { api_key: SS_KEY, api_secret: SS_SECRET },
      { api_key: SS_KEY, api_secret: SS_SECRET, api_base_url: "https://ssapi.shipstation.com" },
    ]) {
      const created = await api("POST", "/v1/sources", { token: key, body: { name: "real", provider: "shipstation", credentials } });
      expect(created.status, created.text).toBe(201);
      const r = await api("POST", `/v1/sources/${created.json.id}/register`, { token: key });
      expect(r.status, r.text).toBe(422);
      expect(r.json.error.code).toBe("ingest_url_not_public");
      expect(r.json.error.message).toMatch(/PUBLIC_BASE_URL/);
    }
  });

  it("is allowed when the provider API is itself a local test endpoint (the fake providers of npm run dev)", async () => {
    const { key } = await createWorkspace("insecure-ingest");
    const provider = await fakeShipStation();
    const source = await shipstationSource(key, provider);
    const r = await api("POST", `/v1/sources/${source.id}/register`, { token: key, body: { events: ["SHIP_NOTIFY"] } });
    expect(r.status, r.text).toBe(200);
  });
});
