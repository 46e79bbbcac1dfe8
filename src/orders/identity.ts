import type { Order, Shipment } from "../events/canonical";
import { orderKeyOfReference } from "../events/ids";
import { sha256Hex } from "../lib/crypto";
import { stableStringify } from "../lib/stable-json";

/**
 * Event identity (EVENTS.md, "Identity").
 *
 * - Dedupe key: the provider's own event id where it sends one, else a hash of the payload
 *   without its delivery metadata (the adapter's `dedupe_basis`). Scoped to the source, so
 *   two sources never collide.
 * - Event id: `eventIdOf` (src/events/ids.ts), derived from (workspace, source, dedupe key).
 * - Order key: which Durable Object serializes it — `order:<reference>`, else
 *   `tracking:<carrier>:<number>`, else none (deduped but not sequenced).
 */
export async function dedupeKeyOf(event: { provider_event_id?: string; dedupe_basis?: unknown }, fallbackBasis: unknown): Promise<string> {
  if (event.provider_event_id) return `id:${event.provider_event_id}`;
  return `h:${await sha256Hex(stableStringify(event.dedupe_basis ?? fallbackBasis))}`;
}

export function orderKeyOf(event: { order?: Order; shipment?: Shipment }): string | null {
  const reference = event.order?.reference;
  if (reference) return orderKeyOfReference(reference);
  const tracking = event.shipment?.tracking_number;
  if (tracking) return `tracking:${event.shipment?.carrier ?? ""}:${tracking}`;
  return null;
}

/**
 * The Durable Object that dedupes and sequences a group of events, named from the workspace
 * and the order key (EVENTS.md). With `shards` > 0 (ORDER_SHARDS) the key is hashed onto one of
 * that many objects per workspace: each object still serializes per order key, but stays warm
 * for many orders instead of being created cold for almost every event. The count is part of the
 * name, so changing it starts from fresh objects rather than mixing two mappings.
 * With `shards` = 0 every order key has its own object; events without a key then spread over
 * 32 objects per workspace by event id.
 */
export function sequencerName(workspaceId: string, orderKey: string | null, eventId: string, shards: number): string {
  if (shards > 0) return `${workspaceId}|shard:${shards}:${fnv1a(orderKey ?? eventId) % shards}`;
  if (orderKey) return `${workspaceId}|${orderKey}`;
  return `${workspaceId}|unsequenced:${eventId.slice(4, 5)}`;
}

/** 32-bit FNV-1a over UTF-16 code units: cheap, stable, and evenly spread for shard picking. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
