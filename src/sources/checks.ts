import type { ProviderName } from "../events/canonical";
import { genericSettingsSchema } from "../ingest/providers/generic";
import { allowInsecureDestinations } from "../lib/config";
import { badRequest } from "../lib/errors";
import { outboundUrlProblem } from "../lib/url-safety";
import type { CredentialsInput } from "./schemas";

/** A custom API base URL must be one the relay may call (https, public address). */
export function checkCredentials(env: Env, creds: CredentialsInput | undefined) {
  if (!creds?.api_base_url) return;
  const problem = outboundUrlProblem(creds.api_base_url, { allowInsecure: allowInsecureDestinations(env) });
  if (problem) throw badRequest(`credentials.api_base_url: ${problem}`);
}

/** The generic adapter's settings (field paths) must parse; other providers take any. */
export function checkSettings(provider: ProviderName, settings: Record<string, unknown> | undefined) {
  if (!settings || provider !== "generic") return;
  const parsed = genericSettingsSchema.safeParse(settings);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw badRequest(`settings.${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
  }
}
