import { forgetQueueMessage } from "../db/deliveries";
import { insertDeadLetter } from "../db/dead-letters";
import { newId } from "../lib/ids";
import { deliveryMessageSchema } from "./messages";

/** Keeps a queue message that could not be processed, so it is never silently lost. */
export async function recordDeadLetter(env: Env, queue: string, body: unknown, why: string): Promise<void> {
  await insertDeadLetter(env.DB, { id: newId("dlq"), queue, body: JSON.stringify({ why, body }), at: Date.now() });
}

/**
 * The dead-letter queue's consumer: messages that crashed a consumer max_retries times.
 * Each is recorded (`dead_letters`). A delivery message that was still its delivery's next
 * attempt also leaves the delivery open with no queue message, so the housekeeping sweep
 * sends it again once whatever broke is fixed (and POST /v1/deliveries/:id/retry can send it
 * at once). A replay or drain job that died is picked up by the sweep too.
 */
export async function consumeDeadLetters(
  batch: MessageBatch<unknown>,
  env: Env,
  /** What else a dead message needs (a pointer fetch job becomes a pending fetch: src/jobs/consumer.ts). */
  keep?: (env: Env, body: unknown) => Promise<void>,
): Promise<void> {
  for (const msg of batch.messages) {
    try {
      await recordDeadLetter(env, batch.queue, msg.body, "exhausted the queue's retries");
      if (keep) await keep(env, msg.body);
      const delivery = deliveryMessageSchema.safeParse(msg.body);
      if (delivery.success) await forgetQueueMessage(env.DB, delivery.data.delivery_id, delivery.data.attempt - 1);
      msg.ack();
    } catch {
      msg.retry({ delaySeconds: 60 });
    }
  }
}
