import { dbOf } from "../db/client";
import { releaseRegistrationClaim, takeRegistrationClaim } from "../db/registration-claims";
import { apiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { PROVIDER_TIMEOUT_MS } from "./http";

/**
 * How long a claim lasts if its holder never lets go (the Worker was evicted mid-call): longer
 * than any register call can take (a list, then a few provider calls, each bounded by the
 * provider timeout), short enough that a crash does not lock registration for long.
 */
const CLAIM_MS = 12 * PROVIDER_TIMEOUT_MS;

/**
 * Runs a register/unregister call holding the source's claim in D1, taken before the provider
 * is called: two simultaneous calls would otherwise both see "not subscribed" and both
 * subscribe. The second gets 409 registration_in_progress and may retry once the first ends.
 */
export async function withRegistrationClaim<T>(env: Env, sourceId: string, run: () => Promise<T>): Promise<T> {
  const db = dbOf(env);
  const now = Date.now();
  const claimId = newId("rcl", now);
  if (!(await takeRegistrationClaim(db, sourceId, claimId, now, now + CLAIM_MS))) {
    throw apiError("registration_in_progress", "another register or unregister call for this source is at work; retry when it has finished", {
      "retry-after": "5",
    });
  }
  try {
    return await run();
  } finally {
    await releaseRegistrationClaim(db, sourceId, claimId).catch(() => undefined);
  }
}
