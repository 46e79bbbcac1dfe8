import { sweepStuckDeliveries } from "./delivery/sweep";

/** The cron: resend what got stuck. (Retention purges are added with hardening.) */
export async function runHousekeeping(env: Env, now: number): Promise<void> {
  await sweepStuckDeliveries(env, now);
}
