import { dbOf } from "../db/client";
import { noteIngestLogReason, recordFetchedEvents } from "../db/ingest-log";
import { getSourceRowById, openSource } from "../db/sources";
import { allowInsecureDestinations, keyringOf } from "../lib/config";
import { guardedFetch } from "../lib/url-safety";
import { settlePendingFetch, type FetchJob } from "./pending-fetches";
import { commitEvents } from "./pipeline";
import { adapterFor } from "./providers";
import { AdapterParseError, type NormalizedEvent } from "./providers/types";
import { unmappedEvent } from "./unmapped";


/** How long one provider resource fetch may take. */
const FETCH_TIMEOUT_MS = 15_000;

/**
 * Fetches the resource a pointer callback named and commits its events (ShipStation,
 * ShipEngine *_V2). Runs on the jobs queue after the callback was ACKed with
 * `pending_fetch: true`; a failure throws, so the queue retries it with backoff, and the
 * ingest log row says what happened each time. When the queue's tries are spent it becomes a
 * pending fetch (src/ingest/pending-fetches.ts), tried again until fetched or discarded.
 */
export async function runFetchJob(env: Env, job: FetchJob, attempt: number): Promise<void> {
  const db = dbOf(env);
  const row = await getSourceRowById(db, job.source_id);
  if (!row) {
    await noteIngestLogReason(env.DB, job.workspace_id, job.ingest_log_id, "fetch_abandoned: source deleted");
    return settled(env, job);
  }
  const ring = await keyringOf(env);
  const source = await openSource(ring, row);
  const adapter = adapterFor(source.provider);
  if (!source.credentials || !adapter.fetchResource) {
    await noteIngestLogReason(env.DB, job.workspace_id, job.ingest_log_id, "fetch_abandoned: no credentials");
    return settled(env, job);
  }
  if (adapter.isFetchAllowed && !adapter.isFetchAllowed(job.resource_url, source.credentials)) {
    await noteIngestLogReason(env.DB, job.workspace_id, job.ingest_log_id, "fetch_refused: resource_url is not on the provider's API host");
    return settled(env, job);
  }
  let events: NormalizedEvent[];
  try {
    events = await adapter.fetchResource({
      pointer: { resource_url: job.resource_url, resource_type: job.resource_type },
      credentials: source.credentials,
      receivedAt: new Date(job.received_at),
      // The SSRF rule is checked again at call time; redirects are never followed.
      fetch: guardedFetch({ allowInsecure: allowInsecureDestinations(env), timeoutMs: FETCH_TIMEOUT_MS }),
    });
  } catch (err) {
    if (!(err instanceof AdapterParseError)) {
      // HTTP 5xx, 429, network: worth another try on the jobs queue's backoff.
      await noteIngestLogReason(env.DB, job.workspace_id, job.ingest_log_id, `fetch_failed (attempt ${attempt}): ${(err as Error).message}`.slice(0, 500));
      throw err;
    }
    // The resource came back but is not what the provider documents: retrying cannot help,
    // and the callback must still not be lost — keep it as provider.unmapped.
    events = [
      unmappedEvent(job.resource_type, {
        resource_url: job.resource_url,
        parse_error: err.field ? `${err.field}: ${err.message}` : err.message,
      }),
    ];
  }
  const result = events.length
    ? await commitEvents(env, {
        source,
        routing: null, // the order object's outbox reads the workspace's routing when it flushes
        events,
        raw: job.raw,
        parsed: undefined,
        receivedAt: job.received_at,
        log: null,
      })
    : { eventIds: [] as string[] };
  await recordFetchedEvents(env.DB, job.workspace_id, job.ingest_log_id, events.length ? "fetched" : "fetched: no events", result.eventIds);
  await settled(env, job);
}

/** A try of a pending fetch came to an end that no further try can change: it is no longer pending. */
async function settled(env: Env, job: FetchJob): Promise<void> {
  if (job.pending_fetch_id) await settlePendingFetch(env, job.pending_fetch_id);
}
