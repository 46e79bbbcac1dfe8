import { and, asc, eq, gt, inArray, lte, or, sql } from "drizzle-orm";
import type { Db } from "./client";
import { FINISHED_STATUSES, openSql, reopenedColumns, statusIn } from "./deliveries";
import { EARLIER_OPEN_SQL } from "./deliveries-ordering";
import { deliveryFilterWhere, type DeliveryFilter } from "./deliveries-reads";
import { deliveries } from "./schema";
import { inIds } from "./where";

/**
 * The paged walks over `deliveries` (src/db/deliveries.ts holds the table's state machine):
 * each page is one statement that marks the rows it takes, so a walk that crashes and runs
 * again never takes a row twice, and whatever it lost is the sweep's to resend.
 */

// ---------------------------------------------------------------- drain and sweep

/** A delivery marked enqueued, to be put on the queue for its next attempt. */
export interface Enqueued {
  id: string;
  attemptCount: number;
  createdAt: number;
}

const enqueuedOf = (r: { id: string; attempt_count: number; created_at: number }): Enqueued => ({
  id: r.id,
  attemptCount: r.attempt_count,
  createdAt: r.created_at,
});

/**
 * The drain's page: up to `limit` held deliveries of a destination, oldest first, marked
 * enqueued (and due now at the latest) before they are sent, so a crash leaves one page to the sweep.
 * Through the open deliveries' partial index (src/db/schema.ts): left to itself SQLite walks the
 * destination's every delivery, finished ones included, to skip the sort.
 */
export async function takeHeldPage(d1: D1Database, destinationId: string, now: number, limit: number): Promise<Enqueued[]> {
  const { results } = await d1
    .prepare(
      `UPDATE deliveries SET enqueued_at = ?2, next_attempt_at = min(next_attempt_at, ?2)
        WHERE id IN (
          SELECT id FROM deliveries INDEXED BY deliveries_open
           WHERE destination_id = ?1 AND ${openSql("status")} AND enqueued_at IS NULL
           ORDER BY created_at, id LIMIT ?3)
        RETURNING id, attempt_count, created_at`,
    )
    .bind(destinationId, now, limit)
    .all<{ id: string; attempt_count: number; created_at: number }>();
  return results.map(enqueuedOf).sort(byCreation);
}

/**
 * The sweep's page (scanning the small open set through deliveries_open): open deliveries of active destinations, due, not leased, whose last queue
 * message is older than `stuckBefore` (or that have none), marked enqueued now — except a
 * per-order delivery parked behind an earlier open one, which its release will send.
 */
export async function takeStuckPage(d1: D1Database, now: number, stuckBefore: number, limit: number): Promise<Enqueued[]> {
  const { results } = await d1
    .prepare(
      `UPDATE deliveries SET enqueued_at = ?1
        WHERE id IN (
          SELECT d.id FROM deliveries d INDEXED BY deliveries_open JOIN destinations dst ON dst.id = d.destination_id
           WHERE ${openSql("d.status")} AND dst.status = 'active'
             AND d.next_attempt_at <= ?2
             AND (d.lease_until IS NULL OR d.lease_until < ?1)
             AND (d.enqueued_at IS NULL OR d.enqueued_at <= ?2)
             AND NOT (dst.ordering = 'per_order' AND d.order_key IS NOT NULL AND d.sequence IS NOT NULL AND ${EARLIER_OPEN_SQL})
           ORDER BY d.next_attempt_at LIMIT ?3)
        RETURNING id, attempt_count, created_at`,
    )
    .bind(now, stuckBefore, limit)
    .all<{ id: string; attempt_count: number; created_at: number }>();
  return results.map(enqueuedOf);
}

/** Oldest first, so a destination that cares about order gets a page in order. */
function byCreation(a: Enqueued, b: Enqueued): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1);
}

/**
 * What a replay re-sends: a workspace's deliveries matching the list's filter (a range replay:
 * one destination, one status, a time range) and, for a bulk resend by ids, among `ids` —
 * only those finished by `snapshotAt`. An open delivery is going out anyway, and a reopened one
 * (completed_at cleared) leaves the set: that is what keeps a replay from sending one twice.
 */
export interface ReplaySet {
  workspaceId: string;
  filter: DeliveryFilter;
  ids?: string[] | undefined;
  snapshotAt: number;
}

const inReplaySet = (s: ReplaySet) =>
  and(
    deliveryFilterWhere(s.workspaceId, s.filter),
    s.ids ? inIds(deliveries.id, s.ids) : undefined,
    lte(deliveries.completedAt, s.snapshotAt),
  );

export async function countReplaySet(db: Db, s: ReplaySet): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)` }).from(deliveries).where(inReplaySet(s));
  return row?.n ?? 0;
}

/**
 * Reopens the next page of a replay's set after the keyset cursor (created_at, id) and stamps
 * it with the replay's id; oldest first. A reopened delivery leaves the set, so a page is
 * never taken twice.
 */
export async function reopenReplayPage(
  db: Db,
  replayId: string,
  s: ReplaySet,
  after: { at: number; id: string },
  now: number,
  limit: number,
): Promise<Enqueued[]> {
  const page = db
    .select({ id: deliveries.id })
    .from(deliveries)
    .where(
      and(
        inReplaySet(s),
        or(gt(deliveries.createdAt, after.at), and(eq(deliveries.createdAt, after.at), gt(deliveries.id, after.id))),
      ),
    )
    .orderBy(asc(deliveries.createdAt), asc(deliveries.id))
    .limit(limit);
  const rows = await db
    .update(deliveries)
    .set({ ...reopenedColumns(now), replayId })
    .where(inArray(deliveries.id, page))
    .returning({ id: deliveries.id, attemptCount: deliveries.attemptCount, createdAt: deliveries.createdAt });
  return rows.sort(byCreation);
}

/** Deliveries a replay re-sent whose new attempt has not finished. */
export async function countStampedBy(db: Db, replayId: string): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)` }).from(deliveries).where(eq(deliveries.replayId, replayId));
  return row?.n ?? 0;
}

// ---------------------------------------------------------------- retention

/** SQL: a finished delivery that completed before `?<cutoffParam>`. */
const finishedBefore = (cutoffParam: string) => `${statusIn("status", FINISHED_STATUSES)} AND coalesce(completed_at, updated_at) < ${cutoffParam}`;

/** Up to `limit` ids of a workspace's deliveries created and finished before `cutoff`. */
export async function expiredDeliveryIds(d1: D1Database, workspaceId: string, cutoff: number, limit: number): Promise<string[]> {
  const { results } = await d1
    .prepare(`SELECT id FROM deliveries WHERE workspace_id = ?1 AND created_at < ?2 AND ${finishedBefore("?2")} LIMIT ?3`)
    .bind(workspaceId, cutoff, limit)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/**
 * SQL selecting those of the deliveries in the JSON id array `?1` that are still finished
 * before `?2` (a manual retry in between keeps its delivery and its attempts).
 */
export const STILL_EXPIRED_IDS_SQL = `SELECT id FROM deliveries WHERE id IN (SELECT value FROM json_each(?1)) AND ${finishedBefore("?2")}`;

/** Deletes the deliveries of the JSON id array `?1` still finished before `?2`. */
export function deleteExpiredStatement(d1: D1Database, idsJson: string, cutoff: number): D1PreparedStatement {
  return d1.prepare(`DELETE FROM deliveries WHERE id IN (SELECT value FROM json_each(?1)) AND ${finishedBefore("?2")}`).bind(idsJson, cutoff);
}
