// --- added by h3: the console's replay page (src/dashboard/replays.tsx); h1 owns this file
import { and, eq } from "drizzle-orm";
import type { Db } from "./client";
import { replays } from "./schema";

export type ReplayRow = typeof replays.$inferSelect;

/** A replay's progress, read straight from its row (the page polls it). */
export async function getReplay(db: Db, workspaceId: string, id: string): Promise<ReplayRow | undefined> {
  return db
    .select()
    .from(replays)
    .where(and(eq(replays.workspaceId, workspaceId), eq(replays.id, id)))
    .get();
}
