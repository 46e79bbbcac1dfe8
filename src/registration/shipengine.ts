import type { ProviderCredentials } from "../ingest/providers/types";
import { idOf, isRecord, providerClient } from "./http";
import { ProviderCallError, type ProviderWebhook, type WebhookApi } from "./types";

export const SHIPENGINE_BASE = "https://api.shipengine.com";
const SHIPSTATION_V2_HOST = "api.shipstation.com";

/**
 * The `shipengine` provider speaks to two webhook APIs of one platform:
 * - `shipengine`: ShipEngine (`https://api.shipengine.com`), `/v1/environment/webhooks`,
 *   events `batch`, `carrier_connected`, `order_source_refresh_complete`, `rate`,
 *   `report_complete`, `sales_orders_imported`, `track`
 *   (https://docs.shipstation.com/apis/shipengine/openapi/webhooks/create_webhook).
 * - `shipstation_v2`: the ShipStation v2 API (`https://api.shipstation.com`),
 *   `/v2/environment/webhooks`, with the `*_v2` events (`fulfillment_shipped_v2`,
 *   `shipment_created_v2`, `label_created_v2`, `track_event_v2`, `batch_processed_v2`, …;
 *   https://docs.shipstation.com/apis/docs/guides/webhooks-overview,
 *   https://docs.shipstation.com/apis/docs/guides/webhooks-schemas).
 *
 * Which one: `settings.webhook_api` when the source sets it, else `shipstation_v2` when
 * `credentials.api_base_url`'s host is api.shipstation.com, else `shipengine`.
 */
export type ShipEngineFlavour = "shipengine" | "shipstation_v2";
export const SHIPENGINE_FLAVOURS: readonly ShipEngineFlavour[] = ["shipengine", "shipstation_v2"];

export function shipengineFlavour(
  credentials: ProviderCredentials,
  settings: Record<string, unknown>,
): { flavour: ShipEngineFlavour } | { problem: string } {
  const chosen = settings.webhook_api;
  if (chosen !== undefined) {
    if (SHIPENGINE_FLAVOURS.includes(chosen as ShipEngineFlavour)) return { flavour: chosen as ShipEngineFlavour };
    return { problem: `settings.webhook_api must be one of ${SHIPENGINE_FLAVOURS.join(", ")}` };
  }
  const host = new URL(credentials.api_base_url ?? SHIPENGINE_BASE).hostname.toLowerCase();
  return { flavour: host === SHIPSTATION_V2_HOST ? "shipstation_v2" : "shipengine" };
}

/**
 * Defaults. ShipStation v2: CloudFFL's flow, "Fulfillment Shipped v2" and "Shipment
 * Created" (shared/design/PROVIDERS.md); tracking (`track_event_v2`) is opt-in because
 * tracking webhooks count against the plan's API calls (webhooks overview above).
 * ShipEngine: `track`, the one shipping event its webhooks API offers.
 */
export const SHIPENGINE_DEFAULT_EVENTS: Record<ShipEngineFlavour, readonly string[]> = {
  shipstation_v2: ["fulfillment_shipped_v2", "shipment_created_v2"],
  shipengine: ["track"],
};

/**
 * ShipEngine / ShipStation v2 webhooks API, header `API-Key`:
 * - `POST <prefix>/environment/webhooks` `{name, event, url}` → `{"webhook_id", "url", "event", …}`
 *   https://docs.shipstation.com/apis/shipengine/openapi/webhooks/create_webhook
 * - `GET <prefix>/environment/webhooks` → `[{"webhook_id", "url", "event"}]`
 *   https://docs.shipstation.com/apis/shipengine/docs/reference/list-webhooks
 * - `PUT <prefix>/environment/webhooks/{webhook_id}` `{url}` → 204 ("Update the webhook url property")
 *   https://docs.shipstation.com/apis/shipengine/openapi/webhooks/update_webhook
 * - `DELETE <prefix>/environment/webhooks/{webhook_id}` → 204
 *   https://docs.shipstation.com/apis/shipengine/docs/reference/delete-webhook
 * `<prefix>` is `/v1` for ShipEngine and `/v2` for ShipStation v2.
 */
export function shipengineApi(credentials: ProviderCredentials, flavour: ShipEngineFlavour, hidden: string[] = []): WebhookApi {
  const label = flavour === "shipstation_v2" ? "ShipStation v2" : "ShipEngine";
  const path = `${flavour === "shipstation_v2" ? "/v2" : "/v1"}/environment/webhooks`;
  const client = providerClient({
    label,
    baseUrl: credentials.api_base_url ?? SHIPENGINE_BASE,
    headers: { "API-Key": credentials.api_key },
    secrets: [credentials.api_key, ...(credentials.api_secret ? [credentials.api_secret] : []), ...hidden],
    credentialHint: "credentials.api_key",
  });

  const readHook = (item: unknown, fallback?: Partial<ProviderWebhook>): ProviderWebhook | undefined => {
    if (!isRecord(item)) return undefined;
    const id = idOf(item.webhook_id) ?? fallback?.id;
    if (!id) return undefined;
    return {
      id,
      event: typeof item.event === "string" ? item.event : (fallback?.event ?? ""),
      url: typeof item.url === "string" ? item.url : (fallback?.url ?? ""),
      active: item.active !== false,
    };
  };

  return {
    label,
    defaultEvents: SHIPENGINE_DEFAULT_EVENTS[flavour],
    normalizeEvent(event) {
      const lower = event.trim().toLowerCase();
      if (/^[a-z][a-z0-9_]{0,63}$/.test(lower)) return { event: lower };
      return { problem: `${JSON.stringify(event)} is not a ${label} webhook event name (e.g. ${SHIPENGINE_DEFAULT_EVENTS[flavour][0]})` };
    },
    async list() {
      const { body } = await client.call("GET", path);
      const items = Array.isArray(body) ? body : isRecord(body) && Array.isArray(body.webhooks) ? body.webhooks : null;
      if (!items) throw new ProviderCallError(502, "provider_error", `${label} answered GET ${path} with something that is not a webhook list`);
      return items.map((item) => readHook(item)).filter((h): h is ProviderWebhook => h !== undefined);
    },
    async create(event, url, name) {
      const { body } = await client.call("POST", path, { body: { name, event, url } });
      const hook = readHook(body, { event, url });
      if (!hook) throw new ProviderCallError(502, "provider_error", `${label} accepted the webhook for ${event} but answered without its webhook_id`);
      return hook;
    },
    async update(hook, url, name) {
      const { status } = await client.call("PUT", `${path}/${encodeURIComponent(hook.id)}`, { body: { url, name }, allow404: true });
      return status === 404 ? null : { ...hook, url };
    },
    async remove(id) {
      const { status } = await client.call("DELETE", `${path}/${encodeURIComponent(id)}`, { allow404: true });
      return status !== 404;
    },
  };
}
