import { DurableObject } from "cloudflare:workers";

export interface RateDecision {
  /** 0 when the request may go now; otherwise how long until its slot. */
  waitMs: number;
}

/**
 * A rate limiter per key (one object per destination or source), by GCRA: requests are
 * spaced `60 000 / limit` ms apart with a burst of up to `burst` at once.
 *
 * - `reserve` books the next free slot and says how long to wait for it: over-limit work
 *   waits its turn instead of failing (delivery smoothing).
 * - `take` only succeeds now or not at all (ingest 429s with Retry-After).
 *
 * The schedule (the theoretical arrival time) is kept in storage, not only in memory: a
 * burst can book slots far ahead, and an object evicted while those are still to come must
 * not forget them and hand out the same capacity twice.
 */
export class RateLimiter extends DurableObject<Env> {
  /** Theoretical arrival time of the next request. */
  private tat: number;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.tat = ctx.storage.kv.get<number>("tat") ?? 0;
  }

  private decide(limitPerMinute: number, burst: number, now: number, book: "always" | "if-free"): RateDecision {
    const interval = 60_000 / Math.max(1, limitPerMinute);
    const tolerance = interval * Math.max(0, Math.max(1, burst) - 1);
    const tat = Math.max(this.tat, now);
    const earliest = tat - tolerance;
    const waitMs = Math.max(0, Math.ceil(earliest - now));
    if (waitMs === 0 || book === "always") {
      this.tat = tat + interval;
      this.ctx.storage.kv.put("tat", this.tat);
    }
    return { waitMs };
  }

  async reserve(limitPerMinute: number, burst = 1, now = Date.now()): Promise<RateDecision> {
    return this.decide(limitPerMinute, burst, now, "always");
  }

  async take(limitPerMinute: number, burst = 1, now = Date.now()): Promise<RateDecision> {
    return this.decide(limitPerMinute, burst, now, "if-free");
  }
}
