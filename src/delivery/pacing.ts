/**
 * Per-destination rate limits (`rate_limit_per_minute`): over-limit deliveries wait their
 * turn, they are never failed for it.
 *
 * Each attempt books a slot with the destination's RateLimiter (GCRA, src/limits/). A slot
 * less than INLINE_WAIT_MS away is waited for in the consumer; a later one puts the message
 * back on the queue with that delay, carrying the booked slot (`slot_at`) so it does not
 * book a second one when it comes back. The burst allowance is one second's worth of the
 * limit: a spike of events leaves at once up to that, then evenly spaced.
 */
export const INLINE_WAIT_MS = 1000;

export function burstFor(limitPerMinute: number): number {
  return Math.max(1, Math.ceil(limitPerMinute / 60));
}

/** Books the next slot for one attempt to this destination; returns when it is (unix ms). */
export async function reserveSlot(env: Env, destinationId: string, limitPerMinute: number, now: number): Promise<number> {
  const limiter = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`dst:${destinationId}`));
  const { waitMs } = await limiter.reserve(limitPerMinute, burstFor(limitPerMinute));
  return now + waitMs;
}
