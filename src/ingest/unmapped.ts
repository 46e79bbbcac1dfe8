import type { NormalizedEvent } from "./providers/types";

/**
 * A `provider.unmapped` event: what the relay keeps of a callback it cannot map (an unknown
 * event name, an adapter that could not read the payload, a pointer it may not fetch), so a
 * provider is never told to give up on an event we could still store.
 */
export function unmappedEvent(sourceEvent: string, data: Record<string, unknown>, extra: Partial<NormalizedEvent> = {}): NormalizedEvent {
  return { type: "provider.unmapped", livemode: true, source_event: sourceEvent, ...extra, data };
}
