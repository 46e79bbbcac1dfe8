import { AdapterParseError, type AdapterResult, type ProviderAdapter } from "./providers/types";
import { unmappedEvent } from "./unmapped";

/**
 * Runs the provider's adapter. A payload it cannot read is still kept, as
 * provider.unmapped with the reason in data.parse_error: a provider must never be told to
 * give up on an event we could still store.
 */
export function runAdapter(adapter: ProviderAdapter, input: Parameters<ProviderAdapter["normalize"]>[0]): AdapterResult {
  try {
    return adapter.normalize(input);
  } catch (err) {
    const known = err instanceof AdapterParseError;
    const message = known ? err.message : "the adapter could not read this payload";
    if (!known) console.error(JSON.stringify({ level: "error", msg: "adapter crashed", provider: adapter.provider, error: (err as Error).message }));
    const body = input.body;
    return {
      kind: "events",
      events: [unmappedEvent(guessEventName(body), { payload: body, parse_error: known && err.field ? `${err.field}: ${message}` : message })],
    };
  }
}

function guessEventName(body: unknown): string {
  if (body && typeof body === "object" && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    for (const key of ["event", "type", "Event", "resource_type", "description", "topic"]) {
      if (typeof b[key] === "string" && b[key]) return (b[key] as string).slice(0, 100);
    }
  }
  return "unknown";
}
