import type { Db } from "../db/client";
import {
  apiKeyForHash,
  bumpSessionGeneration,
  deleteApiKeyUnlessLast,
  insertApiKey,
  LAST_USED_RESOLUTION_MS,
  listApiKeys,
  touchApiKey,
  type ApiKeyRow,
} from "../db/api-keys";
import { sha256Hex } from "../lib/crypto";
import { apiError, notFound } from "../lib/errors";
import { newId, randomToken } from "../lib/ids";

/**
 * A workspace's API keys, for the API (`/v1/api-keys`) and the console alike: create (the key
 * shown once), list, revoke (never the last one), and authenticate with any of them.
 */

export type { ApiKeyRow };

/** A new key named `name`; the key itself is returned once and only its hash is kept. */
export async function createApiKey(db: Db, workspaceId: string, name: string, now = Date.now()): Promise<{ row: ApiKeyRow; key: string }> {
  const key = `sk_${randomToken(24)}`;
  const row: ApiKeyRow = {
    id: newId("key", now),
    workspaceId,
    name,
    keyHash: await sha256Hex(key),
    createdAt: now,
    lastUsedAt: null,
    sessionGeneration: 0,
  };
  await insertApiKey(db, row);
  return { row, key };
}

export { listApiKeys };

/**
 * Revokes a key: it stops authenticating and every console session opened with it ends (the
 * session's lookup of its key fails). The workspace's last key cannot go: 409 last_key.
 */
export async function revokeApiKey(db: Db, workspaceId: string, id: string): Promise<void> {
  const outcome = await deleteApiKeyUnlessLast(db, workspaceId, id);
  if (outcome === "not_found") throw notFound("API key");
  if (outcome === "last") throw apiError("last_key", "this is the workspace's last API key; create another before revoking it");
  forgetApiKey(id);
}

/** Ends every console session opened with the key (sign-out ends them all, not only this browser's). */
export async function endKeySessions(db: Db, workspaceId: string, keyId: string): Promise<void> {
  await bumpSessionGeneration(db, workspaceId, keyId);
}

// Key hash → key. A short isolate cache saves a D1 read per API request. A key revoked here
// leaves this isolate's cache at once; other isolates stop accepting it within the TTL, which
// is kept short for that reason.
const KEY_CACHE_TTL_MS = 5_000;
interface CachedKey {
  workspaceId: string;
  keyId: string;
  lastUsedAt: number | null;
  until: number;
}
const keyCache = new Map<string, CachedKey>();

function forgetApiKey(keyId: string): void {
  for (const [hash, entry] of keyCache) if (entry.keyId === keyId) keyCache.delete(hash);
}

/** The workspace and key an API key authenticates as, or undefined; notes its use at most once a minute. */
export async function authenticateApiKey(db: Db, key: string, now = Date.now()): Promise<{ workspaceId: string; keyId: string } | undefined> {
  const hash = await sha256Hex(key);
  let cached = keyCache.get(hash);
  if (!cached || cached.until < now) {
    const row = await apiKeyForHash(db, hash);
    if (!row) return undefined;
    cached = { workspaceId: row.workspaceId, keyId: row.id, lastUsedAt: row.lastUsedAt, until: now + KEY_CACHE_TTL_MS };
    if (keyCache.size > 10_000) keyCache.clear();
    keyCache.set(hash, cached);
  }
  if (cached.lastUsedAt === null || cached.lastUsedAt < now - LAST_USED_RESOLUTION_MS) {
    // One write a minute per key at most (the UPDATE re-checks, so isolates do not add up).
    cached.lastUsedAt = now;
    await touchApiKey(db, cached.keyId, now);
  }
  return { workspaceId: cached.workspaceId, keyId: cached.keyId };
}
