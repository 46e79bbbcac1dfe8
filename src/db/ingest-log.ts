import { and, eq, gte, lt } from "drizzle-orm";
import type { Db } from "./client";
import { keyset, oneOf } from "./where";
import type { Keyset } from "../lib/pagination";
import { jsonInsertColumns, jsonRowsStatements } from "./json-rows";
import { timeOfId } from "../lib/ids";
import { ingestLog, type INGEST_RESULTS } from "./schema";

/**
 * The ingest log: one row for every request a source received, accepted or not, with why.
 * It never stores secrets or the request's auth headers.
 */
export type IngestLogRow = typeof ingestLog.$inferSelect;
export type IngestResult = (typeof INGEST_RESULTS)[number];

/** A row as ingest writes it: every event id (the first becomes `event_id`), and what the request was. */
export type IngestLogEntry = Omit<IngestLogRow, "eventId" | "eventIds" | "detail" | "count" | "lastAt"> & {
  eventIds: string[];
  detail: Record<string, unknown>;
};

const KEYS = ["id", "workspaceId", "sourceId", "at", "result", "reason", "eventId", "eventIds", "httpStatus", "detail"] as const;
const COLUMNS = jsonInsertColumns(ingestLog, KEYS);

/** On a second write of a row, what the provider was told wins (see below). */
const ON_CONFLICT = `ON CONFLICT (workspace_id, at, id) DO UPDATE SET result = excluded.result, reason = excluded.reason, event_id = excluded.event_id,
         event_ids = excluded.event_ids, http_status = excluded.http_status`;

/** The D1 values of an entry, in KEYS' order (JSON columns as their text). */
function ingestLogRow(e: IngestLogEntry): Record<(typeof KEYS)[number], string | number | null> {
  return {
    id: e.id,
    workspaceId: e.workspaceId,
    sourceId: e.sourceId,
    at: e.at,
    result: e.result,
    reason: e.reason,
    eventId: e.eventIds[0] ?? null,
    eventIds: JSON.stringify(e.eventIds),
    httpStatus: e.httpStatus,
    detail: JSON.stringify(e.detail),
  };
}

/**
 * Writes a request's row. An upsert: when a commit wrote "accepted" but a later step failed
 * and the provider was answered 5xx, the row is corrected to what the provider was told.
 */
export function insertIngestLogStatement(db: D1Database, e: IngestLogEntry): D1PreparedStatement {
  const row = ingestLogRow(e);
  return db
    .prepare(`INSERT INTO ingest_log (${COLUMNS.names}) VALUES (${KEYS.map((_, i) => `?${i + 1}`).join(", ")}) ${ON_CONFLICT}`)
    .bind(...KEYS.map((k) => row[k]));
}

/**
 * Adds `count` refusals to a folded row (one per source, reason and minute; the caller derives
 * its id): the first write creates it with the sample request's detail and time, later ones only
 * move `count` and `last_at` — one row written either way. Isolates fold apart and first see
 * different times, so the row is found by its id within its minute (the key's range), not by its
 * exact `at`; the two statements run as one batch, which D1 runs as one transaction.
 */
export function foldRefusalStatements(db: D1Database, e: IngestLogEntry, count: number, lastAt: number): D1PreparedStatement[] {
  const row = ingestLogRow(e);
  const minute = Math.floor(e.at / 60_000) * 60_000;
  const inItsMinute = `workspace_id = ?1 AND at >= ?2 AND at < ?3 AND id = ?4`;
  const n = KEYS.length;
  return [
    db
      .prepare(`UPDATE ingest_log SET count = count + ?5, last_at = max(coalesce(last_at, at), ?6) WHERE ${inItsMinute}`)
      .bind(e.workspaceId, minute, minute + 60_000, e.id, count, lastAt),
    db
      .prepare(
        `INSERT INTO ingest_log (${COLUMNS.names}, count, last_at) SELECT ${KEYS.map((_, i) => `?${i + 1}`).join(", ")}, ?${n + 1}, ?${n + 2}
          WHERE NOT EXISTS (SELECT 1 FROM ingest_log WHERE workspace_id = ?${n + 3} AND at >= ?${n + 4} AND at < ?${n + 5} AND id = ?${n + 6})`,
      )
      .bind(...KEYS.map((k) => row[k]), count, lastAt, e.workspaceId, minute, minute + 60_000, e.id),
  ];
}

