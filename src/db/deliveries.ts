import { and, asc, desc, eq, gt, gte, inArray, lt, lte, or, sql } from "drizzle-orm";
import type { Db } from "./client";
import type { DestinationRow } from "./destinations";
import { jsonColumns, jsonRowsStatements } from "./json-rows";
import { rowFromDriver } from "./rows";
import { deliveries, destinations, type DeliveryStatus } from "./schema";

/**
 * The `deliveries` table: every statement that reads or writes it, and the named transitions
 * of its state machine. This module is the only place that knows which statuses are open.
 *
 *   pending ──attempt fails──▶ retrying ──attempt fails, none left──▶ failed
 *      └──────────┴──attempt succeeds──▶ succeeded
 *   failed | succeeded ──reopen (manual retry, replay)──▶ pending | retrying
 *
 * Open deliveries also move along a second axis without changing status: claimed (a lease),
 * held (a paused/disabled destination: no queue message), parked (per-order, behind an
 * earlier open delivery), released, swept (a lost queue message resent).
 */

export type Delivery = typeof deliveries.$inferSelect;
export type { DeliveryStatus };

/** The statuses of a delivery that will be attempted again. */
export const OPEN_STATUSES = ["pending", "retrying"] as const satisfies readonly DeliveryStatus[];

export function isOpen(status: DeliveryStatus): boolean {
  return (OPEN_STATUSES as readonly DeliveryStatus[]).includes(status);
}

/** The statuses of a delivery that is done: only a reopen moves it again. */
export const FINISHED_STATUSES = ["succeeded", "failed"] as const satisfies readonly DeliveryStatus[];

const statusIn = (column: string, statuses: readonly DeliveryStatus[]) => `${column} IN (${statuses.map((s) => `'${s}'`).join(", ")})`;

/** SQL: `<column> IN ('pending', 'retrying')`, the column given as it is to be written (alias, unary `+`). */
export function openSql(column: string): string {
  return statusIn(column, OPEN_STATUSES);
}

/** The status a reopened delivery takes: `pending` before its first attempt, else `retrying`. */
const REOPENED_STATUS = sql<DeliveryStatus>`CASE WHEN ${deliveries.attemptCount} = 0 THEN 'pending' ELSE 'retrying' END`;

// ---------------------------------------------------------------- consumer: claim

/** A delivery as the consumer reads it, with its event's body (null when the event is gone) and raw payload. */
export type ClaimRow = Delivery & { body: string | null; raw: string | null };

export interface ClaimBatch {
  /** Deliveries leased to this consumer for exactly the attempt asked. */
  claimed: Set<string>;
  rows: Map<string, ClaimRow>;
  destinations: Map<string, DestinationRow>;
}

/**
 * The consumer's read-and-claim, one D1 round trip for a whole batch. The claim statement
 * leases every delivery nothing stands in the way of — this attempt's, open, free, due (with
 * `earlyToleranceMs`), its event there, its destination active and not per-order — for its
 * attempt budget (`attemptBudgetMs` in src/delivery/dispatch.ts, the same formula in SQL) from
 * `leaseFrom`; the reads that follow in the same transaction see those leases. The payload is
 * read only where the destination includes it. (The unary `+` keeps SQLite on the primary key:
 * left to itself it may walk `deliveries_status_next`, every due delivery, to find the batch's few.)
 */
