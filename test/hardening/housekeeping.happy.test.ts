import { createExecutionContext, createScheduledController, env, runDurableObjectAlarm, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { purgeExpired, runHousekeeping } from "../../src/housekeeping";
import { newId } from "../../src/lib/ids";
import { orderShards } from "../../src/lib/config";
import { sequencerName } from "../../src/orders/identity";
import { mockEndpoint } from "../support/mock";
import { api, atoshipEvent, atoshipWorkspace, createDestination, eventually, postAtoship, waitForDeliveryStatus } from "../support/relay";

const DAY = 86_400_000;

/** Runs the Worker's cron handler as Cloudflare would, at `scheduledTime`. */
async function runCron(scheduledTime: number) {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime, cron: "*/5 * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

async function count(table: string, where = "1 = 1", ...binds: unknown[]): Promise<number> {
  const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).bind(...binds).first<{ n: number }>();
  return row!.n;
}

async function waitForCount(n: number, table: string, where: string, ...binds: unknown[]) {
  await eventually(async () => (await count(table, where, ...binds)) >= n, 15_000);
}

async function insertDeadLetter(at: number) {
  await env.DB.prepare("INSERT INTO dead_letters (id, queue, body, at) VALUES (?1, 'shiprelay-deliveries', '{}', ?2)").bind(newId("dlq", at), at).run();
}

/**
 * A replay row as the replay walk leaves it: walked (done), or still walking — then it looks
 * freshly moved even to a cron run weeks ahead, so the sweep does not resume its walk.
 */
async function insertReplay(workspaceId: string, destinationId: string, done: boolean, at: number): Promise<string> {
  const id = newId("rpl", at);
  await env.DB.prepare(
    `INSERT INTO replays (id, workspace_id, destination_id, filter, total, succeeded, failed, walked_at, created_at, updated_at)
     VALUES (?1, ?2, ?3, '{"status":"failed","since":null,"until":null}', 1, 1, 0, ?4, ?5, ?6)`,
  )
    .bind(id, workspaceId, destinationId, done ? at : null, at, done ? at : at + 365 * DAY)
    .run();
  return id;
}

describe("retention purge (the cron)", () => {
  it("keeps everything younger than RETENTION_DAYS (30), then purges the finished log and keeps what still waits", async () => {
    const { ws, key, source } = await atoshipWorkspace("retention");
    const endpoint = await mockEndpoint({ routes: { "POST /fail": { status: 500 } } });
    const ok = await createDestination(key, { url: endpoint.url });
    const failing = await createDestination(key, { url: `${endpoint.url}/fail`, retry: { max_attempts: 1, schedule_seconds: [60] } });
    const paused = await createDestination(key, { url: endpoint.url, status: "paused", events: ["label.voided"] });

    expect((await postAtoship(source, atoshipEvent({ data: { order_id: "ord_ret_1" } }))).status).toBe(200);
    const voided = await postAtoship(source, atoshipEvent({ event: "label.voided", data: { order_id: "ord_ret_2" } }));
    expect(voided.status).toBe(200);
    await postAtoship({ ingest_url: source.ingest_url, secret: "wrong" }, atoshipEvent()); // a rejected request in the log
    await waitForCount(2, "deliveries", "destination_id = ?1 AND status = 'succeeded'", ok.id);
    await waitForCount(2, "deliveries", "destination_id = ?1 AND status = 'failed'", failing.id);
    const now = Date.now();
    await insertDeadLetter(now);
    const finishedReplay = await insertReplay(ws.id, paused.id, true, now);
    const walkingReplay = await insertReplay(ws.id, paused.id, false, now);

    const before = {
      events: await count("events", "workspace_id = ?1", ws.id),
      deliveries: await count("deliveries", "workspace_id = ?1", ws.id),
      attempts: await count("attempts", "workspace_id = ?1", ws.id),
      ingest_log: await count("ingest_log", "workspace_id = ?1", ws.id),
    };
    expect(before).toMatchObject({ events: 2 });
    // The failing destination's two attempts are rows; the two first-time successes live on their delivery rows.
    expect(before.attempts).toBe(2);
    expect(await count("deliveries", "destination_id = ?1 AND first_attempt_at IS NOT NULL", ok.id)).toBe(2);
    expect(await count("deliveries", "destination_id = ?1 AND status = 'pending'", paused.id)).toBe(1);

    await runCron(now + 29 * DAY);
    expect(await count("events", "workspace_id = ?1", ws.id)).toBe(before.events);
    expect(await count("attempts", "workspace_id = ?1", ws.id)).toBe(before.attempts);
    expect(await count("ingest_log", "workspace_id = ?1", ws.id)).toBe(before.ingest_log);

    await runCron(now + 31 * DAY);
    expect(await count("deliveries", "workspace_id = ?1 AND status IN ('succeeded', 'failed')", ws.id)).toBe(0);
    expect(await count("attempts", "workspace_id = ?1", ws.id)).toBe(0);
    expect(await count("ingest_log", "workspace_id = ?1", ws.id)).toBe(0);
    expect(await count("dead_letters")).toBe(0);
    expect(await count("replays", "id = ?1", finishedReplay)).toBe(0);
    expect(await count("replays", "id = ?1", walkingReplay)).toBe(1); // a replay still walking is not touched
    // The held delivery (its destination is paused) and its event stay: it can still go out.
    expect(await count("deliveries", "destination_id = ?1 AND status = 'pending'", paused.id)).toBe(1);
    const events = await api("GET", "/v1/events", { token: key });
    expect(events.json.data.map((e: { id: string }) => e.id)).toEqual(voided.json.event_ids);
    // Configuration is never purged.
    expect((await api("GET", `/v1/sources/${source.id}`, { token: key })).status).toBe(200);
    expect((await api("GET", `/v1/destinations/${paused.id}`, { token: key })).status).toBe(200);

    // Once it is delivered and ages out, it goes too.
    const resumed = await api("PATCH", `/v1/destinations/${paused.id}`, { token: key, body: { status: "active" } });
    expect(resumed.status).toBe(200);
    await waitForDeliveryStatus(key, paused.id, "succeeded");
    await runCron(Date.now() + 31 * DAY);
    expect(await count("events", "workspace_id = ?1", ws.id)).toBe(0);
    expect(await count("deliveries", "workspace_id = ?1", ws.id)).toBe(0);
  });

  it("works in bounded batches: a backlog drains over several runs", async () => {
    const { ws, key, source } = await atoshipWorkspace("retention-batches");
    for (let i = 0; i < 7; i++) {
      // Each twice: the accepted request's log entry is on its event's row, the duplicate's is an ingest_log row.
      for (let copy = 0; copy < 2; copy++) expect((await postAtoship(source, atoshipEvent({ data: { order_id: `ord_batch_${i}` } }))).status).toBe(200);
    }
    expect((await api("GET", "/v1/ingest-log?limit=100", { token: key })).json.data).toHaveLength(14);
    const later = Date.now() + 31 * DAY;
    const first = await purgeExpired(env, later, { batchSize: 2, maxBatches: 2 });
    expect(first.events).toBe(4);
    expect(first.ingest_log).toBe(4);
    expect(await count("events", "workspace_id = ?1", ws.id)).toBe(3);
    const second = await purgeExpired(env, later, { batchSize: 2, maxBatches: 2 });
    expect(second.events).toBe(3);
    expect(second.ingest_log).toBe(3);
    expect(await count("events", "workspace_id = ?1", ws.id)).toBe(0);
    // The accepted requests' entries went with their events.
    expect((await api("GET", "/v1/ingest-log?limit=100", { token: key })).json.data).toEqual([]);
    expect(await purgeExpired(env, later, { batchSize: 2, maxBatches: 2 })).toMatchObject({ events: 0, ingest_log: 0 });
  });

  it("RETENTION_DAYS sets the window", async () => {
    const { ws, source } = await atoshipWorkspace("retention-days");
    expect((await postAtoship(source, atoshipEvent({ data: { order_id: "ord_days" } }))).status).toBe(200);
    const inTwoDays = Date.now() + 2 * DAY;
    await purgeExpired({ ...env, RETENTION_DAYS: "3" } as Env, inTwoDays);
    expect(await count("events", "workspace_id = ?1", ws.id)).toBe(1);
    await purgeExpired({ ...env, RETENTION_DAYS: "1" } as Env, inTwoDays);
    expect(await count("events", "workspace_id = ?1", ws.id)).toBe(0);
    // Nonsense is an error naming the variable, never "purge everything"; unset means 30 days.
    expect((await postAtoship(source, atoshipEvent({ data: { order_id: "ord_days_2" } }))).status).toBe(200);
    for (const bad of ["0", "-1", "abc", "1.5"]) {
      await expect(purgeExpired({ ...env, RETENTION_DAYS: bad } as Env, inTwoDays), bad).rejects.toThrow(/RETENTION_DAYS/);
      expect(await count("events", "workspace_id = ?1", ws.id), bad).toBe(1);
    }
    await purgeExpired({ ...env, RETENTION_DAYS: "" } as Env, inTwoDays);
    expect(await count("events", "workspace_id = ?1", ws.id)).toBe(1);
  });
});

describe("the cron's steps are independent", () => {
  it("a failing step (an unusable ENCRYPTION_KEY_PREVIOUS) does not stop the purge, and the run reports the failure", async () => {
    const { ws, source } = await atoshipWorkspace("cron-steps");
    expect((await postAtoship(source, atoshipEvent({ data: { order_id: "ord_steps" } }))).status).toBe(200);
    await expect(runHousekeeping({ ...env, ENCRYPTION_KEY_PREVIOUS: "not-a-key" } as Env, Date.now() + 31 * DAY)).rejects.toThrow(/reseal/);
    expect(await count("events", "workspace_id = ?1", ws.id)).toBe(0);
  });
});

describe("the order Durable Objects' dedupe state expires with the retention", () => {
  it("the alarm drops entries older than the retention and keeps the rest; a re-sent event is then new", async () => {
    const { ws, key, source } = await atoshipWorkspace("dedupe-expiry");
    const endpoint = await mockEndpoint();
    const dest = await createDestination(key, { url: endpoint.url });
    const old = atoshipEvent({ data: { order_id: "ord_expiry", label_id: "lbl_old" } });
    const recent = atoshipEvent({ event: "label.voided", data: { order_id: "ord_expiry", label_id: "lbl_recent" } });
    expect((await postAtoship(source, old)).json.duplicate).toBe(false);
    expect((await postAtoship(source, recent)).json.duplicate).toBe(false);
    const stub = env.ORDERS.get(env.ORDERS.idFromName(sequencerName(ws.id, "order:ord_expiry", "", orderShards(env))));

    const entries = await runInDurableObject(stub, async (_instance, state) => {
      expect(await state.storage.getAlarm()).not.toBeNull();
      // Age the first entry past the 30-day retention.
      const rows = state.storage.sql.exec<{ dedupe_key: string }>("SELECT dedupe_key FROM dedupe ORDER BY sequence").toArray();
      state.storage.sql.exec("UPDATE dedupe SET at = ? WHERE dedupe_key = ?", Date.now() - 31 * DAY, rows[0]!.dedupe_key);
      return rows.length;
    });
    expect(entries).toBe(2);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const left = await runInDurableObject(stub, async (_instance, state) => ({
      seen: state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM dedupe").one().n,
      alarm: await state.storage.getAlarm(),
    }));
    expect(left.seen).toBe(1);
    expect(left.alarm).not.toBeNull(); // re-armed while entries remain

    expect((await postAtoship(source, recent)).json.duplicate).toBe(true);
    // The forgotten one is accepted again; its event row still exists, so it maps to the same
    // event and delivery and nothing is sent twice.
    const again = await postAtoship(source, old);
    expect(again.json.duplicate).toBe(false);
    await endpoint.waitForRequests(2);
    expect((await api("GET", `/v1/deliveries?destination=${dest.id}`, { token: key })).json.data).toHaveLength(2);
    const sentIds = (await endpoint.requests()).map((r) => r.headers["webhook-id"]);
    expect(new Set(sentIds).size).toBe(sentIds.length);
  });

  it("an object whose entries all expired stops re-arming its alarm", async () => {
    const { ws, source } = await atoshipWorkspace("dedupe-expiry-all");
    expect((await postAtoship(source, atoshipEvent({ data: { order_id: "ord_expiry_all" } }))).status).toBe(200);
    const stub = env.ORDERS.get(env.ORDERS.idFromName(sequencerName(ws.id, "order:ord_expiry_all", "", orderShards(env))));
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE dedupe SET at = ?", Date.now() - 31 * DAY);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(alarm).toBeNull();
  });
});
