import { and, eq, sql, type SQL } from "drizzle-orm";
import { jsonInsertColumns, jsonRowsStatements } from "./json-rows";
import { trackingNumbers } from "./schema";
import { inIds } from "./where";

/**
 * `tracking_numbers`: which order keys carry a tracking number, so `?tracking_number=` reads
 * events on events_workspace_order_key (src/db/event-lookups.ts, eventsOf) instead of an index of
 * its own that every shipping event would pay. Written with the events, once per pair.
 */

export type TrackingNumberRow = typeof trackingNumbers.$inferSelect;

const COLUMNS = jsonInsertColumns(trackingNumbers, ["workspaceId", "trackingNumber", "orderKey"]);
// `ON CONFLICT DO NOTHING`, as for events: a pair already there writes no row; any other broken rule fails the batch.
const INSERT = `INSERT INTO tracking_numbers (${COLUMNS.names})
  SELECT ${COLUMNS.values} FROM json_each(?1) r WHERE true ON CONFLICT DO NOTHING`;

type PairOf = { workspaceId: string; trackingNumber: string | null; orderKey: string | null };

/** A pair's identity, for sets of pairs (this statement's, an order object's memory of what it wrote). */
export const pairKey = (e: PairOf) => JSON.stringify([e.workspaceId, e.trackingNumber, e.orderKey]);

/** The (tracking number, order key) pairs of these events, each once, in multi-row statements (none when no event has one). */
export function insertTrackingNumbersStatements(
  db: D1Database,
  events: PairOf[],
): D1PreparedStatement[] {
  const pairs = new Map<string, TrackingNumberRow>();
  for (const e of events) {
    if (!e.trackingNumber || !e.orderKey) continue;
    pairs.set(pairKey(e), { workspaceId: e.workspaceId, trackingNumber: e.trackingNumber, orderKey: e.orderKey });
  }
  return jsonRowsStatements(db, INSERT, [...pairs.values()]);
}

/** SQL: the order keys of the workspace that carry one of `numbers` (on the primary key). */
export function orderKeysOfTrackingNumbers(workspaceId: string, numbers: readonly string[]): SQL {
  const number = numbers.length === 1 ? eq(trackingNumbers.trackingNumber, numbers[0]!) : inIds(trackingNumbers.trackingNumber, [...numbers]);
  return sql`select ${trackingNumbers.orderKey} from ${trackingNumbers} where ${and(eq(trackingNumbers.workspaceId, workspaceId), number)}`;
}

/**
 * SQL: deletes the workspace's pairs of the events `going` selects (SQL over the same binds,
 * `?1` the workspace id) that no other event has (retention). Runs before those events are
 * deleted, in the same batch, so `going` still selects them.
 */
export function deleteTrackingNumbersOfSql(going: string): string {
  return `DELETE FROM tracking_numbers
        WHERE workspace_id = ?1
          AND (tracking_number, order_key) IN
              (SELECT g.tracking_number, g.order_key FROM events g WHERE g.id IN (${going}) AND g.tracking_number IS NOT NULL)
          AND NOT EXISTS (SELECT 1 FROM events o
                           WHERE o.workspace_id = ?1 AND o.order_key = tracking_numbers.order_key
                             AND o.tracking_number = tracking_numbers.tracking_number AND o.id NOT IN (${going}))`;
}

/** deleteTrackingNumbersOfSql as a statement. */
export function deleteTrackingNumbersOfStatement(db: D1Database, going: string, binds: [workspaceId: string, ...rest: unknown[]]): D1PreparedStatement {
  return db.prepare(deleteTrackingNumbersOfSql(going)).bind(...binds);
}
