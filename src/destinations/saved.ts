import { openDestination, type DestinationAuth, type DestinationRow } from "../db/destinations";
import type { Keyring } from "../lib/crypto";

/** A destination as saved, with what its view shows of the secrets (header names, auth type). */
export interface SavedDestination {
  row: DestinationRow;
  headerNames: string[];
  auth: DestinationAuth | null;
  /** Only right after create or rotate: shown once. */
  signingSecret?: string;
}

/** A stored destination with its sealed headers and auth opened for its view. */
export async function savedDestination(ring: Keyring, row: DestinationRow, signingSecret?: string): Promise<SavedDestination> {
  const opened = await openDestination(ring, row);
  return { row, headerNames: Object.keys(opened.headers), auth: opened.auth, ...(signingSecret ? { signingSecret } : {}) };
}
