import { SEALED_COLUMNS, resealStatement, sealedPageNotUnder, type SealedTable } from "../db/sealed-columns";
import { keyringOf } from "../lib/config";
import { reseal, sealedKeyId, type Keyring } from "../lib/crypto";

export interface ResealOptions {
  /** Rows read per statement. */
  batchSize?: number;
  /** Ciphertexts re-encrypted per run at most. */
  maxPerRun?: number;
}

export interface ResealReport {
  /** Re-encrypted under ENCRYPTION_KEY in this run. */
  resealed: number;
  /** Still sealed with another key after this run (0 = the rotation is complete). */
  remaining: number;
  /** Sealed with a key this deployment does not have: cannot be re-encrypted. */
  unreadable: number;
}

/**
 * Finishes an encryption key rotation (SECURITY.md, "Rotating ENCRYPTION_KEY"): every
 * ciphertext not sealed with ENCRYPTION_KEY is opened with ENCRYPTION_KEY_PREVIOUS and
 * sealed again with ENCRYPTION_KEY, a bounded number per run. Each update only lands if
 * the column still holds the ciphertext that was read, so an edit made meanwhile (a new
 * secret, a rotation) is never overwritten. Does nothing without ENCRYPTION_KEY_PREVIOUS.
 * Never logs or returns a secret: only counts.
 */
export async function resealSecrets(env: Env, opts: ResealOptions = {}): Promise<ResealReport> {
  const ring = await keyringOf(env);
  const report: ResealReport = { resealed: 0, remaining: 0, unreadable: 0 };
  if (ring && !ring.previous && env.ENCRYPTION_KEY_PREVIOUS) {
    // Set but unusable: say so, rather than look like a finished rotation.
    throw new Error("ENCRYPTION_KEY_PREVIOUS is set but is not 32 bytes of base64; nothing can be re-encrypted");
  }
  if (!ring?.previous) return report;
  const batchSize = opts.batchSize ?? 100;
  let budget = opts.maxPerRun ?? 500;

  for (const [table, columns] of Object.entries(SEALED_COLUMNS) as [SealedTable, readonly string[]][]) {
    for (const column of columns) {
      let after = "";
      for (;;) {
        const results = await sealedPageNotUnder(env.DB, table, column, ring.current.id, after, batchSize);
        if (results.length === 0) break;
        after = results[results.length - 1]!.id;
        const updates: D1PreparedStatement[] = [];
        for (const row of results) {
          if (budget <= 0 || !opensWith(ring, row.sealed)) {
            if (budget > 0) report.unreadable++;
            else report.remaining++;
            continue;
          }
          const next = await reseal(ring, row.sealed).catch(() => undefined);
          if (next === undefined) {
            report.unreadable++; // the key id matched but the ciphertext does not open: damaged
            continue;
          }
          if (next === null) continue;
          budget--;
          updates.push(
            resealStatement(env.DB, table, column, row.id, row.sealed, next),
          );
        }
        if (updates.length) {
          const done = await env.DB.batch(updates);
          for (const r of done) {
            if (r.meta.changes > 0) report.resealed++;
            else report.remaining++; // edited meanwhile; the next run looks again
          }
        }
        if (results.length < batchSize) break;
      }
    }
  }
  return report;
}

function opensWith(ring: Keyring, sealed: string): boolean {
  const id = sealedKeyId(sealed);
  return id !== null && (id === ring.current.id || id === ring.previous?.id);
}