export async function claimBatch(
  d1: D1Database,
  wanted: { id: string; attemptCount: number }[],
  opts: { now: number; leaseFrom: number; earlyToleranceMs: number },
): Promise<ClaimBatch> {
  const json = JSON.stringify(wanted.map((w) => [w.id, w.attemptCount]));
  const ids = `SELECT m.value ->> 0 FROM json_each(?1) m`;
  const [claim, found, destRows] = await d1.batch<Record<string, unknown>>([
    d1
      .prepare(
        `UPDATE deliveries AS d
            SET lease_until = ?2 + (SELECT x.timeout_ms * (CASE WHEN x.backup_url IS NULL THEN 1 ELSE 2 END)
                                      FROM destinations x WHERE x.id = d.destination_id)
          WHERE d.id IN (${ids})
            AND d.attempt_count = (SELECT m.value ->> 1 FROM json_each(?1) m WHERE m.value ->> 0 = d.id)
            AND ${openSql("+d.status")}
            AND (d.lease_until IS NULL OR d.lease_until <= ?3) AND +d.next_attempt_at <= ?3 + ?4
            AND EXISTS (SELECT 1 FROM events e WHERE e.id = d.event_id)
            AND EXISTS (SELECT 1 FROM destinations x WHERE x.id = d.destination_id AND x.status = 'active' AND x.ordering <> 'per_order')
          RETURNING id`,
      )
      .bind(json, opts.leaseFrom, opts.now, opts.earlyToleranceMs),
    d1
      .prepare(
        `SELECT d.*, e.body AS body,
                CASE WHEN x.include_raw THEN (SELECT p.raw FROM event_payloads p WHERE p.event_id = d.event_id) END AS raw
           FROM deliveries d LEFT JOIN events e ON e.id = d.event_id LEFT JOIN destinations x ON x.id = d.destination_id
          WHERE d.id IN (${ids})`,
      )
      .bind(json),
    d1.prepare(`SELECT * FROM destinations WHERE id IN (SELECT destination_id FROM deliveries WHERE id IN (${ids}))`).bind(json),
  ]);
  const claimRow = (r: Record<string, unknown>): ClaimRow => ({
    ...rowFromDriver(deliveries, r),
    body: (r.body as string | null) ?? null,
    raw: (r.raw as string | null) ?? null,
  });
  return {
    claimed: new Set((claim?.results ?? []).map((r) => r.id as string)),
    rows: new Map((found?.results ?? []).map((r) => [r.id as string, claimRow(r)])),
    destinations: new Map((destRows?.results ?? []).map((r) => [r.id as string, rowFromDriver(destinations, r)])),
  };
}

/** Leases one open, free delivery for its attempt until `leaseUntil`; true when this consumer got it. */
export async function claimOne(d1: D1Database, id: string, attemptCount: number, leaseUntil: number, now: number): Promise<boolean> {
  const took = await d1
    .prepare(
      `UPDATE deliveries SET lease_until = ?2
        WHERE id = ?1 AND attempt_count = ?3 AND ${openSql("status")} AND (lease_until IS NULL OR lease_until <= ?4)
        RETURNING id`,
    )
    .bind(id, leaseUntil, attemptCount, now)
    .first();
  return took !== null;
}

/** Lets go of a lease whose attempt could not be made or recorded, so the message's retry can make it. */
export async function releaseLease(d1: D1Database, id: string, attemptCount: number): Promise<void> {
  await d1.prepare("UPDATE deliveries SET lease_until = NULL WHERE id = ?1 AND attempt_count = ?2").bind(id, attemptCount).run();
}

/** Held while its destination is paused or disabled: no queue message out, the drain sends it. */
export async function hold(d1: D1Database, id: string, attemptCount: number, now: number): Promise<void> {
  await d1.prepare("UPDATE deliveries SET enqueued_at = NULL, updated_at = ?2 WHERE id = ?1 AND attempt_count = ?3").bind(id, now, attemptCount).run();
}

/** Rate limited: due at its booked slot, re-enqueued now, lease let go; false when it is no longer this attempt's. */
export async function moveToSlot(d1: D1Database, id: string, attemptCount: number, slot: number, now: number): Promise<boolean> {
  const moved = await d1
    .prepare(
      `UPDATE deliveries SET next_attempt_at = ?3, enqueued_at = ?4, updated_at = ?4, lease_until = NULL
        WHERE id = ?1 AND attempt_count = ?2 AND ${openSql("status")}
        RETURNING id`,
    )
    .bind(id, attemptCount, slot, now)
    .first();
  return moved !== null;
}

/** Fails an open delivery that can never be sent (its event or destination was deleted). */
export function failOpenStatement(d1: D1Database, id: string, now: number, why: string): D1PreparedStatement {
  return d1
    .prepare(
      `UPDATE deliveries SET status = 'failed', last_error = ?3, completed_at = ?2, updated_at = ?2, replay_id = NULL
        WHERE id = ?1 AND ${openSql("status")}`,
    )
    .bind(id, now, why);
}

/** Its queue message was dead-lettered: the delivery has none out, so the sweep resends it. */
export async function forgetQueueMessage(d1: D1Database, id: string, attemptCount: number): Promise<void> {
  await d1
    .prepare(`UPDATE deliveries SET enqueued_at = NULL, lease_until = NULL WHERE id = ?1 AND attempt_count = ?2 AND ${openSql("status")}`)
    .bind(id, attemptCount)
    .run();
}

// ---------------------------------------------------------------- consumer: record

/** A delivery's state after an attempt, as the record writes it. */
export type Finish = Pick<Delivery, "id" | "status" | "attemptCount" | "nextAttemptAt" | "lastStatusCode" | "lastError" | "updatedAt" | "completedAt">;

