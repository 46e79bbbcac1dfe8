import { toBase32 } from "../lib/encoding";

/**
 * Ids of stored things derived from an event's identity (EVENTS.md, "Identity"): the same
 * provider event always maps to the same `evt_` id, and its delivery to a destination to the
 * same `dlv_` id, which makes every write of them idempotent (a redone commit doubles nothing).
 * `derivedId` also names other rows that must be found again by what they are (a fold of
 * refused requests, src/ingest/refusals.ts).
 */
export async function derivedId(prefix: string, basis: string): Promise<string> {
  return `${prefix}_${await digest32(basis, 26)}`;
}

/** The first `chars` base32 characters of the SHA-256 of `basis`. */
async function digest32(basis: string, chars: number): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(basis));
  return toBase32(new Uint8Array(digest)).slice(0, chars);
}

/** Every event id's shape: `evt_` + 26 base32 characters, derived here or new (src/lib/ids.ts). */
export const EVENT_ID = /^evt_[0-9a-z]{26}$/;

/** The event id, from (workspace, source, dedupe key). */
export function eventIdOf(workspaceId: string, sourceId: string, dedupeKey: string): Promise<string> {
  return derivedId("evt", `${workspaceId}|${sourceId}|${dedupeKey}`);
}

/**
 * A delivery's id, from its event and destination: `dlv_`, the event id's 26 characters, then
 * 10 of the hash of (event, destination). An event's deliveries are thus a range of the primary
 * key (src/db/deliveries-of-event.ts reads them so), which no index entry has to pay for.
 * Before, it was `dlv_` and 26 characters of that hash alone (30 in all): such rows are still
 * found, through a partial index of them only.
 */
export async function deliveryIdOf(eventId: string, destinationId: string): Promise<string> {
  if (!EVENT_ID.test(eventId)) throw new Error(`deliveryIdOf: not an event id: ${eventId}`);
  return `dlv_${eventId.slice(4)}${await digest32(`${eventId}|${destinationId}`, 10)}`;
}

/**
 * The order key of an order reference (src/orders/identity.ts, orderKeyOf): the order object's
 * key, and how D1 finds an order's events (src/db/event-lookups.ts).
 */
export function orderKeyOfReference(reference: string): string {
  return `order:${reference}`;
}
