import { countingD1 } from "./counting-d1";
import { countingNamespace } from "./counting-durable-objects";
import { countingQueue } from "./counting-queues";
import type { ScopeCounts } from "./op-counts";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
const isD1 = (v: unknown): v is D1Database => isObject(v) && typeof v.prepare === "function" && typeof v.batch === "function";
const isQueue = (v: unknown): v is Queue => isObject(v) && typeof v.sendBatch === "function";
const isNamespace = (v: unknown): v is DurableObjectNamespace => isObject(v) && typeof v.idFromName === "function";

/**
 * The Worker's bindings with every D1 database, queue and Durable Object namespace
 * replaced by a counting wrapper. Bindings are recognised by shape, so one added to
 * wrangler.toml later is counted without a change here; wrappers are made on first use.
 */
export function countingEnv(env: Env, counts: ScopeCounts): Env {
  const wrapped = new Map<string | symbol, unknown>();
  return new Proxy(env, {
    get(target, prop) {
      if (wrapped.has(prop)) return wrapped.get(prop);
      const value = Reflect.get(target, prop) as unknown;
      const out = isD1(value)
        ? countingD1(value, counts)
        : isQueue(value)
          ? countingQueue(value, counts)
          : isNamespace(value)
            ? countingNamespace(value, counts)
            : value;
      wrapped.set(prop, out);
      return out;
    },
  });
}
