import { and, eq } from "drizzle-orm";
import { dbOf } from "../db/client";
import { providerWebhooks } from "../db/schema";
import { openSource, type SourceConfig, type SourceRow } from "../db/sources";
import { allowInsecureDestinations, publicBaseUrl, requireKeyring } from "../lib/config";
import { ApiError, badRequest, unprocessable } from "../lib/errors";
import { newId } from "../lib/ids";
import { outboundUrlProblem } from "../lib/url-safety";
import { shipengineApi, shipengineFlavour } from "./shipengine";
import { shipstationV1Api } from "./shipstation-v1";
import { triggerStats, type TriggerStats } from "./stats";
import { PartialRegistrationError, type ProviderWebhook, type WebhookApi } from "./types";

export { PartialRegistrationError, ProviderCallError } from "./types";

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

export interface RegistrationContext {
  env: Env;
  /** The management request's URL: its origin is the ingest base when PUBLIC_BASE_URL is unset. */
  requestUrl: string;
}

export type WebhookStatus = "active" | "url_outdated" | "inactive" | "missing" | "unknown";

export interface WebhookView {
  event: string;
  provider_webhook_id: string;
  url: string;
  /** Checked against the provider's list: true only when it calls the current ingest URL. Null when the provider could not be asked. */
  registered: boolean | null;
  status: WebhookStatus;
  last_triggered_at: string | null;
  trigger_count: number;
  created_at: string;
  updated_at: string;
}

export type RegisterAction = "created" | "unchanged" | "updated" | "replaced";

export interface RegisterOutcome {
  registered: number;
  webhooks: (WebhookView & { action: RegisterAction })[];
}

type WebhookRow = typeof providerWebhooks.$inferSelect;

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
    return shipstationV1Api({ ...creds, api_secret: creds.api_secret });
  }
  const flavour = shipengineFlavour(creds, source.settings);
  if ("problem" in flavour) throw unprocessable("invalid_settings", flavour.problem);
  return shipengineApi(creds, flavour.flavour);
}

/** The complete ingest URL providers must call, token included (CONTRACT.md "Sources"). */
export function ingestUrlFor(ctx: RegistrationContext, source: SourceConfig): string {
  const base = publicBaseUrl(ctx.env, ctx.requestUrl);
  const token = source.verification.type === "url_token" ? source.verification.token : undefined;
  return `${base}/in/${source.id}${token ? `?token=${encodeURIComponent(token)}` : ""}`;
}

/** The URL as it may be shown and stored: the URL token masked. */
export function maskedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.searchParams.has("token")) return url;
    u.searchParams.set("token", "redacted");
    return u.toString();
  } catch {
    return url;
  }
}

function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}

/** Does this URL lead to the source's ingest route, on any host, with any token? */
export function pointsAtSource(url: string, sourceId: string): boolean {
  try {
    const path = new URL(url).pathname;
    return new RegExp(`/in/${sourceId}(/[^/]*)?/?$`).test(path);
  } catch {
    return false;
  }
}

const sameEvent = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const webhookName = (source: SourceConfig) => `shiprelay ${source.name}`.slice(0, 100);
const iso = (ms: number) => new Date(ms).toISOString();

async function rowsOf(env: Env, source: SourceConfig): Promise<WebhookRow[]> {
  return dbOf(env)
    .select()
    .from(providerWebhooks)
    .where(and(eq(providerWebhooks.workspaceId, source.workspaceId), eq(providerWebhooks.sourceId, source.id)))
    .all();
}

