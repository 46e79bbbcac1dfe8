import { and, eq } from "drizzle-orm";
import { sha256Hex } from "../lib/crypto";
import type { Db } from "./client";
import { workspaces } from "./schema";

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

/** The workspace whose API key hashes to `hash` (API auth and the console's sign-in). */
export async function workspaceIdForKeyHash(db: Db, hash: string): Promise<string | undefined> {
  const row = await db.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.apiKeyHash, hash)).get();
  return row?.id;
}

/** Resolves an API key to its workspace (the API's auth caches by hash; the console's sign-in asks each time). */
export async function workspaceIdForKey(db: Db, key: string): Promise<string | undefined> {
  return workspaceIdForKeyHash(db, await sha256Hex(key));
}

/**
 * The workspace a console session names, if its API key is still the one the session was
 * opened with (src/dashboard/session.ts).
 */
export function workspaceForSession(db: Db, id: string, keyHash: string): Promise<Pick<WorkspaceRow, "id" | "name"> | undefined> {
  return db
    .select({ id: workspaces.id, name: workspaces.name })
    .from(workspaces)
    .where(and(eq(workspaces.id, id), eq(workspaces.apiKeyHash, keyHash)))
    .get();
}

/** A new workspace; its config version starts at the schema's default. */
export async function insertWorkspace(db: Db, row: Omit<WorkspaceRow, "configVersion">): Promise<void> {
  await db.insert(workspaces).values(row);
}

/** Every workspace id, in id order (retention walks them one by one). */
export async function listWorkspaceIds(db: D1Database): Promise<string[]> {
  const { results } = await db.prepare("SELECT id FROM workspaces ORDER BY id").all<{ id: string }>();
  return results.map((r) => r.id);
}
