import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { ADMIN_TOKEN, api, createWorkspace } from "../support/relay";

/** Calls the app with a different configuration than the test Worker's. */
async function withEnv(overrides: Partial<Env>, method: string, path: string, init: RequestInit = {}) {
  const ctx = createExecutionContext();
  const res = await createApp().fetch(new Request(`http://relay.test${path}`, { method, ...init }), { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe("POST /v1/workspaces", () => {
  it("creates a workspace and shows its API key once", async () => {
    const r = await api("POST", "/v1/workspaces", { token: ADMIN_TOKEN, body: { name: "acme" } });
    expect(r.status).toBe(201);
    expect(r.json.id).toMatch(/^ws_[0-9a-z]{26}$/);
    expect(r.json.name).toBe("acme");
    expect(r.json.api_key).toMatch(/^sk_[0-9a-z]{30,}$/);
  });

  it("stores only a hash of the API key", async () => {
    const { id, key } = await createWorkspace("hashed");
    const row = await env.DB.prepare("SELECT * FROM workspaces WHERE id = ?").bind(id).first<Record<string, string>>();
    expect(row).not.toBeNull();
    expect(JSON.stringify(row)).not.toContain(key);
    expect(row!.api_key_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses a missing admin token with 401 and the error envelope", async () => {
    const r = await api("POST", "/v1/workspaces", { body: { name: "acme" } });
    expect(r.status).toBe(401);
    expect(r.json.error).toMatchObject({ code: "missing_token" });
    expect(typeof r.json.error.message).toBe("string");
  });

  it("refuses a wrong admin token with 401", async () => {
    const r = await api("POST", "/v1/workspaces", { token: "adm_wrong", body: { name: "acme" } });
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe("invalid_token");
  });

  it("refuses a workspace API key in place of the admin token", async () => {
    const { key } = await createWorkspace();
    const r = await api("POST", "/v1/workspaces", { token: key, body: { name: "x" } });
    expect(r.status).toBe(401);
  });

  it("answers 503 not_configured when ADMIN_TOKEN is unset — there is no default token", async () => {
    const res = await withEnv({ ADMIN_TOKEN: "" }, "POST", "/v1/workspaces", {
      headers: { authorization: "Bearer anything", "content-type": "application/json" },
      body: JSON.stringify({ name: "acme" }),
    });
    expect(res.status).toBe(503);
    expect(((await res.json()) as any).error.code).toBe("not_configured");
  });

  it("names the field when the body is invalid", async () => {
    const r = await api("POST", "/v1/workspaces", { token: ADMIN_TOKEN, body: { name: "" } });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("invalid_request");
    expect(r.json.error.message).toContain("name");
  });

  it("answers 400 invalid_json for a body that is not JSON", async () => {
    const r = await api("POST", "/v1/workspaces", {
      token: ADMIN_TOKEN,
      raw: "{nope",
      headers: { "content-type": "application/json" },
    });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("invalid_json");
  });

  it("answers 415 for a body that is not sent as JSON", async () => {
    const r = await api("POST", "/v1/workspaces", { token: ADMIN_TOKEN, raw: "name=acme", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(r.status).toBe(415);
    expect(r.json.error.code).toBe("unsupported_content_type");
  });
});

describe("workspace API keys", () => {
  it("refuses a missing key with 401", async () => {
    const r = await api("GET", "/v1/sources");
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe("missing_api_key");
  });

  it("refuses an unknown key with 401", async () => {
    const r = await api("GET", "/v1/sources", { token: "sk_not_a_key" });
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe("invalid_api_key");
  });

  it("refuses the admin token on workspace routes", async () => {
    const r = await api("GET", "/v1/sources", { token: ADMIN_TOKEN });
    expect(r.status).toBe(401);
  });
});

describe("unknown routes and health", () => {
  it("GET /healthz answers ok", async () => {
    const r = await api("GET", "/healthz");
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ ok: true });
  });

  it("an unknown route is a JSON 404", async () => {
    const { key } = await createWorkspace();
    const r = await api("GET", "/v1/nothing-here", { token: key });
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe("not_found");
  });
});
