// --- added by h3: destination stats (src/destinations/stats.ts)
import { count, eq, max, sql } from "drizzle-orm";
import type { Db } from "./client";
import { attempts } from "./schema";
import { inIds } from "./where";

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
