import { and, asc, desc, eq, lte, sql } from "drizzle-orm";
import type { Db } from "./client";
import { pendingFetches } from "./schema";
import { olderThan } from "./where";

/** A pointer callback's fetch that failed for good on the jobs queue and waits to be fetched or discarded. */
export type PendingFetchRow = typeof pendingFetches.$inferSelect;

export async function getPendingFetch(db: Db, workspaceId: string, id: string): Promise<PendingFetchRow | undefined> {
  const [row] = await db
    .select()
    .from(pendingFetches)
    .where(and(eq(pendingFetches.workspaceId, workspaceId), eq(pendingFetches.id, id)))
    .limit(1);
  return row;
}

export async function pendingFetchOfLog(db: Db, ingestLogId: string): Promise<PendingFetchRow | undefined> {
  const [row] = await db.select().from(pendingFetches).where(eq(pendingFetches.ingestLogId, ingestLogId)).limit(1);
  return row;
}

/** The workspace's pending fetches, newest first, `limit + 1` rows from the cursor. */
export async function listPendingFetchRows(db: Db, workspaceId: string, limit: number, after?: { at: number; id: string }) {
  return db
    .select()
    .from(pendingFetches)
    .where(and(eq(pendingFetches.workspaceId, workspaceId), olderThan(pendingFetches.createdAt, pendingFetches.id, after)))
    .orderBy(desc(pendingFetches.createdAt), desc(pendingFetches.id))
    .limit(limit + 1);
}

/**
 * Statement (for a D1 batch with the relay event that reports it): keeps a new pending fetch;
 * a second park of the same callback changes nothing.
 */
export function insertPendingFetchStatement(d1: D1Database, row: PendingFetchRow): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO pending_fetches (id, workspace_id, source_id, ingest_log_id, resource_url, resource_type, received_at, raw,
                                    attempts, last_error, next_try_at, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
       ON CONFLICT (ingest_log_id) DO NOTHING`,
    )
    .bind(row.id, row.workspaceId, row.sourceId, row.ingestLogId, row.resourceUrl, row.resourceType, row.receivedAt, row.raw,
      row.attempts, row.lastError, row.nextTryAt, row.createdAt, row.updatedAt);
}

/** A try failed: counts it, keeps why, and sets the next try (backing off with the count). */
export async function notePendingFetchFailure(db: Db, id: string, error: string, nextTryAt: (attempts: number) => number, now: number) {
  const [row] = await db
    .update(pendingFetches)
    .set({ attempts: sql`${pendingFetches.attempts} + 1`, lastError: error, updatedAt: now })
    .where(eq(pendingFetches.id, id))
    .returning({ attempts: pendingFetches.attempts });
  if (row) await db.update(pendingFetches).set({ nextTryAt: nextTryAt(row.attempts) }).where(eq(pendingFetches.id, id));
}

/**
 * Takes the pending fetches due at `now` (at most `limit`, oldest due first) by moving their
 * next try to `until`, so the next sweep does not queue them again while their try runs.
 */
export async function takeDuePendingFetches(db: Db, now: number, until: number, limit: number): Promise<PendingFetchRow[]> {
  const due = await db
    .select({ id: pendingFetches.id })
    .from(pendingFetches)
    .where(lte(pendingFetches.nextTryAt, now))
    .orderBy(asc(pendingFetches.nextTryAt))
    .limit(limit);
  const taken: PendingFetchRow[] = [];
  for (const { id } of due) {
    const [row] = await db
      .update(pendingFetches)
      .set({ nextTryAt: until, updatedAt: now })
      .where(and(eq(pendingFetches.id, id), lte(pendingFetches.nextTryAt, now)))
      .returning();
    if (row) taken.push(row);
  }
  return taken;
}

/** Moves one pending fetch's next try (a try on demand was queued). */
export async function deferPendingFetch(db: Db, id: string, until: number, now: number): Promise<void> {
  await db.update(pendingFetches).set({ nextTryAt: until, updatedAt: now }).where(eq(pendingFetches.id, id));
}

/** Fetched or discarded: false when it was already gone. */
export async function deletePendingFetch(db: Db, id: string): Promise<boolean> {
  const gone = await db.delete(pendingFetches).where(eq(pendingFetches.id, id)).returning({ id: pendingFetches.id });
  return gone.length > 0;
}
