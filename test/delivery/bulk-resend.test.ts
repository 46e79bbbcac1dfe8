import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runReplayStep } from "../../src/delivery/replay";
import { mockEndpoint } from "../support/mock";
import { api, createDestination, createWorkspace, eventually } from "../support/relay";
import { rig, sendEvent, waitForDelivery, type Rig } from "./helpers";

/** POST /v1/deliveries/retry (CONTRACT.md, Additions, "Bulk resend"): by ids or by the list's filters, each delivery once. */

const T0 = Date.parse("2026-04-01T00:00:00Z");

/** A delivery row as a finished (or open) one stands, two attempts in. */
function seedRow(r: Pick<Rig, "workspaceId">, eventId: string, destinationId: string, id: string, status: string, at: number) {
  const completed = status === "failed" || status === "succeeded" ? at : null;
  return env.DB.prepare(
    `INSERT INTO deliveries (id, workspace_id, event_id, destination_id, event_type, status, attempt_count, attempt_limit,
       next_attempt_at, created_at, updated_at, completed_at)
     VALUES (?1, ?2, ?3, ?4, 'label.created', ?5, 2, 2, ?6, ?6, ?6, ?7)`,
  ).bind(id, r.workspaceId, eventId, destinationId, status, status === "failed" || status === "succeeded" ? at : at + 3_600_000 * 24 * 365, completed);
}

async function progress(key: string, id: string) {
  const r = await api("GET", `/v1/replays/${id}`, { token: key });
  expect(r.status, r.text).toBe(200);
  return r.json as { kind: string; destination_id: string | null; total: number; sent: number; succeeded: number; failed: number; done: boolean };
}
const finished = (key: string, id: string) =>
  eventually(async () => {
    const p = await progress(key, id);
    return p.done ? p : undefined;
  });

