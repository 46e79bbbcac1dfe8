import { dbOf } from "../db/client";
import { getDestinationRow } from "../db/destinations";
import { eventQuery } from "../db/events";
import { bodyFor } from "../delivery/body";
import { checkTransform, TransformError } from "../delivery/transform";
import { apiError, notFound } from "../lib/errors";

/** What a preview runs over: a stored event of the workspace, or one given inline. */
export type PreviewInput = { event_id: string; transform?: string | null } | { event: Record<string, unknown>; transform?: string | null };

/**
 * `POST /v1/destinations/:id/transform/preview` and the console: the body the destination
 * would be sent for an event — its transform (or the one given, to try before saving) over
 * the canonical event, with the same limits as delivery. A failing transform is
 * `400 invalid_transform` with the reason the attempt would record.
 */
export async function previewTransform(env: Env, workspaceId: string, destinationId: string, input: PreviewInput): Promise<unknown> {
  const db = dbOf(env);
  const destination = await getDestinationRow(db, workspaceId, destinationId);
  if (!destination) throw notFound("destination");
  // Given: that expression (null: none), to try before saving; absent: the saved one.
  const transform = input.transform !== undefined ? input.transform : destination.transform;
  if (input.transform) checkTransform(input.transform);
  let event: { type: string; body: string; raw: string };
  if ("event_id" in input) {
    const [row] = await eventQuery(db, workspaceId, input.event_id);
    if (!row) throw notFound("event");
    event = { type: row.type, body: row.body, raw: row.raw ?? "null" };
  } else {
    event = { type: typeof input.event.type === "string" ? input.event.type : "", body: JSON.stringify(input.event), raw: "null" };
  }
  try {
    return JSON.parse(await bodyFor({ ...destination, transform }, event)) as unknown;
  } catch (err) {
    if (err instanceof TransformError) throw apiError("invalid_transform", err.message);
    throw err;
  }
}
