import { and, asc, count, desc, eq, gte, inArray, sql } from "drizzle-orm";
import { unionAll } from "drizzle-orm/sqlite-core";
import type { Db } from "./client";
import type { Delivery } from "./deliveries";
import { eventDeliveryIds, firstSuccessesOfDestinations } from "./deliveries-reads";
import { STILL_EXPIRED_IDS_SQL } from "./deliveries-pages";
import { jsonInsertColumns, jsonRowsStatements } from "./json-rows";
import { attempts } from "./schema";
import { inIds } from "./where";

/**
 * The `attempts` table: one row per HTTP attempt of a delivery, written once, never updated —
 * except a first attempt that succeeded, which is kept on its delivery's row (`first_*`
 * columns, 0 rows written instead of 3). Every reader sees it as attempt 1 through this
 * module: withFirstAttempt for a delivery's list, the union below for the stats.
 */

export type Attempt = typeof attempts.$inferSelect;
export type NewAttempt = typeof attempts.$inferInsert;

const KEYS = ["id", "deliveryId", "workspaceId", "destinationId", "attempt", "at", "url", "statusCode", "durationMs", "error", "responseBody", "succeeded"] as const;
const COLUMNS = jsonInsertColumns(attempts, KEYS);
const INSERT_ATTEMPTS = `INSERT INTO attempts (${COLUMNS.names}) SELECT ${COLUMNS.values} FROM json_each(?1) r`;

/** The attempt rows of a consumer batch: one statement per 100 rows (JSON `true` reads back as 1). */
export function insertAttemptsStatements(d1: D1Database, rows: NewAttempt[]): D1PreparedStatement[] {
  return jsonRowsStatements(
    d1,
    INSERT_ATTEMPTS,
    rows.map((r) => Object.fromEntries(KEYS.map((k) => [k, r[k] ?? null]))),
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

/** Every attempt of these destinations as (destination, at, duration, succeeded): the rows, and the first successes on delivery rows. */
function attemptsOfDestinations(db: Db, destinationIds: string[]) {
  const rows = db
    .select({ destinationId: attempts.destinationId, at: attempts.at, durationMs: attempts.durationMs, succeeded: sql<number>`${attempts.succeeded}`.as("succeeded") })
    .from(attempts)
    .where(inIds(attempts.destinationId, destinationIds));
  return unionAll(rows, firstSuccessesOfDestinations(db, destinationIds)).as("a");
}

/**
 * Attempt totals per destination (each retry counts), answered from the destinations' own
 * indexes; unexecuted, so the console can batch it with its delivery counts.
 */
export function attemptTotalsByDestination(db: Db, destinationIds: string[]) {
  const a = attemptsOfDestinations(db, destinationIds);
  return db
    .select({
      destinationId: a.destinationId,
      attempts: count(),
      succeeded: sql<number>`coalesce(sum(${a.succeeded}), 0)`,
      lastTriggeredAt: sql<number | null>`max(${a.at})`,
      lastSuccessAt: sql<number | null>`max(case when ${a.succeeded} then ${a.at} end)`,
    })
    .from(a)
    .groupBy(a.destinationId);
}

/** The duration of the destination's attempt at this rank (0 = fastest): percentiles. */
export async function attemptDurationAtRank(db: Db, destinationId: string, rank: number): Promise<number | null> {
  const a = attemptsOfDestinations(db, [destinationId]);
  const r = await db.select({ d: a.durationMs }).from(a).orderBy(a.durationMs).limit(1).offset(rank).get();
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

/**
 * A delivery's attempts, oldest first, with attempt 1 synthesized from the delivery row when
 * it succeeded there (src/delivery/record.ts writes no row for it). `rows` are its attempt rows.
 */
export function withFirstAttempt(d: Delivery, rows: Attempt[]): Attempt[] {
  if (d.firstAttemptAt === null || rows.some((a) => a.attempt === 1)) return rows;
  const first: Attempt = {
    id: `${d.id}:1`,
    deliveryId: d.id,
    workspaceId: d.workspaceId,
    destinationId: d.destinationId,
    attempt: 1,
    at: d.firstAttemptAt,
    url: d.firstUrl ?? "",
    statusCode: d.firstStatusCode,
    durationMs: d.firstDurationMs ?? 0,
    error: null,
    responseBody: d.firstResponseBody,
    succeeded: true,
  };
  return [first, ...rows];
}

/** Attempts and failures of a destination per hour since `since` (the console's 24 h chart); hours without attempts are absent. */
export async function attemptsPerHour(db: Db, destinationId: string, since: number) {
  // First-attempt successes live on their delivery rows: the union counts them too.
  const a = attemptsOfDestinations(db, [destinationId]);
  return db
    .select({
      hour: sql<number>`cast(${a.at} / 3600000 as integer)`,
      attempts: sql<number>`count(*)`,
      failures: sql<number>`sum(case when ${a.succeeded} then 0 else 1 end)`,
    })
    .from(a)
    .where(gte(a.at, since))
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