const FINISH_KEYS = ["id", "status", "attemptCount", "nextAttemptAt", "lastStatusCode", "lastError", "updatedAt", "completedAt"] as const;
const FINISH_COLUMNS = FINISH_KEYS.map((k) => deliveries[k].name);

/**
 * The deliveries' new state after their attempts, one statement per 100 rows: the lease ends;
 * a retry is re-enqueued (`enqueued_at`) and keeps its replay, a final state leaves its replay.
 */
export function finishStatements(d1: D1Database, rows: Finish[]): D1PreparedStatement[] {
  const set = FINISH_KEYS.filter((k) => k !== "id").map((k) => `${deliveries[k].name} = u.${deliveries[k].name}`);
  return jsonRowsStatements(
    d1,
    `UPDATE deliveries
        SET ${set.join(", ")}, lease_until = NULL,
            enqueued_at = CASE WHEN u.status = 'retrying' THEN u.updated_at ELSE deliveries.enqueued_at END,
            replay_id = CASE WHEN u.status = 'retrying' THEN deliveries.replay_id ELSE NULL END
       FROM (SELECT ${jsonColumns(FINISH_COLUMNS, { aliased: true })} FROM json_each(?1) r) AS u
      WHERE deliveries.id = u.id`,
    rows.map((row) => Object.fromEntries(FINISH_KEYS.map((k) => [deliveries[k].name, row[k]]))),
  );
}

// ---------------------------------------------------------------- per-order ordering

/** SQL: an earlier open delivery of the same order to the same destination exists (alias `d`). */
export const EARLIER_OPEN_SQL = `EXISTS (
  SELECT 1 FROM deliveries p
   WHERE p.destination_id = d.destination_id AND p.order_key = d.order_key AND p.sequence < d.sequence
     AND ${openSql("p.status")})`;

/** Parks this attempt's delivery (no queue message) if an earlier one of its order is open; true when parked. */
export async function parkBehindEarlier(d1: D1Database, id: string, attemptCount: number, now: number): Promise<boolean> {
  const parked = await d1
    .prepare(
      `UPDATE deliveries AS d SET enqueued_at = NULL, updated_at = ?3
        WHERE d.id = ?1 AND d.attempt_count = ?2 AND ${openSql("d.status")}
          AND d.order_key IS NOT NULL AND d.sequence IS NOT NULL AND ${EARLIER_OPEN_SQL}
        RETURNING id`,
    )
    .bind(id, attemptCount, now)
    .first();
  return parked !== null;
}

/** Marks the order's next open delivery enqueued if it is parked; returns it, to be queued. */
export async function releaseNextOfOrder(
  d1: D1Database,
  destinationId: string,
  orderKey: string,
  now: number,
): Promise<{ id: string; attemptCount: number; nextAttemptAt: number } | null> {
  const next = await d1
    .prepare(
      `UPDATE deliveries SET enqueued_at = ?3
        WHERE id = (SELECT id FROM deliveries
                     WHERE destination_id = ?1 AND order_key = ?2 AND ${openSql("status")}
                     ORDER BY sequence LIMIT 1)
          AND enqueued_at IS NULL
        RETURNING id, attempt_count, next_attempt_at`,
    )
    .bind(destinationId, orderKey, now)
    .first<{ id: string; attempt_count: number; next_attempt_at: number }>();
  return next && { id: next.id, attemptCount: next.attempt_count, nextAttemptAt: next.next_attempt_at };
}

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
 */
export async function takeHeldPage(d1: D1Database, destinationId: string, now: number, limit: number): Promise<Enqueued[]> {
  const { results } = await d1
    .prepare(
      `UPDATE deliveries SET enqueued_at = ?2, next_attempt_at = min(next_attempt_at, ?2)
        WHERE id IN (
          SELECT id FROM deliveries
           WHERE destination_id = ?1 AND ${openSql("status")} AND enqueued_at IS NULL
           ORDER BY created_at, id LIMIT ?3)
        RETURNING id, attempt_count, created_at`,
    )
    .bind(destinationId, now, limit)
    .all<{ id: string; attempt_count: number; created_at: number }>();
  return results.map(enqueuedOf).sort(byCreation);
}

/**
 * The sweep's page: open deliveries of active destinations, due, not leased, whose last queue
 * message is older than `stuckBefore` (or that have none), marked enqueued now — except a
 * per-order delivery parked behind an earlier open one, which its release will send.
 */
