import { hmac, timingSafeEqualStrings, type HmacAlgorithm } from "../../lib/crypto";
import { fromBase64, toBase64, toHex, utf8 } from "../../lib/encoding";
import { verifyClientCert } from "./client-cert";
import { verifyRsaJwks } from "./rsa-jwks";
import type { VerificationConfig, VerificationResult } from "./types";

export interface VerifyInput {
  /** The source's full verification config, secrets decrypted. */
  config: VerificationConfig;
  headers: Headers;
  rawBody: string;
  /**
   * The bytes that arrived, when known: signatures are checked over these, so a body that is
   * not valid UTF-8 is never called forged (ingest answers it 400 after the check).
   */
  rawBytes?: Uint8Array;
  /** The parsed JSON body when it parsed (AtoShip's re-serialized signature form). */
  parsedBody?: unknown;
  /** The token the request carried in its URL (query `token` or path segment). */
  urlToken?: string;
  /** request.cf (client certificate identification). */
  cf?: Record<string, unknown>;
  now: number;
  fetch: typeof fetch;
}

const ok: VerificationResult = { ok: true };
const fail = (reason: Extract<VerificationResult, { ok: false }>["reason"]): VerificationResult => ({ ok: false, reason });

/**
 * Checks a callback's proof of origin by the source's scheme. Every secret comparison is
 * constant-time; a scheme whose secret is missing from the config fails closed.
 */
export async function verifyRequest(input: VerifyInput): Promise<VerificationResult> {
  const { config, headers } = input;
  switch (config.type) {
    case "none":
      return ok;
    case "hmac":
      return verifyHmac(config, input);
    case "basic": {
      const auth = headers.get("authorization");
      if (!config.password) return fail("invalid_credentials"); // never compare against a secret we do not hold
      if (!auth || !/^basic\s+/i.test(auth)) return fail("missing_credentials");
      let decoded: string;
      try {
        decoded = new TextDecoder().decode(fromBase64(auth.replace(/^basic\s+/i, "").trim()));
      } catch {
        return fail("invalid_credentials");
      }
      const expected = `${config.username}:${config.password}`;
      return timingSafeEqualStrings(decoded, expected) ? ok : fail("invalid_credentials");
    }
    case "header": {
      const got = headers.get(config.name);
      if (!config.value) return fail("invalid_credentials");
      if (got === null) return fail("missing_credentials");
      return timingSafeEqualStrings(got, config.value) ? ok : fail("invalid_credentials");
    }
    case "url_token": {
      if (!config.token) return fail("invalid_token");
      if (!input.urlToken) return fail("missing_token");
      return timingSafeEqualStrings(input.urlToken, config.token) ? ok : fail("invalid_token");
    }
    case "rsa_jwks":
      return verifyRsaJwks(config, headers, input.rawBytes ?? input.rawBody, { now: input.now, fetch: input.fetch });
    case "client_cert":
      return verifyClientCert(config, input.cf, headers);
  }
}

async function verifyHmac(
  config: Extract<VerificationConfig, { type: "hmac" }>,
  input: VerifyInput,
): Promise<VerificationResult> {
  const header = input.headers.get(config.header);
  if (!header) return fail("missing_signature");
  if (!config.secret) return fail("invalid_signature");
  const key = config.key_normalization === "nfkd" ? config.secret.normalize("NFKD") : config.secret;
  // Providers may send several signatures (comma or space separated) during their own rotation.
  const candidates = header
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((s) => (config.prefix && s.toLowerCase().startsWith(config.prefix.toLowerCase()) ? s.slice(config.prefix.length) : s));
  if (candidates.length === 0) return fail("missing_signature");

  const messages = [input.rawBytes ?? utf8(input.rawBody)];
  // AtoShip signs its re-serialized JSON (PROVIDERS.md): that form is checked as well.
  if (config.allow_reserialized && input.parsedBody !== undefined) {
    const reserialized = JSON.stringify(input.parsedBody);
    if (reserialized !== input.rawBody) messages.push(utf8(reserialized));
  }
  for (const message of messages) {
    const expected = encodeDigest(await hmac(key, message, config.algorithm as HmacAlgorithm), config.encoding);
    for (const candidate of candidates) {
      const normalized = config.encoding === "hex" ? candidate.toLowerCase() : candidate;
      if (timingSafeEqualStrings(normalized, expected)) return ok;
    }
  }
  return fail("invalid_signature");
}

function encodeDigest(digest: Uint8Array, encoding: "hex" | "base64"): string {
  return encoding === "hex" ? toHex(digest) : toBase64(digest);
}
