import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runReplayStep } from "../../src/delivery/replay";
import { sweepStuckDeliveries } from "../../src/delivery/sweep";
import { api, createWorkspace, eventually } from "../support/relay";
import { deliveriesOf, rig, sendEvent, waitForDelivery, type Rig } from "./helpers";

/**
 * Seeds `count` finished deliveries of one real event to the rig's destination, one a
 * minute apart from `from` — the bulk a replay walks (the real D1, just many rows at once).
 */
async function seed(r: Rig, eventId: string, count: number, status: "failed" | "succeeded", from: number, tag: string) {
  const statements: D1PreparedStatement[] = [];
  for (let i = 0; i < count; i++) {
    const at = from + i * 60_000;
    statements.push(
      env.DB.prepare(
        `INSERT INTO deliveries (id, workspace_id, event_id, destination_id, event_type, status, attempt_count, attempt_limit,
           next_attempt_at, order_key, sequence, last_status_code, created_at, updated_at, completed_at)
         VALUES (?1, ?2, ?3, ?4, 'label.created', ?5, 2, 2, ?6, NULL, NULL, 503, ?6, ?6, ?6)`,
      ).bind(`dlv_seed${tag}${String(i).padStart(5, "0")}`, r.workspaceId, eventId, r.destination.id, status, at),
    );
  }
  for (let i = 0; i < statements.length; i += 100) await env.DB.batch(statements.slice(i, i + 100));
}

