import type { DestinationRow } from "../db/destinations";
import type { JobMessage } from "../jobs/messages";

/**
 * The columns a user's status change writes. A status set by the user replaces the relay's
 * verdict (the disable and its reason); re-enabling also starts the failure count over.
 */
export function userStatusColumns(status: "active" | "paused"): Partial<DestinationRow> {
  return status === "active"
    ? { status, disabledReason: null, disabledAt: null, consecutiveFailures: 0, failingSince: null }
    : { status, disabledReason: null, disabledAt: null };
}

/**
 * Deliveries that waited while a destination was paused or disabled go out once it is active
 * again, in order: through a durable job (not waitUntil), so a restart cannot leave them waiting.
 */
export async function queueDrain(env: Env, destinationId: string): Promise<void> {
  await env.JOBS.send({ kind: "drain", destination_id: destinationId } satisfies JobMessage, { contentType: "json" });
}
