import { insertIngestLogStatement } from "../db/ingest-log";
import { STALE_CONFIG } from "../db/workspaces";
import type { CheckedCallback, IngestOutcome } from "./outcome";
import { commitEvents } from "./pipeline";
import type { NormalizedEvent } from "./providers/types";

/**
 * Commits a checked callback's events (src/ingest/pipeline.ts) and says what the provider is
 * told. The ingest-log row rides in the commit; a callback without events is logged here.
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
      destinations: cb.destinations,
      configVersion: cb.configVersion,
      events,
      raw: cb.rawBody,
      parsed: cb.parsed,
      receivedAt: cb.receivedAt,
      log: cb.log,
    });
  } catch (err) {
    return notCommitted(env, cb, (err as Error).message);
  }
  if (committed === STALE_CONFIG) {
    // Fanned out from cached config that has changed: nothing was committed; redo on fresh config.
    if (cb.revalidate) return { kind: "redo", rawBody: cb.rawBody };
    return notCommitted(env, cb, "stale_config: the workspace's sources or destinations changed since they were read");
  }
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
