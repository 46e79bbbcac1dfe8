import type { AttemptOutcome } from "./send";
import { applyTransform, isTransformed, type TransformError } from "./transform";

/**
 * What a destination receives, by its pinned `format`. Only `v1` exists: the canonical event
 * as stored (EVENTS.md). A destination stays on the format it was created with, so a future
 * `v2` can change the shape without surprising anyone; add its case here.
 *
 * `include_raw` adds the provider's payload as received under `raw` (parsed when it is
 * JSON, else the string: form-encoded providers).
 */
export function renderBody(format: string, event: { body: string; raw: string }, includeRaw: boolean): string {
  switch (format) {
    case "v1":
      return includeRaw ? withRaw(event.body, event.raw) : event.body;
    default:
      // Only a newer deploy could have stored it; retrying lets that deploy send it.
      throw new Error(`unknown delivery format "${format}"`);
  }
}

function withRaw(body: string, raw: string): string {
  let parsedRaw: unknown = raw;
  try {
    parsedRaw = JSON.parse(raw);
  } catch {
    /* not JSON (form-encoded provider): keep the string */
  }
  return JSON.stringify({ ...(JSON.parse(body) as object), raw: parsedRaw });
}

/**
 * The body a destination is sent for an event: the format's rendering, then the destination's
 * transform over it (relay events never). Throws TransformError when the transform yields no
 * acceptable body; the caller records that as a failed attempt.
 */
export async function bodyFor(
  destination: { format: string; includeRaw: boolean; transform: string | null },
  event: { type: string; body: string; raw: string },
): Promise<string> {
  const rendered = renderBody(destination.format, event, destination.includeRaw);
  if (!isTransformed(destination.transform, event.type)) return rendered;
  return applyTransform(destination.transform, JSON.parse(rendered));
}

/** An attempt that never left the relay because the transform failed: recorded with its reason, retried like any failure. */
export function transformFailure(url: string, err: TransformError): AttemptOutcome {
  return { ok: false, url, statusCode: null, durationMs: 0, error: err.message, responseBody: null, transportFailure: false };
}
