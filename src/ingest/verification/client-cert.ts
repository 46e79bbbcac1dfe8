import type { z } from "zod";
import { isRecord } from "../../events/normalize";
import { timingSafeEqualStrings } from "../../lib/crypto";
import type { clientCertVerificationSchema, VerificationResult } from "./types";

export type ClientCertConfig = z.infer<typeof clientCertVerificationSchema>;

const fail = (reason: Extract<VerificationResult, { ok: false }>["reason"]): VerificationResult => ({ ok: false, reason });

/** Hex without separators or blanks, lower-case ("AB:CD …" and "abcd…" compare equal). */
export function normalizeFingerprint(value: string): string {
  return value.replace(/[\s:]/g, "").toLowerCase();
}

/**
 * Client-certificate identification (ShipEdge can present an SSL client certificate;
 * shared/design/PROVIDERS.md). On Cloudflare the zone's mTLS rule checks the certificate
 * and the Worker reads `request.cf.tlsClientAuth`: `certPresented` "1", `certVerified`
 * "SUCCESS" (else "NONE" / "FAILED:<reason>"), `certRevoked` "0"/"1",
 * `certFingerprintSHA256` (hex)
 * (https://developers.cloudflare.com/ssl/client-certificates/client-certificate-variables).
 * A revoked certificate is refused even though Cloudflare reports it verified.
 * The fingerprint is compared case- and separator-insensitively in constant time; the
 * optional header check (ShipEdge custom header) likewise.
 */
export function verifyClientCert(
  cfg: ClientCertConfig,
  cf: Record<string, unknown> | undefined,
  headers: Headers,
): VerificationResult {
  const auth = isRecord(cf) && isRecord(cf.tlsClientAuth) ? cf.tlsClientAuth : undefined;
  const presented = auth?.certPresented;
  if (!auth || !(presented === "1" || presented === 1 || presented === true)) return fail("missing_client_certificate");
  if (auth.certVerified !== "SUCCESS") return fail("invalid_client_certificate");
  if (auth.certRevoked === "1" || auth.certRevoked === true) return fail("invalid_client_certificate");
  const got = typeof auth.certFingerprintSHA256 === "string" ? normalizeFingerprint(auth.certFingerprintSHA256) : "";
  const want = normalizeFingerprint(cfg.fingerprint_sha256);
  if (!got || !timingSafeEqualStrings(got, want)) return fail("invalid_client_certificate");

  if (cfg.header) {
    if (!cfg.header.value) return fail("invalid_credentials"); // its secret was not opened: fail closed
    const value = headers.get(cfg.header.name);
    if (value === null) return fail("missing_credentials");
    if (!timingSafeEqualStrings(value, cfg.header.value)) return fail("invalid_credentials");
  }
  return { ok: true };
}
