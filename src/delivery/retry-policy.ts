/**
 * When a failed attempt is tried again. The destination's `schedule_seconds[n-1]` is the
 * wait after attempt n (the last entry repeats); delays of 10 s or more get up to +10 %
 * jitter so retries to one endpoint after an outage do not arrive as one wave, and never
 * less than the schedule promises. A 429/503 `Retry-After` is honoured when it asks for
 * longer.
 */
export function retryDelaySeconds(
  schedule: number[],
  attemptJustMade: number,
  retryAfterSeconds?: number,
  random: () => number = Math.random,
): number {
  const base = schedule[Math.min(Math.max(attemptJustMade, 1), schedule.length) - 1] ?? 60;
  const jitter = base >= 10 ? Math.floor(base * 0.1 * random()) : 0;
  return Math.max(base + jitter, retryAfterSeconds ?? 0);
}

/** HTTP statuses that mean "stop sending here": the destination is disabled. */
export const GONE_STATUSES = new Set([410]);

/**
 * How long a queue message waits before the queue tries it again after its consumer failed
 * (D1 unavailable …): `base` seconds doubled per earlier try, at most 2^8 times, capped at 1 h.
 */
export function queueRetryDelaySeconds(baseSeconds: number, attempts: number): number {
  return Math.min(baseSeconds * 2 ** Math.min(attempts, 8), 3600);
}
