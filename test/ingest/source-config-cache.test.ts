import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { configGuardStatement, isStaleConfig } from "../../src/db/workspaces";
import { ingestConfig, reloadIngestConfig } from "../../src/ingest/source-config";
import { mockEndpoint } from "../support/mock";
import { api, atoshipEvent, atoshipWorkspace, createDestination, eventually, hmacHex, ingestPath, postAtoship, settle } from "../support/relay";

/**
 * Ingest keeps each source's config (and its workspace's destinations) in an isolate cache.
 * These prove that a change made after the cache was warmed still applies to the very next
 * callback: the commit guard refuses a fan-out from an old config version and the route redoes
 * it on fresh config, and refusals decided on cached config are re-checked.
 */

async function configVersion(workspaceId: string): Promise<number> {
  return (await env.DB.prepare("SELECT config_version AS v FROM workspaces WHERE id = ?").bind(workspaceId).first<{ v: number }>())!.v;
}

/** The source's ingest log, oldest first (an accepted request's entry is on its event's row, the others are ingest_log rows: the API lists both). */
async function logRows(key: string, sourceId: string) {
  const r = await api("GET", `/v1/ingest-log?source=${sourceId}`, { token: key });
  expect(r.status, r.text).toBe(200);
  return (r.json.data as { result: string; reason: string | null; http_status: number }[]).reverse();
}

async function deliveriesOf(eventId: string) {
  return (await env.DB.prepare("SELECT destination_id, status, enqueued_at FROM deliveries WHERE event_id = ?").bind(eventId).all<{
    destination_id: string;
    status: string;
    enqueued_at: number | null;
  }>()).results;
}

describe("the ingest config cache", () => {
  it("serves the second read from the isolate and sees no version change until config changes", async () => {
    const { ws, source } = await atoshipWorkspace("cache-hit");
    const first = await ingestConfig(env, source.id);
    const second = await ingestConfig(env, source.id);
    expect(first?.cached).toBe(false);
    expect(second?.cached).toBe(true);
    expect(second!.config.configVersion).toBe(await configVersion(ws.id));
    expect(second!.config.source.id).toBe(source.id);
  });

  it("SOURCE_CACHE_TTL_SECONDS = 0 reads D1 every time", async () => {
    const { source } = await atoshipWorkspace("cache-off");
    const off = { ...env, SOURCE_CACHE_TTL_SECONDS: "0" } as Env;
    await ingestConfig(off, source.id);
    expect((await ingestConfig(off, source.id))?.cached).toBe(false);
  });

  it("an unknown source is not found (and nothing is cached for it)", async () => {
    expect(await ingestConfig(env, "src_00000000000000000000000000")).toBeNull();
    expect(await ingestConfig(env, "src_00000000000000000000000000")).toBeNull();
  });
});

describe("config_version triggers", () => {
  it("bump on source and destination changes that ingest reads, not on delivery bookkeeping", async () => {
    const { ws, key, source } = await atoshipWorkspace("version-bumps");
    let v = await configVersion(ws.id);
    expect(v).toBeGreaterThan(0); // creating the source bumped it

    const endpoint = await mockEndpoint();
    const dest = await createDestination(key, { url: endpoint.url });
    expect(await configVersion(ws.id)).toBeGreaterThan(v);
    v = await configVersion(ws.id);

    expect((await api("PATCH", `/v1/destinations/${dest.id}`, { token: key, body: { events: ["order.*"] } })).status).toBe(200);
    expect(await configVersion(ws.id)).toBeGreaterThan(v);
    v = await configVersion(ws.id);

    // What the consumer writes after each attempt does not touch routing: no bump.
    await env.DB.prepare("UPDATE destinations SET consecutive_failures = consecutive_failures + 1, failing_since = 1 WHERE id = ?").bind(dest.id).run();
    expect(await configVersion(ws.id)).toBe(v);

    expect((await api("POST", `/v1/sources/${source.id}/rotate-secret`, { token: key })).status).toBe(200);
    expect(await configVersion(ws.id)).toBeGreaterThan(v);
    v = await configVersion(ws.id);

    expect((await api("DELETE", `/v1/destinations/${dest.id}`, { token: key })).status).toBe(204);
    expect(await configVersion(ws.id)).toBeGreaterThan(v);
  });

  it("the guard statement rolls back the batch it leads when the version moved, and costs nothing when it holds", async () => {
    const { ws } = await atoshipWorkspace("guard");
    const v = await configVersion(ws.id);
    const probe = (id: string) => env.DB.prepare("INSERT INTO ingest_log (id, workspace_id, source_id, at, result, http_status, event_ids, detail) VALUES (?, ?, 'src_x', 0, 'accepted', 200, '[]', '{}')").bind(id, ws.id);

    await env.DB.batch([configGuardStatement(env.DB, ws.id, v), probe("ilg_guard_ok")]);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM ingest_log WHERE id = 'ilg_guard_ok'").first("n")).toBe(1);

    const err = await env.DB.batch([configGuardStatement(env.DB, ws.id, v - 1), probe("ilg_guard_stale")]).catch((e: unknown) => e);
    expect(isStaleConfig(err)).toBe(true);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM ingest_log WHERE id = 'ilg_guard_stale'").first("n")).toBe(0);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM stale_config_guard").first("n")).toBe(0);

    // A workspace that is gone is stale too.
    const gone = await env.DB.batch([configGuardStatement(env.DB, "ws_gone", 0)]).catch((e: unknown) => e);
    expect(isStaleConfig(gone)).toBe(true);
  });
});

