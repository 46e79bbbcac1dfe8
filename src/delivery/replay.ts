import { dbOf } from "../db/client";
import type { DeliveryFilter } from "../db/deliveries-reads";
import { countReplaySet, countStampedBy, reopenReplayPage, type ReplaySet } from "../db/deliveries-pages";
import { findReplay, getReplayById, insertReplay, saveWalk, touchStalledWalks, type Replay } from "../db/replays";
import type { JobMessage } from "../jobs/messages";
import { newId } from "../lib/ids";
import { enqueueDeliveries, MAX_SEND_BATCH } from "./messages";

/**
 * Bulk replay (POST /v1/destinations/:id/replay): re-send every delivery of a destination
 * that matched `{status, since, until}` when the replay was asked for, in the background,
 * each exactly once, however many there are. The bulk resend (POST /v1/deliveries/retry) is
 * the same machinery over a workspace's deliveries picked by ids or by the list's filters;
 * its row names no destination (`destination_id` null) and stores `{kind: "bulk", ids | filter}`.
 *
 * - The set is a snapshot: deliveries in the time range (by `created_at`, like the delivery
 *   list) with that status and finished (`completed_at`) before the replay was created. Open
 *   deliveries (pending, retrying) are never in it: they are going out anyway.
 * - The jobs queue walks it in keyset order, a page at a time. Claiming a page is one
 *   UPDATE (`reopenReplayPage`) that reopens the deliveries and stamps them with the replay's id; a reopened
 *   delivery no longer matches the snapshot (its status changed, and if it finishes again its
 *   `completed_at` is after the snapshot), so a step that runs twice — a crashed job the
 *   queue redelivers, two messages for one replay — can never claim it again.
 * - Each replayed delivery is reopened as by POST /v1/deliveries/:id/retry (`reopen` in
 *   src/db/deliveries.ts): at least one more attempt, never fewer than it had left. When it
 *   finishes again it is counted on the replay and unstamped (src/delivery/record.ts). So `sent` = still stamped + counted, and `done` = walked and
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

/** What a bulk resend was asked to take: deliveries by id, or those the list's filter matches. */
export type BulkSelection = { kind: "bulk"; ids: string[] } | { kind: "bulk"; filter: DeliveryFilter };

/** A range replay's set: one destination's deliveries of one status in [since, until). */
function rangeSet(workspaceId: string, destinationId: string, f: ReplayFilter, snapshotAt: number): ReplaySet {
  const filter = { destinationIds: [destinationId], statuses: [f.status], since: f.since ?? undefined, until: f.until ?? undefined };
  return { workspaceId, filter, snapshotAt };
}

/** The deliveries a replay row re-sends, as the deliveries table selects them. */
function replaySetOf(row: Replay): ReplaySet {
  if (row.destinationId) return rangeSet(row.workspaceId, row.destinationId, row.filter as unknown as ReplayFilter, row.createdAt);
  const sel = row.filter as unknown as BulkSelection;
  return "ids" in sel
    ? { workspaceId: row.workspaceId, filter: {}, ids: sel.ids, snapshotAt: row.createdAt }
    : { workspaceId: row.workspaceId, filter: sel.filter, snapshotAt: row.createdAt };
}

const walkJob = (replayId: string): JobMessage => ({ kind: "replay", replay_id: replayId });

/** Creates the replay of a destination's range (its total fixed now) and starts its walk. */
export async function createReplay(
  env: Env,
  input: { workspaceId: string; destinationId: string; filter: ReplayFilter },
  now = Date.now(),
): Promise<{ id: string; total: number }> {
  const set = rangeSet(input.workspaceId, input.destinationId, input.filter, now);
  return startReplay(env, { ...input, filter: { ...input.filter } }, set, now);
}

/**
 * Creates a bulk resend (POST /v1/deliveries/retry, the console's "resend selected" and
 * "resend all matching"): the workspace's finished deliveries among `ids`, or matching
 * `filter`, each re-sent once, with progress as for a range replay.
 */
