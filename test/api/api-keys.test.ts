/// <reference types="vite/client" />
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/lib/crypto";
import { csrfOf, page, postForm, signIn } from "../support/dashboard";
import { api, createWorkspace } from "../support/relay";

/** `/v1/api-keys` (CONTRACT.md, Additions, "API keys") and console sessions that end server-side. */

const keysOf = async (key: string) => {
  const r = await api("GET", "/v1/api-keys", { token: key });
  expect(r.status, r.text).toBe(200);
  return r.json.data as Array<{ id: string; name: string; created_at: string; last_used_at: string | null }>;
};

/** A console page through a session cookie: 200 while the session holds, 303 to sign-in once it ended. */
const consoleStatus = async (cookie: string) => (await page("/dashboard/events", cookie)).status;

describe("/v1/api-keys", () => {
  it("lists the workspace's first key as \"default\", with when it was last used", async () => {
    const { key } = await createWorkspace("keys-default");
    const [first, ...rest] = await keysOf(key);
    expect(rest).toEqual([]);
    expect(first).toMatchObject({ name: "default" });
    expect(first!.id).toMatch(/^key_/);
    // Listing used the key: the use is noted (at most once a minute).
    expect((await keysOf(key))[0]!.last_used_at).not.toBeNull();
  });

  it("creates a named key, shown once, that authenticates like the first; revoking it stops it", async () => {
    const { key } = await createWorkspace("keys-create");
    const made = await api("POST", "/v1/api-keys", { token: key, body: { name: "ci" } });
    expect(made.status, made.text).toBe(201);
    expect(made.json).toMatchObject({ name: "ci", last_used_at: null });
    expect(made.json.key).toMatch(/^sk_/);
    expect(made.json.id).toMatch(/^key_/);

    // Only the hash is stored.
    const row = await env.DB.prepare("SELECT * FROM api_keys WHERE id = ?").bind(made.json.id).first<Record<string, unknown>>();
    expect(JSON.stringify(row)).not.toContain(made.json.key);
    expect(row!.key_hash).toBe(await sha256Hex(made.json.key));

    const listed = await keysOf(made.json.key);
    expect(listed.map((k) => k.name)).toEqual(["default", "ci"]);
    expect(JSON.stringify(listed)).not.toContain(made.json.key);
    expect(listed.find((k) => k.name === "ci")!.last_used_at).not.toBeNull();

    const del = await api("DELETE", `/v1/api-keys/${made.json.id}`, { token: key });
    expect(del.status, del.text).toBe(204);
    const after = await api("GET", "/v1/api-keys", { token: made.json.key });
    expect(after.status).toBe(401);
    expect(after.json.error.code).toBe("invalid_api_key");
    expect((await keysOf(key)).map((k) => k.name)).toEqual(["default"]);
  });

  it("refuses to delete the last key (409 last_key), and another workspace's key is not found", async () => {
    const { key } = await createWorkspace("keys-last");
    const [only] = await keysOf(key);
    const last = await api("DELETE", `/v1/api-keys/${only!.id}`, { token: key });
    expect(last.status).toBe(409);
    expect(last.json.error.code).toBe("last_key");

    // With a second key, the first may go, and then the second is the last.
    const second = await api("POST", "/v1/api-keys", { token: key, body: { name: "second" } });
    expect((await api("DELETE", `/v1/api-keys/${only!.id}`, { token: second.json.key })).status).toBe(204);
    expect((await api("GET", "/v1/api-keys", { token: key })).status).toBe(401);
    expect((await api("DELETE", `/v1/api-keys/${second.json.id}`, { token: second.json.key })).json.error.code).toBe("last_key");

    const stranger = await createWorkspace("keys-stranger");
    expect((await api("DELETE", `/v1/api-keys/${second.json.id}`, { token: stranger.key })).status).toBe(404);
    expect((await api("POST", "/v1/api-keys", { token: second.json.key, body: {} })).status).toBe(400);
  });

  it("the migration makes a workspace's original key its \"default\" key", async () => {
    const migrations = import.meta.glob("../../migrations/*_copy_workspace_keys.sql", { query: "?raw", import: "default", eager: true });
    const sql = Object.values(migrations)[0] as string;
    expect(sql).toBeTruthy();
    // A workspace as it stood before api_keys existed: only workspaces.api_key_hash.
    const original = `sk_original_${crypto.randomUUID()}`;
    const id = `ws_premigration${Date.now()}`;
    await env.DB.prepare("INSERT INTO workspaces (id, name, api_key_hash, created_at) VALUES (?1, 'old', ?2, ?3)")
      .bind(id, await sha256Hex(original), Date.now())
      .run();
    expect((await api("GET", "/v1/api-keys", { token: original })).status).toBe(401);
    await env.DB.exec(sql.replace(/^--.*$/gm, "").replace(/\s+/g, " ").trim());
    await env.DB.exec(sql.replace(/^--.*$/gm, "").replace(/\s+/g, " ").trim()); // twice: copies nothing more
    const keys = await keysOf(original);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ name: "default" });
  });
});

describe("console sessions end server-side", () => {
  it("a cookie captured before sign-out no longer works, nor does any other session of that key", async () => {
    const { key } = await createWorkspace("sessions-logout");
    const other = await api("POST", "/v1/api-keys", { token: key, body: { name: "other" } });
    const cookie = await signIn(key);
    const sameKeyElsewhere = await signIn(key);
    const otherKeySession = await signIn(other.json.key);
    const captured = cookie; // what an attacker copied
    expect(await consoleStatus(captured)).toBe(200);

    const events = await page("/dashboard/events", cookie);
    const out = await postForm("/dashboard/logout", { _csrf: csrfOf(events.text) }, { cookie });
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toContain("/dashboard/login");
    expect((await page(out.headers.get("location")!.replace("http://relay.test", ""))).text).toContain("Every console session opened with that API key has ended");

    expect(await consoleStatus(captured)).toBe(303);
    expect(await consoleStatus(sameKeyElsewhere)).toBe(303);
    // A session opened with another key is not touched.
    expect(await consoleStatus(otherKeySession)).toBe(200);
    // Signing in again works, with a new session.
    expect(await consoleStatus(await signIn(key))).toBe(200);
  });

  it("revoking a key ends the sessions opened with it", async () => {
    const { key } = await createWorkspace("sessions-revoke");
    const made = await api("POST", "/v1/api-keys", { token: key, body: { name: "laptop" } });
    const session = await signIn(made.json.key);
    const kept = await signIn(key);
    expect(await consoleStatus(session)).toBe(200);
    expect((await api("DELETE", `/v1/api-keys/${made.json.id}`, { token: key })).status).toBe(204);
    expect(await consoleStatus(session)).toBe(303);
    expect(await consoleStatus(kept)).toBe(200);
    // And the revoked key cannot sign in again.
    expect((await postForm("/dashboard/login", { api_key: made.json.key })).status).toBe(401);
  });
});
