import type { DestinationRow, DisableThresholds } from "../db/destinations";
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
 * `active` sends them (src/delivery/drain.ts). The counters and the disable itself are
 * statements of the attempt's record (`disableStatement`, src/db/destinations.ts).
 */
export { DEFAULT_AUTO_DISABLE_FAILURES, DEFAULT_AUTO_DISABLE_SECONDS } from "../lib/config";

export type AutoDisablePolicy = DisableThresholds;

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
