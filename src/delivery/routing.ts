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

export function typeMatches(patterns: string[] | null, type: string): boolean {
  if (!patterns || patterns.length === 0) return !type.startsWith("relay.");
  return patterns.some((p) => p === type || p === "*" || (p.endsWith(".*") && type.startsWith(p.slice(0, -1))));
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

export function routes(dest: RoutableDestination, event: { type: string; sourceId: string; canonical: unknown }): boolean {
  return (
    typeMatches(dest.events, event.type) &&
    (!dest.sourceIds || dest.sourceIds.length === 0 || dest.sourceIds.includes(event.sourceId)) &&
    filterMatches(dest.filter, event.canonical)
  );
}
