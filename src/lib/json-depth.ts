import type { MiddlewareHandler } from "hono";
import { apiError } from "./errors";

/** How deeply request JSON may nest: no shipping payload comes near it; recursion does. */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether JSON text nests arrays/objects deeper than `max`, found by one pass over the
 * text before it is parsed (the parse itself, and every recursive walk after it —
 * dedupe hashing, adapters, zod — would otherwise meet the full depth). Brackets inside
 * strings do not count. Text that is not JSON is judged the same way; the parser refuses
 * it afterwards.
 */
export function jsonDepthExceeds(text: string, max = MAX_JSON_DEPTH): boolean {
  if (text.length <= max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return false;
}

/**
 * Middleware for routes that take JSON bodies (the management API): a body nested deeper
 * than `max` is refused 422 `json_too_deep` before any parser or validator walks it — a
 * 256 KiB body can nest 50 000 levels, enough to overflow the stack of every recursive
 * step after the parse. Hono caches the text, so the validator reads the body again for free.
 */
export function limitJsonDepth(max = MAX_JSON_DEPTH): MiddlewareHandler {
  return async function limitJsonDepth(c, next) {
    const method = c.req.method;
    if (method === "POST" || method === "PATCH" || method === "PUT") {
      if (jsonDepthExceeds(await c.req.text(), max)) {
        throw apiError("json_too_deep", `the body nests arrays/objects deeper than ${max} levels`);
      }
    }
    await next();
  };
}
