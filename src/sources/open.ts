import { dbOf } from "../db/client";
import { getSourceRow, openSource, type SourceConfig } from "../db/sources";
import { requireKeyring } from "../lib/config";
import { notFound } from "../lib/errors";

/** The workspace's source with its secrets opened (404 when there is none; 503 when it has secrets but no key is set). */
export async function openSourceOf(env: Env, workspaceId: string, id: string): Promise<SourceConfig> {
  const row = await getSourceRow(dbOf(env), workspaceId, id);
  if (!row) throw notFound("source");
  const ring = row.secretEnc || row.credentialsEnc ? await requireKeyring(env) : null;
  return openSource(ring, row);
}
