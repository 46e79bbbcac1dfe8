import { insertNewDeliveriesStatements } from "../db/deliveries-create";
import type { WorkspaceRouting } from "../db/destinations";
import { insertEventsStatements, insertPayloadsStatements, type EventRow } from "../db/events";
import { upsertIngestLogStatements, type placeLogs } from "../db/ingest-log";
import { pairKey } from "../db/tracking-numbers";
import { configGuardStatement } from "../db/workspaces";
import { fanOut } from "./fan-out";

/**
 * What one outbox flush writes (src/orders/outbox.ts): one D1 batch — the workspace's config
 * guard first, so a stale routing fails the whole batch; the events with their new (tracking
 * number, order key) pairs, payloads too large for their row, the fan-out's deliveries, and the
 * ingest-log entries not carried by their event — and the queue messages to send once it held.
 * An entry carried by an event that was in D1 already follows in a second batch
 * (uncarriedLogStatements), rarely.
 * Multi-row statements, idempotent by deterministic ids: a redone flush doubles nothing.
 */
export async function flushBatch(
  db: D1Database,
  { events, logs }: ReturnType<typeof placeLogs>,
  routing: WorkspaceRouting | undefined,
  pairsKnown?: (e: EventRow) => boolean,
) {
  const { deliveries, messages } = routing ? await fanOut(events, routing, Date.now()) : { deliveries: [], messages: [] };
  // A payload too large to ride in its events row goes to event_payloads (src/db/events.ts decides).
  const payloads = events.flatMap((e) => (e.raw !== null ? [{ eventId: e.id, workspaceId: e.workspaceId, raw: e.raw }] : []));
  return {
    statements: [
      ...(routing && events.length ? [configGuardStatement(db, events[0]!.workspaceId, routing.configVersion)] : []),
      ...insertEventsStatements(db, events, { pairsKnown }),
      ...insertPayloadsStatements(db, payloads),
      ...insertNewDeliveriesStatements(db, deliveries),
      ...upsertIngestLogStatements(db, logs),
    ],
    messages,
  };
}

/**
 * The (tracking number, order key) pairs one order object wrote to D1, and when: a shipment's
 * next events, which come to the same object, skip the pair's statement. Retention deletes a
 * pair only with the last event that has it, 30 days old at least, so an hour is far inside
 * what is certainly stored; after a restart the object writes each pair once more (0 rows).
 */
export class WrittenPairs {
  private static readonly MEMORY_MS = 60 * 60_000;
  private static readonly MAX = 10_000;
  private readonly at = new Map<string, number>();

  known(e: EventRow): boolean {
    return (this.at.get(pairKey(e)) ?? 0) > Date.now() - WrittenPairs.MEMORY_MS;
  }

  remember(events: EventRow[]) {
    if (this.at.size > WrittenPairs.MAX) this.at.clear();
    const now = Date.now();
    for (const e of events) if (e.trackingNumber && e.orderKey) this.at.set(pairKey(e), now);
  }
}
