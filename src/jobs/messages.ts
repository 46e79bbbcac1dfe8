import { z } from "zod";

/**
 * Background job messages on the jobs queue, validated again by its consumer (a message is data
 * from the past: an older deploy may have written it).
 */
export const jobMessageSchema = z.discriminatedUnion("kind", [
  /** Send the deliveries that waited while a destination was paused or disabled. */
  z.object({ kind: z.literal("drain"), destination_id: z.string() }),
  /** Fetch a provider resource a pointer callback named (ShipStation, ShipEngine *_V2). */
  z.object({
    kind: z.literal("fetch"),
    workspace_id: z.string(),
    source_id: z.string(),
    ingest_log_id: z.string(),
    resource_url: z.string(),
    resource_type: z.string(),
    received_at: z.number(),
    raw: z.string(),
    /** A try of a pending fetch (src/ingest/pending-fetches.ts): its outcome is recorded there, never retried by the queue. */
    pending_fetch_id: z.string().optional(),
  }),
  /** Walk a replay's matching deliveries in bounded steps. */
  z.object({ kind: z.literal("replay"), replay_id: z.string() }),
]);
export type JobMessage = z.infer<typeof jobMessageSchema>;