describe("POST /v1/deliveries/retry", () => {
  it("by ids: re-sends each finished delivery picked, once, to its own destination; open ones and other workspaces' are not taken", async () => {
    const r = await rig({ auto_disable: { after_failed_deliveries: 0 } });
    const second = await mockEndpoint({ default: { status: 200 } });
    const dst2 = await createDestination(r.key, { url: second.url, events: ["order.*"] });
    const eventId = await sendEvent(r);
    await waitForDelivery(r.key, r.destination.id, eventId, "succeeded");
    const stranger = await rig();
    const strangerEvent = await sendEvent(stranger);
    await waitForDelivery(stranger.key, stranger.destination.id, strangerEvent, "succeeded");

    const tag = `b${Date.now()}`;
    await env.DB.batch([
      seedRow(r, eventId, r.destination.id, `dlv_${tag}a1`, "failed", T0),
      seedRow(r, eventId, r.destination.id, `dlv_${tag}a2`, "succeeded", T0 + 1),
      seedRow(r, eventId, dst2.id, `dlv_${tag}b1`, "failed", T0 + 2),
      seedRow(r, eventId, r.destination.id, `dlv_${tag}open`, "retrying", T0 + 3),
      seedRow(r, eventId, r.destination.id, `dlv_${tag}notpicked`, "failed", T0 + 4),
      seedRow(stranger, strangerEvent, stranger.destination.id, `dlv_${tag}foreign`, "failed", T0 + 5),
    ]);
    const ids = [`dlv_${tag}a1`, `dlv_${tag}a2`, `dlv_${tag}b1`, `dlv_${tag}open`, `dlv_${tag}foreign`, `dlv_${tag}a1`];
    const res = await api("POST", "/v1/deliveries/retry", { token: r.key, body: { ids } });
    expect(res.status, res.text).toBe(202);
    expect(res.json.id).toMatch(/^rpl_/);
    expect(res.json.queued).toBe(3);
    // Walkers racing the job (a redelivered message): still once each.
    await Promise.all([runReplayStep(env, res.json.id, 1), runReplayStep(env, res.json.id, 1)]);

    const done = await finished(r.key, res.json.id);
    expect(done).toMatchObject({ kind: "bulk", destination_id: null, total: 3, sent: 3, succeeded: 3, failed: 0 });
    const first = (await r.endpoint.requests()).slice(1).map((q) => `${q.headers["webhook-id"]}#${q.headers["webhook-attempt"]}`);
    expect(first.sort()).toEqual([`dlv_${tag}a1#3`, `dlv_${tag}a2#3`]);
    expect((await second.requests()).map((q) => `${q.headers["webhook-id"]}#${q.headers["webhook-attempt"]}`)).toEqual([`dlv_${tag}b1#3`]);
    expect((await stranger.endpoint.requests()).map((q) => q.headers["webhook-id"])).not.toContain(`dlv_${tag}foreign`);
    const row = (id: string) => env.DB.prepare("SELECT status, attempt_count FROM deliveries WHERE id = ?").bind(id).first();
    expect(await row(`dlv_${tag}open`)).toEqual({ status: "retrying", attempt_count: 2 });
    expect(await row(`dlv_${tag}notpicked`)).toEqual({ status: "failed", attempt_count: 2 });
    expect(await row(`dlv_${tag}foreign`)).toEqual({ status: "failed", attempt_count: 2 });
    // Another workspace cannot see the replay.
    expect((await api("GET", `/v1/replays/${res.json.id}`, { token: stranger.key })).status).toBe(404);
  });

  it("by filter: takes the list's filters by their names (status, destination_url, type, since/until)", async () => {
    const r = await rig({ auto_disable: { after_failed_deliveries: 0 } });
    const second = await mockEndpoint({ default: { status: 200 } });
    const dst2 = await createDestination(r.key, { url: second.url, events: ["order.*"] });
    const eventId = await sendEvent(r);
    await waitForDelivery(r.key, r.destination.id, eventId, "succeeded");
    const tag = `f${Date.now()}`;
    await env.DB.batch([
      seedRow(r, eventId, r.destination.id, `dlv_${tag}x1`, "failed", T0),
      seedRow(r, eventId, r.destination.id, `dlv_${tag}x2`, "failed", T0 + 1),
      seedRow(r, eventId, r.destination.id, `dlv_${tag}ok`, "succeeded", T0 + 2),
      seedRow(r, eventId, dst2.id, `dlv_${tag}y1`, "failed", T0 + 3),
    ]);
    const res = await api("POST", "/v1/deliveries/retry", {
      token: r.key,
      body: { filter: { status: "failed,retrying", destination_url: r.destination.url, type: "label.*", until: new Date(T0 + 60_000).toISOString() } },
    });
    expect(res.status, res.text).toBe(202);
    expect(res.json.queued).toBe(2);
    expect(await finished(r.key, res.json.id)).toMatchObject({ total: 2, sent: 2, succeeded: 2 });
    const sent = (await r.endpoint.requests()).slice(1).map((q) => q.headers["webhook-id"]);
    expect(sent.sort()).toEqual([`dlv_${tag}x1`, `dlv_${tag}x2`]);
    expect(await second.requests()).toEqual([]);

    // Nothing matches: done at once.
    const none = await api("POST", "/v1/deliveries/retry", { token: r.key, body: { filter: { status: "failed", destination: "dst_nope" } } });
    expect(none.json.queued).toBe(0);
    expect(await progress(r.key, none.json.id)).toMatchObject({ total: 0, done: true });
  });

  it("refuses neither or both, unknown statuses (named), and bad ids", async () => {
    const { key } = await createWorkspace("bulk-errors");
    const post = (body: unknown) => api("POST", "/v1/deliveries/retry", { token: key, body });
    expect((await post({})).status).toBe(400);
    expect((await post({ ids: ["dlv_a"], filter: {} })).status).toBe(400);
    expect((await post({ ids: [] })).status).toBe(400);
    const bad = await post({ filter: { status: "failed,lost" } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('"lost"');
    expect((await post({ ids: Array.from({ length: 1001 }, (_, i) => `dlv_${i}`) })).status).toBe(400);
  });
});
