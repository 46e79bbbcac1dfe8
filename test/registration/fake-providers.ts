import { mockEndpoint, type MockEndpoint, type RecordedRequest } from "../support/mock";
import { createSource, createWorkspace } from "../support/relay";

/**
 * Fakes of the providers' webhook APIs, shaped as their docs show (see src/registration/*),
 * served by the real loopback server of test/support/global-setup.ts.
 */

export const SS_KEY = "ss-key-7f3a9";
export const SS_SECRET = "ss-secret-c21e8";
export const SE_KEY = "TEST_se-key-4b6d1";

/** ShipStation v1 `GET /webhooks` item. */
export function v1Hook(id: number, event: string, url: string, extra: Record<string, unknown> = {}) {
  return { IsLabelAPIHook: false, WebHookID: id, SellerID: 1, StoreID: null, HookType: event, MessageFormat: "Json", Url: url, Name: "shiprelay", Active: true, ...extra };
}

/** A fake ShipStation v1 API with the given webhooks already registered; subscribe answers ids from 5001. */
export async function fakeShipStation(existing: unknown[] = [], subscribeIds: number[] = [5001, 5002, 5003]) {
  return mockEndpoint({
    routes: {
      "GET /webhooks": { status: 200, body: { webhooks: existing } },
      "POST /webhooks/subscribe": subscribeIds.map((id) => ({ status: 201, body: { id } })),
    },
    default: { status: 200, body: "" },
  });
}

/** A fake ShipEngine / ShipStation v2 API (`prefix` /v1 or /v2) with the given webhooks. */
export async function fakeShipEngine(prefix: "/v1" | "/v2", existing: unknown[] = [], createIds: string[] = ["se-101", "se-102", "se-103"]) {
  return mockEndpoint({
    routes: {
      [`GET ${prefix}/environment/webhooks`]: { status: 200, body: existing },
      [`POST ${prefix}/environment/webhooks`]: createIds.map((id) => ({ status: 200, body: { webhook_id: id, headers: [] } })),
    },
    default: { status: 204 },
  });
}

export const bySignature = (reqs: RecordedRequest[], method: string, path: string) => reqs.filter((r) => r.method === method && r.path === path);

export async function shipstationSource(key: string, provider: MockEndpoint, extra: Record<string, unknown> = {}) {
  return createSource(key, {
    name: "CloudFFL ShipStation",
    provider: "shipstation",
    credentials: { api_key: SS_KEY, api_secret: SS_SECRET, api_base_url: provider.url },
    ...extra,
  });
}

export async function shipengineSource(key: string, provider: MockEndpoint, webhookApi: "shipstation_v2" | "shipengine") {
  return createSource(key, {
    name: "CloudFFL ShipStation v2",
    provider: "shipengine",
    credentials: { api_key: SE_KEY, api_base_url: provider.url },
    settings: { webhook_api: webhookApi },
  });
}

export { createWorkspace };
