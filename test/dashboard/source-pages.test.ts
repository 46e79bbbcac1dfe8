import { describe, expect, it } from "vitest";
import { fakeShipStation, SS_KEY, SS_SECRET } from "../registration/fake-providers";
import { csrfOf, page, postForm, signIn, textOf } from "../support/dashboard";
import { api, createWorkspace } from "../support/relay";

/** Sources from the console: a provider preset's own fields, secrets shown once, registration at the provider, delete with unsubscribe. */

describe("console sources", () => {
  it("creates from a preset showing only that provider's fields, shows the URL token once, rotates it", async () => {
    const { key } = await createWorkspace("console-sources");
    const cookie = await signIn(key);
    const atoship = await page("/dashboard/sources/new?provider=atoship", cookie);
    expect(atoship.text).toContain('name="verification.secret"');
    expect(atoship.text).not.toContain('name="credentials.api_key"');
    const shipedge = await page("/dashboard/sources/new?provider=shipedge", cookie);
    expect(shipedge.text).not.toContain('name="verification.secret"');
    expect(textOf(shipedge.text)).toContain("a secret token in the ingest URL");

    const bad = await postForm("/dashboard/sources", { _csrf: csrfOf(atoship.text), provider: "shipedge", name: "", ip_allowlist: "nope" }, { cookie });
    expect(bad.status).toBe(400);
    expect(textOf(bad.text)).toMatch(/name: /);

    const made = await postForm("/dashboard/sources", { _csrf: csrfOf(atoship.text), provider: "shipedge", name: "Edge" }, { cookie });
    expect(made.status, textOf(made.text)).toBe(201);
    const url = made.text.match(/id="ingest-url"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*id="ingest-url"/);
    const ingest = (url?.[1] ?? url?.[2])!.replace(/&amp;/g, "&");
    expect(ingest).toMatch(/\/src_[^?]+\?token=./);
    const [source] = (await api("GET", "/v1/sources", { token: key })).json.data;
    const detail = await page(`/dashboard/sources/${source.id}`, cookie);
    expect(detail.status).toBe(200);
    expect(detail.text).not.toContain(ingest.split("token=")[1]!);

    const rotated = await postForm(`/dashboard/sources/${source.id}/rotate`, { _csrf: csrfOf(detail.text) }, { cookie });
    expect(rotated.status).toBe(200);
    expect(rotated.text).toMatch(/\?token=/);
    expect(rotated.text).not.toContain(ingest.split("token=")[1]!);
  });

  it("registers at the provider, lists each webhook ✓, unsubscribes; delete unsubscribes first", async () => {
    const { key } = await createWorkspace("console-register");
    const cookie = await signIn(key);
    const provider = await fakeShipStation();
    const form = await page("/dashboard/sources/new?provider=shipstation", cookie);
    expect(form.text).toContain('name="credentials.api_secret"');
    const made = await postForm(
      "/dashboard/sources",
      { _csrf: csrfOf(form.text), provider: "shipstation", name: "SS", "credentials.api_key": SS_KEY, "credentials.api_secret": SS_SECRET, "credentials.api_base_url": provider.url },
      { cookie },
    );
    expect(made.status, textOf(made.text)).toBe(201);
    const [source] = (await api("GET", "/v1/sources", { token: key })).json.data;
    const detail = await page(`/dashboard/sources/${source.id}`, cookie);
    const reg = await postForm(`/dashboard/sources/${source.id}/register`, { _csrf: csrfOf(detail.text) }, { cookie });
    expect(reg.status).toBe(303);
    expect(reg.headers.get("location")).toContain("ok=1");
    const subscribed = (await provider.requests()).filter((r) => r.method === "POST");
    expect(subscribed.length).toBeGreaterThan(0);
    // The provider now lists them.
    const { v1Hook } = await import("../registration/fake-providers");
    await provider.script({
      routes: {
        "GET /webhooks": { status: 200, body: { webhooks: subscribed.map((r, i) => v1Hook(5001 + i, JSON.parse(r.body).event, JSON.parse(r.body).target_url)) } },
        "DELETE /webhooks/5001": { status: 200, body: "" },
      },
      default: { status: 200, body: "" },
    });
    const after = await page(reg.headers.get("location")!, cookie);
    expect(textOf(after.text)).toContain("Registered:");
    expect(after.text).toContain('aria-label="registered"');
    expect(after.text).not.toContain(SS_SECRET);

    const unsub = await postForm(`/dashboard/sources/${source.id}/unsubscribe`, { _csrf: csrfOf(after.text) }, { cookie });
    expect(unsub.headers.get("location")).toContain("ok=1");
    const del = await postForm(`/dashboard/sources/${source.id}/delete`, { _csrf: csrfOf(after.text) }, { cookie });
    expect(del.status).toBe(303);
    expect((await api("GET", `/v1/sources/${source.id}`, { token: key })).status).toBe(404);
  });

  it("edits a source by the API's field names, keeping stored credentials unless new ones are typed", async () => {
    const { key } = await createWorkspace("console-source-edit");
    const cookie = await signIn(key);
    const made = await api("POST", "/v1/sources", { token: key, body: { name: "SS", provider: "shipstation", credentials: { api_key: SS_KEY, api_secret: SS_SECRET } } });
    const edit = await page(`/dashboard/sources/${made.json.id}/edit`, cookie);
    expect(edit.status).toBe(200);
    expect(edit.text).toContain('value="SS"');
    expect(edit.text).not.toContain(SS_SECRET);
    const bad = await postForm(`/dashboard/sources/${made.json.id}`, { _csrf: csrfOf(edit.text), name: "SS", ip_allowlist: "not-a-cidr" }, { cookie });
    expect(bad.status).toBe(400);
    expect(textOf(bad.text)).toContain("ip_allowlist.0: must be an IPv4 or IPv6 CIDR");
    const ok = await postForm(`/dashboard/sources/${made.json.id}`, { _csrf: csrfOf(edit.text), name: "SS main", rate_limit_per_minute: "600", ip_allowlist: "10.0.0.0/8" }, { cookie });
    expect(ok.status, textOf(ok.text)).toBe(303);
    const after = (await api("GET", `/v1/sources/${made.json.id}`, { token: key })).json;
    expect(after).toMatchObject({ name: "SS main", rate_limit_per_minute: 600, ip_allowlist: ["10.0.0.0/8"] });
    expect(after.has_credentials).toBe(true);
  });

  it("a delete the provider refuses to unsubscribe says why and offers to delete anyway", async () => {
    const { key } = await createWorkspace("console-source-force");
    const cookie = await signIn(key);
    const provider = await fakeShipStation();
    const made = await api("POST", "/v1/sources", {
      token: key,
      body: { name: "SS", provider: "shipstation", credentials: { api_key: SS_KEY, api_secret: SS_SECRET, api_base_url: provider.url } },
    });
    expect((await api("POST", `/v1/sources/${made.json.id}/register`, { token: key })).status).toBe(200);
    await provider.script({ default: { status: 500, body: { message: "down" } } });
    const confirm = await page(`/dashboard/sources/${made.json.id}/delete`, cookie);
    const refused = await postForm(`/dashboard/sources/${made.json.id}/delete`, { _csrf: csrfOf(confirm.text) }, { cookie });
    expect(refused.status).toBe(409);
    expect(textOf(refused.text)).toContain("could not be removed at the provider");
    expect(refused.text).toMatch(/name="force" value="1"/);
    expect(refused.text).not.toContain(SS_SECRET);
    expect((await api("GET", `/v1/sources/${made.json.id}`, { token: key })).status).toBe(200);
    const forced = await postForm(`/dashboard/sources/${made.json.id}/delete`, { _csrf: csrfOf(confirm.text), force: "1" }, { cookie });
    expect(forced.status).toBe(303);
    expect((await api("GET", `/v1/sources/${made.json.id}`, { token: key })).status).toBe(404);
  });
});
