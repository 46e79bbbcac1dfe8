import type { Keyset } from "../lib/pagination";
import { jsonInsertColumns, jsonRowsStatements } from "./json-rows";
import { timeOfId } from "../lib/ids";
import type { EventRow } from "./events";
import { ingestLog, type EventRequest, type INGEST_RESULTS } from "./schema";

/**
 * The ingest log: one entry for every request a source received, accepted or not, with why.
 * It never stores secrets or the request's auth headers. An accepted request's entry is kept
 * on the row of the event it brought (`events.request`, placeLogs below); every other entry is
 * an `ingest_log` row. selectIngestLog and triggerCountsByEvent read both.
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
 * Writes a request's row. An upsert: a row written again is corrected to what the provider was
 * told. When a commit did land (its event carries the accepted entry) but the provider was
 * answered 5xx, the 503 row has the entry's id and the listing shows it instead (NOT_SHADOWED).
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
  /** The fold's row, its four values bound from `?first` on: workspace, minute, next minute, id. */
  const inItsMinute = (first: number) => `workspace_id = ?${first} AND at >= ?${first + 1} AND at < ?${first + 2} AND id = ?${first + 3}`;
  const fold = [e.workspaceId, minute, minute + 60_000, e.id];
  const n = KEYS.length;
  return [
    db.prepare(`UPDATE ingest_log SET count = count + ?5, last_at = max(coalesce(last_at, at), ?6) WHERE ${inItsMinute(1)}`).bind(...fold, count, lastAt),
    db
      .prepare(
        `INSERT INTO ingest_log (${COLUMNS.names}, count, last_at) SELECT ${KEYS.map((_, i) => `?${i + 1}`).join(", ")}, ?${n + 1}, ?${n + 2}
          WHERE NOT EXISTS (SELECT 1 FROM ingest_log WHERE ${inItsMinute(n + 3)})`,
      )
      .bind(...KEYS.map((k) => row[k]), count, lastAt, ...fold),
  ];
}

/** The multi-row upsert of entries bound as `?1` (`r`), of those for which `condition` holds. `WHERE` lets SQLite parse the ON CONFLICT after a SELECT. */
const upsertEntriesSql = (condition: string) => `INSERT INTO ingest_log (${COLUMNS.names}) SELECT ${COLUMNS.values} FROM json_each(?1) r WHERE ${condition} ${ON_CONFLICT}`;

/** The same upsert for many entries, one statement per slice (the order objects' group commit). */
export function upsertIngestLogStatements(db: D1Database, entries: IngestLogEntry[]): D1PreparedStatement[] {
  return jsonRowsStatements(db, upsertEntriesSql("true"), entries.map(ingestLogRow));
}

/**
 * Where a flush writes its entries' log entries. An accepted request's entry rides in the row
 * of its first event when that event is in the same entry (it brought it: a commit puts the
 * log there) and agrees with it on workspace, source and time (`created_at` is the request's
 * receivedAt, so the log's order is the events' index order); one entry per event at most.
 * Everything else — duplicates, a log appended after its event was flushed, a correction —
 * stays an `ingest_log` row (`logs`). `carried` are the entries put on events, for
 * carriedLogFallbackStatements.
 */
export function placeLogs(entries: { event?: EventRow; logs: IngestLogEntry[] }[]): { events: EventRow[]; logs: IngestLogEntry[]; carried: IngestLogEntry[] } {
  const events: EventRow[] = [];
  const logs: IngestLogEntry[] = [];
  const carried: IngestLogEntry[] = [];
  for (const { event, logs: entryLogs } of entries) {
    const own = event ? entryLogs.find((l) => broughtBy(event, l)) : undefined;
    if (event) events.push(own ? { ...event, request: requestOf(own) } : event);
    for (const l of entryLogs) (l === own ? carried : logs).push(l);
  }
  return { events, logs, carried };
}

const broughtBy = (e: EventRow, l: IngestLogEntry) =>
  l.result === "accepted" && l.eventIds[0] === e.id && l.at === e.createdAt && l.workspaceId === e.workspaceId && l.sourceId === e.sourceId;

