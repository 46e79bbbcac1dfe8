import { and, asc, eq, inArray } from "drizzle-orm";
import type { Db } from "./client";
import { eventDeliveryIds } from "./deliveries";
import { attempts } from "./schema";

// --- added by h2: the attempts of an event's deliveries (event log); drop AttemptRow if h1's part declares it.
export type AttemptRow = typeof attempts.$inferSelect;

/** The query for every attempt of an event's deliveries, by delivery then attempt (for a `db.batch`). */
export function eventAttemptsQuery(db: Db, workspaceId: string, eventId: string) {
  return db
    .select()
    .from(attempts)
    .where(and(eq(attempts.workspaceId, workspaceId), inArray(attempts.deliveryId, eventDeliveryIds(db, eventId))))
    .orderBy(asc(attempts.deliveryId), asc(attempts.attempt));
}
// --- end of h2's reads
