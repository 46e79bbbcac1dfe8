import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import fixture from "../fixtures/shipstation/resources/shipments.page1.json";
import { runFetchJob } from "../../src/ingest/fetch-job";
import { newId } from "../../src/lib/ids";
import { mockEndpoint } from "../support/mock";
import { api, createDestination, createSource, createWorkspace, deliveriesFinished, eventually, ingestPath } from "../support/relay";

const JSON_HEADERS = { "content-type": "application/json" };
/** The documented list-shipments response, as a single page. */
const page1 = { body: { ...fixture.body, page: 1, pages: 1 } };

/** A ShipStation v1 source whose API base is a fake ShipStation on loopback. */
async function shipstationSetup(routes: Record<string, unknown>) {
  const { id: workspaceId, key } = await createWorkspace();
  const provider = await mockEndpoint({ routes: routes as any });
  const source = await createSource(key, {
    provider: "shipstation",
    credentials: { api_key: "ss-key", api_secret: "ss-secret", api_base_url: provider.url },
  });
  const post = (body: unknown) => api("POST", ingestPath(source), { raw: JSON.stringify(body), headers: JSON_HEADERS });
  return { workspaceId, key, provider, source, post };
}

async function logFor(key: string, sourceId: string) {
  return (await api("GET", `/v1/ingest-log?source=${sourceId}`, { token: key })).json.data as any[];
}

