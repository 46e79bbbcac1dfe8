import { ApiError } from "../lib/errors";

/**
 * Provider registration: shiprelay subscribes a source's ingest URL at the provider's own
 * webhooks API. One `WebhookApi` per provider API flavour (ShipStation v1, ShipEngine,
 * ShipStation v2); src/registration/{register,list,remove}.ts turn them into register / list / remove.
 */

export interface RegistrationContext {
  env: Env;
  /** The management request's URL: its origin is the ingest base when PUBLIC_BASE_URL is unset. */
  requestUrl: string;
}

/** A webhook as the provider lists it. */
export interface ProviderWebhook {
  id: string;
  /** The provider's event name (`SHIP_NOTIFY`, `fulfillment_shipped_v2`, `track`, …). */
  event: string;
  url: string;
  /** False when the provider says the webhook is switched off (ShipStation v1 `Active`). */
  active: boolean;
}

export interface WebhookApi {
  /** How messages name the provider: "ShipStation", "ShipStation v2", "ShipEngine". */
  readonly label: string;
  /** What `POST /register` subscribes when the request names no events. */
  readonly defaultEvents: readonly string[];
  /** The provider's spelling of an event name, or an explanation of why it is not one. */
  normalizeEvent(event: string): { event: string } | { problem: string };
  list(): Promise<ProviderWebhook[]>;
  create(event: string, url: string, name: string): Promise<ProviderWebhook>;
  /**
   * Points an existing webhook at a new URL in place; null when it is gone meanwhile. Absent
   * when the provider cannot (ShipStation v1: webhooks are changed only in its UI), and then
   * the relay deletes and subscribes anew.
   */
  update?(hook: ProviderWebhook, url: string, name: string): Promise<ProviderWebhook | null>;
  /** Unsubscribes; false when the webhook was already gone. */
  remove(id: string): Promise<boolean>;
}

/** A provider call failed; `status`/`code` follow CONTRACT.md (422 provider_rejected, 502 provider_error). */
export class ProviderCallError extends ApiError {
  override name = "ProviderCallError";
}

/**
 * A registration or removal stopped part-way: some events are registered (or some webhooks
 * removed) and others not. The response names both, and provider_webhooks already says so.
 */
export class PartialRegistrationError extends ApiError {
  override name = "PartialRegistrationError";
  constructor(
    cause: ApiError,
    message: string,
    readonly progress: { registered?: string[]; not_registered?: string[]; removed?: number },
  ) {
    super(cause.status, cause.code, message, cause.headers);
  }
}
