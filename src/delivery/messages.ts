import { z } from "zod";

/**
 * Queue message bodies, validated again by the consumers (a message is data from the past:
 * an older deploy may have written it).
 *
 * A delivery message names the attempt it is meant to make. After an attempt the consumer
 * sends a fresh message for the next one, so a stale or duplicated message (a sweep
 * re-enqueue racing the original) no longer matches the delivery's attempt count and is
 * dropped — the one rule that stops a delivery being sent twice.
 */
export const deliveryMessageSchema = z.object({
  delivery_id: z.string(),
  attempt: z.number().int().min(1),
  /**
   * A rate-limit slot already booked for this attempt (unix ms): the message was put back to
   * wait for it, and must not book another on arrival (src/delivery/pacing.ts).
   */
  slot_at: z.number().int().optional(),
});
export type DeliveryMessage = z.infer<typeof deliveryMessageSchema>;

/** Cloudflare Queues' longest delaySeconds (12 h); longer waits are split into hops. */
export const MAX_QUEUE_DELAY_SECONDS = 43_200;
/** Cloudflare Queues' largest sendBatch. */
export const MAX_SEND_BATCH = 100;

/** A delivery message and how long the queue should hold it. */
export interface DelayedMessage {
  body: DeliveryMessage;
  delaySeconds: number;
}

/** Sends delivery messages, each with its own delay, in as few sends as the queue allows. */
export async function enqueueEach(queue: Queue, messages: DelayedMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += MAX_SEND_BATCH) {
    await queue.sendBatch(
      messages.slice(i, i + MAX_SEND_BATCH).map(({ body, delaySeconds }) => ({
        body,
        contentType: "json" as const,
        ...(delaySeconds > 0 ? { delaySeconds: Math.min(delaySeconds, MAX_QUEUE_DELAY_SECONDS) } : {}),
      })),
    );
  }
}

/** Sends delivery messages in batches; a delay beyond the queue's maximum is cut to it (the consumer hops the rest). */
export function enqueueDeliveries(queue: Queue, messages: DeliveryMessage[], delaySeconds = 0): Promise<void> {
  return enqueueEach(
    queue,
    messages.map((body) => ({ body, delaySeconds })),
  );
}
