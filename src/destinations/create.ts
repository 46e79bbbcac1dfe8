import { dbOf } from "../db/client";
import {
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_SCHEDULE_SECONDS,
  DEFAULT_TIMEOUT_MS,
  countDestinations,
  deleteDestination,
  insertDestination,
  type DestinationRow,
} from "../db/destinations";
import { newSigningSecret } from "../delivery/signing";
import { checkTransform } from "../delivery/transform";
import { maxDestinationsPerWorkspace, requireKeyring } from "../lib/config";
import { unprocessable } from "../lib/errors";
import { encryptJson, encryptString } from "../lib/crypto";
import { newId } from "../lib/ids";
import { checkHeaders, checkMtls, checkSources, checkUrl } from "./checks";
import type { SavedDestination } from "./saved";
import type { CreateDestinationInput } from "./schemas";
import { verifyEndpoint } from "./test-ping";

/** Checks, optionally verifies (a test event must be acknowledged), seals the secrets and stores a new destination. */
export async function createDestination(env: Env, workspaceId: string, body: CreateDestinationInput): Promise<SavedDestination> {
  checkUrl(env, "url", body.url);
  if (body.backup_url) checkUrl(env, "backup_url", body.backup_url);
  checkHeaders(body.headers);
  checkMtls(env, body.mtls_certificate);
  checkTransform(body.transform);
  const db = dbOf(env);
  await checkSources(db, workspaceId, body.sources);
  const limit = maxDestinationsPerWorkspace(env);
  const overLimit = () =>
    unprocessable("limit_exceeded", `a workspace holds at most ${limit} destinations (MAX_DESTINATIONS_PER_WORKSPACE); delete one first`);
  if ((await countDestinations(db, workspaceId)) >= limit) throw overLimit();
  const ring = await requireKeyring(env);
  const signingSecret = newSigningSecret();
  const now = Date.now();
  const id = newId("dst", now);
  const timeoutMs = body.timeout_ms ?? DEFAULT_TIMEOUT_MS;
  const headers = body.headers ?? {};
  const auth = body.auth ?? null;
  const mtlsCertificate = body.mtls_certificate ?? null;
  const transform = body.transform ?? null;
  if (body.verify) {
    await verifyEndpoint(env, { id, url: body.url, timeoutMs, headers, auth, secrets: [signingSecret], mtlsCertificate, transform });
  }
  const row: DestinationRow = {
    id,
    workspaceId,
    name: body.name ?? null,
    url: body.url,
    backupUrl: body.backup_url ?? null,
    events: body.events ?? null,
    sourceIds: body.sources ?? null,
    status: body.status ?? "active",
    disabledReason: null,
    disabledAt: null,
    headersEnc: Object.keys(headers).length ? await encryptJson(ring, headers) : null,
    authEnc: auth ? await encryptJson(ring, auth) : null,
    maxAttempts: body.retry?.max_attempts ?? DEFAULT_MAX_ATTEMPTS,
    scheduleSeconds: body.retry?.schedule_seconds ?? DEFAULT_SCHEDULE_SECONDS,
    timeoutMs,
    rateLimitPerMinute: body.rate_limit_per_minute ?? null,
    ordering: body.ordering ?? "unordered",
    filter: body.filter ?? null,
    format: body.format ?? "v1",
    includeRaw: body.include_raw ?? false,
    mtlsCertificate,
    kind: "webhook",
    transform,
    signingSecretEnc: await encryptString(ring, signingSecret),
    previousSigningSecretEnc: null,
    previousSecretExpiresAt: null,
    consecutiveFailures: 0,
    failingSince: null,
    autoDisableFailures: body.auto_disable?.after_failed_deliveries ?? null,
    autoDisableSeconds: body.auto_disable?.after_failing_seconds ?? null,
    createdAt: now,
    updatedAt: now,
  };
  await insertDestination(db, row);
  // Counted again after the insert: of creates racing at the limit, none overshoots it (at
  // worst both step back and the caller retries).
  if ((await countDestinations(db, workspaceId)) > limit) {
    await deleteDestination(db, workspaceId, id);
    throw overLimit();
  }
  return { row, headerNames: Object.keys(headers), auth, signingSecret };
}
