import { and, eq } from "drizzle-orm";
import type { Db } from "./client";
import { openSql } from "./deliveries";
import { replays } from "./schema";

/**
 * The `replays` table: one row per bulk re-send, its counters moved by the consumer's record
 * as each re-sent delivery's attempt finishes (src/delivery/replay.ts tells the whole story).
 */

export type Replay = typeof replays.$inferSelect;
export type NewReplay = typeof replays.$inferInsert;

export async function insertReplay(db: Db, row: NewReplay): Promise<void> {
  await db.insert(replays).values(row);
}

/** A replay of a workspace. */
export async function findReplay(db: Db, workspaceId: string, id: string): Promise<Replay | undefined> {
  return db
    .select()
    .from(replays)
    .where(and(eq(replays.workspaceId, workspaceId), eq(replays.id, id)))
    .get();
}

/** A replay by id alone (its background walk). */
export async function getReplayById(db: Db, id: string): Promise<Replay | undefined> {
  return db.select().from(replays).where(eq(replays.id, id)).get();
}

/** Where the walk stands after a page: its cursor, and `walkedAt` once the last page was queued. */
export async function saveWalk(db: Db, id: string, cursor: string, walkedAt: number | null, now: number): Promise<void> {
  await db.update(replays).set({ cursor, walkedAt, updatedAt: now }).where(eq(replays.id, id));
}

/** Touches walks that have not moved since `stalledBefore` and returns their ids, to restart them. */
export async function touchStalledWalks(d1: D1Database, now: number, stalledBefore: number): Promise<string[]> {
  const { results } = await d1
    .prepare(`UPDATE replays SET updated_at = ?1 WHERE walked_at IS NULL AND updated_at <= ?2 RETURNING id`)
    .bind(now, stalledBefore)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/**
 * A re-sent delivery's attempt finished: count it on its replay. Runs before the delivery
 * update that clears `replay_id`, in the same batch, so each replayed delivery counts once.
 */
export function countFinishedStatement(d1: D1Database, deliveryId: string, succeeded: boolean, now: number): D1PreparedStatement {
  return d1
    .prepare(
      `UPDATE replays SET succeeded = succeeded + ?2, failed = failed + ?3, updated_at = ?4
        WHERE id = (SELECT replay_id FROM deliveries WHERE id = ?1)`,
    )
    .bind(deliveryId, succeeded ? 1 : 0, succeeded ? 0 : 1, now);
}

/** An open re-sent delivery is failed without an attempt (orphaned): count it failed, before the update that unstamps it. */
export function countOrphanFailedStatement(d1: D1Database, deliveryId: string, now: number): D1PreparedStatement {
  return d1
    .prepare(
      `UPDATE replays SET failed = failed + 1, updated_at = ?2 WHERE id = (SELECT replay_id FROM deliveries WHERE id = ?1 AND ${openSql("status")})`,
    )
    .bind(deliveryId, now);
}

/** Deletes up to `limit` replays walked and idle before `cutoff` with none of their deliveries still out; returns how many. */
export async function deleteDoneBefore(d1: D1Database, cutoff: number, limit: number): Promise<number> {
  const r = await d1
    .prepare(
      `DELETE FROM replays WHERE id IN (
         SELECT r.id FROM replays r
          WHERE r.walked_at IS NOT NULL AND r.walked_at < ?1 AND r.updated_at < ?1
            AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.replay_id = r.id)
          LIMIT ?2)`,
    )
    .bind(cutoff, limit)
    .run();
  return r.meta.changes;
}
