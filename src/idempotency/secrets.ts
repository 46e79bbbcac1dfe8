/**
 * Fields of an answer that carry a secret shown once: a workspace's `api_key`, an API key's
 * `key`, a destination's `signing_secret`, a source's generated `secret` or URL `token` (also
 * inside the `ingest_url` of a url_token source). Matched by name anywhere in the answer, so
 * a new route that reveals one of them is covered without a list of routes to keep up.
 */
const SECRET_FIELDS = new Set(["api_key", "key", "signing_secret", "secret", "token", "ingest_url", "password"]);

/** Whether an answer's JSON holds a string under one of the secret field names. */
export function holdsSecret(text: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return false;
  }
  const walk = (v: unknown): boolean => {
    if (Array.isArray(v)) return v.some(walk);
    if (v && typeof v === "object") {
      return Object.entries(v).some(([k, x]) => (SECRET_FIELDS.has(k) && typeof x === "string" && x !== "") || walk(x));
    }
    return false;
  };
  return walk(value);
}