export async function createBulkResend(env: Env, workspaceId: string, selection: BulkSelection, now = Date.now()) {
  const set: ReplaySet =
    "ids" in selection ? { workspaceId, filter: {}, ids: selection.ids, snapshotAt: now } : { workspaceId, filter: selection.filter, snapshotAt: now };
  return startReplay(env, { workspaceId, destinationId: null, filter: { ...selection } }, set, now);
}

async function startReplay(
  env: Env,
  input: { workspaceId: string; destinationId: string | null; filter: Record<string, unknown> },
  set: ReplaySet,
  now: number,
): Promise<{ id: string; total: number }> {
  const db = dbOf(env);
  const total = await countReplaySet(db, set);
  const id = newId("rpl", now);
  await insertReplay(db, {
    id,
    workspaceId: input.workspaceId,
    destinationId: input.destinationId,
    filter: input.filter,
    total,
    succeeded: 0,
    failed: 0,
    walkedAt: total === 0 ? now : null,
    cursor: null,
    createdAt: now,
    updatedAt: now,
  });
  if (total > 0) await env.JOBS.send(walkJob(id), { contentType: "json" });
  return { id, total };
}

/**
 * Walks up to `maxPages` pages of a replay, then queues the next step (or marks it walked).
 * Safe to run twice, concurrently or after a crash: see the module comment.
 */
export async function runReplayStep(env: Env, replayId: string, maxPages = REPLAY_PAGES_PER_STEP): Promise<void> {
  const db = dbOf(env);
  const replay = await getReplayById(db, replayId);
  if (!replay || replay.walkedAt !== null) return;
  const set = replaySetOf(replay);
  let [cursorAt, cursorId] = parseCursor(replay.cursor);

  for (let pageNo = 0; pageNo < maxPages; pageNo++) {
    const now = Date.now();
    const page = await reopenReplayPage(db, replay.id, set, { at: cursorAt, id: cursorId }, now, MAX_SEND_BATCH);
    if (page.length > 0) {
      await enqueueDeliveries(env.DELIVERIES, page.map((r) => ({ delivery_id: r.id, attempt: r.attemptCount + 1 })));
      const last = page[page.length - 1]!;
      [cursorAt, cursorId] = [last.createdAt, last.id];
    }
    const walked = page.length < MAX_SEND_BATCH;
    await saveWalk(db, replay.id, `${cursorAt}|${cursorId}`, walked ? now : null, now);
    if (walked) return;
  }
  await env.JOBS.send(walkJob(replay.id), { contentType: "json" });
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
  replay: Pick<Replay, "id" | "total" | "succeeded" | "failed" | "walkedAt">,
): Promise<ReplayProgress> {
  const open = await countStampedBy(dbOf(env), replay.id);
  return {
    total: replay.total,
    sent: open + replay.succeeded + replay.failed,
    succeeded: replay.succeeded,
    failed: replay.failed,
    done: replay.walkedAt !== null && open === 0,
  };
}

/** A replay of the workspace with what it was asked for and how far it got (the API and the console show this). */
export async function getReplayProgress(env: Env, workspaceId: string, id: string) {
  const row = await findReplay(dbOf(env), workspaceId, id);
  if (!row) return undefined;
  // A range replay's {status, since, until}; a bulk resend has none (its selection is in row.filter).
  const filter = row.destinationId ? (row.filter as unknown as ReplayFilter) : undefined;
  return { replay: row, filter, progress: await replayProgress(env, row) };
}

/** Restarts walks whose job was lost (dead-lettered after crashing); returns how many. */
export async function resumeStalledReplays(env: Env, now = Date.now()): Promise<number> {
  const ids = await touchStalledWalks(env.DB, now, now - REPLAY_STALL_MS);
  for (const id of ids) await env.JOBS.send(walkJob(id), { contentType: "json" });
  return ids.length;
}
