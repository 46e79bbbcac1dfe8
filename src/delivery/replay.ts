import { newId } from "../lib/ids";
import type { JobMessage } from "../jobs/messages";
import { enqueueDeliveries, MAX_SEND_BATCH } from "./messages";

/**
 * Bulk replay (POST /v1/destinations/:id/replay): re-send every delivery of a destination
 * that matched `{status, since, until}` when the replay was asked for, in the background,
 * each exactly once, however many there are.
 *
 * - The set is a snapshot: deliveries in the time range (by `created_at`, like the delivery
 *   list) with that status and finished (`completed_at`) before the replay was created.
 * - The jobs queue walks it in keyset order, a page at a time. Claiming a page is one
 *   UPDATE that reopens the deliveries and stamps them with the replay's id; a reopened
 *   delivery no longer matches the snapshot (its status changed, and if it finishes again its
 *   `completed_at` is after the snapshot), so a step that runs twice — a crashed job the
 *   queue redelivers, two messages for one replay — can never claim it again.
 * - Each replayed delivery gets exactly one more attempt (like POST /v1/deliveries/:id/retry);
 *   when that attempt finishes it is counted on the replay and unstamped
 *   (src/delivery/record.ts). So `sent` = still stamped + counted, and `done` = walked and
 *   nothing stamped any more.
 * - A claimed page whose queue messages were lost (crash between the UPDATE and the send)
 *   is due and unsent; the housekeeping sweep resends it. A walk whose job died is resumed
 *   by the sweep too (resumeStalledReplays).
 */
export const REPLAY_STATUSES = ["failed", "succeeded"] as const;
export type ReplayStatus = (typeof REPLAY_STATUSES)[number];

export interface ReplayFilter {
  status: ReplayStatus;
  /** Inclusive, unix ms; null = from the start. */
  since: number | null;
  /** Exclusive, unix ms; null = up to now. */
  until: number | null;
}

/** Pages one job message walks before it hands over to the next (bounded work per message). */
export const REPLAY_PAGES_PER_STEP = 10;
/** A walk that has not moved for this long lost its job; the sweep restarts it. */
export const REPLAY_STALL_MS = 15 * 60_000;

interface ReplayRow {
  id: string;
  destination_id: string;
  filter: string;
  cursor: string | null;
  walked_at: number | null;
  created_at: number;
}

const bounds = (f: ReplayFilter) => [f.since ?? 0, f.until ?? Number.MAX_SAFE_INTEGER] as const;

/** Creates the replay (its total fixed now) and starts its walk. */
export async function createReplay(
  env: Env,
  input: { workspaceId: string; destinationId: string; filter: ReplayFilter },
  now = Date.now(),
): Promise<{ id: string; total: number }> {
  const [since, until] = bounds(input.filter);
  const counted = await env.DB.prepare(
    `SELECT count(*) AS n FROM deliveries
      WHERE destination_id = ?1 AND status = ?2 AND created_at >= ?3 AND created_at < ?4 AND completed_at <= ?5`,
  )
    .bind(input.destinationId, input.filter.status, since, until, now)
    .first<{ n: number }>();
  const total = counted?.n ?? 0;
  const id = newId("rpl", now);
  await env.DB.prepare(
    `INSERT INTO replays (id, workspace_id, destination_id, filter, total, succeeded, failed, walked_at, cursor, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, 0, 0, ?6, NULL, ?7, ?7)`,
  )
    .bind(id, input.workspaceId, input.destinationId, JSON.stringify(input.filter), total, total === 0 ? now : null, now)
    .run();
  if (total > 0) await env.JOBS.send({ kind: "replay", replay_id: id } satisfies JobMessage, { contentType: "json" });
  return { id, total };
}

/**
 * Walks up to `maxPages` pages of a replay, then queues the next step (or marks it walked).
 * Safe to run twice, concurrently or after a crash: see the module comment.
 */
