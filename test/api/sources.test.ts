import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { api, atoshipEvent, createSource, createWorkspace, ingestPath, postAtoship } from "../support/relay";

describe("POST /v1/sources", () => {
  it("an atoship source gets the provider preset and a generated secret, shown once", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, { name: "AtoShip main", provider: "atoship" });
    expect(src.id).toMatch(/^src_[0-9a-z]{26}$/);
    expect(src.ingest_url).toBe(`http://relay.test/in/${src.id}`);
    expect(src.secret).toEqual(expect.any(String));
    expect(src.verification).toMatchObject({ type: "hmac", header: "x-atoship-signature", encoding: "hex", prefix: "sha256=" });
    expect(src.verification).not.toHaveProperty("secret");

    const again = await api("GET", `/v1/sources/${src.id}`, { token: key });
    expect(again.status).toBe(200);
    expect(again.json).not.toHaveProperty("secret");
    expect(again.text).not.toContain(src.secret!);
  });

  it("takes the provider-issued secret alone and fills in the preset", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, { provider: "atoship", verification: { secret: "issued-by-atoship" } });
    expect(src.secret).toBeUndefined();
    const ok = await postAtoship({ ingest_url: src.ingest_url, secret: "issued-by-atoship" }, atoshipEvent());
    expect(ok.status).toBe(200);
  });

  it("refuses a secret-only verification for a provider whose preset takes none", async () => {
    const { key } = await createWorkspace();
    const r = await api("POST", "/v1/sources", { token: key, body: { name: "g", provider: "generic", verification: { secret: "x" } } });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toContain("verification");
  });

  it("a url_token source returns a complete ingest_url once; reads omit the token", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, { provider: "generic", verification: { type: "url_token" } });
    expect(src.ingest_url).toMatch(new RegExp(`/in/${src.id}\\?token=[0-9a-z]{30,}$`));
    const token = new URL(src.ingest_url).searchParams.get("token")!;
    const read = await api("GET", `/v1/sources/${src.id}`, { token: key });
    expect(read.json.ingest_url).toBe(`http://relay.test/in/${src.id}`);
    expect(read.text).not.toContain(token);
  });

  it("stores secrets and credentials encrypted, never in clear", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, {
      provider: "shipstation",
      verification: { type: "basic", username: "ship", password: "pw-very-secret" },
      credentials: { api_key: "key-very-secret", api_secret: "secret-very-secret", api_base_url: "https://ssapi.shipstation.com" },
    });
    const row = await env.DB.prepare("SELECT * FROM sources WHERE id = ?").bind(src.id).first();
    const dump = JSON.stringify(row);
    for (const s of ["pw-very-secret", "key-very-secret", "secret-very-secret"]) expect(dump).not.toContain(s);
    expect(row!.secret_enc).toMatch(/^v1\./);
    expect(row!.credentials_enc).toMatch(/^v1\./);
    const read = await api("GET", `/v1/sources/${src.id}`, { token: key });
    expect(read.json.has_credentials).toBe(true);
    expect(read.json.verification).toEqual({ type: "basic", username: "ship" });
    for (const s of ["pw-very-secret", "key-very-secret", "secret-very-secret"]) expect(read.text).not.toContain(s);
  });

  it.each([
    [{ name: "x" }, "provider"],
    [{ name: "x", provider: "fedex-direct" }, "provider"],
    [{ provider: "atoship" }, "name"],
    [{ name: "x", provider: "generic", verification: { type: "hmac" } }, "verification"],
    [{ name: "x", provider: "generic", verification: { type: "rsa_jwks", jwks_url: "not a url" } }, "verification"],
    [{ name: "x", provider: "generic", ip_allowlist: ["10.0.0.0/33"] }, "ip_allowlist"],
    [{ name: "x", provider: "generic", rate_limit_per_minute: 0 }, "rate_limit_per_minute"],
    [{ name: "x", provider: "generic", settings: { event_type_path: 42 } }, "settings"],
    [{ name: "x", provider: "shipstation", credentials: { api_secret: "s" } }, "credentials"],
  ])("refuses %j with a 400 naming %s", async (body, field) => {
    const { key } = await createWorkspace();
    const r = await api("POST", "/v1/sources", { token: key, body });
    expect(r.status, r.text).toBe(400);
    expect(r.json.error.message).toContain(field);
  });

  it("answers 503 not_configured when a secret would be stored without ENCRYPTION_KEY", async () => {
    const { id, key } = await createWorkspace();
    const ctx = createExecutionContext();
    const res = await createApp().fetch(
      new Request("http://relay.test/v1/sources", {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "a", provider: "atoship" }),
      }),
      { ...env, ENCRYPTION_KEY: "" },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    expect(((await res.json()) as any).error.code).toBe("not_configured");
    const count = await env.DB.prepare("SELECT count(*) AS n FROM sources WHERE workspace_id = ?1").bind(id).first<{ n: number }>();
    expect(count!.n).toBe(0);
  });

  it("a none source is created only when asked for, and needs no key", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, { provider: "generic", verification: { type: "none" } });
    expect(src.verification).toEqual({ type: "none" });
    expect(src.secret).toBeUndefined();
  });
});

