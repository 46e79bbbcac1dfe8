import type { SourceConfig } from "../db/sources";

/** CONTRACT.md: ingest bodies over 1 MiB are refused 413. */
export const MAX_INGEST_BYTES = 1024 * 1024;
/** Header limits (431): far above any provider's callback, far below what costs us. */
export const MAX_INGEST_HEADERS = 100;
export const MAX_INGEST_HEADER_BYTES = 32 * 1024;

/** Why the request's headers are refused (too many, or too large in total), or null. */
export function oversizedHeaders(headers: Headers): string | null {
  let count = 0;
  let bytes = 0;
  for (const [name, value] of headers) {
    count++;
    bytes += name.length + value.length + 4;
  }
  if (count > MAX_INGEST_HEADERS) return `the request carries more than ${MAX_INGEST_HEADERS} headers`;
  if (bytes > MAX_INGEST_HEADER_BYTES) return `the request's headers exceed ${MAX_INGEST_HEADER_BYTES} bytes`;
  return null;
}

/**
 * The source's rate limit (off unless it sets one), a minute's allowance at most at once.
 * Counted before verification, so a flood is refused cheaply; an IP allowlist keeps
 * strangers from spending a provider's allowance. A limiter that cannot be reached lets
 * the request through: losing events is worse than a burst.
 */
export async function rateLimitWait(env: Env, source: SourceConfig): Promise<number> {
  const limit = source.rateLimitPerMinute!;
  try {
    const limiter = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`source:${source.id}`));
    return (await limiter.take(limit, limit)).waitMs;
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "ingest rate limiter unavailable", source_id: source.id, error: (err as Error).message }));
    return 0;
  }
}

/** The body as text, or null once it passes `limit` bytes (the rest is not read). */
export async function readLimited(request: Request, limit: number): Promise<Uint8Array | null> {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}
