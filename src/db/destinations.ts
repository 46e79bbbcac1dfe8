import { and, eq } from "drizzle-orm";
import type { DestinationAuth } from "../delivery/send";
import { decryptJson, decryptString, type Keyring } from "../lib/crypto";
import type { Db } from "./client";
import { destinations } from "./schema";

export type DestinationRow = typeof destinations.$inferSelect;

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

export async function getDestinationRow(db: Db, workspaceId: string, id: string) {
  return db
    .select()
    .from(destinations)
    .where(and(eq(destinations.workspaceId, workspaceId), eq(destinations.id, id)))
    .get();
}

/** Default retry policy: first attempt immediate, then 1 m, 5 m, 30 m, 2 h, 24 h (AtoShip's). */
export const DEFAULT_SCHEDULE_SECONDS = [60, 300, 1800, 7200, 86400];
export const DEFAULT_MAX_ATTEMPTS = 6;
export const DEFAULT_TIMEOUT_MS = 10_000;
