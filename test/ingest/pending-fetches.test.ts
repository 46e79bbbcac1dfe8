import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import fixture from "../fixtures/shipstation/resources/shipments.page1.json";
import { sweepPendingFetches } from "../../src/ingest/pending-fetches";
import { newId } from "../../src/lib/ids";
import { consumeDeadLetters } from "../../src/delivery/dead-letters";
import { consumeJobs, keepDeadFetchJob } from "../../src/jobs/consumer";
import { mockEndpoint } from "../support/mock";
import { api, createDestination, createSource, createWorkspace, deliveriesFinished, eventually } from "../support/relay";

/**
 * A pointer callback was answered 200 pending_fetch: its events are owed. When the jobs queue
 * spends its retries on a provider that is down, the fetch stays pending and visible, raises
 * relay.fetch.failing once, and is tried again (sweep, on demand) until fetched or discarded.
 */
const page1 = { ...fixture.body, page: 1, pages: 1 };
const shipments = page1.shipments.length;
let n = 0;

async function pointerSetup() {
  const { id: workspaceId, key } = await createWorkspace("pending-fetch");
  const provider = await mockEndpoint({ routes: { "GET /shipments": { status: 503, body: "maintenance" } } });
  const source = await createSource(key, {
    provider: "shipstation",
    credentials: { api_key: "ss-key", api_secret: "ss-secret", api_base_url: provider.url },
  });
  const endpoint = await mockEndpoint();
  const destination = await createDestination(key, { url: endpoint.url });
  const relayInbox = await mockEndpoint();
  await createDestination(key, { url: relayInbox.url, events: ["relay.*"] });
  // The callback as ingest logged it (not posted through /in, so no queue job of its own races this test).
  const receivedAt = Date.now();
  const ingestLogId = newId("ilg", receivedAt);
  ++n;
  await env.DB.prepare(
    "INSERT INTO ingest_log (id, workspace_id, source_id, at, result, reason, event_ids, http_status, detail) VALUES (?1, ?2, ?3, ?4, 'accepted', 'pending_fetch', '[]', 200, '{}')",
  )
    .bind(ingestLogId, workspaceId, source.id, receivedAt)
    .run();
  const job = {
    kind: "fetch" as const,
    workspace_id: workspaceId,
    source_id: source.id,
    ingest_log_id: ingestLogId,
    resource_url: `${provider.url}/shipments?batchId=${n}`,
    resource_type: "SHIP_NOTIFY",
    received_at: Date.now(),
    raw: "{}",
  };
  return { key, provider, source, endpoint, destination, relayInbox, job, ingestLogId };
}

/** The jobs queue delivering the fetch job for its `attempts`-th time. */
async function runJob(body: unknown, attempts: number) {
  const batch = createMessageBatch("shiprelay-jobs", [{ id: `job-${attempts}-${Math.random()}`, body, attempts, timestamp: new Date() }]);
  const ctx = createExecutionContext();
  await consumeJobs(batch, env);
  return getQueueResult(batch, ctx);
}

const pendingOf = async (key: string) => (await api("GET", "/v1/pending-fetches", { token: key })).json.data as any[];
const logReason = async (key: string, sourceId: string) => (await api("GET", `/v1/ingest-log?source=${sourceId}`, { token: key })).json.data[0]?.reason;

