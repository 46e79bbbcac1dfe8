import { and, eq, sql, type SQLWrapper } from "drizzle-orm";
import type { Db } from "./client";
import type { DestinationRow } from "./destinations";
import { RAW_OF_EVENT_SQL } from "./events";
import { jsonColumns, jsonRowsStatements } from "./json-rows";
import { rowFromDriver } from "./rows";
import { deliveries, destinations, type DeliveryStatus } from "./schema";

/**
 * The `deliveries` table: the named transitions of its state machine. Its home is this file
 * and its siblings: the two inserts (src/db/deliveries-create.ts), per-order ordering
 * (deliveries-ordering.ts), the paged walks of drain, sweep, replay and retention
 * (deliveries-pages.ts) and the API's reads (deliveries-reads.ts). No other module writes SQL
 * against `deliveries`; this one alone knows which statuses are open.
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
                                      FROM destinations x WHERE x.id = d.destination_id),
                retry_requested_at = NULL
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
      `UPDATE deliveries SET lease_until = ?2, retry_requested_at = NULL
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

/** What a retry requested in flight (`retry_requested_at`) writes instead when the attempt is recorded. */
const RETRY_OVERRIDES: Partial<Record<(typeof FINISH_KEYS)[number], string>> = { status: "'retrying'", nextAttemptAt: "u.updated_at", completedAt: "NULL" };
const RETRY_REQUESTED = "deliveries.retry_requested_at IS NOT NULL";

/**
 * The deliveries' new state after their attempts, one statement per 100 rows: the lease ends;
 * a retry is re-enqueued (`enqueued_at`) and keeps its replay, a final state leaves its replay;
 * a first attempt that succeeded is kept on the row (a later attempt leaves it as it is).
 * Only a newer attempt is written: an older attempt's record never overwrites a newer one. A
 * retry asked for while this attempt was in flight reopens the delivery here (`retrying`, due
 * now, one more attempt allowed) and its id is returned, so the caller queues it at once.
 */
export function finishStatements(d1: D1Database, rows: Finish[]): D1PreparedStatement[] {
  const set = [
    ...STATE_KEYS.map((k) => {
      const column = deliveries[k].name;
      const reopened = RETRY_OVERRIDES[k];
      return reopened ? `${column} = CASE WHEN ${RETRY_REQUESTED} THEN ${reopened} ELSE u.${column} END` : `${column} = u.${column}`;
    }),
    ...FIRST_KEYS.map((k) => `${deliveries[k].name} = CASE WHEN u.first_attempt_at IS NULL THEN deliveries.${deliveries[k].name} ELSE u.${deliveries[k].name} END`),
  ];
  return jsonRowsStatements(
    d1,
    `UPDATE deliveries
        SET ${set.join(", ")}, lease_until = NULL,
            attempt_limit = CASE WHEN ${RETRY_REQUESTED} THEN max(deliveries.attempt_limit, u.attempt_count + 1) ELSE deliveries.attempt_limit END,
            enqueued_at = CASE WHEN u.status = 'retrying' OR ${RETRY_REQUESTED} THEN u.updated_at ELSE deliveries.enqueued_at END,
            replay_id = CASE WHEN u.status = 'retrying' THEN deliveries.replay_id ELSE NULL END
       FROM (SELECT ${jsonColumns(FINISH_COLUMNS, { aliased: true })} FROM json_each(?1) r) AS u
      WHERE deliveries.id = u.id AND deliveries.attempt_count < u.attempt_count
      RETURNING CASE WHEN ${RETRY_REQUESTED} THEN deliveries.id END AS reopened`,
    rows.map((row) => Object.fromEntries(FINISH_KEYS.map((k) => [deliveries[k].name, row[k]]))),
  );
}

/** The ids `finishStatements` reopened for a retry requested in flight, from their results. */
export function reopenedByFinish(results: D1Result[]): Set<string> {
  const ids = new Set<string>();
  for (const r of results) for (const row of (r.results ?? []) as { reopened: string | null }[]) if (row.reopened) ids.add(row.reopened);
  return ids;
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
 * (then its own state stands and this returns undefined); the caller queues its next attempt.
 * While an attempt is in flight (a live lease) only the request is noted (`retryRequestedAt`):
 * the attempt's record reopens it (`finishStatements`), never a second copy of that attempt.
 */
export async function reopen(db: Db, d: Pick<Delivery, "id" | "attemptCount">, now: number): Promise<Delivery | undefined> {
  const inFlight = sql`(${deliveries.leaseUntil} IS NOT NULL AND ${deliveries.leaseUntil} > ${now})`;
  const unlessInFlight = <T>(column: SQLWrapper, value: unknown) => sql<T>`CASE WHEN ${inFlight} THEN ${column} ELSE ${value} END`;
  const columns = reopenedColumns(now);
  const [row] = await db
    .update(deliveries)
    .set({
      status: unlessInFlight<DeliveryStatus>(deliveries.status, columns.status),
      attemptLimit: unlessInFlight<number>(deliveries.attemptLimit, columns.attemptLimit),
      nextAttemptAt: unlessInFlight<number>(deliveries.nextAttemptAt, now),
      enqueuedAt: unlessInFlight<number>(deliveries.enqueuedAt, now),
      leaseUntil: unlessInFlight<number | null>(deliveries.leaseUntil, null),
      completedAt: unlessInFlight<number | null>(deliveries.completedAt, null),
      retryRequestedAt: sql<number | null>`CASE WHEN ${inFlight} THEN ${now} ELSE NULL END`,
      updatedAt: now,
    })
    .where(and(eq(deliveries.id, d.id), eq(deliveries.attemptCount, d.attemptCount)))
    .returning();
  return row;
}