describe("pointer callbacks (ShipStation v1): ACK at once, fetch in the background", () => {
  it("answers pending_fetch, then fetches the resource with Basic auth and relays one event per shipment", async () => {
    const { key, provider, source, post } = await shipstationSetup({ "GET /shipments": { status: 200, body: page1.body } });
    const endpoint = await mockEndpoint();
    await createDestination(key, { url: endpoint.url });

    const r = await post({ resource_url: `${provider.url}/shipments?batchId=100301`, resource_type: "SHIP_NOTIFY" });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({ ok: true, event_ids: [], pending_fetch: true });

    const shipments = page1.body.shipments;
    const log = await eventually(async () => {
      const rows = await logFor(key, source.id);
      return rows[0]?.reason === "fetched" ? rows : undefined;
    });
    expect(log[0].event_ids).toHaveLength(shipments.length);

    const [fetchReq] = await provider.requests();
    expect(fetchReq!.method).toBe("GET");
    expect(fetchReq!.headers.authorization).toBe(`Basic ${btoa("ss-key:ss-secret")}`);

    const events = await api("GET", `/v1/events?source=${source.id}`, { token: key });
    expect(events.json.data).toHaveLength(shipments.length);
    const byRef = Object.fromEntries(events.json.data.map((e: any) => [e.order.reference, e]));
    const first = byRef[shipments[0]!.orderNumber];
    expect(first).toMatchObject({ type: "order.shipped", shipment: { tracking_number: shipments[0]!.trackingNumber } });
    await endpoint.waitForRequests(shipments.length);
  });

  it("a repeated pointer callback fetches again but relays no event twice", async () => {
    const { key, provider, source, post } = await shipstationSetup({ "GET /shipments": { status: 200, body: page1.body } });
    const endpoint = await mockEndpoint();
    const dest = await createDestination(key, { url: endpoint.url });
    const pointer = { resource_url: `${provider.url}/shipments?batchId=7`, resource_type: "SHIP_NOTIFY" };
    await post(pointer);
    await eventually(async () => (await logFor(key, source.id))[0]?.reason === "fetched");
    await post(pointer);
    await eventually(async () => (await logFor(key, source.id)).filter((l) => l.reason === "fetched").length === 2);
    const count = await env.DB.prepare("SELECT count(*) AS n FROM events WHERE source_id = ?").bind(source.id).first<{ n: number }>();
    expect(count!.n).toBe(page1.body.shipments.length);
    // Every delivery of the events finished: what the endpoint received is final.
    expect(await deliveriesFinished(key, `destination=${dest.id}`, page1.body.shipments.length)).toHaveLength(page1.body.shipments.length);
    expect(await endpoint.requests()).toHaveLength(page1.body.shipments.length);
  });

  it("never calls a resource_url off the configured API host: keeps the callback as provider.unmapped", async () => {
    const { key, source, post } = await shipstationSetup({});
    const elsewhere = await mockEndpoint();
    // Same fake server, other origin: the rule compares origins, not servers.
    const offHost = elsewhere.url.replace("127.0.0.1", "localhost");
    const r = await post({ resource_url: `${offHost}/steal`, resource_type: "SHIP_NOTIFY" });
    expect(r.status).toBe(200);
    expect(r.json.pending_fetch).toBeUndefined();
    const ev = await api("GET", `/v1/events/${r.json.event_ids[0]}`, { token: key });
    expect(ev.json.type).toBe("provider.unmapped");
    expect(ev.json.data.fetch_refused).toContain("host");
    expect(await elsewhere.requests()).toHaveLength(0);
    expect((await logFor(key, source.id))[0]).toMatchObject({ result: "accepted", reason: "fetch_refused" });
  });

  it("a source without credentials keeps the callback as provider.unmapped instead of fetching", async () => {
    const { key } = await createWorkspace();
    const source = await createSource(key, { provider: "shipstation" });
    const r = await api("POST", ingestPath(source), {
      raw: JSON.stringify({ resource_url: "https://ssapi.shipstation.com/shipments?batchId=1", resource_type: "SHIP_NOTIFY" }),
      headers: JSON_HEADERS,
    });
    const ev = await api("GET", `/v1/events/${r.json.event_ids[0]}`, { token: key });
    expect(ev.json.data.fetch_refused).toContain("credentials");
  });

  it("a failing fetch is logged and retried; once the provider recovers the events follow", async () => {
    const { workspaceId, key, provider, source } = await shipstationSetup({ "GET /shipments": { status: 503, body: "maintenance" } });
    const at = Date.now();
    const job = {
      kind: "fetch" as const,
      workspace_id: workspaceId,
      source_id: source.id,
      ingest_log_id: newId("ilg", at),
      resource_url: `${provider.url}/shipments?batchId=9`,
      resource_type: "SHIP_NOTIFY",
      received_at: at,
      raw: "{}",
    };
    await env.DB.prepare(
      "INSERT INTO ingest_log (id, workspace_id, source_id, at, result, reason, event_ids, http_status, detail) VALUES (?3, (SELECT workspace_id FROM sources WHERE id = ?1), ?1, ?2, 'accepted', 'pending_fetch', '[]', 200, '{}')",
    )
      .bind(source.id, at, job.ingest_log_id)
      .run();
    await expect(runFetchJob(env, job, 1)).rejects.toThrow(/503/);
    expect((await logFor(key, source.id))[0].reason).toMatch(/^fetch_failed \(attempt 1\): .*503/);

    await provider.script({ routes: { "GET /shipments": { status: 200, body: page1.body } } });
    await runFetchJob(env, job, 2);
    const row = (await logFor(key, source.id))[0];
    expect(row.reason).toBe("fetched");
    expect(row.event_ids).toHaveLength(page1.body.shipments.length);
  });

  it("a resource that is not what ShipStation documents is kept as provider.unmapped, not retried forever", async () => {
    const { workspaceId, key, provider, source } = await shipstationSetup({ "GET /shipments": { status: 200, body: { unexpected: true } } });
    const at = Date.now();
    const job = {
      kind: "fetch" as const,
      workspace_id: workspaceId,
      source_id: source.id,
      ingest_log_id: newId("ilg", at),
      resource_url: `${provider.url}/shipments?batchId=10`,
      resource_type: "SHIP_NOTIFY",
      received_at: at,
      raw: "{}",
    };
    await env.DB.prepare(
      "INSERT INTO ingest_log (id, workspace_id, source_id, at, result, reason, event_ids, http_status, detail) VALUES (?3, (SELECT workspace_id FROM sources WHERE id = ?1), ?1, ?2, 'accepted', 'pending_fetch', '[]', 200, '{}')",
    )
      .bind(source.id, at, job.ingest_log_id)
      .run();
    await runFetchJob(env, job, 1);
    const row = (await logFor(key, source.id))[0];
    expect(row.event_ids).toHaveLength(1);
    // The fetched event is durable in its order object; D1 lists it once the outbox has flushed.
    const ev = await eventually(async () => {
      const e = await api("GET", `/v1/events/${row.event_ids[0]}`, { token: key });
      return e.status === 200 ? e : undefined;
    });
    expect(ev.json.type).toBe("provider.unmapped");
    expect(ev.json.data.parse_error).toEqual(expect.any(String));
  });
});
