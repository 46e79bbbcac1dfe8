import { runFetchJob } from "../ingest/fetch-job";
import { failedTry, parkFetch, QUEUE_FETCH_TRIES, type FetchJob } from "../ingest/pending-fetches";
import { recordDeadLetter } from "../delivery/dead-letters";
import { drainDestination } from "../delivery/drain";
import { runReplayStep } from "../delivery/replay";
import { queueRetryDelaySeconds } from "../delivery/retry-policy";
import { jobMessageSchema, type JobMessage } from "./messages";

/** The jobs queue's consumer: drains, provider resource fetches, replays. */
export async function consumeJobs(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const msg of batch.messages) {
    const parsed = jobMessageSchema.safeParse(msg.body);
    if (!parsed.success) {
      await recordDeadLetter(env, batch.queue, msg.body, "malformed job message");
      msg.ack();
      continue;
    }
    const job = parsed.data;
    try {
      switch (job.kind) {
        case "drain": {
          const { more } = await drainDestination(env, job.destination_id);
          if (more) await env.JOBS.send({ kind: "drain", destination_id: job.destination_id } satisfies JobMessage, { contentType: "json" });
          break;
        }
        case "fetch":
          await fetchOrPark(env, job, msg.attempts);
          break;
        case "replay":
          await runReplayStep(env, job.replay_id);
          break;
      }
      msg.ack();
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "job failed", kind: job.kind, error: (err as Error).message }));
      msg.retry({ delaySeconds: queueRetryDelaySeconds(10, msg.attempts) });
    }
  }
}

/**
 * Runs a fetch job. A failure is retried by the queue until its tries are spent; then (and for
 * a try of a pending fetch at once) it is recorded as a pending fetch and the message acked, so
 * the callback a 2xx promised is never left to the dead-letter queue. Throws (for the queue's
 * retry) only before that.
 */
async function fetchOrPark(env: Env, job: FetchJob, attempts: number): Promise<void> {
  try {
    await runFetchJob(env, job, attempts);
  } catch (err) {
    const error = ((err as Error)?.message ?? String(err)).slice(0, 500);
    if (job.pending_fetch_id) await failedTry(env, job.pending_fetch_id, error);
    else if (attempts >= QUEUE_FETCH_TRIES) await parkFetch(env, job, attempts, error);
    else throw err;
  }
}

/**
 * A fetch job that reached the dead-letter queue all the same (its consumer crashed while
 * parking it) is kept as a pending fetch, so the callback it stands for is still owed.
 */
export async function keepDeadFetchJob(env: Env, body: unknown): Promise<void> {
  const parsed = jobMessageSchema.safeParse(body);
  if (!parsed.success || parsed.data.kind !== "fetch") return;
  const job = parsed.data;
  if (job.pending_fetch_id) await failedTry(env, job.pending_fetch_id, "the try's job was dead-lettered");
  else await parkFetch(env, job, QUEUE_FETCH_TRIES, "the fetch job exhausted the jobs queue's retries");
}
