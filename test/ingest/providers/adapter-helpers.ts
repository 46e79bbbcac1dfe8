/**
 * Shared helpers for the provider adapter tests: building an adapter's input, normalizing a
 * body and checking the result is a canonical event once the relay adds its own fields.
 */
import fc from "fast-check";
import { expect } from "vitest";
import { canonicalEventSchema, EVENT_TYPES } from "../../../src/events/canonical";
import {
  AdapterParseError,
  type AdapterInput,
  type NormalizedEvent,
  type ProviderAdapter,
} from "../../../src/ingest/providers/types";

export interface InputOptions {
  /** When the relay accepted the request. */
  receivedAt: Date;
  headers?: Record<string, string>;
  settings?: Record<string, unknown>;
}

/** The AdapterInput for a JSON body, as the relay would build it. */
export function adapterInput(body: unknown, { receivedAt, headers = {}, settings = {} }: InputOptions): AdapterInput {
  return { body, rawBody: JSON.stringify(body), headers: new Headers(headers), settings, receivedAt };
}

/** The events the adapter makes of `body`; fails when it asks for a fetch instead. */
export function normalizeAll(adapter: ProviderAdapter, body: unknown, options: InputOptions): NormalizedEvent[] {
  const result = adapter.normalize(adapterInput(body, options));
  if (result.kind !== "events") throw new Error(`expected events, got ${result.kind}`);
  return result.events;
}

/** The one event the adapter makes of `body`; fails unless it makes exactly one. */
export function normalizeOne(adapter: ProviderAdapter, body: unknown, options: InputOptions): NormalizedEvent {
  const result = adapter.normalize(adapterInput(body, options));
  if (result.kind !== "events") throw new Error("expected events");
  expect(result.events).toHaveLength(1);
  return result.events[0]!;
}

export interface CanonicalOptions {
  /** Pass the event's `version` on as `source.version` (providers with versioned payloads). */
  withVersion?: boolean;
  /** Also check that occurred_at is ISO-8601 UTC and the carrier lower case (default true). */
  checkFormats?: boolean;
}

/** Fails unless the event is a valid canonical event once the relay adds its own fields. */
export function expectCanonicalEvent(
  ev: NormalizedEvent,
  provider: string,
  receivedAt: Date,
  { withVersion = false, checkFormats = true }: CanonicalOptions = {},
): void {
  expect(EVENT_TYPES as readonly string[]).toContain(ev.type);
  const source = { id: "src_test", provider, event: ev.source_event, ...(withVersion ? { version: ev.version } : {}) };
  const full = canonicalEventSchema.safeParse({
    ...ev,
    id: "evt_test",
    created_at: receivedAt.toISOString(),
    occurred_at: ev.occurred_at ?? receivedAt.toISOString(),
    sequence: null,
    source,
  });
  expect(full.success, JSON.stringify(full.error?.issues)).toBe(true);
  for (const section of [ev.order, ev.shipment, ev.tracking, ev.inventory]) {
    if (section !== undefined) expect(Object.keys(section).length).toBeGreaterThan(0);
  }
  if (!checkFormats) return;
  if (ev.occurred_at) expect(ev.occurred_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/);
  if (ev.shipment?.carrier) expect(ev.shipment.carrier).toBe(ev.shipment.carrier.toLowerCase());
}

/** Fails unless normalizing `input` throws an AdapterParseError naming `field`. */
export function expectParseError(adapter: ProviderAdapter, input: AdapterInput, field: string): void {
  try {
    adapter.normalize(input);
    expect.unreachable();
  } catch (e) {
    expect(e).toBeInstanceOf(AdapterParseError);
    expect((e as AdapterParseError).field).toBe(field);
  }
}

/** Wraps a property so that an AdapterParseError counts as a pass and any other error fails it. */
export function ignoringParseErrors<A extends unknown[]>(check: (...args: A) => void): (...args: A) => void {
  return (...args) => {
    try {
      check(...args);
    } catch (e) {
      if (!(e instanceof AdapterParseError)) throw e;
    }
  };
}

export interface NeverCrashesOptions extends InputOptions {
  numRuns: number;
  /** Runs on every event a body normalizes to (typically the canonical check). */
  check: (ev: NormalizedEvent) => void;
}

/**
 * Property: for any of `bodies`, normalize returns a result (whose events all pass `check`)
 * or throws AdapterParseError, never anything else.
 */
export function neverCrashes(adapter: ProviderAdapter, bodies: fc.Arbitrary<unknown>, { numRuns, check, ...input }: NeverCrashesOptions): void {
  fc.assert(
    fc.property(
      bodies,
      ignoringParseErrors((body: unknown) => {
        const result = adapter.normalize(adapterInput(body, input));
        if (result.kind === "events") result.events.forEach(check);
      }),
    ),
    { numRuns },
  );
}
