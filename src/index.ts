import { createApp } from "./app";
import { consumeDeadLetters } from "./delivery/dead-letters";
import { consumeDeliveries } from "./delivery/consumer";
import { consumeJobs, keepDeadFetchJob } from "./jobs/consumer";
import { runCron } from "./housekeeping/last-run";
import { RateLimiter } from "./limits/rate-limiter";
import { ListenerObject } from "./listen/object";
import { OrderSequencer } from "./orders/sequencer";

export { ListenerObject, OrderSequencer, RateLimiter };

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    if (batch.queue.startsWith("shiprelay-deliveries")) return consumeDeliveries(batch, env);
    if (batch.queue.startsWith("shiprelay-jobs")) return consumeJobs(batch, env);
    return consumeDeadLetters(batch, env, keepDeadFetchJob);
  },
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(runCron(env, controller.scheduledTime));
  },
} satisfies ExportedHandler<Env, unknown>;
