import type { WebhookRow } from "../db/provider-webhooks";
import type { TriggerStats } from "./stats";

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

export const iso = (ms: number) => new Date(ms).toISOString();

/** A stored webhook as the API shows it, with its trigger counts and its status at the provider. */
export function webhookView(row: WebhookRow, stats: TriggerStats, status: WebhookStatus): WebhookView {
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
