import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { BACKLOG_ALERT_MS, backlogStateName, reportBacklog } from "../../src/orders/backlog";
import { outboxBacklog } from "../../src/orders/backlog-summary";
import { mockEndpoint } from "../support/mock";
import { ADMIN_TOKEN, api, atoshipWorkspace, createDestination, eventually } from "../support/relay";

/**
 * An outbox backlog becomes visible once D1 takes writes again (src/orders/backlog.ts): the
 * object's row in relay_state for GET /v1/status and the console, and one relay.outbox.delayed
 * event when it lasted a minute or more.
 */
describe("outbox backlog: reported once D1 can take it", () => {
  it("a backlog of over a minute raises relay.outbox.delayed once, and shows in /v1/status until it clears", async () => {
    const { ws, key } = await atoshipWorkspace("backlog-report");
    const endpoint = await mockEndpoint();
    await createDestination(key, { url: endpoint.url, events: ["relay.*"] });
    const now = Date.now();
    const at = { workspaceId: ws.id, objectId: `obj_${crypto.randomUUID()}`, troubleSince: now - BACKLOG_ALERT_MS - 1000, now };
    const state = { waiting: 2, oldestAt: now - BACKLOG_ALERT_MS - 1000, setAside: 1 };

    expect(await reportBacklog(env, at, state)).toBe("reported");
    expect(await reportBacklog(env, at, state)).toBe("reported"); // the same backlog again: one event
    expect(await outboxBacklog(env.DB, ws.id)).toMatchObject({ objects_with_backlog: 1, waiting: 2, set_aside: 1 });
    const status = await api("GET", "/v1/status", { token: ADMIN_TOKEN });
    expect(status.status).toBe(200);
    expect(status.json.outbox.waiting).toBeGreaterThanOrEqual(2);
    expect(status.json.outbox.set_aside).toBeGreaterThanOrEqual(1);

    const [request] = await endpoint.waitForRequests(1);
    const event = JSON.parse(request!.body);
    expect(event.type).toBe("relay.outbox.delayed");
    expect(event.data).toMatchObject({ waiting: 2, set_aside: 1 });
    expect(event.data.delayed_seconds).toBeGreaterThanOrEqual(60);
    await eventually(async () => (await api("GET", "/v1/events?type=relay.outbox.delayed", { token: key })).json.data.length === 1);

    expect(await reportBacklog(env, { ...at, troubleSince: null, now: Date.now() }, { waiting: 0, oldestAt: null, setAside: 0 })).toBe("cleared");
    expect(await env.DB.prepare("SELECT count(*) AS n FROM relay_state WHERE name = ?").bind(backlogStateName(ws.id, at.objectId)).first("n")).toBe(0);
    expect(await outboxBacklog(env.DB, ws.id)).toMatchObject({ objects_with_backlog: 0, waiting: 0 });
    expect(await endpoint.requests()).toHaveLength(1);
  });

  it("a short backlog is listed while it lasts but raises no event", async () => {
    const { ws, key } = await atoshipWorkspace("backlog-short");
    const endpoint = await mockEndpoint();
    await createDestination(key, { url: endpoint.url, events: ["relay.*"] });
    const now = Date.now();
    const at = { workspaceId: ws.id, objectId: `obj_${crypto.randomUUID()}`, troubleSince: now - 5000, now };
    expect(await reportBacklog(env, at, { waiting: 1, oldestAt: now - 5000, setAside: 0 })).toBe("reported");
    expect(await outboxBacklog(env.DB, ws.id)).toMatchObject({ objects_with_backlog: 1, waiting: 1 });
    expect((await api("GET", "/v1/events?type=relay.outbox.delayed", { token: key })).json.data).toHaveLength(0);
  });
});