function view(row: WebhookRow, stats: TriggerStats, status: WebhookStatus): WebhookView {
  const triggers = stats.forEvent(row.event);
  return {
    event: row.event,
    provider_webhook_id: row.providerWebhookId,
    url: row.url,
    registered: status === "unknown" ? null : status === "active",
    status,
    last_triggered_at: triggers.last === null ? null : iso(triggers.last),
    trigger_count: triggers.count,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

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
export async function registerWebhooks(
  ctx: RegistrationContext,
  source: SourceConfig,
  requested?: string[],
): Promise<RegisterOutcome> {
  const api = webhookApiFor(ctx.env, source);
  const rows = await rowsOf(ctx.env, source);
  const events = eventsToRegister(api, requested, rows);
  const url = ingestUrlFor(ctx, source);
  // Registering http://localhost:8787/… (an API call made against `wrangler dev` without
  // PUBLIC_BASE_URL) would hand the provider a URL it can never reach.
  const unreachable = outboundUrlProblem(url, { allowInsecure: allowInsecureDestinations(ctx.env) });
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

  const stats = await triggerStats(ctx.env, source, (await rowsOf(ctx.env, source)).length);
  return {
    registered: done.length,
    webhooks: done.map((d) => ({ ...view(d.row, stats, "active"), action: d.action })),
  };
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
      if (stored) await deleteRow(env, stored);
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

  const row = await upsertRow(env, source, event, hook.id, maskedUrl(url));
  return { row, action };
}

async function upsertRow(env: Env, source: SourceConfig, event: string, providerWebhookId: string, url: string): Promise<WebhookRow> {
  const now = Date.now();
  const [row] = await dbOf(env)
    .insert(providerWebhooks)
    .values({
      id: newId("pwh", now),
      workspaceId: source.workspaceId,
      sourceId: source.id,
      event,
      providerWebhookId,
      url,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoUpdate({
      target: [providerWebhooks.sourceId, providerWebhooks.event],
      set: { providerWebhookId, url, updatedAt: now },
    })
    .returning();
  return row!;
}

async function deleteRow(env: Env, row: WebhookRow) {
  await dbOf(env).delete(providerWebhooks).where(eq(providerWebhooks.id, row.id));
}

export interface WebhookList {
  data: WebhookView[];
  next_cursor: string | null;
  /** Set when the provider could not be asked; `registered` is then null. */
  warning?: { code: string; message: string };
  /** Every accepted or duplicate callback of the source, whichever event it was. */
  totals: { trigger_count: number; last_triggered_at: string | null };
}

/**
 * The source's registered webhooks, newest first, each checked live against the provider's
 * list. A provider that cannot be asked (unreachable, refusing, no credentials any more)
 * does not fail the call: our own record and the trigger counts are still worth showing, so
 * the answer is 200 with `registered: null`, `status: "unknown"` and a top-level `warning`.
 */
export async function listWebhooks(
  ctx: RegistrationContext,
  source: SourceConfig,
  pageOf: <T extends { createdAt: number; id: string }>(rows: T[]) => { data: T[]; next_cursor: string | null },
): Promise<WebhookList> {
  const rows = await rowsOf(ctx.env, source);
  const stats = await triggerStats(ctx.env, source, rows.length);
  const totals = { trigger_count: stats.total.count, last_triggered_at: stats.total.last === null ? null : iso(stats.total.last) };
  const page = pageOf(rows);
  if (page.data.length === 0) return { data: [], next_cursor: page.next_cursor, totals };

  let live: ProviderWebhook[] | null = null;
  let warning: WebhookList["warning"];
  try {
    live = await webhookApiFor(ctx.env, source).list();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    warning = { code: err.code, message: `registration could not be checked: ${err.message}` };
  }
  const url = ingestUrlFor(ctx, source);
  const data = page.data.map((row) => {
    if (!live) return view(row, stats, "unknown");
    const hook = live.find((h) => h.id === row.providerWebhookId);
    const status: WebhookStatus = !hook ? "missing" : !hook.active ? "inactive" : sameUrl(hook.url, url) ? "active" : "url_outdated";
    return view(row, stats, status);
  });
  return { data, next_cursor: page.next_cursor, totals, ...(warning ? { warning } : {}) };
}

/**
 * Unsubscribes everything that calls this source at the provider — the webhooks we stored
 * and any other of the provider's webhooks whose URL points at this source — and deletes
 * the rows. A webhook the provider no longer has counts as removed. Rows go one by one as
 * the provider confirms, so a failure part-way leaves provider_webhooks true and the error
 * says how many were removed.
 */
export async function removeWebhooks(ctx: RegistrationContext, source: SourceConfig): Promise<{ removed: number }> {
  const rows = await rowsOf(ctx.env, source);
  if (rows.length === 0 && !source.credentials) return { removed: 0 };
  const api = webhookApiFor(ctx.env, source);
  const live = await api.list();
  const liveIds = new Set(live.map((h) => h.id));

  const targets = new Map<string, string>(); // provider webhook id → event
  for (const row of rows) targets.set(row.providerWebhookId, row.event);
  for (const hook of live) if (pointsAtSource(hook.url, source.id) && !targets.has(hook.id)) targets.set(hook.id, hook.event);

  let removed = 0;
  const remaining = () => [...targets.values()];
  for (const id of [...targets.keys()]) {
    try {
      if (liveIds.has(id)) await api.remove(id);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      throw new PartialRegistrationError(err, `${err.message}. Removed: ${removed}; still registered: ${remaining().join(", ")}`, {
        removed,
        registered: remaining(),
      });
    }
    await dbOf(ctx.env)
      .delete(providerWebhooks)
      .where(and(eq(providerWebhooks.sourceId, source.id), eq(providerWebhooks.providerWebhookId, id)));
    targets.delete(id);
    removed++;
  }
  return { removed };
}

export interface RotationRegistration {
  status: "reregistered" | "failed";
  /** Events whose webhooks now call the new URL. */
  registered: string[];
  /** Events whose webhooks still call the old URL (refused since the rotation). */
  not_registered: string[];
  webhooks?: RegisterOutcome["webhooks"];
  error?: { code: string; message: string };
  hint?: string;
}

/**
 * After a URL token rotation (the hook in POST /v1/sources/:id/rotate-secret): the token is
 * part of the URL the provider calls, so the source's registered webhooks are moved to the
 * new URL. Undefined when there is nothing to move (not a url_token source, or nothing
 * registered). A provider failure never undoes the rotation; the result says which events
 * still point at the old URL, which the source now refuses.
 */
export async function reregisterAfterRotation(ctx: RegistrationContext, row: SourceRow): Promise<RotationRegistration | undefined> {
  if (row.verification.type !== "url_token") return undefined;
  const source = await openSource(await requireKeyring(ctx.env), row);
  const rows = await rowsOf(ctx.env, source);
  if (rows.length === 0) return undefined;
  const events = rows.map((r) => r.event);
  try {
    const outcome = await registerWebhooks(ctx, source, events);
    return { status: "reregistered", registered: outcome.webhooks.map((w) => w.event), not_registered: [], webhooks: outcome.webhooks };
  } catch (err) {
    const known = err instanceof ApiError;
    if (!known) console.error(JSON.stringify({ level: "error", msg: "re-registration after rotation failed", source_id: row.id, error: (err as Error)?.name }));
    const progress = err instanceof PartialRegistrationError ? err.progress : {};
    return {
      status: "failed",
      error: known ? { code: err.code, message: err.message } : { code: "internal_error", message: "re-registration failed unexpectedly; it has been logged" },
      registered: progress.registered ?? [],
      not_registered: progress.not_registered ?? events,
      hint: `the provider still calls the old URL for ${(progress.not_registered ?? events).join(", ")}, and the old token is no longer accepted: retry with POST /v1/sources/${row.id}/register`,
    };
  }
}
