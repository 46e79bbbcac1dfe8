import { and, desc, eq } from "drizzle-orm";
import type { ProviderName } from "../events/canonical";
import { decryptJson, encryptJson, type Keyring } from "../lib/crypto";
import type { Db } from "./client";
import { routingColumns } from "./destinations";
import { destinations, sources, workspaces } from "./schema";
import type { ProviderCredentials, VerificationConfig } from "./source-shapes";
import type { Keyset } from "../lib/pagination";
import { inIds, keyset } from "./where";

export type SourceRow = typeof sources.$inferSelect;

/** A source with its secrets decrypted, as ingest and registration need it. */
export interface SourceConfig {
  id: string;
  workspaceId: string;
  name: string;
  provider: ProviderName;
  verification: VerificationConfig;
  credentials?: ProviderCredentials;
  settings: Record<string, unknown>;
  rateLimitPerMinute: number | null;
  ipAllowlist: string[] | null;
}

/** Which fields of each verification type are secret (stored encrypted, never returned). */
const SECRET_FIELDS: Partial<Record<VerificationConfig["type"], string[]>> = {
  hmac: ["secret"],
  basic: ["password"],
  header: ["value"],
  url_token: ["token"],
  // The optional header a client-cert source also checks carries a secret value.
  client_cert: ["header"],
};

/** Splits a verification config into what may be shown and what must be sealed. */
export function splitVerification(v: VerificationConfig): {
  visible: Record<string, unknown>;
  secret: Record<string, unknown> | null;
} {
  const fields = SECRET_FIELDS[v.type] ?? [];
  const visible: Record<string, unknown> = {};
  const secret: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) {
    if (fields.includes(k)) {
      if (val !== undefined) secret[k] = val;
    } else visible[k] = val;
  }
  return { visible, secret: Object.keys(secret).length ? secret : null };
}

export async function sealVerification(ring: Keyring | null, v: VerificationConfig) {
  const { visible, secret } = splitVerification(v);
  if (secret && !ring) throw new Error("sealVerification needs a keyring for a secret");
  return { verification: visible, secretEnc: secret && ring ? await encryptJson(ring, secret) : null };
}

// Decrypted secrets by ciphertext: a rotated secret has a new ciphertext, so this never serves
// a stale secret, and ingest skips an AES-GCM decrypt per request.
const openedSecrets = new Map<string, Record<string, unknown>>();

async function openSecret(ring: Keyring, sealed: string): Promise<Record<string, unknown>> {
  let value = openedSecrets.get(sealed);
  if (!value) {
    value = await decryptJson<Record<string, unknown>>(ring, sealed);
    if (openedSecrets.size > 5000) openedSecrets.clear();
    openedSecrets.set(sealed, value);
  }
  return value;
}

export async function openSource(ring: Keyring | null, row: SourceRow): Promise<SourceConfig> {
  const secret = row.secretEnc && ring ? await openSecret(ring, row.secretEnc) : {};
  const credentials =
    row.credentialsEnc && ring ? ((await openSecret(ring, row.credentialsEnc)) as unknown as ProviderCredentials) : undefined;
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    provider: row.provider as ProviderName,
    verification: { ...row.verification, ...secret } as VerificationConfig,
    ...(credentials ? { credentials } : {}),
    settings: row.settings ?? {},
    rateLimitPerMinute: row.rateLimitPerMinute,
    ipAllowlist: row.ipAllowlist ?? null,
  };
}

export async function getSourceRow(db: Db, workspaceId: string, id: string) {
  return db
    .select()
    .from(sources)
    .where(and(eq(sources.workspaceId, workspaceId), eq(sources.id, id)))
    .get();
}

/** A source by id alone, for work that carries only the id (a queued fetch job). */
export async function getSourceRowById(db: Db, id: string) {
  return db.select().from(sources).where(eq(sources.id, id)).get();
}

/** One newest-first page (`limit` rows at most). */
export async function listSourceRows(db: Db, workspaceId: string, limit: number, from: Keyset = { direction: "older" }) {
  const k = keyset(sources.createdAt, sources.id, from);
  return db
    .select()
    .from(sources)
    .where(and(eq(sources.workspaceId, workspaceId), k.where))
    .orderBy(...k.orderBy)
    .limit(limit);
}

/** The few columns the console's source table shows. */
export type SourceSummaryRow = Pick<SourceRow, "id" | "name" | "provider" | "verification" | "createdAt">;

/** A workspace's sources, newest first (a console page shows at most a few hundred). */
export async function listSourceSummaries(db: Db, workspaceId: string, limit = 200): Promise<SourceSummaryRow[]> {
  return db
    .select({ id: sources.id, name: sources.name, provider: sources.provider, verification: sources.verification, createdAt: sources.createdAt })
    .from(sources)
    .where(eq(sources.workspaceId, workspaceId))
    .orderBy(desc(sources.createdAt), desc(sources.id))
    .limit(limit);
}

/** Which of these ids are sources of the workspace. */
export async function existingSourceIds(db: Db, workspaceId: string, ids: string[]): Promise<Set<string>> {
  const rows = await db
    .select({ id: sources.id })
    .from(sources)
    .where(and(eq(sources.workspaceId, workspaceId), inIds(sources.id, ids)));
  return new Set(rows.map((r) => r.id));
}

export async function insertSource(db: Db, row: SourceRow): Promise<void> {
  await db.insert(sources).values(row);
}

/** Writes the given columns of one source of the workspace. */
export async function updateSource(db: Db, workspaceId: string, id: string, columns: Partial<SourceRow>): Promise<void> {
  await db
    .update(sources)
    .set(columns)
    .where(and(eq(sources.id, id), eq(sources.workspaceId, workspaceId)));
}

/** False when the workspace has no such source. */
export async function deleteSource(db: Db, workspaceId: string, id: string): Promise<boolean> {
  const deleted = await db
    .delete(sources)
    .where(and(eq(sources.workspaceId, workspaceId), eq(sources.id, id)))
    .returning({ id: sources.id });
  return deleted.length > 0;
}

/**
 * What ingest reads of a source in one D1 round trip: the row with its workspace's config
 * version, and the routing columns of the workspace's destinations.
 */
export async function readIngestConfigRows(db: Db, sourceId: string) {
  const [sourceRows, destinationRows] = await db.batch([
    db
      .select({ source: sources, configVersion: workspaces.configVersion })
      .from(sources)
      .innerJoin(workspaces, eq(workspaces.id, sources.workspaceId))
      .where(eq(sources.id, sourceId)),
    db
      .select(routingColumns)
      .from(destinations)
      .innerJoin(sources, eq(sources.workspaceId, destinations.workspaceId))
      .where(eq(sources.id, sourceId)),
  ]);
  return { source: sourceRows[0], destinations: destinationRows };
}
