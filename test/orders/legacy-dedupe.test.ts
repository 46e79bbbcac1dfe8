import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { orderShards } from "../../src/lib/config";
import { newId } from "../../src/lib/ids";
import { adoptLegacyTables } from "../../src/orders/legacy-dedupe";
import { sequencerName } from "../../src/orders/identity";
import type { OrderSequencer } from "../../src/orders/sequencer";
import { atoshipEvent, atoshipWorkspace, eventually, postAtoship } from "../support/relay";

const DAY = 86_400_000;

/**
 * An order object from before the `dedupe` table kept its rows in `seen` (keyed by the dedupe
 * key alone) and its counters in `sequences`. After the upgrade it must still answer a retried
 * callback as a duplicate, continue the order's sequence, flush what waited in its outbox, and
 * drop the old tables once retention has emptied them.
 */
describe("an order object from before the dedupe table", () => {
  it("keeps its duplicates, its sequence and its waiting entries, then drops the old tables", async () => {
    const { ws, source } = await atoshipWorkspace("legacy-dedupe");
    const order = `ord_legacy_${crypto.randomUUID().slice(0, 6)}`;
    const payload = atoshipEvent({ data: { order_id: order, label_id: "lbl_legacy" } });
    const first = await postAtoship(source, payload);
    expect(first.status).toBe(200);
    const stub = env.ORDERS.get(env.ORDERS.idFromName(sequencerName(ws.id, `order:${order}`, "", orderShards(env))));
    await eventually(async () => (await stub.outboxState()).waiting === 0);

    const waitingLogId = newId("ilg");
    await runInDurableObject(stub, (instance: OrderSequencer, state) => {
      const sql = state.storage.sql;
      // The tables as the previous design left them: this order's row flushed, a duplicate's log row still waiting.
      sql.exec(`CREATE TABLE seen (dedupe_key TEXT PRIMARY KEY, event_id TEXT NOT NULL, sequence INTEGER, committed INTEGER NOT NULL,
                  at INTEGER NOT NULL, outbox TEXT, aside TEXT) WITHOUT ROWID`);
      sql.exec("CREATE TABLE sequences (order_key TEXT PRIMARY KEY, v INTEGER NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID");
      sql.exec("INSERT INTO seen SELECT dedupe_key, event_id, sequence, 1, at, NULL, NULL FROM dedupe WHERE order_key = ?", `order:${order}`);
      sql.exec("INSERT INTO sequences VALUES (?, 7, ?)", `order:${order}`, Date.now());
      const log = { id: waitingLogId, workspaceId: ws.id, sourceId: source.id, at: Date.now(), result: "duplicate", reason: null, eventIds: [first.json.event_ids[0]], httpStatus: 200, detail: {} };
      sql.exec("INSERT INTO seen VALUES ('h:waiting', ?, NULL, 1, ?, ?, NULL)", first.json.event_ids[0], Date.now(), JSON.stringify({ logs: [log] }));
      sql.exec("DELETE FROM dedupe WHERE order_key = ?", `order:${order}`);
      // What a fresh instance does when the object starts after the upgrade: adopt, then read its outbox anew.
      const fresh = instance as unknown as { legacy: boolean; outbox: { recovered: boolean } };
      fresh.legacy = adoptLegacyTables(state.storage);
      fresh.outbox.recovered = false;
      expect(sql.exec("SELECT count(*) AS n FROM seen WHERE outbox IS NOT NULL").one().n).toBe(0);
      expect(sql.exec("SELECT order_key FROM dedupe WHERE dedupe_key = 'h:waiting'").one().order_key).toBe("");
    });

    // The retry is still a duplicate of the same event.
    const retried = await postAtoship(source, payload);
    expect(retried.json).toMatchObject({ duplicate: true, event_ids: first.json.event_ids });
    // The order's sequence continues from the old counter.
    const next = await postAtoship(source, atoshipEvent({ event: "label.voided", data: { order_id: order, label_id: "lbl_legacy_2" } }));
    expect(next.json.duplicate).toBe(false);
    expect(await stub.peekSequence(`order:${order}`)).toBe(8);
    // The waiting entry was flushed with them.
    await eventually(async () => (await env.DB.prepare("SELECT count(*) AS n FROM ingest_log WHERE id = ?").bind(waitingLogId).first<{ n: number }>())!.n === 1);

    // Retention empties the old tables; they go, and the sequence continues from `dedupe`.
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("UPDATE seen SET at = ?", Date.now() - 31 * DAY);
      state.storage.sql.exec("UPDATE sequences SET at = ?", Date.now() - 31 * DAY);
      state.storage.sql.exec("DELETE FROM meta WHERE k = 'expiry_due'");
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const tables = await runInDurableObject(stub, (_i, state) =>
      state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE name IN ('seen', 'sequences')").toArray(),
    );
    expect(tables).toEqual([]);
    expect(await stub.peekSequence(`order:${order}`)).toBe(8);
  });
});
