import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { BASE, createWorkspace } from "../support/relay";
import { csrfOf, page, postForm, signIn } from "../support/dashboard";

describe("dashboard sign-in", () => {
  it("offers a form with one field named api_key and a submit button", async () => {
    const res = await page("/dashboard/login");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    const form = res.text.match(/<form[^>]*action="\/dashboard\/login"[^>]*>([\s\S]*?)<\/form>/)?.[1] ?? "";
    const names = [...form.matchAll(/name="([^"]+)"/g)].map((m) => m[1]);
    expect(names).toEqual(["api_key"]);
    expect(form).toMatch(/<button type="submit"/);
  });

  it("sets an HttpOnly, Secure, SameSite=Strict session cookie that does not carry the key", async () => {
    const ws = await createWorkspace("cookie-flags");
    const res = await postForm("/dashboard/login", { api_key: ws.key });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard");
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^shiprelay_session=/);
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).toMatch(/;\s*Secure/i);
    expect(cookie).toMatch(/;\s*SameSite=Strict/i);
    expect(cookie).toMatch(/;\s*Path=\/dashboard/i);
    const value = decodeURIComponent(cookie.split(";")[0]!.slice("shiprelay_session=".length));
    expect(value).not.toContain(ws.key);
    expect(value).not.toContain(ws.id);

    const home = await page("/dashboard", cookie.split(";")[0]);
    expect(home.status).toBe(200);
    expect(home.text).toContain(ws.id);
  });

  it("refuses a wrong key with 401 and no cookie", async () => {
    const res = await postForm("/dashboard/login", { api_key: "sk_not_a_real_key" });
    expect(res.status).toBe(401);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(res.text).toContain("not accepted");
    const empty = await postForm("/dashboard/login", { api_key: "" });
    expect(empty.status).toBe(401);
  });

  it("sends a visitor without a session to the sign-in page, and back after it", async () => {
    const res = await page("/dashboard/events?type=order.shipped");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/dashboard/login?next=${encodeURIComponent("/dashboard/events?type=order.shipped")}`);

    const ws = await createWorkspace("next-page");
    const login = await postForm(`/dashboard/login?next=${encodeURIComponent("/dashboard/events?type=order.shipped")}`, { api_key: ws.key });
    expect(login.headers.get("location")).toBe("/dashboard/events?type=order.shipped");
    const offsite = await postForm(`/dashboard/login?next=${encodeURIComponent("https://evil.example/")}`, { api_key: ws.key });
    expect(offsite.headers.get("location")).toBe("/dashboard");
  });

  it("ignores a tampered or foreign session cookie", async () => {
    const ws = await createWorkspace("tamper");
    const cookie = await signIn(ws.key);
    const [name, value] = cookie.split("=") as [string, string];
    const flipped = value.slice(0, -6) + (value.endsWith("A") ? "B" : "A") + value.slice(-5);
    const res = await page("/dashboard", `${name}=${flipped}`);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toMatch(/^\/dashboard\/login/);
  });

  it("refuses a sign-in posted from another site", async () => {
    const ws = await createWorkspace("cross-site-login");
    const res = await postForm("/dashboard/login", { api_key: ws.key }, { origin: "https://evil.example" });
    expect(res.status).toBe(403);
    expect(res.headers.get("set-cookie")).toBeNull();
    const fetchSite = await postForm("/dashboard/login", { api_key: ws.key }, { origin: null, headers: { "sec-fetch-site": "cross-site" } });
    expect(fetchSite.status).toBe(403);
  });

  it("answers a clear 503 page when ENCRYPTION_KEY is not set", async () => {
    const res = await createApp().request(`${BASE}/dashboard/login`, {}, { ...env, ENCRYPTION_KEY: "" });
    expect(res.status).toBe(503);
    const html = await res.text();
    expect(html).toContain("ENCRYPTION_KEY");
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
  });
});

describe("dashboard CSRF protection", () => {
  it("refuses a POST without the session's token, or from another origin", async () => {
    const ws = await createWorkspace("csrf");
    const cookie = await signIn(ws.key);
    const home = await page("/dashboard", cookie);
    const token = csrfOf(home.text);

    const noToken = await postForm("/dashboard/logout", {}, { cookie });
    expect(noToken.status).toBe(403);
    const wrongToken = await postForm("/dashboard/logout", { _csrf: "x".repeat(token.length) }, { cookie });
    expect(wrongToken.status).toBe(403);
    const crossSite = await postForm("/dashboard/logout", { _csrf: token }, { cookie, origin: "https://evil.example" });
    expect(crossSite.status).toBe(403);
    // Still signed in after all three.
    expect((await page("/dashboard", cookie)).status).toBe(200);

    const ok = await postForm("/dashboard/logout", { _csrf: token }, { cookie });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("set-cookie")).toMatch(/shiprelay_session=;.*Max-Age=0/i);
  });

  it("refuses a POST without a session at all", async () => {
    const res = await postForm("/dashboard/logout", { _csrf: "anything" });
    expect(res.status).toBe(401);
  });

  it("gives each session its own token", async () => {
    const ws = await createWorkspace("csrf-two");
    const a = await signIn(ws.key);
    const b = await signIn(ws.key);
    const tokenA = csrfOf((await page("/dashboard", a)).text);
    const res = await postForm("/dashboard/logout", { _csrf: tokenA }, { cookie: b });
    expect(res.status).toBe(403);
  });
});

describe("dashboard response headers", () => {
  it("forbids framing and caching and only runs its own nonce'd script and style", async () => {
    const res = await page("/dashboard/login");
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'nonce-[^']+'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const nonce = csp.match(/style-src 'nonce-([^']+)'/)?.[1];
    expect(res.text).toContain(`<style nonce="${nonce}">`);
  });
});
