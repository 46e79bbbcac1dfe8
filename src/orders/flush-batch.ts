import { insertNewDeliveriesStatements } from "../db/deliveries-create";
import type { WorkspaceRouting } from "../db/destinations";
import { insertEventsStatements, insertPayloadsStatements } from "../db/events";
import { upsertIngestLogStatements, type placeLogs } from "../db/ingest-log";
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
export async function flushBatch(db: D1Database, { events, logs }: ReturnType<typeof placeLogs>, routing: WorkspaceRouting | undefined) {
  const { deliveries, messages } = routing ? await fanOut(events, routing, Date.now()) : { deliveries: [], messages: [] };
  // A payload too large to ride in its events row goes to event_payloads (src/db/events.ts decides).
  const payloads = events.flatMap((e) => (e.raw !== null ? [{ eventId: e.id, workspaceId: e.workspaceId, raw: e.raw }] : []));
  return {
    statements: [
      ...(routing && events.length ? [configGuardStatement(db, events[0]!.workspaceId, routing.configVersion)] : []),
      ...insertEventsStatements(db, events),
      ...insertPayloadsStatements(db, payloads),
      ...insertNewDeliveriesStatements(db, deliveries),
      ...upsertIngestLogStatements(db, logs),
    ],
    messages,
  };
}