const requestOf = (l: IngestLogEntry): EventRequest => ({ id: l.id, reason: l.reason, event_ids: l.eventIds, http_status: l.httpStatus, detail: l.detail });

/**
 * The carried entries whose event row did not take them — it was in D1 already, so its insert
 * did nothing (an order object that forgot the event: dedupe past retention, a changed shard
 * count) — written as `ingest_log` rows instead, so no request goes unlogged. `inserted` are the
 * events the flush's insert returned (src/db/events.ts INSERT_EVENTS, `RETURNING`): nothing more
 * is sent to D1 when every carried entry's event took it, as it almost always does.
 */
export function uncarriedLogStatements(db: D1Database, carried: IngestLogEntry[], inserted: ReadonlySet<string>): D1PreparedStatement[] {
  // An event that holds this very entry (a flush done again) needs no row: checked by its key.
  const notOnItsEvent = `NOT EXISTS (SELECT 1 FROM events e WHERE e.id = r.value ->> '$.eventId' AND e.workspace_id = r.value ->> '$.workspaceId'
                          AND e.request ->> '$.id' = r.value ->> '$.id')`;
  return jsonRowsStatements(
    db,
    upsertEntriesSql(notOnItsEvent),
    carried.filter((l) => !inserted.has(l.eventIds[0]!)).map(ingestLogRow),
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

/** The listing's columns: an `ingest_log` row's, and an event's request as the same row (its correction, if any, shadows it). */
const LOG_ROW = `l.id, l.workspace_id, l.source_id, l.at, l.result, l.reason, l.event_id, l.event_ids, l.http_status, l.detail, l.count, l.last_at`;
const REQUEST_ROW = `e.request ->> '$.id', e.workspace_id, e.source_id, e.created_at, 'accepted', e.request ->> '$.reason', e.id,
       e.request -> '$.event_ids', e.request ->> '$.http_status', e.request -> '$.detail', 1, NULL`;
const REQUEST_ID = `(e.request ->> '$.id')`;
/** An `ingest_log` row with the id of an event's request (commit.ts's 503 for a commit that did land) wins over the event's copy. */
const NOT_SHADOWED = `NOT EXISTS (SELECT 1 FROM ingest_log c WHERE c.workspace_id = e.workspace_id AND c.at = e.created_at AND c.id = ${REQUEST_ID})`;

/**
 * The SQL of a page of a workspace's log (exported for its query-plan test): `ingest_log` rows
 * UNION ALL the requests events carry, each arm filtered alike and walking its own order —
 * ingest_log's key (workspace_id, at, id), events_workspace_created (workspace_id, created_at,
 * id), whose rows of one millisecond are sorted by the request's id — and SQLite merges the two
 * ordered arms, stopping at the limit. A result filter without `accepted` skips the events arm.
 */
export function ingestLogQuery(workspaceId: string, filter: IngestLogFilter, from: Keyset, limit: number): { sql: string; params: unknown[] } {
  const params: unknown[] = [workspaceId];
  const p = (v: unknown) => `?${params.push(v)}`;
  const newer = from.direction === "newer" && from.from !== undefined;
  const dir = newer ? "ASC" : "DESC";
  const where = (at: string, id: string, source: string) => {
    const w: string[] = [];
    const sources = filter.sources ?? [];
    if (sources.length) w.push(sources.length === 1 ? `${source} = ${p(sources[0])}` : `${source} IN (SELECT value FROM json_each(${p(JSON.stringify(sources))}))`);
    if (filter.since !== undefined) w.push(`${at} >= ${p(filter.since)}`);
    if (filter.until !== undefined) w.push(`${at} < ${p(filter.until)}`);
    if (from.from) {
      // The bound on the time alone lets the arm start its walk at the cursor.
      const [x, y] = [p(from.from.at), p(from.from.id)];
      w.push(newer ? `${at} >= ${x} AND (${at} > ${x} OR ${id} > ${y})` : `${at} <= ${x} AND (${at} < ${x} OR ${id} < ${y})`);
    }
    return w.map((c) => ` AND ${c}`).join("");
  };
  const results = filter.results?.length ? filter.results : undefined;
  const logArm = `SELECT ${LOG_ROW} FROM ingest_log l WHERE l.workspace_id = ?1${where("l.at", "l.id", "l.source_id")}${
    results ? ` AND l.result IN (SELECT value FROM json_each(${p(JSON.stringify(results))}))` : ""
  }`;
  if (results && !results.includes("accepted")) return { sql: `${logArm} ORDER BY l.at ${dir}, l.id ${dir} LIMIT ${p(limit)}`, params };
  // The events arm reaches no further than the page of ingest_log rows does when that page is
  // full: a workspace whose events carry few requests (a pointer provider's, fetched later) would
  // otherwise have the arm walk all its events to fill a page the log rows fill anyway.
  const lim = p(limit);
  const reach = newer
    ? `e.created_at <= coalesce((SELECT CASE WHEN count(*) = ${lim} THEN max(at) END FROM page), ${Number.MAX_SAFE_INTEGER})`
    : `e.created_at >= coalesce((SELECT CASE WHEN count(*) = ${lim} THEN min(at) END FROM page), ${Number.MIN_SAFE_INTEGER})`;
  const eventsArm = `SELECT ${REQUEST_ROW} FROM events e WHERE e.workspace_id = ?1 AND e.request IS NOT NULL${where("e.created_at", REQUEST_ID, "e.source_id")} AND ${reach} AND ${NOT_SHADOWED}`;
  return {
    sql: `WITH page AS (${logArm} ORDER BY l.at ${dir}, l.id ${dir} LIMIT ${lim})
      SELECT * FROM page UNION ALL ${eventsArm} ORDER BY 4 ${dir}, 1 ${dir} LIMIT ${lim}`,
    params,
  };
}

/** A listed row as D1 returns it: snake_case, JSON columns as their text. */
interface RawLogRow {
  id: string;
  workspace_id: string;
  source_id: string;
  at: number;
  result: IngestResult;
  reason: string | null;
  event_id: string | null;
  event_ids: string | null;
  http_status: number;
  detail: string | null;
  count: number;
  last_at: number | null;
}

/** Up to `limit` entries of a workspace's log matching `filter` from the keyset position `from` (at, id), in its direction. */
export async function selectIngestLog(db: D1Database, workspaceId: string, filter: IngestLogFilter, from: Keyset, limit: number): Promise<IngestLogRow[]> {
  const q = ingestLogQuery(workspaceId, filter, from, limit);
  const { results } = await db.prepare(q.sql).bind(...q.params).all<RawLogRow>();
  return results.map((r) => ({
    id: r.id,
    workspaceId: r.workspace_id,
    sourceId: r.source_id,
    at: r.at,
    result: r.result,
    reason: r.reason,
    eventId: r.event_id,
    eventIds: r.event_ids === null ? null : (JSON.parse(r.event_ids) as string[]),
    httpStatus: r.http_status,
    detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>),
    count: r.count,
    lastAt: r.last_at,
  }));
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
 * trigger counts (src/registration/stats.ts). Both arms walk the workspace's range (ingest_log's
 * key, events_workspace_created) and filter the source.
 */
export async function triggerCountsByEvent(db: D1Database, workspaceId: string, sourceId: string) {
  const { results } = await db
    .prepare(
      `SELECT event, SUM(n) AS n, MAX(last_at) AS last_at FROM (
         SELECT COALESCE(json_extract(l.detail, '$.resource_type'), json_extract(e.body, '$.source.event')) AS event,
                COUNT(*) AS n, MAX(l.at) AS last_at
           FROM ingest_log l LEFT JOIN events e ON e.id = l.event_id
          WHERE l.workspace_id = ?1 AND l.source_id = ?2 AND l.result IN ('accepted', 'duplicate')
          GROUP BY 1
         UNION ALL
         SELECT COALESCE(e.request ->> '$.detail.resource_type', json_extract(e.body, '$.source.event')), COUNT(*), MAX(e.created_at)
           FROM events e
          WHERE e.workspace_id = ?1 AND e.source_id = ?2 AND e.request IS NOT NULL AND ${NOT_SHADOWED}
          GROUP BY 1
       ) GROUP BY event`,
    )
    .bind(workspaceId, sourceId)
    .all<{ event: string | null; n: number; last_at: number | null }>();
  return results;
}
