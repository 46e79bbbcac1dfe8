import type { ProviderCredentials } from "../ingest/providers/types";
import { toBase64, utf8 } from "../lib/encoding";
import { idOf, isRecord, providerClient } from "./http";
import { ProviderCallError, type ProviderWebhook, type WebhookApi } from "./types";

export const SHIPSTATION_V1_BASE = "https://ssapi.shipstation.com";

/**
 * The events ShipStation v1 can subscribe to
 * (https://docs.shipstation.com/apis/shipstation-v1/openapi/webhooks/subscribe_webhook, `event` enum).
 */
export const SHIPSTATION_V1_EVENTS = [
  "ORDER_NOTIFY",
  "ITEM_ORDER_NOTIFY",
  "SHIP_NOTIFY",
  "ITEM_SHIP_NOTIFY",
  "FULFILLMENT_SHIPPED",
  "FULFILLMENT_REJECTED",
] as const;

/**
 * Default: `SHIP_NOTIFY` only. ITEM_SHIP_NOTIFY fires for the same shipments with the
 * resource scoped to their items, so subscribing both would fetch and announce every
 * shipment twice; FULFILLMENT_SHIPPED covers orders shipped by a fulfillment provider
 * (drop-ship, FBA) rather than labels, and is opt-in.
 */
export const SHIPSTATION_V1_DEFAULT_EVENTS = ["SHIP_NOTIFY"] as const;

/**
 * ShipStation v1 webhooks API, Basic auth `base64(api_key:api_secret)`:
 * - `POST /webhooks/subscribe` `{target_url, event, friendly_name}` → `{"id": 123}` (newer
 *   docs show `{"WebHookID", "HookType", "Url", "Name"}`; both are read)
 *   https://docs.shipstation.com/apis/shipstation-v1/docs/webhooks/subscribe
 * - `GET /webhooks` → `{"webhooks": [{"WebHookID", "HookType", "Url", "Name", "Active", …}]}`
 *   (some clients type it as a bare array; both are read)
 *   https://www.shipstation.com/docs/api/webhooks/list/ (archived; shipstation-node v1 types)
 * - `DELETE /webhooks/{webhookId}` https://docs.shipstation.com/apis/shipstation-v1/docs/webhooks/unsubscribe
 *
 * v1 has no call that edits a webhook ("you can only modify an existing webhook through your
 * ShipStation UI", subscribe page above), so moving one to a new URL is delete + subscribe.
 */
export function shipstationV1Api(credentials: ProviderCredentials & { api_secret: string }, hidden: string[] = []): WebhookApi {
  const label = "ShipStation";
  const basic = toBase64(utf8(`${credentials.api_key}:${credentials.api_secret}`));
  const client = providerClient({
    label,
    baseUrl: credentials.api_base_url ?? SHIPSTATION_V1_BASE,
    headers: { authorization: `Basic ${basic}` },
    secrets: [credentials.api_key, credentials.api_secret, basic, ...hidden],
    credentialHint: "credentials.api_key and credentials.api_secret",
  });
  const known = new Set<string>(SHIPSTATION_V1_EVENTS);

  return {
    label,
    defaultEvents: SHIPSTATION_V1_DEFAULT_EVENTS,
    normalizeEvent(event) {
      const upper = event.trim().toUpperCase();
      if (known.has(upper)) return { event: upper };
      return { problem: `ShipStation v1 has no webhook event ${JSON.stringify(event)}; one of ${SHIPSTATION_V1_EVENTS.join(", ")}` };
    },
    async list() {
      const { body } = await client.call("GET", "/webhooks");
      const items = Array.isArray(body) ? body : isRecord(body) && Array.isArray(body.webhooks) ? body.webhooks : null;
      if (!items) throw new ProviderCallError(502, "provider_error", `${label} answered GET /webhooks with something that is not a webhook list`);
      const out: ProviderWebhook[] = [];
      for (const item of items) {
        if (!isRecord(item)) continue;
        const id = idOf(item.WebHookID);
        if (!id) continue;
        out.push({
          id,
          event: typeof item.HookType === "string" ? item.HookType : "",
          url: typeof item.Url === "string" ? item.Url : "",
          active: item.Active !== false,
        });
      }
      return out;
    },
    async create(event, url, name) {
      const { body } = await client.call("POST", "/webhooks/subscribe", {
        body: { target_url: url, event, friendly_name: name },
      });
      const id = isRecord(body) ? (idOf(body.id) ?? idOf(body.WebHookID)) : undefined;
      if (!id) throw new ProviderCallError(502, "provider_error", `${label} accepted the subscription for ${event} but answered without its id`);
      return { id, event, url, active: true };
    },
    async remove(id) {
      const { status } = await client.call("DELETE", `/webhooks/${encodeURIComponent(id)}`, { allow404: true });
      return status !== 404;
    },
  };
}
