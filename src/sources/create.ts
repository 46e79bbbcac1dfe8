import { dbOf } from "../db/client";
import { insertSource, sealVerification, splitVerification, type SourceRow } from "../db/sources";
import { requireKeyring } from "../lib/config";
import { encryptJson } from "../lib/crypto";
import { newId } from "../lib/ids";
import { checkCredentials, checkSettings } from "./checks";
import type { CreateSourceInput } from "./schemas";
import { resolveVerification, type Reveal } from "./verification";

/** Completes the verification (preset, generated secrets), checks, seals the secrets and stores a new source. */
export async function createSource(env: Env, workspaceId: string, body: CreateSourceInput): Promise<{ row: SourceRow; reveal: Reveal }> {
  const { verification, reveal } = resolveVerification(env, body.provider, body.verification);
  checkCredentials(env, body.credentials);
  checkSettings(body.provider, body.settings);
  // A source with nothing secret works without ENCRYPTION_KEY.
  const needsKey = splitVerification(verification).secret !== null || body.credentials !== undefined;
  const ring = needsKey ? await requireKeyring(env) : null;
  const sealed = await sealVerification(ring, verification);
  const now = Date.now();
  const row: SourceRow = {
    id: newId("src", now),
    workspaceId,
    name: body.name,
    provider: body.provider,
    verification: sealed.verification,
    secretEnc: sealed.secretEnc,
    credentialsEnc: body.credentials && ring ? await encryptJson(ring, body.credentials) : null,
    settings: body.settings ?? {},
    rateLimitPerMinute: body.rate_limit_per_minute ?? null,
    ipAllowlist: body.ip_allowlist ?? null,
    createdAt: now,
    updatedAt: now,
  };
  await insertSource(dbOf(env), row);
  return { row, reveal };
}
