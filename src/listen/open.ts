import { dbOf } from "../db/client";
import { countListenDestinations, insertDestination, type DestinationRow } from "../db/destinations";
import { newSigningSecret } from "../delivery/signing";
import { checkSources } from "../destinations/checks";
import { requireKeyring } from "../lib/config";
import { encryptString } from "../lib/crypto";
import { apiError, unprocessable } from "../lib/errors";
import { newId } from "../lib/ids";

/** At most this many listeners per workspace, open or closed less than LISTENER_GRACE_MS ago. */
export const MAX_LISTENERS = 5;
/** A listener closed this long is removed and its open deliveries fail with `listener_gone`. */
export const LISTENER_GRACE_MS = 10 * 60_000;
/** How long the local endpoint behind a listener may take to answer. */
export const LISTENER_TIMEOUT_MS = 30_000;
/** The URL a listen destination shows (attempt logs, the API): it is never fetched. */
export const listenUrlOf = (id: string) => `https://listen.shiprelay.dev/${id}`;

const EVENT_PATTERN = /^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$/;

export interface ListenRequest {
  events: string[] | null;
  source: string | null;
}

/** `?events=a,b.*&source=src_…` of `GET /v1/listen`, checked. */
export function listenRequestOf(query: { events?: string; source?: string }): ListenRequest {
  const events = query.events ? query.events.split(",").map((s) => s.trim()).filter(Boolean) : null;
  for (const p of events ?? []) if (!EVENT_PATTERN.test(p)) throw apiError("invalid_request", `events: ${p} is not an event type or prefix.* pattern`);
  if (events && events.length > 100) throw apiError("invalid_request", "events: at most 100 patterns");
  return { events: events?.length ? events : null, source: query.source || null };
}

/**
 * Creates the temporary `listen` destination of a new `shiprelay listen` socket: routed like
 * any destination (events, source), signed with its own secret (shown to the listener), not
 * counted in the destination limit, at most MAX_LISTENERS per workspace.
 */
export async function createListenDestination(env: Env, workspaceId: string, req: ListenRequest): Promise<{ row: DestinationRow; signingSecret: string }> {
  const db = dbOf(env);
  if (req.source) await checkSources(db, workspaceId, [req.source]);
  if ((await countListenDestinations(db, workspaceId)) >= MAX_LISTENERS) {
    throw unprocessable("limit_exceeded", `at most ${MAX_LISTENERS} listeners per workspace; a closed one is removed ${LISTENER_GRACE_MS / 60_000} minutes after it closed`);
  }
  const ring = await requireKeyring(env);
  const signingSecret = newSigningSecret();
  const now = Date.now();
  const id = newId("dst", now);
  const row: DestinationRow = {
    id,
    workspaceId,
    name: "shiprelay listen",
    url: listenUrlOf(id),
    backupUrl: null,
    events: req.events,
    sourceIds: req.source ? [req.source] : null,
    status: "active",
    disabledReason: null,
    disabledAt: null,
    headersEnc: null,
    authEnc: null,
    // A developer's terminal: a few quick retries, not a day of them.
    maxAttempts: 3,
    scheduleSeconds: [5, 30],
    timeoutMs: LISTENER_TIMEOUT_MS,
    rateLimitPerMinute: null,
    ordering: "unordered",
    filter: null,
    format: "v1",
    includeRaw: false,
    mtlsCertificate: null,
    kind: "listen",
    transform: null,
    signingSecretEnc: await encryptString(ring, signingSecret),
    previousSigningSecretEnc: null,
    previousSecretExpiresAt: null,
    consecutiveFailures: 0,
    failingSince: null,
    // Never auto-disabled: it goes away on its own when its socket does.
    autoDisableFailures: 0,
    autoDisableSeconds: 0,
    createdAt: now,
    updatedAt: now,
  };
  await insertDestination(db, row);
  return { row, signingSecret };
}
