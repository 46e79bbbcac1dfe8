// --- added by h3: the console overview's count (src/dashboard/queries.ts)
import { and, count, eq, gte } from "drizzle-orm";
import type { Db } from "./client";
import { events } from "./schema";

/** How many events arrived since `since`; unexecuted, for a batch. */
export function eventCountSince(db: Db, workspaceId: string, since: number) {
  return db
    .select({ n: count() })
    .from(events)
    .where(and(eq(events.workspaceId, workspaceId), gte(events.createdAt, since)));
}
