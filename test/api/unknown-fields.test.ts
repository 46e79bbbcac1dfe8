import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, api, createDestination, createSource, createWorkspace } from "../support/relay";

/** A misspelt option is refused 400 unknown_field, naming it (CONTRACT.md, Additions). */

function expectUnknown(r: { status: number; json: any; text: string }, ...fields: string[]) {
  expect(r.status, r.text).toBe(400);
  expect(r.json.error.code).toBe("unknown_field");
  for (const f of fields) expect(r.json.error.message).toContain(f);
}

describe("unknown fields in a /v1 body", () => {
  it("every POST and PATCH body route refuses them, naming each (nested too)", async () => {
    const { key } = await createWorkspace("unknown-fields");
    const dest = await createDestination(key, { url: "https://example.com/hook" });
    const source = await createSource(key, { provider: "generic" });
    const cases: Array<[string, string, unknown, string[], string?]> = [
      ["POST", "/v1/workspaces", { name: "x", nmae: "y" }, ["nmae"], ADMIN_TOKEN],
      ["POST", "/v1/destinations", { url: "https://example.com/h", retrys: 3, transfrom: "x" }, ["retrys", "transfrom"]],
      ["POST", "/v1/destinations", { url: "https://example.com/h", retry: { max_attemps: 3 } }, ["retry.max_attemps"]],
      ["POST", "/v1/destinations", { url: "https://example.com/h", auth: { type: "bearer", token: "t", tokn: "x" } }, ["auth.tokn"]],
      ["POST", "/v1/destinations", { url: "https://example.com/h", auto_disable: { after_failed: 1 } }, ["auto_disable.after_failed"]],
      ["PATCH", `/v1/destinations/${dest.id}`, { staus: "paused" }, ["staus"]],
      ["POST", `/v1/destinations/${dest.id}/replay`, { status: "failed", sinse: "2026-01-01T00:00:00Z" }, ["sinse"]],
      ["POST", "/v1/sources", { name: "s", provider: "generic", rate_limit: 5 }, ["rate_limit"]],
      ["POST", "/v1/sources", { name: "s", provider: "atoship", verification: { type: "hmac", header: "x", algo: "sha1" } }, ["verification.algo"]],
      ["POST", "/v1/sources", { name: "s", provider: "atoship", credentials: { api_key: "k", api_secrt: "s" } }, ["credentials.api_secrt"]],
      ["PATCH", `/v1/sources/${source.id}`, { nam: "t" }, ["nam"]],
      ["POST", `/v1/sources/${source.id}/rotate-secret`, { secrett: "s" }, ["secrett"]],
      ["POST", `/v1/sources/${source.id}/register`, { event: ["SHIP_NOTIFY"] }, ["event"]],
    ];
    for (const [method, path, body, fields, token] of cases) {
      const r = await api(method, path, { token: token ?? key, body });
      expectUnknown(r, ...fields);
    }
  });

  it("every body route the API describes refuses an unknown top-level field (routes added later included)", async () => {
    const { key } = await createWorkspace("unknown-fields-every-route");
    const doc = (await api("GET", "/v1/openapi.json")).json;
    const checked: string[] = [];
    for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(item)) {
        if (!op?.requestBody) continue;
        const admin = op.security?.some((s: Record<string, unknown>) => "adminToken" in s);
        const target = path.replace(/\{[^}]+\}/g, "x_01");
        const r = await api(method.toUpperCase(), target, { token: admin ? ADMIN_TOKEN : key, body: { zz_not_a_field: 1 } });
        expect(r.status, `${method.toUpperCase()} ${path}: ${r.text}`).toBe(400);
        expect(r.json.error.code, `${method.toUpperCase()} ${path}`).toBe("unknown_field");
        expect(r.json.error.message).toContain("zz_not_a_field");
        checked.push(`${method} ${path}`);
      }
    }
    expect(checked.length).toBeGreaterThanOrEqual(8);
  });

  it("maps keep their own keys: custom headers, a destination filter, adapter settings", async () => {
    const { key } = await createWorkspace("unknown-fields-maps");
    const dest = await api("POST", "/v1/destinations", {
      token: key,
      body: { url: "https://example.com/h", headers: { "X-Anything": "1" }, filter: { "data.carrier": "UPS" } },
    });
    expect(dest.status, dest.text).toBe(201);
    expect(Object.keys(dest.json.headers)).toEqual(["X-Anything"]);
    const src = await api("POST", "/v1/sources", { token: key, body: { name: "g", provider: "generic", settings: { event_type_path: "type" } } });
    expect(src.status, src.text).toBe(201);
  });

  it("an unknown field is refused before anything is saved", async () => {
    const { key } = await createWorkspace("unknown-fields-nothing-saved");
    await api("POST", "/v1/destinations", { token: key, body: { url: "https://example.com/h", retrys: 3 } });
    expect((await api("GET", "/v1/destinations", { token: key })).json.data).toEqual([]);
  });
});
