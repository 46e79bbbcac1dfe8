import { and, eq, sql } from "drizzle-orm";
import type { Db } from "./client";
import type { DestinationRow } from "./destinations";
import { RAW_OF_EVENT_SQL } from "./events";
import { jsonColumns, jsonRowsStatements } from "./json-rows";
import { rowFromDriver } from "./rows";
import { deliveries, destinations, type DeliveryStatus } from "./schema";

/**
 * The `deliveries` table: every statement that reads or writes it, and the named transitions
 * of its state machine; its paged walks (drain, sweep, replay, retention) are in
 * src/db/deliveries-pages.ts, the API's reads in src/db/deliveries-reads.ts and its two inserts in src/db/deliveries-create.ts. These three
 * are the only modules that write SQL against `deliveries`; this one alone knows which
 * statuses are open.
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

export const statusIn = (column: string, statuses: readonly DeliveryStatus[]) => `${column} IN (${statuses.map((s) => `'${s}'`).join(", ")})`;

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
 * left to itself it may walk `deliveries_open`, every open delivery, to find the batch's few.)
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
                CASE WHEN x.include_raw THEN ${RAW_OF_EVENT_SQL("e")} END AS raw
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

/** Fails the open deliveries `column` = ?1 picks; ?2 is now, ?3 the reason. */
const failOpenSql = (column: "id" | "destination_id") =>
  `UPDATE deliveries SET status = 'failed', last_error = ?3, completed_at = ?2, updated_at = ?2, replay_id = NULL
    WHERE ${column} = ?1 AND ${openSql("status")}`;

/** Fails an open delivery that can never be sent (its event or destination was deleted). */
export function failOpenStatement(d1: D1Database, id: string, now: number, why: string): D1PreparedStatement {
  return d1.prepare(failOpenSql("id")).bind(id, now, why);
}

/** Fails every open delivery of a destination that is going away (a closed listener): `why` is the last error. */
export function failOpenOfDestinationStatement(d1: D1Database, destinationId: string, now: number, why: string): D1PreparedStatement {
  return d1.prepare(failOpenSql("destination_id")).bind(destinationId, now, why);
}

/** Its queue message was dead-lettered: the delivery has none out, so the sweep resends it. */
export async function forgetQueueMessage(d1: D1Database, id: string, attemptCount: number): Promise<void> {
  await d1
    .prepare(`UPDATE deliveries SET enqueued_at = NULL, lease_until = NULL WHERE id = ?1 AND attempt_count = ?2 AND ${openSql("status")}`)
    .bind(id, attemptCount)
    .run();
}

// ---------------------------------------------------------------- consumer: record

/**
 * A delivery's state after an attempt, as the record writes it; the `first*` columns are set
 * (not null) only for a first attempt that succeeded, which gets no `attempts` row.
 */
export type Finish = Pick<
  Delivery,
  | "id" | "status" | "attemptCount" | "nextAttemptAt" | "lastStatusCode" | "lastError" | "updatedAt" | "completedAt"
  | "firstAttemptAt" | "firstDurationMs" | "firstUrl" | "firstStatusCode" | "firstResponseBody"
>;

const STATE_KEYS = ["status", "attemptCount", "nextAttemptAt", "lastStatusCode", "lastError", "updatedAt", "completedAt"] as const;
const FIRST_KEYS = ["firstAttemptAt", "firstDurationMs", "firstUrl", "firstStatusCode", "firstResponseBody"] as const;
const FINISH_KEYS = ["id", ...STATE_KEYS, ...FIRST_KEYS] as const;
const FINISH_COLUMNS = FINISH_KEYS.map((k) => deliveries[k].name);

/**
 * The deliveries' new state after their attempts, one statement per 100 rows: the lease ends;
 * a retry is re-enqueued (`enqueued_at`) and keeps its replay, a final state leaves its replay;
 * a first attempt that succeeded is kept on the row (a later attempt leaves it as it is).
 */
export function finishStatements(d1: D1Database, rows: Finish[]): D1PreparedStatement[] {
  const set = [
    ...STATE_KEYS.map((k) => `${deliveries[k].name} = u.${deliveries[k].name}`),
    ...FIRST_KEYS.map((k) => `${deliveries[k].name} = CASE WHEN u.first_attempt_at IS NULL THEN deliveries.${deliveries[k].name} ELSE u.${deliveries[k].name} END`),
  ];
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

// ---------------------------------------------------------------- reopen (manual retry; a replay reopens pages, src/db/deliveries-pages.ts)

/**
 * The columns of a reopened delivery: open again, due and enqueued now, not leased, not
 * completed. Its limit becomes `max(attempt_limit, attempt_count + 1)`: at least one more
 * attempt, and never fewer than it still had.
 */
export function reopenedColumns(now: number) {
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
    .set(reopenedColumns(now))
    .where(and(eq(deliveries.id, d.id), eq(deliveries.attemptCount, d.attemptCount)))
    .returning();
  return row;
}
