import type { DestinationRow, DisableThresholds } from "../db/destinations";

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
export const DEFAULT_AUTO_DISABLE_FAILURES = 20;
export const DEFAULT_AUTO_DISABLE_SECONDS = 5 * 24 * 60 * 60;

export type AutoDisablePolicy = DisableThresholds;

function envNumber(env: Env, name: "AUTO_DISABLE_AFTER_FAILED_DELIVERIES" | "AUTO_DISABLE_AFTER_FAILING_SECONDS", fallback: number): number {
  const raw: unknown = env[name];
  if (typeof raw !== "string" || raw.trim() === "") return fallback;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : fallback;
}

/** The Worker-wide defaults (env vars, else built-in). */
export function defaultAutoDisable(env: Env): AutoDisablePolicy {
  return {
    afterFailedDeliveries: envNumber(env, "AUTO_DISABLE_AFTER_FAILED_DELIVERIES", DEFAULT_AUTO_DISABLE_FAILURES),
    afterFailingSeconds: envNumber(env, "AUTO_DISABLE_AFTER_FAILING_SECONDS", DEFAULT_AUTO_DISABLE_SECONDS),
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
