import { insertIngestLogStatement } from "../db/ingest-log";
import type { CheckedCallback, IngestOutcome } from "./outcome";
import { commitEvents } from "./pipeline";
import { forgetIngestConfig } from "./source-config";
import type { NormalizedEvent } from "./providers/types";

/**
 * Commits a checked callback's events (src/ingest/pipeline.ts) and says what the provider is
 * told: the 2xx follows the order objects' durable write alone. The ingest-log row rides in
 * the commit; a callback without events is logged here.
 */
export async function commitCallback(env: Env, cb: CheckedCallback, events: NormalizedEvent[]): Promise<IngestOutcome> {
  if (events.length === 0) {
    await insertIngestLogStatement(env.DB, { ...cb.log, result: "accepted", reason: "no_events", eventIds: [] }).run();
    return { kind: "accepted", eventIds: [] };
  }
  let committed: Awaited<ReturnType<typeof commitEvents>>;
  try {
    committed = await commitEvents(env, {
      source: cb.source,
      routing: { configVersion: cb.configVersion, destinations: cb.destinations },
      events,
      raw: cb.rawBody,
      parsed: cb.parsed,
      receivedAt: cb.receivedAt,
      log: cb.log,
    });
  } catch (err) {
    return notCommitted(env, cb, (err as Error).message);
  }
  // An order object has seen a newer config (its flush found this one stale): re-read next time,
  // so a rotated secret or a deleted source stops being honoured here as soon as anyone noticed.
  if (committed.configVersion !== null && committed.configVersion > cb.configVersion) forgetIngestConfig(cb.source.id);
  return { kind: committed.duplicate ? "duplicate" : "accepted", eventIds: committed.eventIds };
}

async function notCommitted(env: Env, cb: CheckedCallback, error: string): Promise<IngestOutcome> {
  console.error(JSON.stringify({ level: "error", msg: "ingest commit failed", source_id: cb.source.id, error }));
  // Best effort: the provider is told to retry either way.
  await insertIngestLogStatement(env.DB, { ...cb.log, result: "rejected", reason: "commit_failed", eventIds: [], httpStatus: 503 })
    .run()
    .catch(() => undefined);
  return { kind: "not_committed", message: "the event could not be stored; retry later" };
}
