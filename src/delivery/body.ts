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
