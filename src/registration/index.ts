/**
 * Provider registration (CONTRACT.md "Provider registration"): shiprelay subscribes a
 * source's ingest URL at the provider (ShipStation v1; ShipEngine / ShipStation v2), keeps
 * the provider's webhook ids in `provider_webhooks`, and reads the provider's own list to say
 * whether each is still registered.
 *
 * Idempotent by construction: every register first lists the provider's webhooks and treats
 * one as ours when it is the id we stored for the event or its URL points at this source
 * (`…/in/<source id>`, whatever the host or token). Ours with the current URL → kept; ours
 * with an old URL (PUBLIC_BASE_URL changed, token rotated) → moved; none → subscribed.
 *
 * `provider_webhooks.url` holds the URL with the URL token masked: the token is a secret
 * (stored encrypted with the source) and is never shown again after create/rotate.
 */

export { webhookApiFor } from "./provider-api";
export { listWebhooks, type WebhookList } from "./list";
export { registerWebhooks, type RegisterAction, type RegisterOutcome } from "./register";
export { removeWebhooks } from "./remove";
export { reregisterAfterRotation, type RotationRegistration } from "./rotation";
export { PartialRegistrationError, ProviderCallError, type RegistrationContext } from "./types";
export { ingestUrlFor, maskedUrl, pointsAtSource } from "./urls";
export type { WebhookStatus, WebhookView } from "./view";
