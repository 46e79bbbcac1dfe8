import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api } from "../support/relay";
import { bySignature, createWorkspace, fakeShipStation, shipstationSource, v1Hook } from "./fake-providers";

describe("deleting a source with registered webhooks", () => {
  it("unsubscribes at the provider first, so nothing is left calling a dead URL", async () => {
    const { key } = await createWorkspace();
    const provider = await fakeShipStation();
    const source = await shipstationSource(key, provider);
    expect((await api("POST", `/v1/sources/${source.id}/register`, { token: key })).status).toBe(200);
    // The provider now lists the webhook it created.
    await provider.script({
      routes: { "GET /webhooks": { status: 200, body: { webhooks: [v1Hook(5001, "SHIP_NOTIFY", source.ingest_url)] } } },
      default: { status: 200, body: "" },
    });

    const r = await api("DELETE", `/v1/sources/${source.id}`, { token: key });
    expect(r.status, r.text).toBe(204);
    expect(bySignature(await provider.requests(), "DELETE", "/webhooks/5001")).toHaveLength(1);
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM provider_webhooks WHERE source_id = ?").bind(source.id).first<{ n: number }>();
    expect(rows!.n).toBe(0);
  });

  it("refuses with 409 when the provider cannot be reached, and deletes anyway with force=true", async () => {
    const { key } = await createWorkspace();
    const provider = await fakeShipStation();
    const source = await shipstationSource(key, provider);
    expect((await api("POST", `/v1/sources/${source.id}/register`, { token: key })).status).toBe(200);
    await provider.script({ default: { status: 503, body: { message: "down" } } });

    const refused = await api("DELETE", `/v1/sources/${source.id}`, { token: key });
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe("unsubscribe_failed");
    expect((await api("GET", `/v1/sources/${source.id}`, { token: key })).status).toBe(200);

    const forced = await api("DELETE", `/v1/sources/${source.id}?force=true`, { token: key });
    expect(forced.status).toBe(204);
    expect((await api("GET", `/v1/sources/${source.id}`, { token: key })).status).toBe(404);
  });
});