export async function takeStuckPage(d1: D1Database, now: number, stuckBefore: number, limit: number): Promise<Enqueued[]> {
  const { results } = await d1
    .prepare(
      `UPDATE deliveries SET enqueued_at = ?1
        WHERE id IN (
          SELECT d.id FROM deliveries d JOIN destinations dst ON dst.id = d.destination_id
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

// ---------------------------------------------------------------- reopen (manual retry, replay)

/**
 * The columns of a reopened delivery: open again, due and enqueued now, not leased, not
 * completed. Its limit becomes `max(attempt_limit, attempt_count + 1)`: at least one more
 * attempt, and never fewer than it still had.
 */
function reopened(now: number) {
  return {
    status: REOPENED_STATUS,
    attemptLimit: sql<number>`max(${deliveries.attemptLimit}, ${deliveries.attemptCount} + 1)`,
    nextAttemptAt: now,
    enqueuedAt: now,
    leaseUntil: null,
    completedAt: null,
    updatedAt: now,
  };
}

/**
 * Reopens one delivery, whatever its state, unless an attempt finished since `d` was read
 * (then its own state stands and this returns undefined). The caller queues its next attempt.
 */
export async function reopen(db: Db, d: Pick<Delivery, "id" | "attemptCount">, now: number): Promise<Delivery | undefined> {
  const [row] = await db
    .update(deliveries)
    .set(reopened(now))
    .where(and(eq(deliveries.id, d.id), eq(deliveries.attemptCount, d.attemptCount)))
    .returning();
  return row;
}

/** What a replay re-sends: a destination's deliveries of one status created in [since, until), finished by `snapshotAt`. */
export interface ReplaySet {
  destinationId: string;
  status: DeliveryStatus;
  since: number;
  until: number;
  snapshotAt: number;
}

const inReplaySet = (s: ReplaySet) =>
  and(
    eq(deliveries.destinationId, s.destinationId),
    eq(deliveries.status, s.status),
    gte(deliveries.createdAt, s.since),
    lt(deliveries.createdAt, s.until),
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
    .set({ ...reopened(now), replayId })
    .where(inArray(deliveries.id, page))
    .returning({ id: deliveries.id, attemptCount: deliveries.attemptCount, createdAt: deliveries.createdAt });
  return rows.sort(byCreation);
}

/** Deliveries a replay re-sent whose new attempt has not finished. */
export async function countStampedBy(db: Db, replayId: string): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)` }).from(deliveries).where(eq(deliveries.replayId, replayId));
  return row?.n ?? 0;
}

// ---------------------------------------------------------------- reads

export interface DeliveryFilter {
  destinationId?: string;
  eventId?: string;
  eventType?: string;
  status?: DeliveryStatus;
  /** created_at in [since, until) */
  since?: number;
  until?: number;
  /** Keyset cursor: strictly before this (created_at, id). */
  before?: { at: number; id: string };
}

/** A workspace's deliveries, newest first. */
export async function listDeliveries(db: Db, workspaceId: string, f: DeliveryFilter, limit: number): Promise<Delivery[]> {
  return db
    .select()
    .from(deliveries)
    .where(
      and(
        eq(deliveries.workspaceId, workspaceId),
        f.destinationId ? eq(deliveries.destinationId, f.destinationId) : undefined,
        f.eventId ? eq(deliveries.eventId, f.eventId) : undefined,
        f.eventType ? eq(deliveries.eventType, f.eventType) : undefined,
        f.status ? eq(deliveries.status, f.status) : undefined,
        f.since !== undefined ? gte(deliveries.createdAt, f.since) : undefined,
        f.until !== undefined ? lt(deliveries.createdAt, f.until) : undefined,
        f.before
          ? or(lt(deliveries.createdAt, f.before.at), and(eq(deliveries.createdAt, f.before.at), lt(deliveries.id, f.before.id)))
          : undefined,
      ),
    )
    .orderBy(desc(deliveries.createdAt), desc(deliveries.id))
    .limit(limit);
}

/** One delivery of a workspace, as a query (to run alone with `.get()` or inside a `db.batch`). */
export function deliveryQuery(db: Db, workspaceId: string, id: string) {
  return db
    .select()
    .from(deliveries)
    .where(and(eq(deliveries.workspaceId, workspaceId), eq(deliveries.id, id)));
}

export async function findDelivery(db: Db, workspaceId: string, id: string): Promise<Delivery | undefined> {
  return deliveryQuery(db, workspaceId, id).get();
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
