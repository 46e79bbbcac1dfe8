/**
 * Order objects created before the `dedupe` table (src/orders/sequencer.ts) kept their dedupe
 * rows in `seen`, keyed by the dedupe key alone, and each order's counter in `sequences`, a row
 * rewritten on every commit. Such an object keeps answering from them until retention empties
 * them: a retried callback is still a duplicate, an order's sequence still continues. Entries
 * still in their outbox move to `dedupe` when the object starts. Reads only, on the commit
 * path; the tables are dropped once empty.
 */

type Storage = DurableObjectStorage;

/** Moves waiting and set-aside entries to `dedupe`; true while legacy rows remain. */
export function adoptLegacyTables(storage: Storage): boolean {
  const sql = storage.sql;
  const tables = new Set(sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('seen', 'sequences')").toArray().map((t) => t.name));
  if (tables.size === 0) return false;
  if (!tables.has("seen")) sql.exec("CREATE TABLE seen (dedupe_key TEXT PRIMARY KEY, event_id TEXT NOT NULL, sequence INTEGER, committed INTEGER NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID");
  if (!tables.has("sequences")) sql.exec("CREATE TABLE sequences (order_key TEXT PRIMARY KEY, v INTEGER NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID");
  const columns = new Set(sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('seen')").toArray().map((c) => c.name));
  if (columns.has("outbox") && columns.has("aside")) {
    storage.transactionSync(() => {
      // The entry's event says its order key; a log-only entry (a duplicate's row) takes ''.
      sql.exec(
        `INSERT OR IGNORE INTO dedupe (order_key, dedupe_key, event_id, sequence, at, outbox, aside)
           SELECT coalesce(json_extract(coalesce(outbox, json_extract(aside, '$.entry')), '$.event.orderKey'), ''), dedupe_key, event_id, sequence, at, outbox, aside
             FROM seen WHERE outbox IS NOT NULL OR aside IS NOT NULL`,
      );
      sql.exec("DELETE FROM seen WHERE outbox IS NOT NULL OR aside IS NOT NULL");
    });
  }
  return !dropIfEmpty(storage);
}

/** The committed event of a dedupe key in `seen`, if any. */
export function legacyDuplicate(storage: Storage, dedupeKey: string): { event_id: string } | undefined {
  return storage.sql.exec<{ event_id: string }>("SELECT event_id FROM seen WHERE dedupe_key = ? AND committed = 1", dedupeKey).toArray()[0];
}

/** An order's counter in `sequences` (0 when it has none). */
export function legacySequence(storage: Storage, orderKey: string): number {
  return storage.sql.exec<{ v: number }>("SELECT v FROM sequences WHERE order_key = ?", orderKey).toArray()[0]?.v ?? 0;
}

/** Drops what retention has passed (as `dedupe` does); true while legacy rows remain. */
export function expireLegacy(storage: Storage, cutoff: number): boolean {
  storage.sql.exec("DELETE FROM seen WHERE at < ?", cutoff);
  storage.sql.exec("DELETE FROM sequences WHERE at < ?", cutoff);
  return !dropIfEmpty(storage);
}

function dropIfEmpty(storage: Storage): boolean {
  const left = storage.sql.exec<{ n: number }>("SELECT (SELECT count(*) FROM seen) + (SELECT count(*) FROM sequences) AS n").one().n;
  if (left > 0) return false;
  storage.sql.exec("DROP TABLE seen; DROP TABLE sequences");
  return true;
}
