import { sweepStuckDeliveries } from "../delivery/sweep";
import { sweepPendingFetches } from "../ingest/pending-fetches";
import { resealSecrets } from "./rekey";
import { purgeExpired } from "./retention";

export { purgeExpired, type PurgeReport } from "./retention";
export { resealSecrets, type ResealReport } from "./rekey";

/**
 * The cron (wrangler.toml, every 5 minutes), in order of what matters most: resend what
 * got stuck, finish an encryption key rotation, purge what is past retention. Each step
 * is bounded per run and independent: one failing does not stop the others, and the run
 * then fails so the failure shows in the cron's status.
 */
export async function runHousekeeping(env: Env, now: number): Promise<void> {
  const steps: [string, () => Promise<unknown>][] = [
    ["sweep", async () => ({ requeued: await sweepStuckDeliveries(env, now) })],
    ["pending_fetches", async () => ({ retried: await sweepPendingFetches(env, now) })],
    ["reseal", () => resealSecrets(env)],
    ["purge", () => purgeExpired(env, now)],
  ];
  const failed: string[] = [];
  for (const [name, step] of steps) {
    try {
      const result = await step();
      if (result && typeof result === "object" && Object.values(result).some((v) => typeof v === "number" && v > 0)) {
        console.log(JSON.stringify({ level: "info", msg: "housekeeping", step: name, ...result }));
      }
    } catch (err) {
      failed.push(name);
      console.error(JSON.stringify({ level: "error", msg: "housekeeping step failed", step: name, error: (err as Error).message }));
    }
  }
  if (failed.length) throw new Error(`housekeeping steps failed: ${failed.join(", ")}`);
}
