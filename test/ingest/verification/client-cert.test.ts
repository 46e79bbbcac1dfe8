import { describe, expect, it } from "vitest";
import { normalizeFingerprint, verifyClientCert, type ClientCertConfig } from "../../../src/ingest/verification/client-cert";
import { clientCertVerificationSchema } from "../../../src/ingest/verification/types";

/** request.cf as Cloudflare fills it after the zone's mTLS rule checked a client certificate. */
const FINGERPRINT = "af363dc85bc942a892d3cee9796190fdb36d89cd588a4f1cb17c74a943439714";

function cfWith(tlsClientAuth: Record<string, unknown> | undefined): Record<string, unknown> {
  return { colo: "FRA", country: "DE", ...(tlsClientAuth ? { tlsClientAuth } : {}) };
}

const presented = {
  certPresented: "1",
  certVerified: "SUCCESS",
  certRevoked: "0",
  certFingerprintSHA256: FINGERPRINT,
  certSubjectDN: "CN=shipedge-webhooks",
};

const cfg = (extra: Partial<ClientCertConfig> = {}): ClientCertConfig =>
  clientCertVerificationSchema.parse({ type: "client_cert", fingerprint_sha256: FINGERPRINT, ...extra });

describe("verifyClientCert", () => {
  it("accepts the configured certificate", () => {
    expect(verifyClientCert(cfg(), cfWith(presented), new Headers())).toEqual({ ok: true });
  });

  it("compares fingerprints case- and colon-insensitively", () => {
    const colons = FINGERPRINT.toUpperCase().match(/../g)!.join(":");
    expect(verifyClientCert(cfg({ fingerprint_sha256: colons }), cfWith(presented), new Headers())).toEqual({ ok: true });
    expect(
      verifyClientCert(cfg(), cfWith({ ...presented, certFingerprintSHA256: FINGERPRINT.toUpperCase() }), new Headers()),
    ).toEqual({ ok: true });
    expect(normalizeFingerprint("AB:cd ef")).toBe("abcdef");
  });

  it("refuses when no certificate was presented", () => {
    const placeholder = { ...presented, certPresented: "0", certVerified: "NONE", certFingerprintSHA256: "" };
    for (const cf of [undefined, {}, cfWith(undefined), cfWith(placeholder), { tlsClientAuth: null }, { tlsClientAuth: "x" }]) {
      expect(verifyClientCert(cfg(), cf as Record<string, unknown> | undefined, new Headers())).toEqual({
        ok: false,
        reason: "missing_client_certificate",
      });
    }
  });

  it("refuses a certificate Cloudflare did not verify, a revoked one, and another one", () => {
    const bad = [
      { ...presented, certVerified: "FAILED:unable to get local issuer certificate" },
      { ...presented, certVerified: "NONE" },
      { ...presented, certRevoked: "1" },
      { ...presented, certFingerprintSHA256: FINGERPRINT.replace(/^a/, "b") },
      { ...presented, certFingerprintSHA256: "" },
      { ...presented, certFingerprintSHA256: FINGERPRINT.slice(0, 40) },
    ];
    for (const auth of bad) {
      expect(verifyClientCert(cfg(), cfWith(auth), new Headers())).toEqual({ ok: false, reason: "invalid_client_certificate" });
    }
  });

  it("also checks the optional header", () => {
    const withHeader = cfg({ header: { name: "x-shipedge-token", value: "t0k3n" } });
    expect(verifyClientCert(withHeader, cfWith(presented), new Headers({ "x-shipedge-token": "t0k3n" }))).toEqual({ ok: true });
    expect(verifyClientCert(withHeader, cfWith(presented), new Headers())).toEqual({ ok: false, reason: "missing_credentials" });
    expect(verifyClientCert(withHeader, cfWith(presented), new Headers({ "x-shipedge-token": "nope" }))).toEqual({
      ok: false,
      reason: "invalid_credentials",
    });
    // The certificate is checked first: a right header does not make up for a wrong certificate.
    expect(
      verifyClientCert(withHeader, cfWith({ ...presented, certVerified: "NONE" }), new Headers({ "x-shipedge-token": "t0k3n" })),
    ).toEqual({ ok: false, reason: "invalid_client_certificate" });
  });
});
