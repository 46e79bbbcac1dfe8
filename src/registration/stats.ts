import { triggerCountsByEvent } from "../db/ingest-log";
import type { SourceConfig } from "../db/sources";

export interface TriggerCount {
  count: number;
  /** Unix ms of the newest, null when none. */
  last: number | null;
}

export interface TriggerStats {
  total: TriggerCount;
  forEvent(event: string): TriggerCount;
}

/** `API_TRACK` (ShipEngine) ↔ `track`, `FULFILLMENT_SHIPPED_V2` ↔ `fulfillment_shipped_v2`, `SHIP_NOTIFY` ↔ itself. */
const eventKey = (name: string) => name.toLowerCase().replace(/^api_/, "");

/**
 * `last_triggered_at` / `trigger_count` from the ingest log: the source's accepted and
 * duplicate requests (rejected ones never reached the relay as the provider meant them).
 * A request's event is the `resource_type` the ingest route logs for pointer callbacks,
 * else the provider event of the first event it produced. A request whose event is unknown
 * counts for a webhook only when the source has exactly one registered; it always counts in
 * `total`.
 */
export async function triggerStats(env: Env, source: SourceConfig, webhookCount: number): Promise<TriggerStats> {
  const results = await triggerCountsByEvent(env.DB, source.workspaceId, source.id);

  const byEvent = new Map<string, TriggerCount>();
  const unknown: TriggerCount = { count: 0, last: null };
  const total: TriggerCount = { count: 0, last: null };
  const add = (into: TriggerCount, n: number, last: number | null) => {
    into.count += n;
    if (last !== null && (into.last === null || last > into.last)) into.last = last;
  };
  for (const r of results) {
    add(total, r.n, r.last_at);
    if (typeof r.event !== "string" || !r.event) {
      add(unknown, r.n, r.last_at);
      continue;
    }
    const key = eventKey(r.event);
    const slot = byEvent.get(key) ?? { count: 0, last: null };
    add(slot, r.n, r.last_at);
    byEvent.set(key, slot);
  }
  return {
    total,
    forEvent(event) {
      const out: TriggerCount = { count: 0, last: null };
      const known = byEvent.get(eventKey(event));
      if (known) add(out, known.count, known.last);
      if (webhookCount === 1) add(out, unknown.count, unknown.last);
      return out;
    },
  };
}
