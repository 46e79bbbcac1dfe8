import { dbOf } from "../db/client";
import { webhookRowsOf } from "../db/provider-webhooks";
import { openSource, type SourceRow } from "../db/sources";
import { requireKeyring } from "../lib/config";
import { ApiError } from "../lib/errors";
import { registerWebhooks, type RegisterOutcome } from "./register";
import { PartialRegistrationError, type RegistrationContext } from "./types";

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
  const rows = await webhookRowsOf(dbOf(ctx.env), source.workspaceId, source.id);
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
