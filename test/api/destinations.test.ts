import { describe, expect, it } from "vitest";
import { api, atoshipWorkspace, createDestination } from "../support/relay";

describe("destinations: validation and secrets", () => {
  it.each([
    [{ url: "ftp://example.com/x" }, "url"],
    [{ url: "not a url" }, "url"],
    [{}, "url"],
    [{ url: "https://example.com", events: ["Order Shipped"] }, "events"],
    [{ url: "https://example.com", retry: { max_attempts: 12 } }, "retry.max_attempts"],
    [{ url: "https://example.com", retry: { max_attempts: 0 } }, "retry.max_attempts"],
    [{ url: "https://example.com", timeout_ms: 10 }, "timeout_ms"],
    [{ url: "https://example.com", status: "disabled" }, "status"],
    [{ url: "https://example.com", auth: { type: "digest" } }, "auth"],
    [{ url: "https://user:pw@example.com/hook" }, "url"],
  ])("refuses %j with a 400 naming %s", async (body, field) => {
    const { key } = await atoshipWorkspace();
    const r = await api("POST", "/v1/destinations", { token: key, body });
    expect(r.status, r.text).toBe(400);
    expect(r.json.error.message).toContain(field);
  });

  it("a destination's sources must exist in the workspace", async () => {
    const { key } = await atoshipWorkspace();
    const r = await api("POST", "/v1/destinations", { token: key, body: { url: "http://127.0.0.1:9/x", sources: ["src_00000000000000000000000000"] } });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toContain("sources.0");
  });

  it("creates with the contract's defaults and never returns secrets again", async () => {
    const { key } = await atoshipWorkspace();
    const dest = await createDestination(key, { url: "https://erp.example.com/hooks", headers: { "x-api-key": "secret-header" }, auth: { type: "bearer", token: "secret-token" } });
    expect(dest.id).toMatch(/^dst_/);
    expect(dest.signing_secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    expect(dest).toMatchObject({
      status: "active",
      events: null,
      sources: null,
      retry: { max_attempts: 6, schedule_seconds: [60, 300, 1800, 7200, 86400] },
      timeout_ms: 10000,
      rate_limit_per_minute: null,
      auth: { type: "bearer" },
    });
    const read = await api("GET", `/v1/destinations/${dest.id}`, { token: key });
    expect(read.status).toBe(200);
    expect(read.json.signing_secret).toBeUndefined();
    for (const s of [dest.signing_secret, "secret-header", "secret-token"]) expect(read.text).not.toContain(s);
    expect(read.json.headers).toEqual({ "x-api-key": "[redacted]" });
    const list = await api("GET", "/v1/destinations", { token: key });
    for (const s of [dest.signing_secret, "secret-header", "secret-token"]) expect(list.text).not.toContain(s);
  });

  it("PATCH updates fields and DELETE removes the destination", async () => {
    const { key } = await atoshipWorkspace();
    const dest = await createDestination(key, { url: "https://erp.example.com/hooks" });
    const r = await api("PATCH", `/v1/destinations/${dest.id}`, { token: key, body: { events: ["order.*"], timeout_ms: 5000, status: "paused" } });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ events: ["order.*"], timeout_ms: 5000, status: "paused" });
    expect((await api("DELETE", `/v1/destinations/${dest.id}`, { token: key })).status).toBe(204);
    expect((await api("GET", `/v1/destinations/${dest.id}`, { token: key })).status).toBe(404);
  });
});

