import type { ScopeCounts } from "./op-counts";

async function timed<T>(counts: ScopeCounts, send: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await send();
  } finally {
    counts.queueSendWallMs += Date.now() - started;
  }
}

const encoder = new TextEncoder();

function sizeOf(body: unknown): number {
  if (typeof body === "string") return encoder.encode(body).length;
  if (body instanceof ArrayBuffer) return body.byteLength;
  if (ArrayBuffer.isView(body)) return body.byteLength;
  return encoder.encode(JSON.stringify(body) ?? "").length;
}

/**
 * A Queue producer binding that counts calls, messages and bytes. Queues bill per 64 KB of
 * each message written, read and deleted, so the bytes tell whether a message is one
 * operation or several.
 */
export function countingQueue<Body>(queue: Queue<Body>, counts: ScopeCounts): Queue<Body> {
  return new Proxy(queue, {
    get(target, prop) {
      if (prop === "send") {
        return (body: Body, options?: QueueSendOptions) => {
          counts.queueSendCalls++;
          counts.queueMessagesSent++;
          counts.queueBytesSent += sizeOf(body);
          return timed(counts, () => target.send(body, options));
        };
      }
      if (prop === "sendBatch") {
        return (messages: Iterable<MessageSendRequest<Body>>, options?: QueueSendBatchOptions) => {
          const list = [...messages];
          counts.queueSendCalls++;
          counts.queueMessagesSent += list.length;
          for (const m of list) counts.queueBytesSent += sizeOf(m.body);
          return timed(counts, () => target.sendBatch(list, options));
        };
      }
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A consumer batch whose messages count their ack() and retry() calls. */
export function countingBatch<Body>(batch: MessageBatch<Body>, counts: ScopeCounts): MessageBatch<Body> {
  counts.queueBatches++;
  counts.queueMessagesReceived += batch.messages.length;
  const messages = batch.messages.map(
    (msg) =>
      new Proxy(msg, {
        get(target, prop) {
          if (prop === "ack") {
            return () => {
              counts.queueAcks++;
              target.ack();
            };
          }
          if (prop === "retry") {
            return (options?: QueueRetryOptions) => {
              counts.queueRetries++;
              target.retry(options);
            };
          }
          const value = Reflect.get(target, prop) as unknown;
          return typeof value === "function" ? value.bind(target) : value;
        },
      }),
  );
  return {
    queue: batch.queue,
    metadata: batch.metadata,
    messages,
    ackAll() {
      counts.queueAcks += messages.length;
      batch.ackAll();
    },
    retryAll(options?: QueueRetryOptions) {
      counts.queueRetries += messages.length;
      batch.retryAll(options);
    },
  };
}
