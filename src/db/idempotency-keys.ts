/**
 * The `idempotency_keys` table (src/idempotency/ tells the story). Claims are raw SQL: the
 * claim must be one statement that can succeed for one request only.
 */

export interface StoredKey {
  request_hash: string;
  status: number | null;
  body: string | null;
  body_enc: string | null;
  locked_until: number;
}

export interface Claim {
  scope: string;
  key: string;
  requestHash: string;
  claim: string;
  lockedUntil: number;
  now: number;
  /** Rows created before this are expired: a new request takes the key over. */
  expiredBefore: number;
}

/**
 * Claims (scope, key) for one request: inserts the row, or takes over one whose holder
 * crashed (no answer, lock expired) or that is past its 24 h. True when this request holds
 * the key; one INSERT … ON CONFLICT is atomic in D1, so two racing requests cannot both win.
 */
export async function claimKey(d1: D1Database, c: Claim): Promise<boolean> {
  const row = await d1
    .prepare(
      `INSERT INTO idempotency_keys (scope, key, request_hash, claim, locked_until, status, body, body_enc, created_at)
       VALUES (?1, ?2, ?3, ?4, ?5, NULL, NULL, NULL, ?6)
       ON CONFLICT (scope, key) DO UPDATE SET
         request_hash = excluded.request_hash, claim = excluded.claim, locked_until = excluded.locked_until,
         status = NULL, body = NULL, body_enc = NULL, created_at = excluded.created_at
       WHERE (idempotency_keys.status IS NULL AND idempotency_keys.locked_until < ?6)
          OR idempotency_keys.created_at < ?7
       RETURNING claim`,
    )
    .bind(c.scope, c.key, c.requestHash, c.claim, c.lockedUntil, c.now, c.expiredBefore)
    .first<{ claim: string }>();
  return row?.claim === c.claim;
}

export async function findKey(d1: D1Database, scope: string, key: string): Promise<StoredKey | null> {
  return d1
    .prepare(`SELECT request_hash, status, body, body_enc, locked_until FROM idempotency_keys WHERE scope = ?1 AND key = ?2`)
    .bind(scope, key)
    .first<StoredKey>();
}

/** Records the answer of the request holding the claim. */
export async function recordAnswer(
  d1: D1Database,
  scope: string,
  key: string,
  claim: string,
  answer: { status: number; body: string | null; bodyEnc: string | null },
): Promise<void> {
  await d1
    .prepare(`UPDATE idempotency_keys SET status = ?4, body = ?5, body_enc = ?6 WHERE scope = ?1 AND key = ?2 AND claim = ?3`)
    .bind(scope, key, claim, answer.status, answer.body, answer.bodyEnc)
    .run();
}

/** Gives the key up (an answer not worth keeping: a 5xx, a 429), so a retry runs again. */
export async function releaseKey(d1: D1Database, scope: string, key: string, claim: string): Promise<void> {
  await d1.prepare(`DELETE FROM idempotency_keys WHERE scope = ?1 AND key = ?2 AND claim = ?3`).bind(scope, key, claim).run();
}

/** Housekeeping: deletes up to `limit` keys created before `cutoff`; answers how many. */
export async function deleteKeysBefore(d1: D1Database, cutoff: number, limit: number): Promise<number> {
  const res = await d1
    .prepare(`DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM idempotency_keys WHERE created_at < ?1 LIMIT ?2)`)
    .bind(cutoff, limit)
    .run();
  return res.meta.changes;
}
