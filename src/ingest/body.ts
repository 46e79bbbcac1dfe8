import type { ProviderAdapter } from "./providers/types";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The body as text, or null when its bytes are not valid UTF-8 (answered 400 once the signature is checked). */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/** "invalid" carries no parser message: V8's quotes the body, which is not ours to echo. */
export type ParsedBody = { kind: "ok"; value: unknown } | { kind: "invalid" } | { kind: "unsupported" };

const JSON_TYPES = new Set(["", "application/json", "text/json", "text/plain"]);

/** The body as JSON, or through the adapter's own parser for the non-JSON types it accepts (form-encoded providers). */
export function parseBody(adapter: ProviderAdapter, raw: string, contentType: string): ParsedBody {
  const isJson = JSON_TYPES.has(contentType) || contentType.endsWith("+json");
  if (!isJson) {
    if (!adapter.parseBody) return { kind: "unsupported" };
    try {
      const value = adapter.parseBody(raw, contentType);
      return value === undefined ? { kind: "unsupported" } : { kind: "ok", value };
    } catch {
      return { kind: "invalid" };
    }
  }
  try {
    return { kind: "ok", value: JSON.parse(raw) };
  } catch {
    return { kind: "invalid" };
  }
}
