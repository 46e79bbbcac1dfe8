import { z } from "@hono/zod-openapi";
import type { PendingFetchRow } from "../../db/pending-fetches";
import { iso } from "../pagination";

export const tags = ["pending-fetches"];

export const pendingFetchSchema = z
  .object({
    id: z.string().openapi({ example: "pft_01j…" }),
    source_id: z.string(),
    ingest_log_id: z.string().openapi({ description: "the callback's ingest-log row (reason fetch_failing until it is fetched)" }),
    resource_type: z.string().openapi({ example: "SHIP_NOTIFY" }),
    resource_url: z.string().openapi({ description: "the provider resource the callback pointed at" }),
    received_at: z.string().openapi({ description: "when the provider's callback arrived (and was answered 200 pending_fetch)" }),
    attempts: z.number().int().openapi({ description: "fetches tried so far, the jobs queue's included" }),
    last_error: z.string().nullable(),
    next_try_at: z.string().openapi({ description: "when the housekeeping sweep tries again (backing off, at most 6 h apart)" }),
    created_at: z.string().openapi({ description: "when the jobs queue gave up and it became pending" }),
  })
  .openapi("PendingFetch");

export function pendingFetchView(r: PendingFetchRow) {
  return {
    id: r.id,
    source_id: r.sourceId,
    ingest_log_id: r.ingestLogId,
    resource_type: r.resourceType,
    resource_url: r.resourceUrl,
    received_at: iso(r.receivedAt)!,
    attempts: r.attempts,
    last_error: r.lastError,
    next_try_at: iso(r.nextTryAt)!,
    created_at: iso(r.createdAt)!,
  };
}
