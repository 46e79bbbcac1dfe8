import type { SourceConfig } from "../db/sources";
import { allowInsecureDestinations } from "../lib/config";
import { unprocessable } from "../lib/errors";
import { outboundUrlProblem } from "../lib/url-safety";
import { shipengineApi, shipengineFlavour } from "./shipengine";
import { shipstationV1Api } from "./shipstation-v1";
import type { WebhookApi } from "./types";

const SUPPORTED = new Set(["shipstation", "shipengine"]);

/** The provider's webhooks API for this source, or the 422 that says why there is none. */
export function webhookApiFor(env: Env, source: SourceConfig): WebhookApi {
  if (!SUPPORTED.has(source.provider)) {
    throw unprocessable(
      "registration_not_supported",
      `shiprelay cannot register webhooks with ${source.provider}; register the ingest_url in the provider's dashboard`,
    );
  }
  const creds = source.credentials;
  if (!creds?.api_key) {
    throw unprocessable(
      "missing_credentials",
      "the source has no provider API credentials; set credentials (PATCH /v1/sources/{id}) before registering",
    );
  }
  if (creds.api_base_url) {
    const problem = outboundUrlProblem(creds.api_base_url, { allowInsecure: allowInsecureDestinations(env) });
    if (problem) throw unprocessable("invalid_api_base_url", `credentials.api_base_url: ${problem}`);
  }
  if (source.provider === "shipstation") {
    if (!creds.api_secret) {
      throw unprocessable("missing_credentials", "ShipStation v1 needs credentials.api_secret as well as credentials.api_key");
    }
    return shipstationV1Api({ ...creds, api_secret: creds.api_secret }, hiddenFromMessages(source));
  }
  const flavour = shipengineFlavour(creds, source.settings);
  if ("problem" in flavour) throw unprocessable("invalid_settings", flavour.problem);
  return shipengineApi(creds, flavour.flavour, hiddenFromMessages(source));
}

/**
 * What a provider's error text must never carry back to the caller besides the credentials:
 * the URL token, which the provider sees in the ingest URL and may quote ("target_url … is
 * not reachable"), raw or percent-encoded.
 */
function hiddenFromMessages(source: SourceConfig): string[] {
  const token = source.verification.type === "url_token" ? source.verification.token : undefined;
  return token ? [token, encodeURIComponent(token)] : [];
}
