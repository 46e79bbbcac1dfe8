import { sha256Hex } from "../lib/crypto";
import type { Db } from "./client";
import { newId } from "../lib/ids";
import { apiKeyForHash } from "./api-keys";
import { apiKeys, workspaces } from "./schema";

export type WorkspaceRow = typeof workspaces.$inferSelect;

/**
 * The one signal, end to end, that a commit fanned out from an outdated config version and
 * wrote nothing: the group commit answers it, the order object returns it, ingest redoes the
 * callback on fresh config (src/ingest/accept.ts). The D1 guard below raises the same word.
 */
export const STALE_CONFIG = "stale_config";
export type StaleConfig = typeof STALE_CONFIG;

/**
 * The commit guard for cached ingest config (migrations/0003_config_version.sql): a statement
 * that aborts the D1 batch it leads when the workspace's `config_version` is no longer the one
 * the events were fanned out from (or the workspace is gone). Reading one row is all it costs
 * when the version still holds.
 */
export function configGuardStatement(db: D1Database, workspaceId: string, configVersion: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO stale_config_guard (workspace_id)
       SELECT ?1 WHERE NOT EXISTS (SELECT 1 FROM workspaces WHERE id = ?1 AND config_version = ?2)`,
    )
    .bind(workspaceId, configVersion);
}

/**
 * True when a D1 batch failed on the guard above: its trigger aborts with `stale_config`, and
 * D1 reports that only inside the error's message. The only place that reads D1's wording.
 */
export function isStaleConfig(err: unknown): boolean {
  return err instanceof Error && err.message.includes(STALE_CONFIG);
}

/**
 * Resolves an API key to its key row (any of the workspace's keys in `api_keys`; the one it was
 * created with is its key named "default"). The API's auth caches by hash; the console's sign-in asks each time.
 */
export async function apiKeyFor(db: Db, key: string) {
  return apiKeyForHash(db, await sha256Hex(key));
}

/** Resolves an API key to its workspace. */
export async function workspaceIdForKey(db: Db, key: string): Promise<string | undefined> {
  return (await apiKeyFor(db, key))?.workspaceId;
}

/**
 * A new workspace with its first key, named "default", in one batch; its config version starts
 * at the schema's default. `workspaces.api_key_hash` keeps the first key's hash as it always
 * did; authentication reads `api_keys`.
 */
export async function insertWorkspace(db: Db, row: Omit<WorkspaceRow, "configVersion">): Promise<void> {
  await db.batch([
    db.insert(workspaces).values(row),
    db.insert(apiKeys).values({
      id: newId("key", row.createdAt),
      workspaceId: row.id,
      name: "default",
      keyHash: row.apiKeyHash,
      createdAt: row.createdAt,
      lastUsedAt: null,
      sessionGeneration: 0,
    }),
  ]);
}

/** Every workspace id, in id order (retention walks them one by one). */
export async function listWorkspaceIds(db: D1Database): Promise<string[]> {
  const { results } = await db.prepare("SELECT id FROM workspaces ORDER BY id").all<{ id: string }>();
  return results.map((r) => r.id);
}
