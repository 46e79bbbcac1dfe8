import { dbOf } from "../db/client";
import { noteIngestLogReason } from "../db/ingest-log";
import {
  deferPendingFetch,
  deletePendingFetch,
  getPendingFetch,
  insertPendingFetchStatement,
  notePendingFetchFailure,
  pendingFetchOfLog,
  takeDuePendingFetches,
  type PendingFetchRow,
} from "../db/pending-fetches";
import { enqueueEach } from "../delivery/messages";
import { relayEventWrite, relaySubscribers } from "../delivery/relay-events";
import { notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import type { JobMessage } from "../jobs/messages";

export type FetchJob = Extract<JobMessage, { kind: "fetch" }>;

/**
 * Pointer callbacks were answered `200 pending_fetch`: the relay owes the provider their
 * events. A fetch that fails for good on the jobs queue (its retries spent: a provider
 * outage, a revoked credential) is never dropped: it becomes a pending fetch — listed at
 * `GET /v1/pending-fetches`, reported once as `relay.fetch.failing`, tried again by the
 * housekeeping sweep with backoff and on demand (`POST /v1/pending-fetches/:id/retry`), until
 * it is fetched or an operator discards it (`DELETE /v1/pending-fetches/:id`).
 */

/** Fetch tries the jobs queue makes before the fetch becomes a pending fetch (wrangler.toml: max_retries = 20 on the jobs queue). */
export const QUEUE_FETCH_TRIES = 20;
/** The sweep's backoff: 15 minutes after the queue gave up, doubling per failed try, at most 6 hours. */
const FIRST_SWEEP_DELAY_MS = 15 * 60_000;
const MAX_SWEEP_DELAY_MS = 6 * 60 * 60_000;
/** While a try is queued, the sweep leaves it alone this long (the try records its own outcome). */
const TRY_LEASE_MS = 10 * 60_000;
/** Pending fetches the sweep queues per run. */
const SWEEP_BATCH = 50;

export function nextTryDelayMs(attempts: number): number {
  const beyond = Math.max(0, attempts - QUEUE_FETCH_TRIES);
  return Math.min(FIRST_SWEEP_DELAY_MS * 2 ** Math.min(beyond, 10), MAX_SWEEP_DELAY_MS);
}

/**
 * The jobs queue gave up on this fetch: keep it as a pending fetch and raise
 * `relay.fetch.failing` in the same D1 batch (once per callback: a second park only counts the try).
 */
export async function parkFetch(env: Env, job: FetchJob, attempts: number, error: string, now = Date.now()): Promise<void> {
  const db = dbOf(env);
  const existing = job.pending_fetch_id ? await getPendingFetch(db, job.workspace_id, job.pending_fetch_id) : await pendingFetchOfLog(db, job.ingest_log_id);
  if (existing) return failedTry(env, existing.id, error, now);
  const row: PendingFetchRow = {
    id: newId("pft", now),
    workspaceId: job.workspace_id,
    sourceId: job.source_id,
    ingestLogId: job.ingest_log_id,
    resourceUrl: job.resource_url,
    resourceType: job.resource_type,
    receivedAt: job.received_at,
    raw: job.raw,
    attempts,
    lastError: error,
    nextTryAt: now + nextTryDelayMs(attempts),
    createdAt: now,
    updatedAt: now,
  };
  const event = await relayEventWrite(
    env,
    {
      workspaceId: job.workspace_id,
      type: "relay.fetch.failing",
      dedupeKey: `fetch.failing:${job.ingest_log_id}`,
      now,
      data: {
        pending_fetch_id: row.id,
        source_id: job.source_id,
        resource_type: job.resource_type,
        attempts,
        last_error: error,
        received_at: new Date(job.received_at).toISOString(),
      },
    },
    await relaySubscribers(env, job.workspace_id),
  );
  await env.DB.batch([insertPendingFetchStatement(env.DB, row), ...event.statements]);
  await noteIngestLogReason(env.DB, job.workspace_id, job.ingest_log_id, `fetch_failing: ${error}`.slice(0, 500));
  await enqueueEach(env.DELIVERIES, event.messages.map((body) => ({ body, delaySeconds: 0 })));
}

/** A try of a pending fetch failed: counted, and the sweep backs off further. */
export async function failedTry(env: Env, id: string, error: string, now = Date.now()): Promise<void> {
  await notePendingFetchFailure(dbOf(env), id, error.slice(0, 500), (attempts) => now + nextTryDelayMs(attempts), now);
}

/** Fetched (or no longer fetchable: source gone): the pending fetch is done. */
export async function settlePendingFetch(env: Env, id: string): Promise<void> {
  await deletePendingFetch(dbOf(env), id);
}

function jobOf(row: PendingFetchRow): FetchJob {
  return {
    kind: "fetch",
    workspace_id: row.workspaceId,
    source_id: row.sourceId,
    ingest_log_id: row.ingestLogId,
    resource_url: row.resourceUrl,
    resource_type: row.resourceType,
    received_at: row.receivedAt,
    raw: row.raw,
    pending_fetch_id: row.id,
  };
}

/** `POST /v1/pending-fetches/:id/retry`: one try now, on the jobs queue. */
export async function retryPendingFetch(env: Env, workspaceId: string, id: string, now = Date.now()): Promise<PendingFetchRow> {
  const db = dbOf(env);
  const row = await getPendingFetch(db, workspaceId, id);
  if (!row) throw notFound("pending fetch");
  await deferPendingFetch(db, id, now + TRY_LEASE_MS, now);
  await env.JOBS.send(jobOf(row), { contentType: "json" });
  return { ...row, nextTryAt: now + TRY_LEASE_MS };
}

/** `DELETE /v1/pending-fetches/:id`: the operator gives the callback up; its ingest-log row says so. */
export async function discardPendingFetch(env: Env, workspaceId: string, id: string): Promise<void> {
  const db = dbOf(env);
  const row = await getPendingFetch(db, workspaceId, id);
  if (!row || !(await deletePendingFetch(db, id))) throw notFound("pending fetch");
  await noteIngestLogReason(env.DB, workspaceId, row.ingestLogId, "fetch_discarded");
}

/** The housekeeping step: queues a try of every pending fetch that is due. Returns how many. */
export async function sweepPendingFetches(env: Env, now: number): Promise<number> {
  const due = await takeDuePendingFetches(dbOf(env), now, now + TRY_LEASE_MS, SWEEP_BATCH);
  if (due.length) await env.JOBS.sendBatch(due.map((row) => ({ body: jobOf(row), contentType: "json" as const })));
  return due.length;
}
