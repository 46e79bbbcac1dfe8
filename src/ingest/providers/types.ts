import type {
  Inventory,
  Order,
  ProviderName,
  Shipment,
  Tracking,
} from "../../events/canonical";
import type { VerificationConfig } from "../verification/types";

/**
 * What an adapter makes of one provider callback, before the relay gives it an id,
 * a sequence and a source. One callback may yield several (a batch of shipments).
 */
export interface NormalizedEvent {
  /** Canonical type (EVENTS.md), or "provider.unmapped" when no mapping covers it. */
  type: string;
  livemode: boolean;
  /** ISO-8601 UTC; when the provider says it happened. Defaults to acceptance time. */
  occurred_at?: string;
  /** The provider's own event name, e.g. "orders/shipped_v2", "SHIP_NOTIFY". */
  source_event: string;
  /** The provider's payload version where it has one ("v2"). */
  version?: string;
  order?: Order;
  shipment?: Shipment;
  tracking?: Tracking;
  inventory?: Inventory;
  /** Provider fields with no canonical home, kept as sent. */
  data: Record<string, unknown>;
  /**
   * The provider's own id for this event (Shipup envelope id, EasyPost id, AfterShip
   * event_id …). When absent the relay hashes `dedupe_basis`.
   */
  provider_event_id?: string;
  /**
   * What identifies the event when the provider sends no id: the payload without its
   * delivery metadata (retry counters, send timestamps). Defaults to the whole body.
   */
  dedupe_basis?: unknown;
}

/** A pointer callback (ShipStation, ShipEngine *_V2): the events come from fetching `resource_url`. */
export interface ResourcePointer {
  resource_url: string;
  resource_type: string;
}

export type AdapterResult =
  | { kind: "events"; events: NormalizedEvent[] }
  | { kind: "fetch"; pointer: ResourcePointer; events?: NormalizedEvent[] };

export interface AdapterInput {
  /** The parsed body (JSON, or the provider's form encoding turned into an object). */
  body: unknown;
  /** The body exactly as received. */
  rawBody: string;
  headers: Headers;
  /** Per-source adapter settings (the generic adapter's field paths, …). */
  settings: Record<string, unknown>;
  /** When shiprelay accepted the request. */
  receivedAt: Date;
}

import type { ProviderCredentials } from "../../db/source-shapes";

/** Stored with the source (src/db/source-shapes.ts). */
export type { ProviderCredentials };

export interface FetchInput {
  pointer: ResourcePointer;
  credentials: ProviderCredentials;
  receivedAt: Date;
  /** The fetch the adapter must use (lets the relay enforce timeouts). */
  fetch: typeof fetch;
}

export interface ProviderAdapter {
  provider: ProviderName;
  /**
   * The verification a new source of this provider gets when the request names none,
   * and what a `{"secret": "…"}`-only verification is completed with.
   */
  verificationPreset: VerificationConfig;
  /** Content types this provider sends besides JSON (e.g. form encoding). */
  parseBody?(rawBody: string, contentType: string): unknown;
  /**
   * Turns a verified callback into canonical events. Pure and synchronous; throws
   * `AdapterParseError` when the payload is JSON but not what the provider documents,
   * which the relay keeps as `provider.unmapped` with `data.parse_error`.
   */
  normalize(input: AdapterInput): AdapterResult;
  /** For pointer callbacks: may this URL be fetched with these credentials (SSRF rule)? */
  isFetchAllowed?(resourceUrl: string, credentials: ProviderCredentials): boolean;
  /** For pointer callbacks: fetch the resource and turn it into events. */
  fetchResource?(input: FetchInput): Promise<NormalizedEvent[]>;
}

/** The payload is valid JSON but not what the provider documents; `field` names where. */
export class AdapterParseError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "AdapterParseError";
  }
}
