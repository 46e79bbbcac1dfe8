import { insertIngestLogStatement } from "../db/ingest-log";
import { configGuardStatement, isStaleConfig } from "../db/workspaces";
import type { JobMessage } from "../jobs/messages";
import { commitCallback } from "./commit";
import type { CheckedCallback, IngestOutcome } from "./outcome";
import type { AdapterResult, ProviderAdapter } from "./providers/types";
import { unmappedEvent } from "./unmapped";

/** Queue messages are limited to 128 KB: a pointer callback is tiny, but an odd one must never make the send fail. */
const MAX_JOB_RAW_CHARS = 64 * 1024;

/**
 * Pointer callbacks (ShipStation, ShipEngine *_V2): the events come from fetching the
 * resource (src/ingest/fetch-job.ts). The callback is ACKed once the fetch job is durably
 * queued and logged; a URL the SSRF rule refuses, or a source without credentials, is kept as
 * provider.unmapped.
 */
export async function acceptPointer(
  env: Env,
  cb: CheckedCallback,
  adapter: ProviderAdapter,
  result: Extract<AdapterResult, { kind: "fetch" }>,
): Promise<IngestOutcome> {
  const { pointer } = result;
  const { source } = cb;
  const refusal = !source.credentials
    ? "the source has no provider credentials to fetch the resource with"
    : adapter.isFetchAllowed && !adapter.isFetchAllowed(pointer.resource_url, source.credentials)
      ? "resource_url is not on the provider's API host"
      : adapter.fetchResource
        ? null
        : "this provider's adapter cannot fetch resources";
  if (refusal) {
    const unmapped = unmappedEvent(pointer.resource_type, { ...(cb.parsed as Record<string, unknown>), fetch_refused: refusal });
    return commitCallback(env, { ...cb, log: { ...cb.log, reason: "fetch_refused" } }, [...(result.events ?? []), unmapped]);
  }
  const job: JobMessage = {
    kind: "fetch",
    workspace_id: source.workspaceId,
    source_id: source.id,
    ingest_log_id: cb.log.id,
    resource_url: pointer.resource_url,
    resource_type: pointer.resource_type,
    received_at: cb.receivedAt,
    // Never let an odd callback make the send fail (and the provider retry forever).
    raw: cb.rawBody.length <= MAX_JOB_RAW_CHARS ? cb.rawBody : JSON.stringify(pointer),
  };
  try {
    await env.DB.batch([
      configGuardStatement(env.DB, source.workspaceId, cb.configVersion),
      insertIngestLogStatement(env.DB, {
        ...cb.log,
        result: "accepted",
        reason: "pending_fetch",
        eventIds: [],
        detail: { ...cb.log.detail, resource_type: pointer.resource_type, resource_url: pointer.resource_url },
      }),
    ]);
    await env.JOBS.send(job, { contentType: "json" });
  } catch (err) {
    if (cb.revalidate && isStaleConfig(err)) return { kind: "redo", rawBody: cb.rawBody };
    console.error(JSON.stringify({ level: "error", msg: "pointer callback not queued", source_id: source.id, error: (err as Error).message }));
    return { kind: "not_committed", message: "the callback could not be queued; retry later" };
  }
  return { kind: "pending_fetch" };
}