describe("pointer fetches that fail for good stay pending", () => {
  it("down for the whole retry budget, then up: listed, relay.fetch.failing once, retried on demand, fetched and delivered once", async () => {
    const s = await pointerSetup();
    const early = await runJob(s.job, 3);
    expect(early.retryMessages).toHaveLength(1); // within the budget: the queue retries
    expect(await pendingOf(s.key)).toHaveLength(0);

    const last = await runJob(s.job, 20);
    expect(last.explicitAcks).toHaveLength(1); // never left to the dead-letter queue
    expect(last.retryMessages).toHaveLength(0);
    const [pending] = await pendingOf(s.key);
    expect(pending).toMatchObject({ source_id: s.source.id, ingest_log_id: s.ingestLogId, resource_type: "SHIP_NOTIFY", attempts: 20 });
    expect(pending.last_error).toMatch(/503/);
    expect(Date.parse(pending.next_try_at)).toBeGreaterThan(Date.now());
    expect(await logReason(s.key, s.source.id)).toMatch(/^fetch_failing: /);

    // A second give-up of the same callback (a duplicate message) is counted, not raised again.
    await runJob(s.job, 21);
    expect(await pendingOf(s.key)).toHaveLength(1);
    const relayRequests = await s.relayInbox.waitForRequests(1);
    const failing = relayRequests.map((r) => JSON.parse(r.body)).filter((b) => b.type === "relay.fetch.failing");
    expect(failing).toHaveLength(1);
    expect(failing[0].data).toMatchObject({ pending_fetch_id: pending.id, source_id: s.source.id, attempts: 20 });
    const relayEvents = await api("GET", "/v1/events?type=relay.fetch.failing", { token: s.key });
    expect(relayEvents.json.data).toHaveLength(1);

    // On demand, still down: one more failed try, still pending.
    const tryNow = await api("POST", `/v1/pending-fetches/${pending.id}/retry`, { token: s.key });
    expect(tryNow.status, tryNow.text).toBe(202);
    await eventually(async () => (await pendingOf(s.key))[0]?.attempts === 22);

    // The provider is back: the next try fetches, the callback leaves the list, its events are delivered once.
    await s.provider.script({ routes: { "GET /shipments": { status: 200, body: page1 } } });
    expect((await api("POST", `/v1/pending-fetches/${pending.id}/retry`, { token: s.key })).status).toBe(202);
    await eventually(async () => (await pendingOf(s.key)).length === 0);
    expect(await logReason(s.key, s.source.id)).toBe("fetched");
    expect(await deliveriesFinished(s.key, `destination=${s.destination.id}`, shipments)).toHaveLength(shipments);
    expect(await s.endpoint.requests()).toHaveLength(shipments);
    expect(failing).toHaveLength(1);
  });

  it("the housekeeping sweep tries due pending fetches again, with backoff", async () => {
    const s = await pointerSetup();
    await runJob(s.job, 20);
    const [pending] = await pendingOf(s.key);
    // Not due yet: nothing queued.
    await sweepPendingFetches(env, Date.now());
    expect((await pendingOf(s.key))[0].attempts).toBe(20);

    await s.provider.script({ routes: { "GET /shipments": { status: 200, body: page1 } } });
    expect(await sweepPendingFetches(env, Date.parse(pending.next_try_at))).toBeGreaterThanOrEqual(1);
    await eventually(async () => (await pendingOf(s.key)).length === 0);
    expect(await deliveriesFinished(s.key, `destination=${s.destination.id}`, shipments)).toHaveLength(shipments);
  });

  it("discard: the callback leaves the list, is never tried again, and its log row says so", async () => {
    const s = await pointerSetup();
    await runJob(s.job, 20);
    const [pending] = await pendingOf(s.key);
    const other = await createWorkspace("pending-other");
    expect((await api("DELETE", `/v1/pending-fetches/${pending.id}`, { token: other.key })).status).toBe(404);
    expect((await api("POST", `/v1/pending-fetches/${pending.id}/retry`, { token: other.key })).status).toBe(404);
    expect((await api("DELETE", `/v1/pending-fetches/${pending.id}`, { token: s.key })).status).toBe(204);
    expect(await pendingOf(s.key)).toHaveLength(0);
    expect(await logReason(s.key, s.source.id)).toBe("fetch_discarded");
    expect((await api("DELETE", `/v1/pending-fetches/${pending.id}`, { token: s.key })).status).toBe(404);
  });

  it("a fetch job that reached the dead-letter queue all the same becomes a pending fetch", async () => {
    const s = await pointerSetup();
    const batch = createMessageBatch("shiprelay-dead-letters", [{ id: "dead-fetch", body: s.job, attempts: 1, timestamp: new Date() }]);
    const ctx = createExecutionContext();
    await consumeDeadLetters(batch, env, keepDeadFetchJob);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["dead-fetch"]);
    const [pending] = await pendingOf(s.key);
    expect(pending).toMatchObject({ ingest_log_id: s.ingestLogId, source_id: s.source.id });
  });
});
