import { jsonColumns, jsonRowsStatements } from "../db/json-rows";

/**
 * The ingest log: one row for every request a source received, accepted or not, with why.
 * It never stores secrets or the request's auth headers.
 */
export interface IngestLogEntry {
  id: string;
  workspaceId: string;
  sourceId: string;
  at: number;
  result: "accepted" | "duplicate" | "rejected";
  reason: string | null;
  eventIds: string[];
  httpStatus: number;
  detail: Record<string, unknown>;
}

/** On a second write of a row, what the provider was told wins (see below). */
const ON_CONFLICT = `ON CONFLICT (id) DO UPDATE SET result = excluded.result, reason = excluded.reason, event_id = excluded.event_id,
         event_ids = excluded.event_ids, http_status = excluded.http_status`;

const COLUMNS = ["id", "workspace_id", "source_id", "at", "result", "reason", "event_id", "event_ids", "http_status", "detail"];

/** The D1 row of an entry, in COLUMNS' names. */
function ingestLogRow(e: IngestLogEntry) {
  return {
    id: e.id,
    workspace_id: e.workspaceId,
    source_id: e.sourceId,
    at: e.at,
    result: e.result,
    reason: e.reason,
    event_id: e.eventIds[0] ?? null,
    event_ids: JSON.stringify(e.eventIds),
    http_status: e.httpStatus,
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
    .prepare(`INSERT INTO ingest_log (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map((_, i) => `?${i + 1}`).join(", ")}) ${ON_CONFLICT}`)
    .bind(...COLUMNS.map((c) => row[c as keyof typeof row]));
}

/** The same upsert for many entries, one statement per slice (the order objects' group commit). `WHERE true` lets SQLite parse the ON CONFLICT after a SELECT. */
export function upsertIngestLogStatements(db: D1Database, entries: IngestLogEntry[]): D1PreparedStatement[] {
  return jsonRowsStatements(
    db,
    `INSERT INTO ingest_log (${COLUMNS.join(", ")}) SELECT ${jsonColumns(COLUMNS)} FROM json_each(?1) r WHERE true ${ON_CONFLICT}`,
    entries.map(ingestLogRow),
  );
}
