import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { purgeExpired } from "../../src/housekeeping";
import { mockEndpoint } from "../support/mock";
import { ADMIN_TOKEN, api, createWorkspace } from "../support/relay";

/** Idempotency-Key on POSTs under /v1 (CONTRACT.md, Additions, "Idempotency"). */

const HOUR = 3_600_000;

async function row(key: string) {
  return env.DB.prepare("SELECT * FROM idempotency_keys WHERE key = ?1").bind(key).first<Record<string, unknown>>();
}

describe("Idempotency-Key", () => {
  it("a retried create answers the stored reply, marked replayed, and creates nothing new", async () => {
    const { key } = await createWorkspace("idem-replay");
    const endpoint = await mockEndpoint();
    const idem = `k-${crypto.randomUUID()}`;
    const headers = { "idempotency-key": idem };
    const first = await api("POST", "/v1/destinations", { token: key, headers, body: { url: endpoint.url, name: "a", events: ["tracking.*"] } });
    expect(first.status, first.text).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    // Same body with its keys in another order: the same request.
    const again = await api("POST", "/v1/destinations", { token: key, headers, body: { events: ["tracking.*"], name: "a", url: endpoint.url } });
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.json).toEqual(first.json);
    const listed = await api("GET", "/v1/destinations", { token: key });
    expect(listed.json.data.map((d: { id: string }) => d.id)).toEqual([first.json.id]);
  });

  it("the same key with another body is 422 idempotency_key_reused", async () => {
    const { key } = await createWorkspace("idem-mismatch");
    const endpoint = await mockEndpoint();
    const headers = { "idempotency-key": "same-key" };
    expect((await api("POST", "/v1/destinations", { token: key, headers, body: { url: endpoint.url, name: "a" } })).status).toBe(201);
    const other = await api("POST", "/v1/destinations", { token: key, headers, body: { url: endpoint.url, name: "b" } });
    expect(other.status).toBe(422);
    expect(other.json.error.code).toBe("idempotency_key_reused");
  });

  it("keys are scoped to the workspace: another workspace's same key is its own", async () => {
    const a = await createWorkspace("idem-scope-a");
    const b = await createWorkspace("idem-scope-b");
    const endpoint = await mockEndpoint();
    const headers = { "idempotency-key": "shared-name" };
    const ra = await api("POST", "/v1/destinations", { token: a.key, headers, body: { url: endpoint.url } });
    const rb = await api("POST", "/v1/destinations", { token: b.key, headers, body: { url: endpoint.url } });
    expect([ra.status, rb.status]).toEqual([201, 201]);
    expect(rb.headers.get("idempotent-replayed")).toBeNull();
    expect(rb.json.id).not.toBe(ra.json.id);
  });

  it("two simultaneous requests with one key: one runs (201), the other is 409 idempotency_key_in_use", async () => {
    const { key } = await createWorkspace("idem-race");
    // The first request waits on the endpoint's verification answer, so the second arrives while it runs.
    const endpoint = await mockEndpoint({ default: { status: 200, delay_ms: 1500 } });
    const opts = { token: key, headers: { "idempotency-key": `race-${crypto.randomUUID()}` }, body: { url: endpoint.url, verify: true } };
    const results = await Promise.all([api("POST", "/v1/destinations", opts), api("POST", "/v1/destinations", opts)]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses, results.map((r) => r.text).join("\n")).toEqual([201, 409]);
    expect(results.find((r) => r.status === 409)!.json.error.code).toBe("idempotency_key_in_use");
    const listed = await api("GET", "/v1/destinations", { token: key });
    expect(listed.json.data).toHaveLength(1);
  });

  it("refuses a key longer than 255 characters", async () => {
    const { key } = await createWorkspace("idem-long");
    const r = await api("POST", "/v1/destinations", { token: key, headers: { "idempotency-key": "x".repeat(256) }, body: { url: "https://example.com/h" } });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toMatch(/255/);
  });

  it("a reply holding a secret shown once is stored encrypted, and replayed in clear", async () => {
    const idem = `ws-${crypto.randomUUID()}`;
    const opts = { token: ADMIN_TOKEN, headers: { "idempotency-key": idem }, body: { name: "idem-secret" } };
    const first = await api("POST", "/v1/workspaces", opts);
    expect(first.status).toBe(201);
    const stored = await row(idem);
    expect(stored!.scope).toBe("admin");
    expect(stored!.body).toBeNull();
    expect(String(stored!.body_enc)).toMatch(/^v1\./);
    expect(JSON.stringify(stored)).not.toContain(first.json.api_key);
    const again = await api("POST", "/v1/workspaces", opts);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.json.api_key).toBe(first.json.api_key);
  });

  it("without ENCRYPTION_KEY a reply holding a secret is answered but never stored", async () => {
    const app = createApp();
    const noKey = { ...env, ENCRYPTION_KEY: "" } as Env;
    const idem = `nokey-${crypto.randomUUID()}`;
    const post = async () => {
      const res = await app.request(
        "/v1/workspaces",
        {
          method: "POST",
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json", "idempotency-key": idem },
          body: JSON.stringify({ name: "idem-no-key" }),
        },
        noKey,
      );
      return { status: res.status, replayed: res.headers.get("idempotent-replayed"), json: (await res.json()) as { id: string } };
    };
    const first = await post();
    expect(first.status).toBe(201);
    expect(await row(idem)).toBeNull();
    const again = await post();
    expect(again.status).toBe(201);
    expect(again.replayed).toBeNull();
    expect(again.json.id).not.toBe(first.json.id);
  });

  it("an error answer (404) is stored and replayed too", async () => {
    const { key } = await createWorkspace("idem-error");
    const headers = { "idempotency-key": `err-${crypto.randomUUID()}` };
    const first = await api("POST", "/v1/destinations/dst_nope/test", { token: key, headers });
    expect(first.status).toBe(404);
    const again = await api("POST", "/v1/destinations/dst_nope/test", { token: key, headers });
    expect(again.status).toBe(404);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  });

  it("a key is kept 24 h: after that the same key runs again, and housekeeping purges it", async () => {
    const { key } = await createWorkspace("idem-expiry");
    const endpoint = await mockEndpoint();
    const idem = `exp-${crypto.randomUUID()}`;
    const opts = { token: key, headers: { "idempotency-key": idem }, body: { url: endpoint.url } };
    const first = await api("POST", "/v1/destinations", opts);
    expect(first.status).toBe(201);
    await env.DB.prepare("UPDATE idempotency_keys SET created_at = created_at - ?2 WHERE key = ?1").bind(idem, 25 * HOUR).run();
    const later = await api("POST", "/v1/destinations", opts);
    expect(later.status).toBe(201);
    expect(later.headers.get("idempotent-replayed")).toBeNull();
    expect(later.json.id).not.toBe(first.json.id);

    await env.DB.prepare("UPDATE idempotency_keys SET created_at = created_at - ?2 WHERE key = ?1").bind(idem, 25 * HOUR).run();
    const report = await purgeExpired(env, Date.now());
    expect(report.idempotency_keys).toBeGreaterThanOrEqual(1);
    expect(await row(idem)).toBeNull();
  });

  it("a crashed request's claim expires and the key can be used again", async () => {
    const { id, key } = await createWorkspace("idem-stale");
    const endpoint = await mockEndpoint();
    const idem = `stale-${crypto.randomUUID()}`;
    // A claim left by a request that never answered, its lock long gone.
    await env.DB.prepare(
      "INSERT INTO idempotency_keys (scope, key, request_hash, claim, locked_until, created_at) VALUES (?1, ?2, 'x', 'dead', ?3, ?3)",
    )
      .bind(id, idem, Date.now() - 120_000)
      .run();
    const r = await api("POST", "/v1/destinations", { token: key, headers: { "idempotency-key": idem }, body: { url: endpoint.url } });
    expect(r.status, r.text).toBe(201);
  });
});
