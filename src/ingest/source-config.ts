import { drizzle } from "drizzle-orm/d1";
import { eq } from "drizzle-orm";
import * as schema from "../db/schema";
import { openSource, type SourceConfig } from "../db/sources";
import { keyringOf, sourceCacheTtlMs } from "../lib/config";
import type { RoutingDestination } from "./pipeline";

/** The destination columns the fan-out reads, for a drizzle select. */
const routingColumns = {
  id: schema.destinations.id,
  status: schema.destinations.status,
  events: schema.destinations.events,
  sourceIds: schema.destinations.sourceIds,
  filter: schema.destinations.filter,
  maxAttempts: schema.destinations.maxAttempts,
} satisfies Record<keyof RoutingDestination, unknown>;

/** What ingest needs of a source: its decrypted config, its workspace's destinations, and the version they were read at. */
export interface IngestConfig {
  source: SourceConfig;
  destinations: RoutingDestination[];
  /** `workspaces.config_version` when this was read; the commit guard compares it (src/orders/sequencer.ts). */
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

/** Reads the source, its workspace's destinations and the config version in one D1 round trip, and caches them. */
export async function reloadIngestConfig(env: Env, sourceId: string): Promise<IngestConfig | null> {
  const db = drizzle(env.DB, { schema });
  const [sourceRows, destinationRows] = await db.batch([
    db
      .select({ source: schema.sources, configVersion: schema.workspaces.configVersion })
      .from(schema.sources)
      .innerJoin(schema.workspaces, eq(schema.workspaces.id, schema.sources.workspaceId))
      .where(eq(schema.sources.id, sourceId)),
    db
      .select(routingColumns)
      .from(schema.destinations)
      .innerJoin(schema.sources, eq(schema.sources.workspaceId, schema.destinations.workspaceId))
      .where(eq(schema.sources.id, sourceId)),
  ]);
  const row = sourceRows[0];
  if (!row) {
    cache.delete(sourceId);
    return null;
  }
  const config: IngestConfig = {
    source: await openSource(await keyringOf(env), row.source),
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

/** A workspace's destinations as the fan-out reads them, read now (pointer fetch jobs: no cache, no guard). */
export function routingDestinations(env: Env, workspaceId: string): Promise<RoutingDestination[]> {
  return drizzle(env.DB, { schema }).select(routingColumns).from(schema.destinations).where(eq(schema.destinations.workspaceId, workspaceId));
}
