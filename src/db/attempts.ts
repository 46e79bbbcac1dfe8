import { and, asc, count, desc, eq, gte, inArray, max, sql } from "drizzle-orm";
import type { Db } from "./client";
import { eventDeliveryIds } from "./deliveries-reads";
import { STILL_EXPIRED_IDS_SQL } from "./deliveries-pages";
import { jsonColumns, jsonRowsStatements } from "./json-rows";
import { columnNames, rowToDriver } from "./rows";
import { attempts } from "./schema";
import { inIds } from "./where";

/** The `attempts` table: one row per HTTP attempt of a delivery, written once, never updated. */

export type Attempt = typeof attempts.$inferSelect;
export type NewAttempt = typeof attempts.$inferInsert;

const COLUMNS = columnNames(attempts);
const INSERT_ATTEMPTS = `INSERT INTO attempts (${COLUMNS.join(", ")})
  SELECT ${jsonColumns(COLUMNS)} FROM json_each(?1) r`;

/** The attempt rows of a consumer batch: one statement per 100 rows. */
export function insertAttemptsStatements(d1: D1Database, rows: NewAttempt[]): D1PreparedStatement[] {
  return jsonRowsStatements(
    d1,
    INSERT_ATTEMPTS,
    rows.map((r) => rowToDriver(attempts, r)),
  );
}

/** A delivery's attempts, oldest first, as a query (to run inside a `db.batch`). */
export function attemptsOfDeliveryQuery(db: Db, workspaceId: string, deliveryId: string) {
  return db
    .select()
    .from(attempts)
    .where(and(eq(attempts.workspaceId, workspaceId), eq(attempts.deliveryId, deliveryId)))
    .orderBy(asc(attempts.attempt));
}

/** Deletes the attempts of the deliveries of the JSON id array that are still past retention (src/db/deliveries.ts). */
export function deleteAttemptsOfExpiredStatement(d1: D1Database, idsJson: string, cutoff: number): D1PreparedStatement {
  return d1.prepare(`DELETE FROM attempts WHERE delivery_id IN (${STILL_EXPIRED_IDS_SQL})`).bind(idsJson, cutoff);
}

/**
 * Attempt totals per destination (each retry counts), answered from the destination's own
 * index; unexecuted, so the console can batch it with its delivery counts.
 */
export function attemptTotalsByDestination(db: Db, destinationIds: string[]) {
  return db
    .select({
      destinationId: attempts.destinationId,
      attempts: count(),
      succeeded: sql<number>`coalesce(sum(${attempts.succeeded}), 0)`,
      lastTriggeredAt: max(attempts.at),
      lastSuccessAt: sql<number | null>`max(case when ${attempts.succeeded} then ${attempts.at} end)`,
    })
    .from(attempts)
    .where(inIds(attempts.destinationId, destinationIds))
    .groupBy(attempts.destinationId);
}

/** The duration of the destination's attempt at this rank (0 = fastest): percentiles. */
export async function attemptDurationAtRank(db: Db, destinationId: string, rank: number): Promise<number | null> {
  const r = await db
    .select({ d: attempts.durationMs })
    .from(attempts)
    .where(eq(attempts.destinationId, destinationId))
    .orderBy(attempts.durationMs)
    .limit(1)
    .offset(rank)
    .get();
  return r?.d ?? null;
}

/** The query for every attempt of an event's deliveries, by delivery then attempt (for a `db.batch`). */
export function eventAttemptsQuery(db: Db, workspaceId: string, eventId: string) {
  return db
    .select()
    .from(attempts)
    .where(and(eq(attempts.workspaceId, workspaceId), inArray(attempts.deliveryId, eventDeliveryIds(db, eventId))))
    .orderBy(asc(attempts.deliveryId), asc(attempts.attempt));
}

/** Attempts and failures of a destination per hour since `since` (the console's 24 h chart); hours without attempts are absent. */
export async function attemptsPerHour(db: Db, destinationId: string, since: number) {
  return db
    .select({
      hour: sql<number>`cast(${attempts.at} / 3600000 as integer)`,
      attempts: sql<number>`count(*)`,
      failures: sql<number>`sum(case when ${attempts.succeeded} then 0 else 1 end)`,
    })
    .from(attempts)
    .where(and(eq(attempts.destinationId, destinationId), gte(attempts.at, since)))
    .groupBy(sql`1`);
}

/** A destination's latest failed attempt (the console shows when and why). */
export async function lastFailedAttempt(db: Db, destinationId: string): Promise<Attempt | undefined> {
  return db
    .select()
    .from(attempts)
    .where(and(eq(attempts.destinationId, destinationId), eq(attempts.succeeded, false)))
    .orderBy(desc(attempts.at))
    .limit(1)
    .get();
}
