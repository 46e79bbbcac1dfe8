import { dbOf } from "../db/client";
import { deleteWebhookRowsOf, hasWebhooks } from "../db/provider-webhooks";
import { deleteSource, getSourceRow, openSource } from "../db/sources";
import { keyringOf } from "../lib/config";
import { ApiError, notFound } from "../lib/errors";
import { removeWebhooks } from "../registration";

/**
 * Deletes a source (its events stay). Webhooks registered at the provider are unsubscribed
 * first — a provider left calling a deleted source would get 404s for ever — and a failure
 * there refuses the delete (409) unless `force`.
 */
export async function deleteSourceAndWebhooks(env: Env, workspaceId: string, id: string, opts: { force: boolean; requestUrl: string }) {
  const db = dbOf(env);
  const row = await getSourceRow(db, workspaceId, id);
  if (!row) throw notFound("source");
  if (await hasWebhooks(db, row.id)) {
    const ring = await keyringOf(env);
    try {
      await removeWebhooks({ env, requestUrl: opts.requestUrl }, await openSource(ring, row));
    } catch (err) {
      if (!opts.force) {
        const why = err instanceof ApiError ? err.message : "the provider could not be reached";
        throw new ApiError(409, "unsubscribe_failed", `the source's webhooks could not be removed at the provider (${why}); retry, or DELETE with ?force=true to delete anyway`);
      }
    }
    await deleteWebhookRowsOf(db, row.id);
  }
  if (!(await deleteSource(db, workspaceId, id))) throw notFound("source");
}
