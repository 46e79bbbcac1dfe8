import { keyringFrom, type Keyring } from "./crypto";
import { notConfigured } from "./errors";

/** Typed reads of the Worker's configuration (CONTRACT.md, "Running it"). */
export function allowInsecureDestinations(env: Env): boolean {
  return String(env.ALLOW_INSECURE_DESTINATIONS ?? "").toLowerCase() === "true";
}

/** Where ingest URLs point: PUBLIC_BASE_URL, else the request's own origin. */
export function publicBaseUrl(env: Env, requestUrl: string): string {
  const configured = (env.PUBLIC_BASE_URL ?? "").trim();
  return (configured || new URL(requestUrl).origin).replace(/\/+$/, "");
}

/** The keyring for secrets at rest, or a 503 not_configured when ENCRYPTION_KEY is unset. */
export async function requireKeyring(env: Env): Promise<Keyring> {
  const ring = await keyringFrom(env.ENCRYPTION_KEY, (env as { ENCRYPTION_KEY_PREVIOUS?: string }).ENCRYPTION_KEY_PREVIOUS);
  if (!ring) {
    throw notConfigured("ENCRYPTION_KEY is not set (or is not 32 bytes of base64); secrets cannot be stored");
  }
  return ring;
}
