import { ApiError, apiError, notFound } from "../lib/errors";
import { runAdapter } from "./adapter-run";
import { commitCallback } from "./commit";
import { newIngestLogId } from "./pipeline";
import { adapterFor } from "./providers";
import { SAMPLES } from "./samples";
import type { Sample } from "./samples/types";
import { reloadIngestConfig } from "./source-config";

/** Every bundled sample, as `<provider>/<event>`. */
export function sampleNames(): string[] {
  return Object.entries(SAMPLES).flatMap(([provider, set]) => Object.keys(set).map((event) => `${provider}/${event}`));
}

function findSample(name: string): { provider: string; event: string; sample: Sample } | null {
  const slash = name.indexOf("/");
  if (slash < 0) return null;
  const provider = name.slice(0, slash);
  const event = name.slice(slash + 1);
  const sample = Object.hasOwn(SAMPLES, provider) && Object.hasOwn(SAMPLES[provider]!, event) ? SAMPLES[provider]![event]! : undefined;
  return sample ? { provider, event, sample } : null;
}

export interface Triggered {
  sample: string;
  event_ids: string[];
  livemode: boolean;
}

/**
 * `POST /v1/sources/:id/trigger`: runs a bundled sample of the source's provider through its
 * adapter and the normal commit path — dedupe, sequence, routing, delivery — as if the
 * provider had called. The API key has authenticated the caller, so no proof of origin is
 * checked. Each run gets a fresh nonce in its dedupe basis, so it is never deduplicated away
 * as a repeat of the last run; events are `livemode: false` unless `live` is set.
 */
export async function triggerSample(env: Env, workspaceId: string, sourceId: string, name: string, live: boolean): Promise<Triggered> {
  const found = findSample(name);
  if (!found) throw apiError("not_found", `sample ${name} not found; GET /v1/samples lists them`);
  const config = await reloadIngestConfig(env, sourceId);
  if (!config || config.source.workspaceId !== workspaceId) throw notFound("source");
  const { source } = config;
  if (found.provider !== source.provider) {
    throw new ApiError(422, "invalid_request", `sample ${name} is a ${found.provider} callback; this source's provider is ${source.provider}`);
  }
  const receivedAt = Date.now();
  const rawBody = JSON.stringify(found.sample.body);
  const result = runAdapter(adapterFor(source.provider), {
    body: found.sample.body,
    rawBody,
    headers: new Headers(found.sample.headers),
    settings: source.settings,
    receivedAt: new Date(receivedAt),
  });
  if (result.kind === "fetch") throw new ApiError(422, "invalid_request", `sample ${name} is a pointer callback; it cannot be triggered`);
  const nonce = crypto.randomUUID();
  const events = result.events.map((ev, i) => ({
    ...ev,
    livemode: live ? ev.livemode : false,
    // Not the provider's id nor the payload: the nonce makes every run a new event.
    provider_event_id: undefined,
    dedupe_basis: { trigger: nonce, index: i, sample: name },
  }));
  const outcome = await commitCallback(
    env,
    {
      source,
      destinations: config.destinations,
      configVersion: config.configVersion,
      rawBody,
      parsed: found.sample.body,
      receivedAt,
      log: {
        id: newIngestLogId(receivedAt),
        workspaceId,
        sourceId,
        at: receivedAt,
        reason: null,
        httpStatus: 200,
        detail: { trigger: name, live },
      },
      revalidate: false,
    },
    events,
  );
  if (outcome.kind === "accepted" || outcome.kind === "duplicate") return { sample: name, event_ids: outcome.eventIds, livemode: events.every((e) => e.livemode) && events.length > 0 };
  throw apiError("not_committed", "the sample's events could not be stored; try again");
}
