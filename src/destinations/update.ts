import { dbOf } from "../db/client";
import { getDestinationRow, openDestination, updateDestination, type DestinationRow } from "../db/destinations";
import { queueDrain, userStatusColumns } from "../delivery/destination-status";
import { checkTransform } from "../delivery/transform";
import { requireKeyring } from "../lib/config";
import { encryptJson } from "../lib/crypto";
import { notFound } from "../lib/errors";
import { checkHeaders, checkMtls, checkSources, checkUrl } from "./checks";
import type { SavedDestination } from "./saved";
import type { UpdateDestinationInput } from "./schemas";
import { testTargetOf, verifyEndpoint } from "./test-ping";

/**
 * The columns a PATCH writes: the configuration it may change, and the status fields only
 * when it sets a status. Never the signing secrets or the failure record — the relay writes
 * those concurrently (rotate-secret, auto-disable), and writing back what this request read
 * would undo them.
 */
function editableColumns(next: DestinationRow, statusSet: boolean): Partial<DestinationRow> {
  const {
    id: _id,
    workspaceId: _workspaceId,
    createdAt: _createdAt,
    signingSecretEnc: _secret,
    previousSigningSecretEnc: _previousSecret,
    previousSecretExpiresAt: _previousExpiry,
    status,
    disabledReason,
    disabledAt,
    consecutiveFailures,
    failingSince,
    ...config
  } = next;
  if (!statusSet) return config;
  return status === "active"
    ? { ...config, status, disabledReason, disabledAt, consecutiveFailures, failingSince }
    : { ...config, status, disabledReason, disabledAt };
}

/**
 * Applies a PATCH: each given field checked and set (secrets sealed), optionally verified
 * with a test event before saving; setting status `active` on an inactive destination queues
 * the drain of what waited. 404 when the workspace has no such destination.
 */
export async function updateDestinationConfig(
  env: Env,
  workspaceId: string,
  id: string,
  body: UpdateDestinationInput,
): Promise<SavedDestination> {
  const db = dbOf(env);
  const row = await getDestinationRow(db, workspaceId, id);
  if (!row) throw notFound("destination");
  const ring = await requireKeyring(env);
  const current = await openDestination(ring, row);
  const next: DestinationRow = { ...row, updatedAt: Date.now() };
  if (body.url !== undefined) {
    checkUrl(env, "url", body.url);
    next.url = body.url;
  }
  if (body.backup_url !== undefined) {
    if (body.backup_url) checkUrl(env, "backup_url", body.backup_url);
    next.backupUrl = body.backup_url;
  }
  if (body.name !== undefined) next.name = body.name;
  if (body.events !== undefined) next.events = body.events;
  if (body.sources !== undefined) {
    await checkSources(db, workspaceId, body.sources);
    next.sourceIds = body.sources;
  }
  let headers = current.headers;
  if (body.headers !== undefined) {
    checkHeaders(body.headers);
    headers = body.headers ?? {};
    next.headersEnc = Object.keys(headers).length ? await encryptJson(ring, headers) : null;
  }
  let auth = current.auth;
  if (body.auth !== undefined) {
    auth = body.auth;
    next.authEnc = auth ? await encryptJson(ring, auth) : null;
  }
  if (body.retry !== undefined) {
    next.maxAttempts = body.retry.max_attempts;
    next.scheduleSeconds = body.retry.schedule_seconds;
  }
  if (body.timeout_ms !== undefined) next.timeoutMs = body.timeout_ms;
  if (body.rate_limit_per_minute !== undefined) next.rateLimitPerMinute = body.rate_limit_per_minute;
  if (body.ordering !== undefined) next.ordering = body.ordering;
  if (body.filter !== undefined) next.filter = body.filter;
  if (body.format !== undefined) next.format = body.format;
  if (body.include_raw !== undefined) next.includeRaw = body.include_raw;
  if (body.mtls_certificate !== undefined) {
    checkMtls(env, body.mtls_certificate);
    next.mtlsCertificate = body.mtls_certificate;
  }
  if (body.transform !== undefined) {
    checkTransform(body.transform);
    next.transform = body.transform;
  }
  if (body.auto_disable !== undefined) {
    if (body.auto_disable.after_failed_deliveries !== undefined) next.autoDisableFailures = body.auto_disable.after_failed_deliveries;
    if (body.auto_disable.after_failing_seconds !== undefined) next.autoDisableSeconds = body.auto_disable.after_failing_seconds;
  }
  const reactivated = body.status === "active" && row.status !== "active";
  if (body.status !== undefined) Object.assign(next, userStatusColumns(body.status));
  if (body.verify) {
    await verifyEndpoint(env, testTargetOf(next, { headers, auth, signingSecrets: current.signingSecrets }));
  }
  await updateDestination(db, workspaceId, row.id, editableColumns(next, body.status !== undefined));
  const saved = (await getDestinationRow(db, workspaceId, row.id)) ?? next;
  if (reactivated) await queueDrain(env, row.id);
  return { row: saved, headerNames: Object.keys(headers), auth };
}

/**
 * Pause or resume, as `PATCH /v1/destinations/:id {"status"}` does: resuming clears the
 * failure streak and the relay's disable, and queues a durable drain job that sends, in
 * order, what waited while the destination was not active.
 */
export async function setDestinationStatus(env: Env, row: DestinationRow, status: "active" | "paused"): Promise<void> {
  const reactivated = status === "active" && row.status !== "active";
  await updateDestination(dbOf(env), row.workspaceId, row.id, { ...userStatusColumns(status), updatedAt: Date.now() });
  if (reactivated) await queueDrain(env, row.id);
}
