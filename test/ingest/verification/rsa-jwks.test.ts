import { beforeAll, describe, expect, it } from "vitest";
import { toBase64, utf8 } from "../../../src/lib/encoding";
import { parseTimestamp, verifyRsaJwks, type RsaJwksConfig } from "../../../src/ingest/verification/rsa-jwks";
import trackEvent from "../../fixtures/shipengine/track_event_v2.json";
import { mockEndpoint, type MockEndpoint } from "../../support/mock";

/**
 * ShipEngine signs `"<x-shipengine-timestamp>.<raw body>"` with RSA-SHA256; the key comes
 * from a JWKS by kid. The JWKS is served by the fake outside world; keys are generated here.
 */
const rawBody = JSON.stringify(trackEvent.body);
const T0 = Date.parse("2026-04-27T14:02:11Z");

let signer: CryptoKeyPair;
let other: CryptoKeyPair;
let publicJwk: JsonWebKey;

async function rsaPair(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
}

async function sign(key: CryptoKey, timestamp: string, body: string): Promise<string> {
  return toBase64(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, utf8(`${timestamp}.${body}`)));
}

async function signedHeaders(opts: { kid?: string; timestamp?: string; key?: CryptoKey; body?: string } = {}) {
  const timestamp = opts.timestamp ?? new Date(T0).toISOString();
  return new Headers({
    "content-type": "application/json",
    "x-shipengine-rsa-sha256-key-id": opts.kid ?? "k1",
    "x-shipengine-rsa-sha256-signature": await sign(opts.key ?? signer.privateKey, timestamp, opts.body ?? rawBody),
    "x-shipengine-timestamp": timestamp,
  });
}

async function jwksEndpoint(keys: Array<Record<string, unknown>>): Promise<{ ep: MockEndpoint; cfg: RsaJwksConfig }> {
  const ep = await mockEndpoint({ routes: { "GET /jwks": { status: 200, body: { keys } } } });
  return { ep, cfg: { type: "rsa_jwks", jwks_url: `${ep.url}/jwks`, tolerance_seconds: 300 } };
}

beforeAll(async () => {
  signer = await rsaPair();
  other = await rsaPair();
  publicJwk = (await crypto.subtle.exportKey("jwk", signer.publicKey)) as JsonWebKey;
});

const k1 = () => ({ ...publicJwk, kid: "k1", alg: "RS256", use: "sig" });

