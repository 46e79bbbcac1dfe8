import { getPath } from "../lib/json-path";

/**
 * Fan-out: which destinations an event goes to. A destination takes an event when its
 * `events` patterns match the type (exact, `prefix.*`, or `*`; by default everything but the
 * relay's own `relay.*` events), its `sources` include the event's source (default all), and
 * its payload `filter` holds on the canonical event.
 */
export interface RoutableDestination {
  events: string[] | null;
  sourceIds: string[] | null;
  filter: Record<string, unknown> | null;
}

/** The synthetic source of the relay's own operational events (they come from no provider). */
export const RELAY_SOURCE_ID = "relay";

export const isRelayType = (type: string) => type.startsWith("relay.");

/**
 * Does a destination's `events` list take this type? `relay.*` events are opt-in: only a
 * pattern that itself names them (`relay.*`, `relay.delivery.*`, an exact type) takes them —
 * neither the default nor `*` does, so a catch-all endpoint never starts receiving
 * operational noise it did not ask for.
 */
export function typeMatches(patterns: string[] | null, type: string): boolean {
  const relay = isRelayType(type);
  if (!patterns || patterns.length === 0) return !relay;
  return patterns.some((p) => {
    if (p === type) return true;
    if (p === "*") return !relay;
    if (!p.endsWith(".*")) return false;
    const prefix = p.slice(0, -1);
    return type.startsWith(prefix) && (!relay || isRelayType(prefix));
  });
}

/**
 * `{"shipment.carrier": ["ups", "fedex"], "source.provider": "shipedge"}`: every key must
 * hold; an array value means one-of, anything else equality.
 */
export function filterMatches(filter: Record<string, unknown> | null, event: unknown): boolean {
  if (!filter) return true;
  for (const [path, expected] of Object.entries(filter)) {
    const actual = getPath(event, path);
    if (Array.isArray(expected)) {
      if (!expected.some((e) => e === actual)) return false;
    } else if (expected !== actual) return false;
  }
  return true;
}

/**
 * The whole rule. Relay events have no provider source, so a destination's `sources`
 * restriction does not apply to them; its `filter` does.
 */
export function routes(dest: RoutableDestination, event: { type: string; sourceId: string; canonical: unknown }): boolean {
  const sourceOk =
    event.sourceId === RELAY_SOURCE_ID || !dest.sourceIds || dest.sourceIds.length === 0 || dest.sourceIds.includes(event.sourceId);
  return typeMatches(dest.events, event.type) && sourceOk && filterMatches(dest.filter, event.canonical);
}
