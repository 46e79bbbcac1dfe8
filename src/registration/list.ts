import { dbOf } from "../db/client";
import { webhookRowsOf } from "../db/provider-webhooks";
import type { SourceConfig } from "../db/sources";
import { ApiError } from "../lib/errors";
import type { Page } from "../lib/pagination";
import { webhookApiFor } from "./provider-api";
import { triggerStats } from "./stats";
import type { ProviderWebhook, RegistrationContext } from "./types";
import { ingestUrlFor, sameUrl } from "./urls";
import { iso, webhookView, type WebhookStatus, type WebhookView } from "./view";

export interface WebhookList {
  data: WebhookView[];
  next_cursor: string | null;
  prev_cursor: string | null;
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
  pageOf: <T extends { createdAt: number; id: string }>(rows: T[]) => Page<T>,
): Promise<WebhookList> {
  const rows = await webhookRowsOf(dbOf(ctx.env), source.workspaceId, source.id);
  const stats = await triggerStats(ctx.env, source, rows.length);
  const totals = { trigger_count: stats.total.count, last_triggered_at: stats.total.last === null ? null : iso(stats.total.last) };
  const page = pageOf(rows);
  const cursors = { next_cursor: page.next_cursor, prev_cursor: page.prev_cursor };
  if (page.data.length === 0) return { data: [], ...cursors, totals };

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
    if (!live) return webhookView(row, stats, "unknown");
    const hook = live.find((h) => h.id === row.providerWebhookId);
    const status: WebhookStatus = !hook ? "missing" : !hook.active ? "inactive" : sameUrl(hook.url, url) ? "active" : "url_outdated";
    return webhookView(row, stats, status);
  });
  return { data, ...cursors, totals, ...(warning ? { warning } : {}) };
}
