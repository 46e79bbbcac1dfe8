import { getState, putState } from "../db/relay-state";
import { runHousekeeping } from "./index";

const LAST_CRON_RUN = "last_cron_run";

export interface CronRun {
  scheduled_at: string;
  finished_at: string;
  ok: boolean;
  error?: string;
}

/**
 * The scheduled handler: housekeeping, then a note of how it went (relay_state), so the
 * operator's GET /v1/status shows whether the cron runs at all. A failed run is noted and
 * still fails, so Cloudflare's cron status shows it too.
 */
export async function runCron(env: Env, scheduledTime: number): Promise<void> {
  let error: Error | undefined;
  try {
    await runHousekeeping(env, scheduledTime);
  } catch (err) {
    error = err as Error;
  }
  const run: CronRun = {
    scheduled_at: new Date(scheduledTime).toISOString(),
    finished_at: new Date().toISOString(),
    ok: !error,
    ...(error ? { error: error.message.slice(0, 300) } : {}),
  };
  await putState(env.DB, LAST_CRON_RUN, { ...run }, Date.now());
  if (error) throw error;
}

export async function lastCronRun(env: Env): Promise<CronRun | null> {
  return (await getState(env.DB, LAST_CRON_RUN)) as CronRun | null;
}
