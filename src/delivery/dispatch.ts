import type { DestinationRow, DestinationSecrets } from "../db/destinations";
import { allowInsecureDestinations } from "../lib/config";
import { listenerFetcher } from "../listen/fetcher";
import { mtlsFetcher } from "./mtls";
import { GONE_STATUSES } from "./retry-policy";
import { sendWebhook, type AttemptOutcome, type SendMessage, type SendTarget } from "./send";

export interface DispatchResult {
  /** The attempt as recorded: the backup's answer when the backup was tried. */
  outcome: AttemptOutcome;
  /** The primary endpoint answered 410 Gone (a backup's 410 does not count): the destination is to be disabled. */
  gone: boolean;
}

/** A primary failure the backup URL takes over: no answer at all (connection, timeout) or a 5xx. */
export function failsOver(outcome: AttemptOutcome): boolean {
  return !outcome.ok && (outcome.transportFailure || (outcome.statusCode !== null && outcome.statusCode >= 500));
}

/** How long one attempt may take at most: the backup gets its own timeout after the primary's. */
export function attemptBudgetMs(destination: Pick<DestinationRow, "timeoutMs" | "backupUrl">): number {
  return destination.timeoutMs * (destination.backupUrl ? 2 : 1);
}

/**
 * One delivery attempt to a destination. When the primary URL fails over (see failsOver)
 * and a `backup_url` is set, the same attempt (same webhook-id and attempt number, freshly
 * timestamped and signed) goes at once to the backup; the attempt log's `url` says which
 * endpoint gave the recorded answer. A client certificate binding, when named, serves both.
 */
export async function dispatchAttempt(
  env: Env,
  destination: DestinationRow,
  secrets: DestinationSecrets,
  msg: SendMessage,
): Promise<DispatchResult> {
  let fetcher: SendTarget["fetcher"] = null;
  // A `shiprelay listen` destination: its listener's object carries the request over the WebSocket (src/listen/object.ts).
  if (destination.kind === "listen") fetcher = listenerFetcher(env, destination.id);
  else if (destination.mtlsCertificate) {
    fetcher = mtlsFetcher(env, destination.mtlsCertificate);
    if (!fetcher) {
      // Configuration drifted (binding removed): fail the attempt visibly rather than send without the certificate.
      const error = `mTLS certificate binding ${destination.mtlsCertificate} is not configured on this Worker`;
      const outcome: AttemptOutcome = { ok: false, url: destination.url, statusCode: null, durationMs: 0, error, responseBody: null, transportFailure: false };
      return { outcome, gone: false };
    }
  }
  const target: SendTarget = {
    url: destination.url,
    headers: secrets.headers,
    auth: secrets.auth,
    timeoutMs: destination.timeoutMs,
    secrets: secrets.signingSecrets,
    allowInsecure: allowInsecureDestinations(env),
    fetcher,
  };
  const primary = await sendWebhook(target, msg);
  if (!destination.backupUrl || !failsOver(primary)) {
    return { outcome: primary, gone: primary.statusCode !== null && GONE_STATUSES.has(primary.statusCode) };
  }
  const backup = await sendWebhook({ ...target, url: destination.backupUrl }, msg);
  if (backup.ok) return { outcome: backup, gone: false };
  const retryAfter = Math.max(primary.retryAfterSeconds ?? 0, backup.retryAfterSeconds ?? 0);
  return {
    outcome: {
      ...backup,
      error: `${backup.error} (primary: ${primary.error})`.slice(0, 500),
      ...(retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
    },
    gone: false,
  };
}
