import { and, eq } from "drizzle-orm";
import { dbOf } from "../db/client";
import { openDestination, type DestinationRow } from "../db/destinations";
import { destinations } from "../db/schema";
import { queueDrain, userStatusColumns } from "../delivery/destination-status";
import { sendTestPing } from "../delivery/test-event";
import type { Keyring } from "../lib/crypto";

/**
 * What the dashboard's buttons do, built from the same pieces the management API uses
 * (signing and sending in src/delivery, secrets opened by src/db/destinations).
 */

/** The destination test of `POST /v1/destinations/:id/test`: a `test.ping` now, nothing stored. */
export async function sendTestEvent(env: Env, ring: Keyring, row: DestinationRow) {
  const opened = await openDestination(ring, row);
  return sendTestPing(env, {
    id: row.id,
    url: row.url,
    timeoutMs: row.timeoutMs,
    headers: opened.headers,
    auth: opened.auth,
    secrets: opened.signingSecrets,
    mtlsCertificate: row.mtlsCertificate,
  });
}

/**
 * Pause or resume, as `PATCH /v1/destinations/:id {"status"}` does: resuming clears the
 * failure streak and the relay's disable, and queues a durable drain job that sends, in
 * order, what waited while the destination was not active.
 */
export async function setDestinationStatus(env: Env, row: DestinationRow, status: "active" | "paused"): Promise<void> {
  const now = Date.now();
  const reactivated = status === "active" && row.status !== "active";
  await dbOf(env)
    .update(destinations)
    .set({ ...userStatusColumns(status), updatedAt: now })
    .where(and(eq(destinations.id, row.id), eq(destinations.workspaceId, row.workspaceId)));
  if (reactivated) await queueDrain(env, row.id);
}
