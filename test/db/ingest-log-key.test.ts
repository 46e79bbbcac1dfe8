import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { foldRefusalStatements, noteIngestLogReason, type IngestLogEntry } from "../../src/db/ingest-log";
import { newId, timeOfId } from "../../src/lib/ids";

/**
 * The ingest log is keyed (workspace_id, at, id) with no index (migrations/0011): these prove a
 * row is still found by its id (through the time its id carries, or within its fold's minute),
 * and that the log's reads walk the key instead of scanning the table.
 */

const ws = () => `ws_ilk_${crypto.randomUUID().slice(0, 8)}`;

function entry(workspaceId: string, id: string, at: number): IngestLogEntry {
  return { id, workspaceId, sourceId: "src_ilk", at, result: "rejected", reason: "invalid_signature", eventIds: [], httpStatus: 401, detail: {} };
}

async function rowsOf(workspaceId: string) {
  const { results } = await env.DB.prepare("SELECT id, at, count, last_at, reason FROM ingest_log WHERE workspace_id = ?1").bind(workspaceId).all<{
    id: string;
    at: number;
    count: number;
    last_at: number | null;
    reason: string;
  }>();
  return results;
}

describe("the ingest log's key", () => {
  it("an id carries the time it was made, to the millisecond", () => {
    for (const at of [0, 1, 1_765_000_000_123, 2 ** 47 + 5]) expect(timeOfId(newId("ilg", at))).toBe(at);
    expect(timeOfId("ilg_not-base32!")).toBeNaN();
  });

  it("a request's row is updated by its id alone (its time comes from the id)", async () => {
    const workspaceId = ws();
    const at = Date.now();
    const id = newId("ilg", at);
    await env.DB.prepare(
      "INSERT INTO ingest_log (id, workspace_id, source_id, at, result, reason, event_ids, http_status, detail) VALUES (?1, ?2, 'src_ilk', ?3, 'accepted', 'pending_fetch', '[]', 200, '{}')",
    )
      .bind(id, workspaceId, at)
      .run();
    await noteIngestLogReason(env.DB, workspaceId, id, "fetched");
    expect((await rowsOf(workspaceId)).map((r) => r.reason)).toEqual(["fetched"]);
  });

  it("folds written by isolates that first saw different times stay one row per minute", async () => {
    const workspaceId = ws();
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const id = "ilg_fold_ilk";
    // Two isolates: one first saw a refusal 5 s into the minute, the other 2 s in, written in that order.
    await env.DB.batch(foldRefusalStatements(env.DB, entry(workspaceId, id, minute + 5_000), 3, minute + 9_000));
    await env.DB.batch(foldRefusalStatements(env.DB, entry(workspaceId, id, minute + 2_000), 2, minute + 7_000));
    // The next minute's fold of the same source and reason has its own id (src/ingest/refusals.ts) —
    // here the same id a minute on must still make a row of its own.
    await env.DB.batch(foldRefusalStatements(env.DB, entry(workspaceId, id, minute + 61_000), 1, minute + 61_000));
    const rows = (await rowsOf(workspaceId)).sort((a, b) => a.at - b.at);
    expect(rows).toEqual([
      { id, at: minute + 5_000, count: 5, last_at: minute + 9_000, reason: "invalid_signature" },
      { id, at: minute + 61_000, count: 1, last_at: minute + 61_000, reason: "invalid_signature" },
    ]);
  });

  it("the log's reads walk the key: no index, no scan of the table", async () => {
    const plan = async (sql: string) =>
      (await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind("ws_x", 1, 2).all<{ detail: string }>()).results.map((r) => r.detail).join(" | ");
    const page = await plan("SELECT * FROM ingest_log WHERE workspace_id = ?1 AND at < ?2 ORDER BY at DESC, id DESC LIMIT ?3");
    expect(page).toMatch(/SEARCH ingest_log USING PRIMARY KEY \(workspace_id=\? AND at<\?\)/);
    expect(page).not.toMatch(/TEMP B-TREE/);
    const byId = await plan("UPDATE ingest_log SET reason = 'x' WHERE workspace_id = ?1 AND at = ?2 AND id = ?3");
    expect(byId).toMatch(/SEARCH ingest_log USING PRIMARY KEY \(workspace_id=\? AND at=\? AND id=\?\)/);
  });
});