describe("changes after the cache is warm apply to the next callback", () => {
  it("a destination created after the cache was warmed receives the very next event", async () => {
    const { ws, key, source } = await atoshipWorkspace("new-destination");
    const a = await mockEndpoint();
    await createDestination(key, { url: a.url });
    expect((await postAtoship(source, atoshipEvent({ data: { order_id: "ord_nd_1" } }))).status).toBe(200);
    const warm = await ingestConfig(env, source.id);
    expect(warm?.cached).toBe(true);
    expect(warm!.config.destinations).toHaveLength(1);

    const b = await mockEndpoint();
    const late = await createDestination(key, { url: b.url });
    const r = await postAtoship(source, atoshipEvent({ data: { order_id: "ord_nd_2" } }));
    expect(r.status).toBe(200);
    const deliveries = await deliveriesOf(r.json.event_ids[0]);
    expect(deliveries.map((d) => d.destination_id)).toContain(late.id);
    expect(deliveries).toHaveLength(2);
    await b.waitForRequests(1);

    // The isolate's cache was still stale (the fan-out is decided by the order object's outbox
    // under the config guard), and the provider's request left exactly one log row.
    const after = await ingestConfig(env, source.id);
    expect(after?.cached).toBe(true);
    expect(after!.config.configVersion).toBeLessThan(await configVersion(ws.id));
    expect((await logRows(key, source.id)).map((l) => l.result)).toEqual(["accepted", "accepted"]);
  });

  it("a destination paused after the cache was warmed holds the next event instead of sending it", async () => {
    const { key, source } = await atoshipWorkspace("paused-after-warm");
    const endpoint = await mockEndpoint();
    const dest = await createDestination(key, { url: endpoint.url });
    expect((await postAtoship(source, atoshipEvent({ data: { order_id: "ord_p_1" } }))).status).toBe(200);
    await endpoint.waitForRequests(1);
    expect((await ingestConfig(env, source.id))?.cached).toBe(true);

    expect((await api("PATCH", `/v1/destinations/${dest.id}`, { token: key, body: { status: "paused" } })).status).toBe(200);
    const r = await postAtoship(source, atoshipEvent({ data: { order_id: "ord_p_2" } }));
    expect(r.status).toBe(200);
    const [held] = await deliveriesOf(r.json.event_ids[0]);
    expect(held).toMatchObject({ destination_id: dest.id, status: "pending", enqueued_at: null });
    await settle(300);
    expect(await endpoint.requests()).toHaveLength(1);
  });

  it("a rotated source secret is honored at once: the new signature is accepted, the old one refused, one log row each", async () => {
    const { key, source } = await atoshipWorkspace("rotated-after-warm");
    expect((await postAtoship(source, atoshipEvent({ data: { order_id: "ord_r_1" } }))).status).toBe(200);
    expect((await ingestConfig(env, source.id))?.cached).toBe(true);

    const rotated = await api("POST", `/v1/sources/${source.id}/rotate-secret`, { token: key });
    expect(rotated.status).toBe(200);
    const newSecret = rotated.json.secret as string;
    expect(newSecret).not.toBe(source.secret);

    const accepted = await postAtoship({ ...source, secret: newSecret }, atoshipEvent({ data: { order_id: "ord_r_2" } }));
    expect(accepted.status, accepted.text).toBe(200);
    const refused = await postAtoship(source, atoshipEvent({ data: { order_id: "ord_r_3" } }));
    expect(refused.status).toBe(401);
    expect((await logRows(key, source.id)).map((l) => `${l.result}:${l.http_status}`)).toEqual(["accepted:200", "accepted:200", "rejected:401"]);
  });

  it("an IP allowlist widened after the cache was warmed admits the new address at once", async () => {
    const { key, source } = await atoshipWorkspace("allowlist-after-warm");
    expect((await api("PATCH", `/v1/sources/${source.id}`, { token: key, body: { ip_allowlist: ["203.0.113.0/24"] } })).status).toBe(200);
    const post = async (ip: string, order: string) => {
      const raw = JSON.stringify(atoshipEvent({ data: { order_id: order } }));
      const headers = { "content-type": "application/json", "cf-connecting-ip": ip, "x-atoship-signature": `sha256=${await hmacHex(source.secret!, raw)}` };
      return api("POST", ingestPath(source), { raw, headers });
    };
    expect((await post("203.0.113.5", "ord_ip_1")).status).toBe(200);
    expect((await ingestConfig(env, source.id))?.cached).toBe(true);

    expect((await api("PATCH", `/v1/sources/${source.id}`, { token: key, body: { ip_allowlist: ["203.0.113.0/24", "198.51.100.0/24"] } })).status).toBe(200);
    expect((await post("198.51.100.7", "ord_ip_2")).status).toBe(200);
    expect((await post("192.0.2.1", "ord_ip_3")).status).toBe(403);
  });

  it("a source deleted after the cache was warmed answers 404 and stores nothing once the isolate re-reads it", async () => {
    const { key, source } = await atoshipWorkspace("deleted-after-warm");
    expect((await postAtoship(source, atoshipEvent({ data: { order_id: "ord_d_1" } }))).status).toBe(200);
    expect((await ingestConfig(env, source.id))?.cached).toBe(true);
    expect((await api("DELETE", `/v1/sources/${source.id}`, { token: key })).status).toBe(204);
    // The ACK no longer reads D1: an isolate that cached the source re-reads it when its entry
    // expires (SOURCE_CACHE_TTL_SECONDS) — here at once.
    expect(await reloadIngestConfig(env, source.id)).toBeNull();

    const r = await postAtoship(source, atoshipEvent({ data: { order_id: "ord_d_2" } }));
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe("not_found");
    await eventually(async () => (await ingestConfig(env, source.id)) === null);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM events WHERE source_id = ?").bind(source.id).first("n")).toBe(1);
  });
});
