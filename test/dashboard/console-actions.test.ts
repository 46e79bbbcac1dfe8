import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { csrfOf, page, postForm, signIn, textOf } from "../support/dashboard";
import { api, createWorkspace, eventually } from "../support/relay";
import { rig, sendEvent, waitForDelivery } from "../delivery/helpers";

/** The console's delivery log (filters by the API's names, select and resend, resend all matching) and its API keys page. */

describe("/dashboard/deliveries", () => {
  it("filters with the API's names in the query string, and resends the selected through the bulk resend", async () => {
    const r = await rig({ retry: { max_attempts: 1 } }, { responses: [{ status: 500 }, { status: 500 }], default: { status: 200 } });
    const a = await sendEvent(r);
    const b = await sendEvent(r);
    const c = await sendEvent(r, { event: "shipment.delivered" });
    const failedA = await waitForDelivery(r.key, r.destination.id, a, "failed");
    await waitForDelivery(r.key, r.destination.id, b, "failed");
    await waitForDelivery(r.key, r.destination.id, c, "succeeded");
    const cookie = await signIn(r.key);

    const failed = await page(`/dashboard/deliveries?status=failed,retrying&type=${encodeURIComponent("label.*")}`, cookie);
    expect(failed.status, failed.text).toBe(200);
    expect((failed.text.match(/data-delivery-id=/g) ?? []).length).toBe(2);
    const byUrl = await page(`/dashboard/deliveries?destination_url=${encodeURIComponent(r.destination.url as string)}&status=succeeded`, cookie);
    expect((byUrl.text.match(/data-delivery-id=/g) ?? []).length).toBe(1);
    // By the event's fields too: its tracking number.
    const tn = await api("GET", `/v1/events/${c}`, { token: r.key });
    const byTracking = await page(`/dashboard/deliveries?tracking_number=${encodeURIComponent(tn.json.shipment.tracking_number)}&type=tracking.updated`, cookie);
    expect((byTracking.text.match(/data-delivery-id=/g) ?? []).length).toBe(1);
    const bad = await page("/dashboard/deliveries?status=lost", cookie);
    expect(bad.status).toBe(400);
    expect(textOf(bad.text)).toContain('"lost"');

    // Resend one selected: a bulk resend, then its live progress page.
    const res = await postForm("/dashboard/deliveries/resend", { _csrf: csrfOf(failed.text), mode: "selected", ids: failedA.id }, { cookie });
    expect(res.status, res.text).toBe(303);
    const progressUrl = res.headers.get("location")!;
    expect(progressUrl).toMatch(/^\/dashboard\/replays\/rpl_/);
    await waitForDelivery(r.key, r.destination.id, a, "succeeded");
    const replayId = progressUrl.split("/").pop()!;
    await eventually(async () => (await api("GET", `/v1/replays/${replayId}`, { token: r.key })).json.done);
    expect(textOf((await page(progressUrl, cookie)).text)).toContain("done");
    // b was not selected: still failed.
    expect((await waitForDelivery(r.key, r.destination.id, b, "failed")).attempt_count).toBe(1);

    // Resend all matching the filter.
    const all = await postForm("/dashboard/deliveries/resend", { _csrf: csrfOf(failed.text), mode: "all", status: "failed" }, { cookie });
    expect(all.status).toBe(303);
    await waitForDelivery(r.key, r.destination.id, b, "succeeded");
    // Nothing matches any more: back to the log with a note.
    const none = await postForm("/dashboard/deliveries/resend", { _csrf: csrfOf(failed.text), mode: "all", status: "failed" }, { cookie });
    expect(none.headers.get("location")).toContain("flash=resend_none");
  });
});

describe("/dashboard/api-keys", () => {
  it("creates a named key shown once, lists it with last use, and revokes it", async () => {
    const { key } = await createWorkspace("console-keys");
    const cookie = await signIn(key);
    const list = await page("/dashboard/api-keys", cookie);
    expect(list.status).toBe(200);
    expect(textOf(list.text)).toContain("default");

    const made = await postForm("/dashboard/api-keys", { _csrf: csrfOf(list.text), name: "warehouse" }, { cookie });
    expect(made.status, made.text).toBe(201);
    const shown = made.text.match(/id="new-key-value"[^>]*value="(sk_[^"]+)"|value="(sk_[^"]+)"[^>]*id="new-key-value"/);
    const newKey = shown?.[1] ?? shown?.[2];
    expect(newKey).toBeTruthy();
    expect((await api("GET", "/v1/api-keys", { token: newKey! })).status).toBe(200);
    // Shown once: the list never shows it again.
    const again = await page("/dashboard/api-keys", cookie);
    expect(again.text).not.toContain(newKey!);
    expect(textOf(again.text)).toContain("warehouse");

    const row = await env.DB.prepare("SELECT id FROM api_keys WHERE name = 'warehouse' AND workspace_id = (SELECT workspace_id FROM api_keys WHERE key_hash = (SELECT api_key_hash FROM workspaces WHERE name = 'console-keys' ORDER BY created_at DESC LIMIT 1))").first<{ id: string }>();
    const revoke = await postForm(`/dashboard/api-keys/${row!.id}/delete`, { _csrf: csrfOf(again.text) }, { cookie });
    expect(revoke.status).toBe(303);
    expect((await api("GET", "/v1/api-keys", { token: newKey! })).status).toBe(401);

    // The last key cannot go.
    const own = await env.DB.prepare("SELECT id FROM api_keys WHERE key_hash = (SELECT api_key_hash FROM workspaces WHERE name = 'console-keys' ORDER BY created_at DESC LIMIT 1)").first<{ id: string }>();
    const last = await postForm(`/dashboard/api-keys/${own!.id}/delete`, { _csrf: csrfOf(again.text) }, { cookie });
    expect(last.status).toBe(409);
    expect(textOf(last.text)).toContain("last API key");
  });
});