export async function runReplayStep(env: Env, replayId: string, maxPages = REPLAY_PAGES_PER_STEP): Promise<void> {
  const replay = await env.DB.prepare("SELECT id, destination_id, filter, cursor, walked_at, created_at FROM replays WHERE id = ?1")
    .bind(replayId)
    .first<ReplayRow>();
  if (!replay || replay.walked_at !== null) return;
  const filter = JSON.parse(replay.filter) as ReplayFilter;
  const [since, until] = bounds(filter);
  let [cursorAt, cursorId] = parseCursor(replay.cursor);

  for (let pageNo = 0; pageNo < maxPages; pageNo++) {
    const now = Date.now();
    const { results } = await env.DB.prepare(
      `UPDATE deliveries SET status = CASE WHEN attempt_count = 0 THEN 'pending' ELSE 'retrying' END,
              attempt_limit = attempt_count + 1, next_attempt_at = ?9, enqueued_at = ?9, lease_until = NULL,
              completed_at = NULL, replay_id = ?1, updated_at = ?9
        WHERE id IN (
          SELECT id FROM deliveries
           WHERE destination_id = ?2 AND status = ?3 AND created_at >= ?4 AND created_at < ?5 AND completed_at <= ?6
             AND (created_at > ?7 OR (created_at = ?7 AND id > ?8))
           ORDER BY created_at, id LIMIT ?10)
        RETURNING id, attempt_count, created_at`,
    )
      .bind(replay.id, replay.destination_id, filter.status, since, until, replay.created_at, cursorAt, cursorId, now, MAX_SEND_BATCH)
      .all<{ id: string; attempt_count: number; created_at: number }>();
    if (results.length > 0) {
      // Oldest first, so a destination that cares about order gets the page in order.
      results.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1));
      await enqueueDeliveries(env.DELIVERIES, results.map((r) => ({ delivery_id: r.id, attempt: r.attempt_count + 1 })));
      const last = results[results.length - 1]!;
      [cursorAt, cursorId] = [last.created_at, last.id];
    }
    const walked = results.length < MAX_SEND_BATCH;
    await env.DB.prepare("UPDATE replays SET cursor = ?2, walked_at = ?3, updated_at = ?4 WHERE id = ?1")
      .bind(replay.id, `${cursorAt}|${cursorId}`, walked ? now : null, now)
      .run();
    if (walked) return;
  }
  await env.JOBS.send({ kind: "replay", replay_id: replay.id } satisfies JobMessage, { contentType: "json" });
}

function parseCursor(cursor: string | null): [number, string] {
  if (!cursor) return [-1, ""];
  const at = cursor.indexOf("|");
  return [Number(cursor.slice(0, at)), cursor.slice(at + 1)];
}

export interface ReplayProgress {
  total: number;
  sent: number;
  succeeded: number;
  failed: number;
  done: boolean;
}

/** The replay's counters as the API shows them (see the module comment for `sent` and `done`). */
export async function replayProgress(
  env: Env,
  replay: { id: string; total: number; succeeded: number; failed: number; walkedAt: number | null },
): Promise<ReplayProgress> {
  const inFlight = await env.DB.prepare("SELECT count(*) AS n FROM deliveries WHERE replay_id = ?1").bind(replay.id).first<{ n: number }>();
  const open = inFlight?.n ?? 0;
  return {
    total: replay.total,
    sent: open + replay.succeeded + replay.failed,
    succeeded: replay.succeeded,
    failed: replay.failed,
    done: replay.walkedAt !== null && open === 0,
  };
}

/** Restarts walks whose job was lost (dead-lettered after crashing); returns how many. */
export async function resumeStalledReplays(env: Env, now = Date.now()): Promise<number> {
  const { results } = await env.DB.prepare(
    `UPDATE replays SET updated_at = ?1 WHERE walked_at IS NULL AND updated_at <= ?2 RETURNING id`,
  )
    .bind(now, now - REPLAY_STALL_MS)
    .all<{ id: string }>();
  for (const r of results) await env.JOBS.send({ kind: "replay", replay_id: r.id } satisfies JobMessage, { contentType: "json" });
  return results.length;
}
