import { dbOf } from "../db/client";
import { getSourceRow, sealVerification, splitVerification, updateSource, type SourceRow } from "../db/sources";
import type { ProviderName } from "../events/canonical";
import { requireKeyring } from "../lib/config";
import { encryptJson } from "../lib/crypto";
import { notFound } from "../lib/errors";
import { checkCredentials, checkSettings } from "./checks";
import type { UpdateSourceInput } from "./schemas";
import { resolveVerification, type Reveal } from "./verification";

/** Applies a PATCH: each given field checked and set, secrets sealed. 404 when the workspace has no such source. */
export async function updateSourceConfig(
  env: Env,
  workspaceId: string,
  id: string,
  body: UpdateSourceInput,
): Promise<{ row: SourceRow; reveal: Reveal }> {
  const db = dbOf(env);
  const row = await getSourceRow(db, workspaceId, id);
  if (!row) throw notFound("source");
  const provider = row.provider as ProviderName;
  const next: SourceRow = { ...row, updatedAt: Date.now() };
  let reveal: Reveal = {};
  if (body.name !== undefined) next.name = body.name;
  if (body.verification !== undefined) {
    const resolved = resolveVerification(env, provider, body.verification);
    reveal = resolved.reveal;
    const ring = splitVerification(resolved.verification).secret ? await requireKeyring(env) : null;
    const sealed = await sealVerification(ring, resolved.verification);
    next.verification = sealed.verification;
    next.secretEnc = sealed.secretEnc;
  }
  if (body.credentials !== undefined) {
    checkCredentials(env, body.credentials);
    next.credentialsEnc = await encryptJson(await requireKeyring(env), body.credentials);
  }
  if (body.settings !== undefined) {
    checkSettings(provider, body.settings);
    next.settings = body.settings;
  }
  if (body.rate_limit_per_minute !== undefined) next.rateLimitPerMinute = body.rate_limit_per_minute;
  if (body.ip_allowlist !== undefined) next.ipAllowlist = body.ip_allowlist;
  await updateSource(db, row.workspaceId, row.id, next);
  return { row: next, reveal };
}
