import { and, asc, count, eq, lte, sql, type SQL } from "drizzle-orm";
import type { Db } from "./client";
import { FINISHED_STATUSES, openSql, reopenedColumns, statusIn } from "./deliveries";
import { ofEventSql } from "./deliveries-of-event";
import { EARLIER_OPEN_SQL } from "./deliveries-ordering";
import { countDeliveries, deliveriesPageSql, type DeliveryFilter } from "./deliveries-walks";
import { deliveries } from "./schema";
import { inIds, unindexed } from "./where";

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

/** Finished by the snapshot: an open or reopened delivery is not in the set. */
const snapshotOf = (s: ReplaySet) => lte(deliveries.completedAt, s.snapshotAt);

/** A bulk resend by ids: those of the workspace among them, read by key. */
const pickedWhere = (s: ReplaySet & { ids: string[] }) =>
  and(eq(unindexed(deliveries.workspaceId), s.workspaceId), inIds(deliveries.id, s.ids), snapshotOf(s));

export async function countReplaySet(db: Db, s: ReplaySet): Promise<number> {
  if (!s.ids) return countDeliveries(db, s.workspaceId, s.filter, snapshotOf(s));
  const [row] = await db.select({ n: count() }).from(deliveries).where(pickedWhere({ ...s, ids: s.ids }));
  return row?.n ?? 0;
}

/**
 * Reopens the next page of a replay's set after the keyset cursor (created_at, id) and stamps
 * it with the replay's id; oldest first. A reopened delivery leaves the set, so a page is
 * never taken twice. The set is walked as the list walks it (src/db/deliveries-walks.ts).
 */
export async function reopenReplayPage(
  db: Db,
  replayId: string,
  s: ReplaySet,
  after: { at: number; id: string },
  now: number,
  limit: number,
): Promise<Enqueued[]> {
  const page = s.ids
    ? pickedPage(db, { ...s, ids: s.ids }, after, limit)
    : deliveriesPageSql(db, { workspaceId: s.workspaceId, filter: s.filter, where: snapshotOf(s), from: { direction: "newer", from: after }, limit });
  if (!page) return [];
  const rows = await db
    .update(deliveries)
    .set({ ...reopenedColumns(now), replayId })
    .where(sql`${deliveries.id} in (select "id" from (${page}))`)
    .returning({ id: deliveries.id, attemptCount: deliveries.attemptCount, createdAt: deliveries.createdAt });
  return rows.sort(byCreation);
}

/** A page of deliveries picked by id, oldest first after `after` (at most 1000 of them: sorted, not walked). */
function pickedPage(db: Db, s: ReplaySet & { ids: string[] }, after: { at: number; id: string }, limit: number): SQL {
  return db
    .select({ id: deliveries.id })
    .from(deliveries)
    .where(and(pickedWhere(s), sql`(${deliveries.createdAt}, ${deliveries.id}) > (${after.at}, ${after.id})`))
    .orderBy(asc(deliveries.createdAt), asc(deliveries.id))
    .limit(limit)
    .getSQL();
}

/** Deliveries a replay re-sent whose new attempt has not finished. */
export async function countStampedBy(db: Db, replayId: string): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)` }).from(deliveries).where(eq(deliveries.replayId, replayId));
  return row?.n ?? 0;
}

// ---------------------------------------------------------------- retention

/** SQL: a finished delivery that completed before `?<cutoffParam>`. */
const finishedBefore = (cutoffParam: string) => `${statusIn("status", FINISHED_STATUSES)} AND coalesce(completed_at, updated_at) < ${cutoffParam}`;

/**
 * SQL: up to `?3` ids of the deliveries of workspace `?1` created and finished before `?2`: the
 * workspace's events received before then, oldest first on events_workspace_created, each
 * joined to its deliveries by key (a delivery has its event's created_at).
 */
export const EXPIRED_IDS_SQL = `SELECT deliveries.id FROM events e JOIN deliveries ON ${ofEventSql("e.id")}
  WHERE e.workspace_id = ?1 AND e.created_at < ?2 AND +deliveries.workspace_id = ?1 AND ${finishedBefore("?2")}
  ORDER BY e.created_at, e.id LIMIT ?3`;

/** Up to `limit` ids of a workspace's deliveries created and finished before `cutoff`. */
export async function expiredDeliveryIds(d1: D1Database, workspaceId: string, cutoff: number, limit: number): Promise<string[]> {
  const { results } = await d1
    .prepare(EXPIRED_IDS_SQL)
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