const T0 = Date.parse("2026-03-01T00:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();

async function replayStatus(key: string, id: string) {
  const r = await api("GET", `/v1/replays/${id}`, { token: key });
  expect(r.status, r.text).toBe(200);
  return r.json as { id: string; total: number; sent: number; succeeded: number; failed: number; done: boolean };
}

describe("replay of a time range", () => {
  it("re-sends every matching failed delivery exactly once, in the background, and reports its progress", async () => {
    // 30 failures in a row would otherwise (rightly) auto-disable the destination mid-replay.
    const r = await rig({ retry: { max_attempts: 1, schedule_seconds: [1] }, auto_disable: { after_failed_deliveries: 0 } });
    const eventId = await sendEvent(r);
    await waitForDelivery(r.key, r.destination.id, eventId, "succeeded");
    // 230 failed in range (three pages), plus rows the filter must leave alone.
    await seed(r, eventId, 230, "failed", T0, "a");
    await seed(r, eventId, 5, "succeeded", T0 + 30_000, "b");
    await seed(r, eventId, 5, "failed", T0 - 10 * 60_000, "c"); // before `since`
    await seed(r, eventId, 5, "failed", T0 + 240 * 60_000, "d"); // at/after `until`
    await r.endpoint.script({ responses: Array.from({ length: 30 }, () => ({ status: 500 })), default: { status: 200 } });

    const res = await api("POST", `/v1/destinations/${r.destination.id}/replay`, {
      token: r.key,
      body: { since: iso(T0), until: iso(T0 + 240 * 60_000), status: "failed" },
    });
    expect(res.status, res.text).toBe(202);
    expect(res.json.id).toMatch(/^rpl_/);
    expect(res.json.queued).toBe(230);

    // Extra walkers racing the job: a redelivered job message must never send a delivery twice.
    await Promise.all([runReplayStep(env, res.json.id, 1), runReplayStep(env, res.json.id, 2)]);

    const final = await eventually(async () => {
      const s = await replayStatus(r.key, res.json.id);
      return s.done ? s : undefined;
    }, 40_000);
    expect(final).toEqual({ ...final, total: 230, sent: 230, succeeded: 200, failed: 30, done: true });

    const reqs = (await r.endpoint.requests()).slice(1); // after the first, live delivery
    const ids = reqs.map((q) => q.headers["webhook-id"]!);
    expect(ids).toHaveLength(230);
    expect(new Set(ids).size).toBe(230);
    expect(ids.every((id) => id.startsWith("dlv_seeda"))).toBe(true);
    // Each got exactly one more attempt, numbered after its earlier two.
    expect(new Set(reqs.map((q) => q.headers["webhook-attempt"]))).toEqual(new Set(["3"]));

    const all = await deliveriesOf(r.key, r.destination.id);
    const byTag = (tag: string) => all.filter((d) => d.id.startsWith(`dlv_seed${tag}`));
    expect(byTag("a").filter((d) => d.status === "succeeded")).toHaveLength(200);
    expect(byTag("a").filter((d) => d.status === "failed")).toHaveLength(30);
    expect(byTag("b").every((d) => d.attempt_count === 2 && d.status === "succeeded")).toBe(true);
    expect([...byTag("c"), ...byTag("d")].every((d) => d.attempt_count === 2 && d.status === "failed")).toBe(true);
  });

  it("replays succeeded deliveries when asked, and an empty match is done at once", async () => {
    const r = await rig();
    const eventId = await sendEvent(r);
    await waitForDelivery(r.key, r.destination.id, eventId, "succeeded");

    const empty = await api("POST", `/v1/destinations/${r.destination.id}/replay`, { token: r.key, body: { status: "failed" } });
    expect(empty.status).toBe(202);
    expect(empty.json.queued).toBe(0);
    expect(await replayStatus(r.key, empty.json.id)).toMatchObject({ total: 0, sent: 0, done: true });

    const res = await api("POST", `/v1/destinations/${r.destination.id}/replay`, { token: r.key, body: { status: "succeeded" } });
    expect(res.status).toBe(202);
    expect(res.json.queued).toBe(1);
    const s = await eventually(async () => {
      const st = await replayStatus(r.key, res.json.id);
      return st.done ? st : undefined;
    });
    expect(s).toMatchObject({ total: 1, sent: 1, succeeded: 1, failed: 0 });
    const reqs = await r.endpoint.requests();
    expect(reqs.map((q) => q.headers["webhook-attempt"])).toEqual(["1", "2"]);
    expect(reqs[1]!.headers["webhook-id"]).toBe(reqs[0]!.headers["webhook-id"]);
  });

  it("reopens a replayed delivery as a manual retry does: one more attempt at least, and never fewer than it had left", async () => {
    const r = await rig();
    const eventId = await sendEvent(r);
    await waitForDelivery(r.key, r.destination.id, eventId, "succeeded");
    // One failed with attempts to spare (failed without exhausting them, e.g. its event was deleted), one exhausted.
    const seedFailed = (id: string, count: number, limit: number) =>
      env.DB.prepare(
        `INSERT INTO deliveries (id, workspace_id, event_id, destination_id, event_type, status, attempt_count, attempt_limit,
           next_attempt_at, created_at, updated_at, completed_at)
         VALUES (?1, ?2, ?3, ?4, 'label.created', 'failed', ?5, ?6, ?7, ?7, ?7, ?7)`,
      )
        .bind(id, r.workspaceId, eventId, r.destination.id, count, limit, T0)
        .run();
    await seedFailed("dlv_seedlimitspare", 1, 4);
    await seedFailed("dlv_seedlimitspent", 2, 2);

    const res = await api("POST", `/v1/destinations/${r.destination.id}/replay`, { token: r.key, body: { since: iso(T0), status: "failed" } });
    expect(res.status, res.text).toBe(202);
    expect(res.json.queued).toBe(2);
    await eventually(async () => (await replayStatus(r.key, res.json.id)).done);
    const limits = await env.DB.prepare("SELECT id, attempt_limit FROM deliveries WHERE id IN ('dlv_seedlimitspare', 'dlv_seedlimitspent') ORDER BY id")
      .all<{ id: string; attempt_limit: number }>();
    expect(limits.results).toEqual([
      { id: "dlv_seedlimitspare", attempt_limit: 4 },
      { id: "dlv_seedlimitspent", attempt_limit: 3 },
    ]);
  });

  it("defaults to every failed delivery when sent without a body", async () => {
    const r = await rig({ retry: { max_attempts: 1 } }, { responses: [{ status: 500 }], default: { status: 200 } });
    const eventId = await sendEvent(r);
    await waitForDelivery(r.key, r.destination.id, eventId, "failed");
    const res = await api("POST", `/v1/destinations/${r.destination.id}/replay`, { token: r.key });
    expect(res.status, res.text).toBe(202);
    expect(res.json.queued).toBe(1);
    await waitForDelivery(r.key, r.destination.id, eventId, "succeeded");
  });
});

describe("replay recovery", () => {
  it("resumes a walk whose job was lost (crashed before it was queued, or dead-lettered) from the housekeeping sweep", async () => {
    const r = await rig({ retry: { max_attempts: 1 } }, { responses: [{ status: 500 }], default: { status: 200 } });
    const eventId = await sendEvent(r);
    const failed = await waitForDelivery(r.key, r.destination.id, eventId, "failed");
    // The replay row as a request that died right after writing it leaves it: no job ever sent.
    const id = `rpl_lost${Date.now()}`;
    const createdAt = Date.now();
    await env.DB.prepare(
      `INSERT INTO replays (id, workspace_id, destination_id, filter, total, succeeded, failed, walked_at, cursor, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, 1, 0, 0, NULL, NULL, ?5, ?5)`,
    )
      .bind(id, r.workspaceId, r.destination.id, JSON.stringify({ status: "failed", since: null, until: null }), createdAt)
      .run();
    expect(await replayStatus(r.key, id)).toMatchObject({ total: 1, sent: 0, done: false });

    await sweepStuckDeliveries(env, createdAt + 16 * 60_000);
    const done = await eventually(async () => {
      const s = await replayStatus(r.key, id);
      return s.done ? s : undefined;
    });
    expect(done).toMatchObject({ total: 1, sent: 1, succeeded: 1, failed: 0 });
    expect((await waitForDelivery(r.key, r.destination.id, eventId, "succeeded")).id).toBe(failed.id);
    expect(await r.endpoint.requests()).toHaveLength(2);
  });
});

describe("replay errors", () => {
  it("refuses bad input with the field named, and hides other workspaces' replays", async () => {
    const r = await rig();
    const post = (body: unknown) => api("POST", `/v1/destinations/${r.destination.id}/replay`, { token: r.key, body });

    const backwards = await post({ since: iso(T0), until: iso(T0 - 1) });
    expect(backwards.status).toBe(400);
    expect(backwards.json.error).toMatchObject({ code: "invalid_request", message: "until: must be later than since" });
    const pending = await post({ status: "pending" });
    expect(pending.status).toBe(400);
    expect(pending.json.error.message).toMatch(/^status/);
    const notDate = await post({ since: "yesterday" });
    expect(notDate.status).toBe(400);
    expect(notDate.json.error.message).toMatch(/^since/);

    const missing = await api("POST", "/v1/destinations/dst_nope/replay", { token: r.key, body: {} });
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe("not_found");

    const ok = await post({});
    expect(ok.status).toBe(202);
    const other = await createWorkspace("other");
    expect((await api("GET", `/v1/replays/${ok.json.id}`, { token: other.key })).status).toBe(404);
    expect((await api("POST", `/v1/destinations/${r.destination.id}/replay`, { token: other.key, body: {} })).status).toBe(404);
    expect((await api("GET", "/v1/replays/rpl_nope", { token: r.key })).status).toBe(404);
  });
});
