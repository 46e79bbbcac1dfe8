import { dbOf } from "../db/client";
import { deleteWebhookRowByProviderId, webhookRowsOf } from "../db/provider-webhooks";
import type { SourceConfig } from "../db/sources";
import { ApiError } from "../lib/errors";
import { withRegistrationClaim } from "./claim";
import { webhookApiFor } from "./provider-api";
import { PartialRegistrationError, type RegistrationContext } from "./types";
import { pointsAtSource } from "./urls";

/**
 * Unsubscribes everything that calls this source at the provider — the webhooks we stored
 * and any other of the provider's webhooks whose URL points at this source — and deletes
 * the rows. A webhook the provider no longer has counts as removed. Rows go one by one as
 * the provider confirms, so a failure part-way leaves provider_webhooks true and the error
 * says how many were removed.
 */
export function removeWebhooks(ctx: RegistrationContext, source: SourceConfig): Promise<{ removed: number }> {
  return withRegistrationClaim(ctx.env, source.id, () => removeClaimed(ctx, source));
}

async function removeClaimed(ctx: RegistrationContext, source: SourceConfig): Promise<{ removed: number }> {
  const rows = await webhookRowsOf(dbOf(ctx.env), source.workspaceId, source.id);
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
    await deleteWebhookRowByProviderId(dbOf(ctx.env), source.id, id);
    targets.delete(id);
    removed++;
  }
  return { removed };
}
