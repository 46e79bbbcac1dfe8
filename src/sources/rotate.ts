import { dbOf } from "../db/client";
import { getSourceRow, updateSource, type SourceRow } from "../db/sources";
import type { VerificationConfig } from "../db/source-shapes";
import { reregisterAfterRotation, type RotationRegistration } from "../registration";
import { requireKeyring } from "../lib/config";
import { encryptJson } from "../lib/crypto";
import { notFound } from "../lib/errors";
import { rotatedSecret, type Reveal } from "./verification";

/**
 * A new secret (or URL token) for the source, shown once. A url_token source's registered
 * webhooks are moved to the new URL; `registration` says how that went.
 */
export async function rotateSourceSecret(
  env: Env,
  workspaceId: string,
  id: string,
  given: string | undefined,
  requestUrl: string,
): Promise<{ row: SourceRow; reveal: Reveal; registration: RotationRegistration | undefined }> {
  const db = dbOf(env);
  const row = await getSourceRow(db, workspaceId, id);
  if (!row) throw notFound("source");
  const ring = await requireKeyring(env);
  const { secret, reveal } = rotatedSecret(row.verification.type as VerificationConfig["type"], given);
  const next: SourceRow = { ...row, secretEnc: await encryptJson(ring, secret), updatedAt: Date.now() };
  await updateSource(db, workspaceId, row.id, { secretEnc: next.secretEnc, updatedAt: next.updatedAt });
  // The URL token is part of the URL the provider calls: move registered webhooks to the new one.
  const registration = await reregisterAfterRotation({ env, requestUrl }, next);
  return { row: next, reveal, registration };
}