describe("listing, updating and deleting sources", () => {
  it("lists newest first with cursor pagination", async () => {
    const { key } = await createWorkspace();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createSource(key, { name: `s${i}`, provider: "generic", verification: { type: "none" } })).id);
    const first = await api("GET", "/v1/sources?limit=2", { token: key });
    expect(first.status).toBe(200);
    expect(first.json.data.map((s: any) => s.id)).toEqual([ids[4], ids[3]]);
    expect(first.json.next_cursor).toEqual(expect.any(String));
    const second = await api("GET", `/v1/sources?limit=2&cursor=${first.json.next_cursor}`, { token: key });
    expect(second.json.data.map((s: any) => s.id)).toEqual([ids[2], ids[1]]);
    const third = await api("GET", `/v1/sources?limit=2&cursor=${second.json.next_cursor}`, { token: key });
    expect(third.json.data.map((s: any) => s.id)).toEqual([ids[0]]);
    expect(third.json.next_cursor).toBeNull();
  });

  it("refuses a bad cursor and an out-of-range limit with 400", async () => {
    const { key } = await createWorkspace();
    expect((await api("GET", "/v1/sources?cursor=zzz", { token: key })).status).toBe(400);
    expect((await api("GET", "/v1/sources?limit=501", { token: key })).status).toBe(400);
    expect((await api("GET", "/v1/sources?limit=0", { token: key })).status).toBe(400);
  });

  it("PATCH changes the name and replaces the verification", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, { provider: "generic", verification: { type: "none" } });
    const r = await api("PATCH", `/v1/sources/${src.id}`, {
      token: key,
      body: { name: "renamed", verification: { type: "header", name: "x-token", value: "tok-123" } },
    });
    expect(r.status).toBe(200);
    expect(r.json.name).toBe("renamed");
    expect(r.json.verification).toEqual({ type: "header", name: "x-token" });
    const refused = await api("POST", ingestPath(src), { raw: "{}", headers: { "content-type": "application/json" } });
    expect(refused.status).toBe(401);
  });

  it("DELETE removes the source; its ingest URL then answers 404", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, { provider: "generic", verification: { type: "none" } });
    expect((await api("DELETE", `/v1/sources/${src.id}`, { token: key })).status).toBe(204);
    expect((await api("GET", `/v1/sources/${src.id}`, { token: key })).status).toBe(404);
    expect((await api("DELETE", `/v1/sources/${src.id}`, { token: key })).status).toBe(404);
    const post = await api("POST", ingestPath(src), { raw: "{}", headers: { "content-type": "application/json" } });
    expect(post.status).toBe(404);
  });
});

describe("POST /v1/sources/:id/rotate-secret", () => {
  it("an HMAC source gets a new secret; the old one stops verifying", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, { provider: "atoship" });
    const rotated = await api("POST", `/v1/sources/${src.id}/rotate-secret`, { token: key });
    expect(rotated.status).toBe(200);
    expect(rotated.json.secret).toEqual(expect.any(String));
    expect(rotated.json.secret).not.toBe(src.secret);
    const old = await postAtoship(src, atoshipEvent());
    expect(old.status).toBe(401);
    const fresh = await postAtoship({ ingest_url: src.ingest_url, secret: rotated.json.secret }, atoshipEvent());
    expect(fresh.status).toBe(200);
  });

  it("a url_token source gets a new ingest URL; the old token is refused", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, { provider: "generic", verification: { type: "url_token" } });
    const rotated = await api("POST", `/v1/sources/${src.id}/rotate-secret`, { token: key });
    expect(rotated.status).toBe(200);
    expect(rotated.json.ingest_url).not.toBe(src.ingest_url);
    const body = JSON.stringify({ type: "order.shipped", order: { reference: "R1" } });
    const headers = { "content-type": "application/json" };
    expect((await api("POST", ingestPath(src), { raw: body, headers })).status).toBe(401);
    expect((await api("POST", ingestPath(rotated.json), { raw: body, headers })).status).toBe(200);
  });

  it("a source with nothing to rotate answers 422", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, { provider: "generic", verification: { type: "none" } });
    const r = await api("POST", `/v1/sources/${src.id}/rotate-secret`, { token: key });
    expect(r.status).toBe(422);
    expect(r.json.error.code).toBe("nothing_to_rotate");
  });
});
