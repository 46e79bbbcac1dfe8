import { toBase32 } from "../lib/encoding";

/**
 * Ids of stored things derived from an event's identity (EVENTS.md, "Identity"): the same
 * provider event always maps to the same `evt_` id, and its delivery to a destination to the
 * same `dlv_` id, which makes every write of them idempotent (a redone commit doubles nothing).
 * `derivedId` also names other rows that must be found again by what they are (a fold of
 * refused requests, src/ingest/refusals.ts).
 */
export async function derivedId(prefix: string, basis: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(basis));
  return `${prefix}_${toBase32(new Uint8Array(digest)).slice(0, 26)}`;
}

/** The event id, from (workspace, source, dedupe key). */
export function eventIdOf(workspaceId: string, sourceId: string, dedupeKey: string): Promise<string> {
  return derivedId("evt", `${workspaceId}|${sourceId}|${dedupeKey}`);
}

/** A delivery's id, from its event and destination. */
export function deliveryIdOf(eventId: string, destinationId: string): Promise<string> {
  return derivedId("dlv", `${eventId}|${destinationId}`);
}
