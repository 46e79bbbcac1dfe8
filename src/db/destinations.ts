import { and, eq, sql } from "drizzle-orm";
import { decryptJson, decryptString, type Keyring } from "../lib/crypto";
import type { Db } from "./client";
import { destinations, workspaces } from "./schema";
import { inIds, keyset, oneOf } from "./where";
import type { Keyset } from "../lib/pagination";

export type DestinationRow = typeof destinations.$inferSelect;

/** How a destination authenticates to its endpoint (stored encrypted in `auth_enc`). */
export type DestinationAuth = { type: "basic"; username: string; password: string } | { type: "bearer"; token: string };

/** A destination with its secrets opened, as the consumer needs it to send. */
export interface DestinationSecrets {
  headers: Record<string, string>;
  auth: DestinationAuth | null;
  /** Newest first; the previous secret is included until its 24 h overlap ends. */
  signingSecrets: string[];
}

// Opened secrets by the ciphertexts they came from: a rotation or edit makes new ciphertext,
// so a cached value is never stale, and hot deliveries skip three AES-GCM decrypts.
const opened = new Map<string, DestinationSecrets>();

export async function openDestination(ring: Keyring, row: DestinationRow, now = Date.now()): Promise<DestinationSecrets> {
  const withPrevious = row.previousSigningSecretEnc && (row.previousSecretExpiresAt ?? 0) > now;
  const cacheKey = [row.signingSecretEnc, withPrevious ? row.previousSigningSecretEnc : "", row.headersEnc ?? "", row.authEnc ?? ""].join("|");
  const hit = opened.get(cacheKey);
  if (hit) return hit;
  const signingSecrets = [await decryptString(ring, row.signingSecretEnc)];
  if (withPrevious && row.previousSigningSecretEnc) signingSecrets.push(await decryptString(ring, row.previousSigningSecretEnc));
  const value: DestinationSecrets = {
    headers: row.headersEnc ? await decryptJson<Record<string, string>>(ring, row.headersEnc) : {},
    auth: row.authEnc ? await decryptJson<DestinationAuth>(ring, row.authEnc) : null,
    signingSecrets,
  };
  if (opened.size > 5000) opened.clear();
  opened.set(cacheKey, value);
  return value;
}

/** Default retry policy: first attempt immediate, then 1 m, 5 m, 30 m, 2 h, 24 h (AtoShip's). */
export const DEFAULT_SCHEDULE_SECONDS = [60, 300, 1800, 7200, 86400];
export const DEFAULT_MAX_ATTEMPTS = 6;
export const DEFAULT_TIMEOUT_MS = 10_000;

/** What the fan-out needs of a destination. */
export type RoutingDestination = Pick<DestinationRow, "id" | "status" | "events" | "sourceIds" | "filter" | "maxAttempts">;

/** The destination columns the fan-out reads, for a drizzle select. */
export const routingColumns = {
  id: destinations.id,
  status: destinations.status,
  events: destinations.events,
  sourceIds: destinations.sourceIds,
  filter: destinations.filter,
  maxAttempts: destinations.maxAttempts,
};

export async function getDestinationRow(db: Db, workspaceId: string, id: string) {
  return db
    .select()
    .from(destinations)
    .where(and(eq(destinations.workspaceId, workspaceId), eq(destinations.id, id)))
    .get();
}

/** One newest-first page (`limit + 1` rows, so the caller can tell whether more follow). */
export async function listDestinationRows(
  db: Db,
  workspaceId: string,
  limit: number,
  from: Keyset = { direction: "older" },
  statuses?: DestinationRow["status"][],
) {
  const k = keyset(destinations.createdAt, destinations.id, from);
  return db
    .select()
    .from(destinations)
    .where(and(eq(destinations.workspaceId, workspaceId), oneOf(destinations.status, statuses), k.where))
    .orderBy(...k.orderBy)
    .limit(limit);
}

/** The ids of a workspace's destinations whose URL is exactly one of `urls` (`destination_url` filters). */
export async function destinationIdsByUrl(db: Db, workspaceId: string, urls: string[]): Promise<string[]> {
  const rows = await db
    .select({ id: destinations.id })
    .from(destinations)
    .where(and(eq(destinations.workspaceId, workspaceId), inIds(destinations.url, urls)));
  return rows.map((r) => r.id);
}

/** The destinations some deliveries went to (deleted ones are simply missing). */
export async function destinationsByIds(db: Db, workspaceId: string, ids: string[]): Promise<Map<string, DestinationRow>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select()
    .from(destinations)
    .where(and(eq(destinations.workspaceId, workspaceId), inIds(destinations.id, [...new Set(ids)])));
  return new Map(rows.map((r) => [r.id, r]));
}

/** The routing columns of every destination of a workspace (what the fan-out reads). */
export async function routingDestinations(db: Db, workspaceId: string): Promise<RoutingDestination[]> {
  return db.select(routingColumns).from(destinations).where(eq(destinations.workspaceId, workspaceId));
}

/** A workspace's routing as of one config version: what an order object's outbox fans out with. */
export interface WorkspaceRouting {
  configVersion: number;
  destinations: RoutingDestination[];
}