describe("verifyRsaJwks", () => {
  it("accepts a genuine signature with an ISO-8601 timestamp", async () => {
    const { cfg } = await jwksEndpoint([k1()]);
    expect(await verifyRsaJwks(cfg, await signedHeaders(), rawBody, { now: T0, fetch })).toEqual({ ok: true });
  });

  it("accepts a unix-seconds timestamp, and `now` in seconds", async () => {
    const { cfg } = await jwksEndpoint([k1()]);
    const headers = await signedHeaders({ timestamp: String(T0 / 1000) });
    expect(await verifyRsaJwks(cfg, headers, rawBody, { now: T0, fetch })).toEqual({ ok: true });
    expect(await verifyRsaJwks(cfg, headers, rawBody, { now: T0 / 1000, fetch })).toEqual({ ok: true });
  });

  it("refuses a changed body, a key that is not the published one, and garbage", async () => {
    const { cfg } = await jwksEndpoint([k1()]);
    const headers = await signedHeaders();
    expect(await verifyRsaJwks(cfg, headers, `${rawBody} `, { now: T0, fetch })).toEqual({ ok: false, reason: "invalid_signature" });
    const forged = await signedHeaders({ key: other.privateKey });
    expect(await verifyRsaJwks(cfg, forged, rawBody, { now: T0, fetch })).toEqual({ ok: false, reason: "invalid_signature" });
    headers.set("x-shipengine-rsa-sha256-signature", "%%% not base64 %%%");
    expect(await verifyRsaJwks(cfg, headers, rawBody, { now: T0, fetch })).toEqual({ ok: false, reason: "invalid_signature" });
  });

  it("refuses a signature over another timestamp than the header's", async () => {
    const { cfg } = await jwksEndpoint([k1()]);
    const headers = await signedHeaders();
    headers.set("x-shipengine-timestamp", new Date(T0 + 1000).toISOString());
    expect(await verifyRsaJwks(cfg, headers, rawBody, { now: T0, fetch })).toEqual({ ok: false, reason: "invalid_signature" });
  });

  it.each(["x-shipengine-rsa-sha256-key-id", "x-shipengine-rsa-sha256-signature", "x-shipengine-timestamp"])(
    "refuses a request without %s as missing_signature",
    async (header) => {
      const { cfg, ep } = await jwksEndpoint([k1()]);
      const headers = await signedHeaders();
      headers.delete(header);
      expect(await verifyRsaJwks(cfg, headers, rawBody, { now: T0, fetch })).toEqual({ ok: false, reason: "missing_signature" });
      expect(await ep.requests()).toHaveLength(0);
    },
  );

  it("refuses stale, future and unreadable timestamps", async () => {
    const { cfg } = await jwksEndpoint([k1()]);
    const headers = await signedHeaders();
    const verdict = (now: number) => verifyRsaJwks(cfg, headers, rawBody, { now, fetch });
    expect(await verdict(T0 + 300_000)).toEqual({ ok: true });
    expect(await verdict(T0 + 301_000)).toEqual({ ok: false, reason: "timestamp_out_of_window" });
    expect(await verdict(T0 - 301_000)).toEqual({ ok: false, reason: "timestamp_out_of_window" });
    const unreadable = await signedHeaders({ timestamp: "yesterday" });
    expect(await verifyRsaJwks(cfg, unreadable, rawBody, { now: T0, fetch })).toEqual({ ok: false, reason: "timestamp_out_of_window" });
    const strict: RsaJwksConfig = { ...cfg, tolerance_seconds: 10 };
    expect(await verifyRsaJwks(strict, headers, rawBody, { now: T0 + 11_000, fetch })).toEqual({
      ok: false,
      reason: "timestamp_out_of_window",
    });
  });

  it("answers unknown_key for a kid the JWKS does not publish", async () => {
    const { cfg } = await jwksEndpoint([k1()]);
    const headers = await signedHeaders({ kid: "k-unknown" });
    expect(await verifyRsaJwks(cfg, headers, rawBody, { now: T0, fetch })).toEqual({ ok: false, reason: "unknown_key" });
  });

  it("answers jwks_unavailable when the JWKS cannot be fetched or read", async () => {
    for (const answer of [{ status: 500 }, { status: 200, body: "not json" }, { status: 200, body: { nokeys: [] } }]) {
      const ep = await mockEndpoint({ default: answer });
      const cfg: RsaJwksConfig = { type: "rsa_jwks", jwks_url: `${ep.url}/jwks`, tolerance_seconds: 300 };
      expect(await verifyRsaJwks(cfg, await signedHeaders(), rawBody, { now: T0, fetch })).toEqual({
        ok: false,
        reason: "jwks_unavailable",
      });
    }
    const failing = (() => Promise.reject(new TypeError("unreachable"))) as unknown as typeof fetch;
    const cfg: RsaJwksConfig = { type: "rsa_jwks", jwks_url: "https://jwks.invalid/jwks", tolerance_seconds: 300 };
    expect(await verifyRsaJwks(cfg, await signedHeaders(), rawBody, { now: T0, fetch: failing })).toEqual({
      ok: false,
      reason: "jwks_unavailable",
    });
  });

  it("caches the JWKS per isolate and refetches once it is older than 10 minutes", async () => {
    const { cfg, ep } = await jwksEndpoint([k1()]);
    for (let i = 0; i < 3; i++) {
      const headers = await signedHeaders({ timestamp: new Date(T0 + i * 1000).toISOString() });
      expect(await verifyRsaJwks(cfg, headers, rawBody, { now: T0 + i * 1000, fetch })).toEqual({ ok: true });
    }
    expect(await ep.requests()).toHaveLength(1);
    const later = T0 + 11 * 60_000;
    const headers = await signedHeaders({ timestamp: new Date(later).toISOString() });
    expect(await verifyRsaJwks(cfg, headers, rawBody, { now: later, fetch })).toEqual({ ok: true });
    expect(await ep.requests()).toHaveLength(2);
  });

  it("keeps using cached keys when a refresh fails", async () => {
    const { cfg, ep } = await jwksEndpoint([k1()]);
    expect(await verifyRsaJwks(cfg, await signedHeaders(), rawBody, { now: T0, fetch })).toEqual({ ok: true });
    await ep.script({ default: { status: 503 } });
    const later = T0 + 11 * 60_000;
    const headers = await signedHeaders({ timestamp: new Date(later).toISOString() });
    expect(await verifyRsaJwks(cfg, headers, rawBody, { now: later, fetch })).toEqual({ ok: true });
  });

  it("refetches once for an unknown kid (key rotation), but not on every request", async () => {
    const { cfg, ep } = await jwksEndpoint([k1()]);
    expect(await verifyRsaJwks(cfg, await signedHeaders(), rawBody, { now: T0, fetch })).toEqual({ ok: true });

    const rotatedJwk = { ...((await crypto.subtle.exportKey("jwk", other.publicKey)) as JsonWebKey), kid: "k2" };
    await ep.script({ routes: { "GET /jwks": { status: 200, body: { keys: [k1(), rotatedJwk] } } } });

    // Within the refetch guard, an unknown kid does not hit the JWKS again.
    const soon = await signedHeaders({ kid: "k2", key: other.privateKey });
    expect(await verifyRsaJwks(cfg, soon, rawBody, { now: T0 + 1000, fetch })).toEqual({ ok: false, reason: "unknown_key" });
    expect(await ep.requests()).toHaveLength(1);

    const at = T0 + 60_000;
    const rotated = await signedHeaders({ kid: "k2", key: other.privateKey, timestamp: new Date(at).toISOString() });
    expect(await verifyRsaJwks(cfg, rotated, rawBody, { now: at, fetch })).toEqual({ ok: true });
    expect(await ep.requests()).toHaveLength(2);
  });

  it("ignores a JWK's alg/key_ops and non-RSA entries", async () => {
    const { cfg } = await jwksEndpoint([
      { kty: "EC", kid: "k1", crv: "P-256", x: "x", y: "y" },
      { ...publicJwk, kid: "k1", key_ops: ["encrypt"], alg: "RS256" },
    ]);
    expect(await verifyRsaJwks(cfg, await signedHeaders(), rawBody, { now: T0, fetch })).toEqual({ ok: true });
  });
});

describe("parseTimestamp", () => {
  it.each([
    ["2026-04-27T14:02:11Z", T0],
    ["2026-04-27T14:02:11.000Z", T0],
    ["2026-04-27T16:02:11+02:00", T0],
    [String(T0 / 1000), T0],
    [String(T0), T0],
    ["Mon, 27 Apr 2026 14:02:11 GMT", undefined],
    ["", undefined],
    ["soon", undefined],
  ])("%s → %s", (value, expected) => {
    expect(parseTimestamp(value)).toBe(expected);
  });
});
