import { describe, expect, it } from "vitest";
import { csrfOf, page, postForm, signIn, textOf } from "../support/dashboard";
import { mockEndpoint } from "../support/mock";
import { api, atoshipWorkspace, verifyDelivery } from "../support/relay";
import { sendEvent } from "../delivery/helpers";

/** Destinations from the console: the API's field names and messages, secrets shown once, stats with the 24 h chart. */

describe("console destinations", () => {
  it("creates with every option by the API's names, shows each validation message next to its field, edits, rotates, deletes", async () => {
    const { key, source } = await atoshipWorkspace("console-destinations");
    const cookie = await signIn(key);
    const hook = await mockEndpoint({ default: { status: 200 } });
    const form = await page("/dashboard/destinations/new", cookie);
    expect(form.status).toBe(200);
    for (const name of ["url", "events", "sources", "filter", "headers", "auth.type", "retry.max_attempts", "retry.schedule_seconds", "timeout_ms", "rate_limit_per_minute", "ordering", "backup_url"]) {
      expect(form.text).toContain(`name="${name}"`);
    }
    const csrf = csrfOf(form.text);

    // The API's own messages, each next to its field.
    const bad = await postForm("/dashboard/destinations", { _csrf: csrf, url: "ftp://x", events: "Nope!", "retry.max_attempts": "99", filter: "{" }, { cookie });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/id="err-events"[^>]*>events\.0: must be an event type or a prefix\.\* pattern/);
    expect(bad.text).toMatch(/id="err-retry.max_attempts"/);
    expect(bad.text).toMatch(/id="err-filter"[^>]*>filter: not valid JSON/);
    const badUrl = await postForm("/dashboard/destinations", { _csrf: csrf, url: "ftp://x" }, { cookie });
    expect(badUrl.text).toMatch(/id="err-url"[^>]*>url: /);

    const made = await postForm(
      "/dashboard/destinations",
      {
        _csrf: csrf,
        name: "Warehouse",
        url: hook.url,
        events: "label.*, tracking.*",
        sources: source.id,
        headers: "X-Api-Key: hdr-secret-value-9",
        "auth.type": "bearer",
        "auth.token": "bearer-secret-token-7",
        "retry.max_attempts": "3",
        "retry.schedule_seconds": "60, 120",
        timeout_ms: "5000",
        ordering: "per_order",
      },
      { cookie },
    );
    expect(made.status, textOf(made.text)).toBe(201);
    const secret = made.text.match(/id="signing-secret"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*id="signing-secret"/);
    const signingSecret = secret?.[1] ?? secret?.[2];
    expect(signingSecret).toMatch(/^whsec_/);
    const list = (await api("GET", "/v1/destinations", { token: key })).json.data;
    expect(list).toHaveLength(1);
    const d = list[0];
    expect(d).toMatchObject({ name: "Warehouse", url: hook.url, events: ["label.*", "tracking.*"], sources: [source.id], ordering: "per_order", timeout_ms: 5000 });
    expect(d.retry).toEqual({ max_attempts: 3, schedule_seconds: [60, 120] });

    // A delivery is signed with the secret shown once.
    await sendEvent({ source });
    const [req] = await hook.waitForRequests(1);
    expect(req!.headers["x-api-key"]).toBe("hdr-secret-value-9");
    expect(req!.headers.authorization).toBe("Bearer bearer-secret-token-7");
    verifyDelivery(req!, signingSecret!);

    // Edit.
    const edit = await page(`/dashboard/destinations/${d.id}/edit`, cookie);
    expect(edit.text).toContain('value="Warehouse"');
    expect(edit.text).not.toContain("hdr-secret-value-9");
    const saved = await postForm(`/dashboard/destinations/${d.id}`, { _csrf: csrf, name: "Warehouse EU", url: hook.url, events: "label.*", ordering: "unordered", "retry.max_attempts": "2", "retry.schedule_seconds": "60" }, { cookie });
    expect(saved.status, textOf(saved.text)).toBe(303);
    expect((await api("GET", `/v1/destinations/${d.id}`, { token: key })).json).toMatchObject({ name: "Warehouse EU", events: ["label.*"], headers: { "X-Api-Key": "[redacted]" } });

    // The stats page: success rate, last success, the chart.
    const stats = await page(`/dashboard/destinations/${d.id}`, cookie);
    expect(stats.status).toBe(200);
    expect(stats.text).toContain('<svg id="hour-chart"');
    expect(stats.text).toContain("1 attempts, 0 failed, in the last 24 hours");

    // Send test: the request as sent (secrets redacted) and the response.
    const tested = await postForm(`/dashboard/destinations/${d.id}/test`, { _csrf: csrf }, { cookie });
    expect(tested.status).toBe(200);
    const request = textOf(tested.text.match(/<pre id="test-request">([\s\S]*?)<\/pre>/)?.[1] ?? "");
    expect(request).toContain(`POST ${hook.url}`);
    expect(request).toContain("x-api-key: [redacted]");
    expect(request).toContain("authorization: Bearer [redacted]");
    expect(tested.text).not.toContain("hdr-secret-value-9");
    expect(tested.text).not.toContain("bearer-secret-token-7");

    // Rotate: a new secret, shown once.
    const rotated = await postForm(`/dashboard/destinations/${d.id}/rotate`, { _csrf: csrf }, { cookie });
    expect(rotated.status).toBe(200);
    expect(rotated.text).toContain('id="signing-secret"');
    expect(rotated.text).not.toContain(signingSecret!);

    // Delete, after a confirmation page.
    const confirm = await page(`/dashboard/destinations/${d.id}/delete`, cookie);
    expect(textOf(confirm.text)).toContain("cannot be undone");
    expect((await postForm(`/dashboard/destinations/${d.id}/delete`, { _csrf: csrf }, { cookie })).status).toBe(303);
    expect((await api("GET", `/v1/destinations/${d.id}`, { token: key })).status).toBe(404);
  });
});
