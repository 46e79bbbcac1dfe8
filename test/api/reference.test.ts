import { createExecutionContext, createScheduledController, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import committed from "../../docs/openapi.json";
import pkg from "../../package.json";
import { EVENT_TYPES, RELAY_EVENT_TYPES } from "../../src/events/canonical";
import worker from "../../src/index";
import { signIn, page } from "../support/dashboard";
import { ADMIN_TOKEN, api, BASE, createWorkspace, eventually } from "../support/relay";

/** The reference page, the committed document, and the operator's status route. */

describe("the API reference", () => {
  it("GET /docs serves the interactive reference drawn from /v1/openapi.json; / and the console link to it", async () => {
    const res = await SELF.fetch(`${BASE}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain("/v1/openapi.json");
    expect(html.toLowerCase()).toContain("scalar");
    expect((await api("GET", "/")).json.docs).toBe("/docs");
    const { key } = await createWorkspace("reference-link");
    const dashboard = await page("/dashboard", await signIn(key));
    expect(dashboard.text).toContain('href="/docs"');
  });

  it("the document's webhooks section lists every outbound event type, each with the canonical event as its body", async () => {
    const doc = (await api("GET", "/v1/openapi.json")).json;
    const types = [...EVENT_TYPES, ...RELAY_EVENT_TYPES];
    expect(Object.keys(doc.webhooks).sort()).toEqual([...types].sort());
    for (const t of types) {
      expect(doc.webhooks[t].post.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/CanonicalEvent" });
    }
    expect(doc.components.schemas.CanonicalEvent.required).toContain("type");
  });

  it("every POST is described with its Idempotency-Key header and the 409/422 it can answer", async () => {
    const doc = (await api("GET", "/v1/openapi.json")).json;
    const posts = Object.entries(doc.paths as Record<string, { post?: any }>).filter(([, item]) => item.post);
    expect(posts.length).toBeGreaterThan(5);
    for (const [path, { post }] of posts) {
      expect(post.parameters?.some((p: { name: string; in: string }) => p.name === "Idempotency-Key" && p.in === "header"), path).toBe(true);
      expect(Object.keys(post.responses), path).toEqual(expect.arrayContaining(["409", "422"]));
    }
  });

  it("docs/openapi.json is the document the code serves", async () => {
    const served = (await api("GET", "/v1/openapi.json")).json;
    expect(served, "docs/openapi.json is out of date: run `npm run openapi` and commit docs/openapi.json").toEqual(committed);
  });
});

describe("GET /v1/status", () => {
  it("takes the admin token only", async () => {
    expect((await api("GET", "/v1/status")).status).toBe(401);
    const { key } = await createWorkspace("status-key");
    expect((await api("GET", "/v1/status", { token: key })).status).toBe(401);
  });

  it("shows version, migrations, backlogs, the last cron run and the configuration, never a secret", async () => {
    const scheduledTime = Date.now();
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime, cron: "*/5 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);

    const r = await api("GET", "/v1/status", { token: ADMIN_TOKEN });
    expect(r.status, r.text).toBe(200);
    const s = r.json;
    expect(s.version).toBe(pkg.version);
    expect(s.migrations.applied).toBeGreaterThan(0);
    expect(s.migrations.names).toContain("0000_init.sql");
    expect(s.deliveries).toMatchObject({ open: expect.any(Number), due: expect.any(Number), waiting_on_inactive_destination: expect.any(Number) });
    expect(s.outbox).toMatchObject({ objects_with_backlog: expect.any(Number), waiting: expect.any(Number), set_aside: expect.any(Number) });
    expect(s.last_cron_run).toMatchObject({ scheduled_at: new Date(scheduledTime).toISOString(), ok: true });
    expect(s.config.RETENTION_DAYS).toBe(30);
    expect(s.config.ADMIN_TOKEN).toEqual({ set: true });
    expect(s.config.ENCRYPTION_KEY).toEqual({ set: true });
    expect(s.config.ENCRYPTION_KEY_PREVIOUS).toEqual({ set: false });
    for (const secret of [env.ADMIN_TOKEN, env.ENCRYPTION_KEY]) {
      expect(secret).toBeTruthy();
      expect(r.text).not.toContain(secret);
    }
  });

  it("counts open deliveries waiting on a paused destination", async () => {
    const { key } = await createWorkspace("status-backlog");
    const before = (await api("GET", "/v1/status", { token: ADMIN_TOKEN })).json.deliveries.waiting_on_inactive_destination;
    const src = await api("POST", "/v1/sources", { token: key, body: { name: "g", provider: "generic", verification: { type: "none" } } });
    expect(src.status, src.text).toBe(201);
    await api("POST", "/v1/destinations", { token: key, body: { url: "https://example.com/h", status: "paused" } });
    const ingest = new URL(src.json.ingest_url);
    const sent = await SELF.fetch(`${BASE}${ingest.pathname}${ingest.search}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type: "order.shipped", id: `evt-${crypto.randomUUID()}`, order_id: "o-1" }),
    });
    expect(sent.status, await sent.text()).toBeLessThan(300);
    // The 2xx is the order object's write; its delivery reaches D1 with the outbox's flush.
    const after = await eventually(async () => {
      const d = (await api("GET", "/v1/status", { token: ADMIN_TOKEN })).json.deliveries;
      return d.waiting_on_inactive_destination >= before + 1 ? d : undefined;
    });
    expect(after.waiting_on_inactive_destination).toBeGreaterThanOrEqual(before + 1);
    expect(after.oldest_open_age_seconds).toEqual(expect.any(Number));
  });
});
