import { and, eq, lt } from "drizzle-orm";
import type { Db } from "./client";
import { registrationClaims } from "./schema";

/**
 * Takes the source's registration claim until `until`, unless another live claim holds it.
 * One statement: an insert, or an update of a lapsed claim; D1 runs it atomically, so of two
 * callers at once exactly one gets true.
 */
export async function takeRegistrationClaim(db: Db, sourceId: string, claimId: string, now: number, until: number): Promise<boolean> {
  const taken = await db
    .insert(registrationClaims)
    .values({ sourceId, claimId, claimedUntil: until })
    .onConflictDoUpdate({
      target: registrationClaims.sourceId,
      set: { claimId, claimedUntil: until },
      setWhere: lt(registrationClaims.claimedUntil, now),
    })
    .returning({ claimId: registrationClaims.claimId });
  return taken.length === 1 && taken[0]!.claimId === claimId;
}

/** Lets the claim go (only the holder's own: a lapsed claim someone else took stays theirs). */
export async function releaseRegistrationClaim(db: Db, sourceId: string, claimId: string): Promise<void> {
  await db.delete(registrationClaims).where(and(eq(registrationClaims.sourceId, sourceId), eq(registrationClaims.claimId, claimId)));
}
