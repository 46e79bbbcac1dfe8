import { and, eq } from "drizzle-orm";
import type { ProviderName } from "../events/canonical";
import type { ProviderCredentials } from "../ingest/providers/types";
import type { VerificationConfig } from "../ingest/verification/types";
import { decryptJson, encryptJson, type Keyring } from "../lib/crypto";
import type { Db } from "./client";
import { sources } from "./schema";

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

// --- added by h2: a pointer fetch job finds its source by id alone (the job names it).
export async function getSourceRowById(db: Db, id: string) {
  return db.select().from(sources).where(eq(sources.id, id)).get();
}
