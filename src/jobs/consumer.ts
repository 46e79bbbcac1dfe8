import { runFetchJob } from "../ingest/fetch-job";
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
          await runFetchJob(env, job, msg.attempts);
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
