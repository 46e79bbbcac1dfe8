import { dbOf } from "../db/client";
import type { RoutingDestination } from "../db/destinations";
import { openSource, readIngestConfigRows, type SourceConfig, type SourceRow } from "../db/sources";
import { notConfigured } from "../lib/errors";
import { keyringOf, sourceCacheTtlMs } from "../lib/config";

/** What ingest needs of a source: its decrypted config, its workspace's destinations, and the version they were read at. */
export interface IngestConfig {
  source: SourceConfig;
  destinations: RoutingDestination[];
  /** `workspaces.config_version` when this was read; the outbox's guard compares it (src/orders/outbox.ts). */
  configVersion: number;
}

interface Entry {
  config: IngestConfig;
  expiresAt: number;
}

/** Enough for every active source an isolate serves; the oldest entry goes first. */
const MAX_ENTRIES = 2000;

/**
 * Per-isolate cache of ingest config, so a callback usually reaches the order object without
 * a D1 round trip first. Staleness cannot leak into stored data: the commit batch refuses a
 * config version that moved (triggers bump it on every source or routing change), and ingest
 * then reloads and runs the callback again; a refusal decided on cached config (401, 403, 429)
 * is likewise re-checked against a fresh read before it is sent. The TTL
 * (SOURCE_CACHE_TTL_SECONDS) only bounds memory and how long an idle entry lingers.
 */
const cache = new Map<string, Entry>();

/** The source's ingest config, from this isolate's cache when fresh enough; `cached` says which. */
export async function ingestConfig(env: Env, sourceId: string): Promise<{ config: IngestConfig; cached: boolean } | null> {
  const ttl = sourceCacheTtlMs(env);
  const hit = ttl > 0 ? cache.get(sourceId) : undefined;
  if (hit && hit.expiresAt > Date.now()) return { config: hit.config, cached: true };
  const config = await reloadIngestConfig(env, sourceId);
  return config ? { config, cached: false } : null;
}

/**
 * Fail closed: a source whose verification secret cannot be opened (ENCRYPTION_KEY unset,
 * unusable, or not the key it was sealed with) answers 503 not_configured — the provider
 * retries, and nothing is ever compared against a missing secret.
 */
async function openSourceOrRefuse(env: Env, row: SourceRow): Promise<SourceConfig> {
  const ring = await keyringOf(env);
  const refuse = () => notConfigured("this source's secret cannot be opened (ENCRYPTION_KEY is unset or not the key it was sealed with); retry later");
  if (row.secretEnc && !ring) throw refuse();
  try {
    return await openSource(ring, row); // it only decrypts: any failure is a secret it cannot open
  } catch {
    throw refuse();
  }
}

/** Reads the source, its workspace's destinations and the config version in one D1 round trip, and caches them. */
export async function reloadIngestConfig(env: Env, sourceId: string): Promise<IngestConfig | null> {
  const { source: row, destinations: destinationRows } = await readIngestConfigRows(dbOf(env), sourceId);
  if (!row) {
    cache.delete(sourceId);
    return null;
  }
  const config: IngestConfig = {
    source: await openSourceOrRefuse(env, row.source),
    destinations: destinationRows,
    configVersion: row.configVersion,
  };
  const ttl = sourceCacheTtlMs(env);
  if (ttl > 0) {
    cache.delete(sourceId); // re-insert: Map order is the eviction order
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(sourceId, { config, expiresAt: Date.now() + ttl });
  }
  return config;
}

/** Drops this isolate's entry for a source, so the next callback reads it from D1 again. */
export function forgetIngestConfig(sourceId: string): void {
  cache.delete(sourceId);
}

/** A refusal decided on cached config is checked against D1 at most this often per source. */
const RECHECK_EVERY_MS = 1000;
const lastRecheck = new Map<string, number>();

/**
 * Whether a refusal decided on this isolate's cached config (a bad signature, an address not
 * on the allowlist, the rate limit) may be checked against a fresh read now. The first one
 * after a change is (a secret rotated a moment ago is honoured at once); a flood of forged
 * requests costs one D1 read per source per second in an isolate, not one per request.
 */
export function mayRecheck(sourceId: string, now = Date.now()): boolean {
  const last = lastRecheck.get(sourceId);
  if (last !== undefined && now - last < RECHECK_EVERY_MS) return false;
  if (lastRecheck.size >= MAX_ENTRIES) lastRecheck.delete(lastRecheck.keys().next().value!);
  lastRecheck.set(sourceId, now);
  return true;
}