/** The workspace's config version and its destinations' routing columns, in one D1 round trip. */
export async function readWorkspaceRouting(db: Db, workspaceId: string): Promise<WorkspaceRouting | undefined> {
  const [versionRows, destinationRows] = await db.batch([
    db.select({ v: workspaces.configVersion }).from(workspaces).where(eq(workspaces.id, workspaceId)),
    db.select(routingColumns).from(destinations).where(eq(destinations.workspaceId, workspaceId)),
  ]);
  const version = versionRows[0]?.v;
  return version === undefined ? undefined : { configVersion: version, destinations: destinationRows };
}

/** The workspace's destinations that may take relay events (any status: inactive ones hold them). */
export async function relaySubscriberRows(db: Db, workspaceId: string): Promise<DestinationRow[]> {
  return db
    .select()
    .from(destinations)
    .where(and(eq(destinations.workspaceId, workspaceId), sql`${destinations.events} like '%relay.%'`));
}

/** How many destinations the workspace has (its limit is MAX_DESTINATIONS_PER_WORKSPACE). */
/** A workspace's destinations that count against MAX_DESTINATIONS_PER_WORKSPACE: a `listen` one does not (CONTRACT.md, Additions). */
export async function countDestinations(db: Db, workspaceId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(destinations)
    .where(and(eq(destinations.workspaceId, workspaceId), eq(destinations.kind, "webhook")));
  return Number(row?.n ?? 0);
}

export async function insertDestination(db: Db, row: DestinationRow): Promise<void> {
  await db.insert(destinations).values(row);
}

/** Writes the given columns of one destination of the workspace. */
export async function updateDestination(db: Db, workspaceId: string, id: string, columns: Partial<DestinationRow>): Promise<void> {
  await db
    .update(destinations)
    .set(columns)
    .where(and(eq(destinations.id, id), eq(destinations.workspaceId, workspaceId)));
}

/** How many temporary `listen` destinations the workspace has (open or closed less than the grace period ago). */
export async function countListenDestinations(db: Db, workspaceId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(destinations)
    .where(and(eq(destinations.workspaceId, workspaceId), eq(destinations.kind, "listen")));
  return row?.n ?? 0;
}

/** False when the workspace has no such destination. */
export async function deleteDestination(db: Db, workspaceId: string, id: string): Promise<boolean> {
  const deleted = await db
    .delete(destinations)
    .where(and(eq(destinations.workspaceId, workspaceId), eq(destinations.id, id)))
    .returning({ id: destinations.id });
  return deleted.length > 0;
}

// --- added by h1: destination health, written by the consumer's record (src/delivery/record.ts)

/** The auto-disable thresholds in force for one destination (src/delivery/auto-disable.ts). */
export interface DisableThresholds {
  afterFailedDeliveries: number;
  afterFailingSeconds: number;
}

/** A success clears the failure record. */
export function clearFailuresStatement(d1: D1Database, destinationId: string): D1PreparedStatement {
  return d1.prepare("UPDATE destinations SET consecutive_failures = 0, failing_since = NULL WHERE id = ?1").bind(destinationId);
}

/** A failed attempt starts the failing period; a delivery failed for good also counts once in a row. */
export function countFailureStatement(d1: D1Database, destinationId: string, failedForGood: boolean, now: number): D1PreparedStatement {
  return d1
    .prepare(
      `UPDATE destinations SET consecutive_failures = consecutive_failures + ?2, failing_since = coalesce(failing_since, ?3)
        WHERE id = ?1`,
    )
    .bind(destinationId, failedForGood ? 1 : 0, now);
}

/**
 * The one statement that disables a destination, run in the attempt's batch right after its
 * failure counters moved, so it judges the counters as they now are (not as this consumer
 * last read them). Only an `active` destination flips, so exactly one attempt wins the
 * transition; it stamps `disabled_at = now`, which the relay event of the same batch uses
 * as its guard. RETURNING says whether this attempt did it.
 */
export function disableStatement(
  d1: D1Database,
  destinationId: string,
  policy: DisableThresholds,
  gone: { statusCode: number } | null,
  now: number,
): D1PreparedStatement {
  return d1
    .prepare(
      `UPDATE destinations SET status = 'disabled', disabled_at = ?2, updated_at = ?2,
              disabled_reason = CASE
                WHEN ?3 IS NOT NULL THEN ?3
                WHEN ?4 > 0 AND consecutive_failures >= ?4 THEN consecutive_failures || ' deliveries in a row failed'
                ELSE 'every delivery attempt failed since ' || strftime('%Y-%m-%dT%H:%M:%SZ', failing_since / 1000, 'unixepoch')
              END
        WHERE id = ?1 AND status = 'active' AND (
              ?3 IS NOT NULL
              OR (?4 > 0 AND consecutive_failures >= ?4)
              OR (?5 > 0 AND failing_since IS NOT NULL AND failing_since <= ?2 - ?5 * 1000))
        RETURNING disabled_reason`,
    )
    .bind(destinationId, now, gone ? `the endpoint answered ${gone.statusCode} Gone` : null, policy.afterFailedDeliveries, policy.afterFailingSeconds);
}
