import { dbOf } from "../db/client";
import { deleteWebhookRow, upsertWebhookRow, webhookRowsOf, type WebhookRow } from "../db/provider-webhooks";
import type { SourceConfig } from "../db/sources";
import { allowInsecureDestinations } from "../lib/config";
import { ApiError, badRequest, unprocessable } from "../lib/errors";
import { outboundUrlProblem } from "../lib/url-safety";
import { withRegistrationClaim } from "./claim";
import { webhookApiFor } from "./provider-api";
import { triggerStats } from "./stats";
import { PartialRegistrationError, type ProviderWebhook, type RegistrationContext, type WebhookApi } from "./types";
import { ingestUrlFor, maskedUrl, pointsAtSource, sameUrl } from "./urls";
import { webhookView, type WebhookView } from "./view";

export type RegisterAction = "created" | "unchanged" | "updated" | "replaced";

export interface RegisterOutcome {
  registered: number;
  webhooks: (WebhookView & { action: RegisterAction })[];
}

const sameEvent = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const webhookName = (source: SourceConfig) => `shiprelay ${source.name}`.slice(0, 100);

/**
 * Which events a register call means: the requested ones (checked and spelled the provider's
 * way; 400 names the bad one), else the events already registered for the source (a refresh),
 * else the provider's defaults.
 */
function eventsToRegister(api: WebhookApi, requested: string[] | undefined, rows: WebhookRow[]): string[] {
  let events: string[];
  if (requested && requested.length > 0) {
    events = requested.map((e, i) => {
      const n = api.normalizeEvent(e);
      if ("problem" in n) throw badRequest(`events.${i}: ${n.problem}`);
      return n.event;
    });
  } else if (rows.length > 0) {
    events = rows.map((r) => r.event);
  } else {
    events = [...api.defaultEvents];
  }
  const unique = new Map<string, string>();
  for (const e of events) if (!unique.has(e.toLowerCase())) unique.set(e.toLowerCase(), e);
  return [...unique.values()];
}

/**
 * Subscribes the source's current ingest URL for each event, idempotently (see the module
 * comment). Events are done one after the other and each is recorded as soon as the
 * provider confirms it, so when one fails, provider_webhooks already holds the ones before
 * it and the PartialRegistrationError names both sides.
 */
export function registerWebhooks(ctx: RegistrationContext, source: SourceConfig, requested?: string[]): Promise<RegisterOutcome> {
  return withRegistrationClaim(ctx.env, source.id, () => registerClaimed(ctx, source, requested));
}

async function registerClaimed(ctx: RegistrationContext, source: SourceConfig, requested?: string[]): Promise<RegisterOutcome> {
  const api = webhookApiFor(ctx.env, source);
  const rows = await webhookRowsOf(dbOf(ctx.env), source.workspaceId, source.id);
  const events = eventsToRegister(api, requested, rows);
  const url = ingestUrlFor(ctx, source);
  // Registering http://localhost:8787/… (an API call made against `wrangler dev` without
  // PUBLIC_BASE_URL) would hand the provider a URL it can never reach.
  const unreachable = outboundUrlProblem(url, { allowInsecure: mayRegisterInsecureUrl(ctx.env, source) });
  if (unreachable) {
    throw unprocessable(
      "ingest_url_not_public",
      `the ingest URL ${maskedUrl(url)} ${unreachable}; set PUBLIC_BASE_URL to the relay's public https URL`,
    );
  }
  const live = await api.list();

  const done: { row: WebhookRow; action: RegisterAction }[] = [];
  for (const [i, event] of events.entries()) {
    try {
      done.push(await registerOne(ctx.env, api, source, event, url, live, rows));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const registered = done.map((d) => d.row.event);
      const notRegistered = events.slice(i);
      throw new PartialRegistrationError(
        err,
        `${err.message}. Registered: ${registered.length ? registered.join(", ") : "none"}; not registered: ${notRegistered.join(", ")}`,
        { registered, not_registered: notRegistered },
      );
    }
  }

  const stats = await triggerStats(ctx.env, source, (await webhookRowsOf(dbOf(ctx.env), source.workspaceId, source.id)).length);
  return {
    registered: done.length,
    webhooks: done.map((d) => ({ ...webhookView(d.row, stats, "active"), action: d.action })),
  };
}

/**
 * ALLOW_INSECURE_DESTINATIONS says where the relay may send; it does not decide what a
 * provider is told to call. An http:// or private ingest URL is registered only when, as
 * well, the provider API itself is a local/insecure test endpoint (`credentials.api_base_url`
 * that would not pass the public-https rule: the fake providers of `npm run dev` and the
 * tests). A real provider is always handed a public https URL.
 */
function mayRegisterInsecureUrl(env: Env, source: SourceConfig): boolean {
  const base = source.credentials?.api_base_url;
  return allowInsecureDestinations(env) && !!base && outboundUrlProblem(base, { allowInsecure: false }) !== null;
}

async function registerOne(
  env: Env,
  api: WebhookApi,
  source: SourceConfig,
  event: string,
  url: string,
  live: ProviderWebhook[],
  rows: WebhookRow[],
): Promise<{ row: WebhookRow; action: RegisterAction }> {
  const stored = rows.find((r) => sameEvent(r.event, event));
  const ours = live.filter((h) => sameEvent(h.event, event) && (h.id === stored?.providerWebhookId || pointsAtSource(h.url, source.id)));
  const name = webhookName(source);

  let hook = ours.find((h) => h.active && sameUrl(h.url, url));
  let action: RegisterAction = "unchanged";
  if (!hook) {
    const target = ours[0];
    if (target && api.update) {
      hook = (await api.update(target, url, name)) ?? undefined;
      if (hook) action = "updated";
    } else if (target) {
      await api.remove(target.id);
      // Gone at the provider: the row must not claim it while the new subscription is made.
      if (stored) await deleteWebhookRow(dbOf(env), stored.id);
      action = "replaced";
    }
    if (!hook) {
      hook = await api.create(event, url, name);
      if (action === "unchanged") action = "created";
    }
  }
  // Earlier duplicates of ours would call the source twice; ingest dedupes them, so their
  // removal is best effort and never fails a registration that succeeded.
  for (const extra of ours) {
    if (extra.id !== hook.id && !(action === "replaced" && extra.id === ours[0]?.id)) {
      await api.remove(extra.id).catch(() => false);
    }
  }
  // The registered hook is live now: later events of this call see the provider's state.
  const index = live.findIndex((h) => h.id === hook.id);
  if (index >= 0) live[index] = hook;
  else live.push(hook);

  const row = await upsertWebhookRow(dbOf(env), source, event, hook.id, maskedUrl(url));
  return { row, action };
}
