import { attemptDurationAtRank, attemptsPerHour, attemptTotalsByDestination, lastFailedAttempt } from "../db/attempts";
import type { Db } from "../db/client";
import { deliveryCountsByDestination, type StatusCounts } from "../db/deliveries-reads";

/** Attempt counts of a destination: every attempt counts, retries included. */
export interface AttemptTotals {
  attempts: number;
  succeeded: number;
  lastTriggeredAt: number | null;
  lastSuccessAt: number | null;
}

/** The console's card: attempt totals and how the destination's deliveries stand. */
export interface DestinationSummary extends AttemptTotals {
  deliveries: StatusCounts;
}

const noAttempts = (): AttemptTotals => ({ attempts: 0, succeeded: 0, lastTriggeredAt: null, lastSuccessAt: null });

function totalsById(rows: Awaited<ReturnType<typeof attemptTotalsByDestination>>): Map<string, AttemptTotals> {
  return new Map(
    rows.map((r) => [
      r.destinationId,
      { attempts: r.attempts, succeeded: Number(r.succeeded), lastTriggeredAt: r.lastTriggeredAt, lastSuccessAt: r.lastSuccessAt },
    ]),
  );
}

/**
 * `GET /v1/destinations/:id/stats`: the attempt totals (as the console counts them) and the
 * median and 95th percentile attempt durations.
 */
export async function destinationStats(db: Db, destinationId: string) {
  const totals = totalsById(await attemptTotalsByDestination(db, [destinationId])).get(destinationId) ?? noAttempts();
  const n = totals.attempts;
  const percentile = (p: number) => (n === 0 ? null : attemptDurationAtRank(db, destinationId, Math.min(n - 1, Math.floor(p * n))));
  const [p50, p95] = await Promise.all([percentile(0.5), percentile(0.95)]);
  return { ...totals, p50, p95 };
}

/** The console's destination cards: attempt totals and delivery states per destination, in one D1 round trip. */
export async function destinationSummaries(db: Db, ids: string[]): Promise<Map<string, DestinationSummary>> {
  const out = new Map<string, DestinationSummary>();
  if (ids.length === 0) return out;
  const [attemptRows, deliveryRows] = await db.batch([attemptTotalsByDestination(db, ids), deliveryCountsByDestination(db, ids)]);
  const totals = totalsById(attemptRows);
  for (const id of ids) out.set(id, { ...(totals.get(id) ?? noAttempts()), deliveries: {} });
  for (const r of deliveryRows) out.get(r.destinationId)!.deliveries[r.status] = r.n;
  return out;
}

/** One hour of the last 24: its start (unix ms), attempts and failed attempts. */
export interface HourBucket {
  at: number;
  attempts: number;
  failures: number;
}

/** The last 24 hours of a destination, hour by hour (oldest first), and its latest failed attempt. */
export async function destinationDay(db: Db, destinationId: string, now = Date.now()) {
  const HOUR = 3_600_000;
  const firstHour = Math.floor(now / HOUR) - 23;
  const [rows, lastFailure] = await Promise.all([attemptsPerHour(db, destinationId, firstHour * HOUR), lastFailedAttempt(db, destinationId)]);
  const byHour = new Map(rows.map((r) => [Number(r.hour), r]));
  const hours: HourBucket[] = Array.from({ length: 24 }, (_, i) => {
    const r = byHour.get(firstHour + i);
    return { at: (firstHour + i) * HOUR, attempts: Number(r?.attempts ?? 0), failures: Number(r?.failures ?? 0) };
  });
  return { hours, lastFailure };
}
