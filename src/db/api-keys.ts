import { and, asc, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "./client";
import { apiKeys, workspaces } from "./schema";

/**
 * The `api_keys` table: a workspace's keys, by SHA-256 only. The API authenticates with any of
 * them (src/api/auth.ts); a console session carries the id and session generation of the key
 * that signed in, and holds only while both still match (src/dashboard/session.ts).
 */

export type ApiKeyRow = typeof apiKeys.$inferSelect;

/** last_used_at moves at most this often per key: one write a minute, however busy the key. */
export const LAST_USED_RESOLUTION_MS = 60_000;

export async function insertApiKey(db: Db, row: ApiKeyRow): Promise<void> {
  await db.insert(apiKeys).values(row);
}

/** The key whose hash is `hash`, for authentication. */
export async function apiKeyForHash(db: Db, hash: string) {
  return db
    .select({ id: apiKeys.id, workspaceId: apiKeys.workspaceId, lastUsedAt: apiKeys.lastUsedAt, sessionGeneration: apiKeys.sessionGeneration })
    .from(apiKeys)
    .where(eq(apiKeys.keyHash, hash))
    .get();
}

/** A workspace's keys, oldest first (a workspace has a handful). */
export async function listApiKeys(db: Db, workspaceId: string): Promise<ApiKeyRow[]> {
  return db.select().from(apiKeys).where(eq(apiKeys.workspaceId, workspaceId)).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
}

/**
 * Deletes a key unless it is the workspace's last, in one statement (so two deletes racing for
 * the last two keys cannot both win). "last" when it is the only one left.
 */
export async function deleteApiKeyUnlessLast(db: Db, workspaceId: string, id: string): Promise<"deleted" | "not_found" | "last"> {
  const others = db
    .select({ n: sql<number>`count(*)` })
    .from(apiKeys)
    .where(eq(apiKeys.workspaceId, workspaceId));
  const gone = await db
    .delete(apiKeys)
    .where(and(eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.id, id), sql`(${others}) > 1`))
    .returning({ id: apiKeys.id });
  if (gone.length > 0) return "deleted";
  const exists = await db
    .select({ id: apiKeys.id })
    .from(apiKeys)
    .where(and(eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.id, id)))
    .get();
  return exists ? "last" : "not_found";
}

/** Notes a use of the key, unless one was noted within the last minute (then no write happens). */
export async function touchApiKey(db: Db, id: string, now: number): Promise<void> {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: now })
    .where(and(eq(apiKeys.id, id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, now - LAST_USED_RESOLUTION_MS))));
}

/** Ends every console session opened with the key (sign-out). */
export async function bumpSessionGeneration(db: Db, workspaceId: string, id: string): Promise<void> {
  await db
    .update(apiKeys)
    .set({ sessionGeneration: sql`${apiKeys.sessionGeneration} + 1` })
    .where(and(eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.id, id)));
}

/**
 * The workspace a console session names, if the key it was opened with still exists and its
 * session generation is still the one sealed in the cookie.
 */
export async function workspaceForSession(db: Db, workspaceId: string, keyId: string, generation: number) {
  return db
    .select({ id: workspaces.id, name: workspaces.name })
    .from(apiKeys)
    .innerJoin(workspaces, eq(workspaces.id, apiKeys.workspaceId))
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.sessionGeneration, generation)))
    .get();
}
