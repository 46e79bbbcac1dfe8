import type { DestinationRow } from "../db/destinations";
import { configOf } from "../lib/config";

/**
 * Auto-disable: a destination that keeps failing is set `disabled` (with `disabled_reason`)
 * instead of being hammered for ever. Either rule trips it:
 *
 * - `after_failed_deliveries`: this many deliveries in a row failed for good (default 20);
 * - `after_failing_seconds`: every attempt has failed for this long (default 5 days) —
 *   `failing_since` is the first failed attempt after the last success.
 *
 * Per destination (`auto_disable` in the API), else the Worker's
 * `AUTO_DISABLE_AFTER_FAILED_DELIVERIES` / `AUTO_DISABLE_AFTER_FAILING_SECONDS`, else the
 * defaults. 0 turns a rule off. An endpoint answering 410 Gone is disabled at once.
 * Deliveries of a disabled destination are kept and wait as `pending`; PATCH status
 * `active` sends them (src/delivery/drain.ts).
 */
export { DEFAULT_AUTO_DISABLE_FAILURES, DEFAULT_AUTO_DISABLE_SECONDS } from "../lib/config";

export interface AutoDisablePolicy {
  afterFailedDeliveries: number;
  afterFailingSeconds: number;
}

/** The Worker-wide defaults (env vars, else built-in). */
export function defaultAutoDisable(env: Env): AutoDisablePolicy {
  return {
    afterFailedDeliveries: configOf(env).AUTO_DISABLE_AFTER_FAILED_DELIVERIES,
    afterFailingSeconds: configOf(env).AUTO_DISABLE_AFTER_FAILING_SECONDS,
  };
}

/** The policy in force for one destination: its own settings over the Worker's defaults. */
export function autoDisablePolicy(env: Env, dest: Pick<DestinationRow, "autoDisableFailures" | "autoDisableSeconds">): AutoDisablePolicy {
  const defaults = defaultAutoDisable(env);
  return {
    afterFailedDeliveries: dest.autoDisableFailures ?? defaults.afterFailedDeliveries,
    afterFailingSeconds: dest.autoDisableSeconds ?? defaults.afterFailingSeconds,
  };
}

/**
 * The one statement that disables a destination, run in the attempt's batch right after its
 * failure counters moved, so it judges the counters as they now are (not as this consumer
 * last read them). Only an `active` destination flips, so exactly one attempt wins the
 * transition; it stamps `disabled_at = now`, which the relay event of the same batch uses
 * as its guard. RETURNING says whether this attempt did it.
 */
export function disableStatement(
  db: D1Database,
  destinationId: string,
  policy: AutoDisablePolicy,
  gone: { statusCode: number } | null,
  now: number,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE destinations SET status = 'disabled', disabled_at = ?2, updated_at = ?2,
              disabled_reason = CASE
                WHEN ?3 IS NOT NULL THEN ?3
                WHEN ?4 > 0 AND consecutive_failures >= ?4 THEN consecutive_failures || ' deliveries in a row failed'
                ELSE 'every delivery attempt failed since ' || strftime('%Y-%m-%dT%H:%M:%SZ', failing_since / 1000, 'unixepoch')
              END
        WHERE id = ?1 AND status = 'active' AND (
              ?3 IS NOT NULL
              OR (?4 > 0 AND consecutive_failures >= ?4)
              OR (?5 > 0 AND failing_since IS NOT NULL AND failing_since <= ?2 - ?5 * 1000))
        RETURNING disabled_reason`,
    )
    .bind(destinationId, now, gone ? `the endpoint answered ${gone.statusCode} Gone` : null, policy.afterFailedDeliveries, policy.afterFailingSeconds);
}
