import { sha256Hex } from "../lib/crypto";
import { stableStringify } from "../lib/stable-json";

/**
 * What makes two requests "the same" for an Idempotency-Key: method, path and the body's
 * JSON with keys sorted at every depth, so `{"a":1,"b":2}` and `{"b":2,"a":1}` match and
 * whitespace does not count. A body that is not JSON is hashed as sent (validation refuses
 * it anyway); an empty body is the same as none.
 */
export async function requestHash(method: string, path: string, body: string): Promise<string> {
  let canonical = body.trim();
  if (canonical !== "") {
    try {
      canonical = stableStringify(JSON.parse(canonical));
    } catch {
      /* not JSON: as sent */
    }
  }
  return sha256Hex(`${method} ${path}\n${canonical}`);
}