/** The same upsert for many entries, one statement per slice (the order objects' group commit). `WHERE true` lets SQLite parse the ON CONFLICT after a SELECT. */
export function upsertIngestLogStatements(db: D1Database, entries: IngestLogEntry[]): D1PreparedStatement[] {
  return jsonRowsStatements(
    db,
    `INSERT INTO ingest_log (${COLUMNS.names}) SELECT ${COLUMNS.values} FROM json_each(?1) r WHERE true ${ON_CONFLICT}`,
    entries.map(ingestLogRow),
  );
}

/** A request's row, found by its key: the workspace, and the time its `ilg_` id carries (src/lib/ids.ts). */
const BY_REQUEST_ID = "workspace_id = ?1 AND at = ?2 AND id = ?3";

/** Replaces a request's reason (what a pointer fetch job made of its callback so far). */
export async function noteIngestLogReason(db: D1Database, workspaceId: string, id: string, reason: string): Promise<void> {
  await db.prepare(`UPDATE ingest_log SET reason = ?4 WHERE ${BY_REQUEST_ID}`).bind(workspaceId, timeOfId(id), id, reason).run();
}

/** Records the events a pointer fetch job committed on its callback's row. */
export async function recordFetchedEvents(db: D1Database, workspaceId: string, id: string, reason: string, eventIds: string[]): Promise<void> {
  await db
    .prepare(`UPDATE ingest_log SET reason = ?4, event_id = ?5, event_ids = ?6 WHERE ${BY_REQUEST_ID}`)
    .bind(workspaceId, timeOfId(id), id, reason, eventIds[0] ?? null, JSON.stringify(eventIds))
    .run();
}

/** What the ingest log can be searched by; shared by `GET /v1/ingest-log` and the console. */
export interface IngestLogFilter {
  /** Source ids, any of them. */
  sources?: string[];
  results?: IngestResult[];
  /** Unix ms, inclusive. */
  since?: number;
  /** Unix ms, exclusive. */
  until?: number;
}

/** Up to `limit` rows of a workspace's log matching `filter` from the keyset position `from` (at, id), in its direction. */
export function selectIngestLog(db: Db, workspaceId: string, filter: IngestLogFilter, from: Keyset, limit: number): Promise<IngestLogRow[]> {
  const k = keyset(ingestLog.at, ingestLog.id, from);
  return db
    .select()
    .from(ingestLog)
    .where(
      and(
        eq(ingestLog.workspaceId, workspaceId),
        oneOf(ingestLog.sourceId, filter.sources),
        oneOf(ingestLog.result, filter.results),
        filter.since !== undefined ? gte(ingestLog.at, filter.since) : undefined,
        filter.until !== undefined ? lt(ingestLog.at, filter.until) : undefined,
        k.where,
      ),
    )
    .orderBy(...k.orderBy)
    .limit(limit);
}

/** Deletes up to `limit` of a workspace's rows older than `cutoff`; how many went (retention). */
export async function purgeIngestLog(db: D1Database, workspaceId: string, cutoff: number, limit: number): Promise<number> {
  const r = await db
    .prepare(
      `DELETE FROM ingest_log WHERE workspace_id = ?1 AND at < ?2
          AND (at, id) IN (SELECT at, id FROM ingest_log WHERE workspace_id = ?1 AND at < ?2 ORDER BY at LIMIT ?3)`,
    )
    .bind(workspaceId, cutoff, limit)
    .run();
  return r.meta.changes;
}

/**
 * A source's accepted and duplicate requests per provider event, with the newest time: the
 * event is the `resource_type` logged for a pointer callback, else the provider event of the
 * first event the request produced (null when neither is known). Provider registration's
 * trigger counts (src/registration/stats.ts).
 */
export async function triggerCountsByEvent(db: D1Database, workspaceId: string, sourceId: string) {
  const { results } = await db
    .prepare(
      `SELECT COALESCE(json_extract(l.detail, '$.resource_type'), json_extract(e.body, '$.source.event')) AS event,
              COUNT(*) AS n, MAX(l.at) AS last_at
         FROM ingest_log l LEFT JOIN events e ON e.id = l.event_id
        WHERE l.workspace_id = ?1 AND l.source_id = ?2 AND l.result IN ('accepted', 'duplicate')
        GROUP BY 1`,
    )
    .bind(workspaceId, sourceId)
    .all<{ event: string | null; n: number; last_at: number | null }>();
  return results;
}
