import { hmac } from "../lib/crypto";
import { fromBase64, toBase64 } from "../lib/encoding";

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com/): the signature is
 * `v1,<base64 HMAC-SHA256 of "<msg id>.<timestamp>.<body>">` keyed by the base64-decoded
 * part of the `whsec_` secret. During rotation several signatures go space-separated.
 */
export function newSigningSecret(): string {
  return `whsec_${toBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
}

export function signingKey(secret: string): Uint8Array {
  return fromBase64(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret);
}

export async function signatureHeader(secrets: string[], msgId: string, timestamp: number, body: string): Promise<string> {
  const content = `${msgId}.${timestamp}.${body}`;
  const sigs = await Promise.all(secrets.map(async (s) => `v1,${toBase64(await hmac(signingKey(s), content))}`));
  return sigs.join(" ");
}
