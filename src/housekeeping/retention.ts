import { deleteAttemptsOfExpiredStatement } from "../db/attempts";
import { deleteDeadLettersBefore } from "../db/dead-letters";
import { deleteExpiredStatement, expiredDeliveryIds } from "../db/deliveries-pages";
import { purgeEvents } from "../db/events";
import { deleteKeysBefore } from "../db/idempotency-keys";
import { purgeIngestLog } from "../db/ingest-log";
import { deleteDoneBefore } from "../db/replays";
import { listWorkspaceIds } from "../db/workspaces";
import { IDEMPOTENCY_TTL_MS } from "../idempotency";
import { retentionDays } from "../lib/config";

const DAY_MS = 86_400_000;

export interface PurgeOptions {
  /** Rows one statement deletes. */
  batchSize?: number;
  /** A run deletes at most batchSize × maxBatches rows of each table. */
  maxBatches?: number;
}

export interface PurgeReport {
  deliveries: number;
  events: number;
  ingest_log: number;
  dead_letters: number;
  replays: number;
  idempotency_keys: number;
}

/**
 * Deletes what is past retention (RETENTION_DAYS, default 30), in bounded batches, so one
 * run never holds D1 for long and a backlog drains over several runs:
 *
 * - finished deliveries (succeeded/failed) completed before the cutoff, with their attempts
 *   (one batch, so no attempt outlives its delivery);
 * - events received before the cutoff that no delivery refers to any more: an event whose
 *   delivery still waits (a paused destination, a long retry schedule) stays until that
 *   delivery finishes and ages out, so the log never points at a missing event;
 * - ingest-log rows, dead letters, and replays that are done (walked, none of their
 *   deliveries still out) and idle since the cutoff.
 *
 * Events and ingest-log rows are walked per workspace, on the (workspace_id, time) indexes,
 * deliveries through their events (src/db/deliveries-pages.ts, expiredDeliveryIds), rather
 * than by a scan of the whole table. The order
 * Durable Objects forget their dedupe entries on the same retention (their alarm,
 * src/orders/sequencer.ts): a provider re-sending an event older than that is accepted
 * as new — SECURITY.md, "Replays".
 */
export async function purgeExpired(env: Env, now: number, opts: PurgeOptions = {}): Promise<PurgeReport> {
  const batchSize = opts.batchSize ?? 200;
  const maxBatches = opts.maxBatches ?? 10;
  const cutoff = now - retentionDays(env) * DAY_MS;
  const db = env.DB;
  const workspaces = await listWorkspaceIds(db);

  const maxRows = batchSize * maxBatches;
  // Each run starts at another workspace, so one with a large backlog cannot starve the rest.
  const start = workspaces.length ? Math.floor(now / 300_000) % workspaces.length : 0;
  const order = [...workspaces.slice(start), ...workspaces.slice(0, start)];

  /** Runs `run(workspace, limit)` until a batch comes back short or the table's row budget is spent. */
  const drain = async (perWorkspace: boolean, run: (workspaceId: string | null, limit: number) => Promise<number>) => {
    let total = 0;
    for (const ws of perWorkspace ? order : [null]) {
      for (;;) {
        if (total >= maxRows) return total;
        const limit = Math.min(batchSize, maxRows - total);
        const deleted = await run(ws, limit);
        total += deleted;
        if (deleted < limit) break;
      }
    }
    return total;
  };

  const deliveries = await drain(true, async (ws, limit) => {
    const ids = await expiredDeliveryIds(db, ws!, cutoff, limit);
    if (ids.length === 0) return 0;
    const json = JSON.stringify(ids);
    // Both statements re-check the state: a manual retry in between keeps its delivery and attempts.
    const [, removed] = await db.batch([deleteAttemptsOfExpiredStatement(db, json, cutoff), deleteExpiredStatement(db, json, cutoff)]);
    return removed!.meta.changes;
  });

  const events = await drain(true, (ws, limit) => purgeEvents(db, ws!, cutoff, limit));
  const ingestLog = await drain(true, (ws, limit) => purgeIngestLog(db, ws!, cutoff, limit));

  const deadLetters = await drain(false, (_ws, limit) => deleteDeadLettersBefore(db, cutoff, limit));
  const replays = await drain(false, (_ws, limit) => deleteDoneBefore(db, cutoff, limit));

  // Idempotency keys are kept 24 h whatever RETENTION_DAYS says (CONTRACT.md, Additions).
  const idempotencyKeys = await drain(false, (_ws, limit) => deleteKeysBefore(db, now - IDEMPOTENCY_TTL_MS, limit));

  return { deliveries, events, ingest_log: ingestLog, dead_letters: deadLetters, replays, idempotency_keys: idempotencyKeys };
}
