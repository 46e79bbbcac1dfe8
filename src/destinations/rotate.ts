import { dbOf } from "../db/client";
import { getDestinationRow, updateDestination, type DestinationRow } from "../db/destinations";
import { newSigningSecret } from "../delivery/signing";
import { requireKeyring } from "../lib/config";
import { encryptString } from "../lib/crypto";
import { notFound } from "../lib/errors";
import { savedDestination, type SavedDestination } from "./saved";

/** 24 h during which deliveries carry both the old and the new signature. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

/** A new signing secret; the old one keeps signing alongside it for ROTATION_OVERLAP_MS. */
export async function rotateSigningSecret(env: Env, workspaceId: string, id: string): Promise<SavedDestination> {
  const db = dbOf(env);
  const row = await getDestinationRow(db, workspaceId, id);
  if (!row) throw notFound("destination");
  const ring = await requireKeyring(env);
  const signingSecret = newSigningSecret();
  const now = Date.now();
  const secrets = {
    signingSecretEnc: await encryptString(ring, signingSecret),
    previousSigningSecretEnc: row.signingSecretEnc,
    previousSecretExpiresAt: now + ROTATION_OVERLAP_MS,
    updatedAt: now,
  };
  // Only the secret columns: a concurrent edit of the configuration stays.
  await updateDestination(db, workspaceId, row.id, secrets);
  const next: DestinationRow = { ...row, ...secrets };
  return savedDestination(ring, next, signingSecret);
}
