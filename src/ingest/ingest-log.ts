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

/**
 * Writes a request's row. An upsert: when a commit wrote "accepted" but a later step failed
 * and the provider was answered 5xx, the row is corrected to what the provider was told.
 */
export function insertIngestLogStatement(db: D1Database, e: IngestLogEntry): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO ingest_log (id, workspace_id, source_id, at, result, reason, event_id, event_ids, http_status, detail)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
       ON CONFLICT (id) DO UPDATE SET result = excluded.result, reason = excluded.reason, event_id = excluded.event_id,
         event_ids = excluded.event_ids, http_status = excluded.http_status`,
    )
    .bind(
      e.id,
      e.workspaceId,
      e.sourceId,
      e.at,
      e.result,
      e.reason,
      e.eventIds[0] ?? null,
      JSON.stringify(e.eventIds),
      e.httpStatus,
      JSON.stringify(e.detail),
    );
}
