import { describe, expect, it } from "vitest";
import { PROVIDERS } from "../../../src/events/canonical";
import { adapterFor } from "../../../src/ingest/providers";
import { verificationSchema } from "../../../src/ingest/verification/types";

describe("adapter registry", () => {
  it.each(PROVIDERS)("%s has its own adapter with a valid verification preset", (provider) => {
    const adapter = adapterFor(provider);
    expect(adapter.provider).toBe(provider);
    const preset = verificationSchema.safeParse(adapter.verificationPreset);
    expect(preset.success, JSON.stringify(preset.error?.issues)).toBe(true);
  });

  it.each([
    ["shipstation", { type: "url_token" }],
    ["shipedge", { type: "url_token" }],
    ["shippypro", { type: "url_token" }],
    ["shipup", { type: "url_token" }],
    ["shipengine", { type: "rsa_jwks", jwks_url: "https://api.shipengine.com/jwks", tolerance_seconds: 300 }],
  ] as const)("%s presets exactly %j", (provider, preset) => {
    expect(adapterFor(provider).verificationPreset).toEqual(preset);
  });

  it.each([
    ["easypost", { type: "hmac", header: "x-hmac-signature", algorithm: "sha256", encoding: "hex", prefix: "hmac-sha256-hex=", key_normalization: "nfkd" }],
    ["aftership", { type: "hmac", header: "aftership-hmac-sha256", algorithm: "sha256", encoding: "base64", prefix: "" }],
  ] as const)("%s presets its HMAC scheme %j", (provider, preset) => {
    expect(adapterFor(provider).verificationPreset).toMatchObject(preset);
  });

  it("only the pointer providers fetch resources", () => {
    const fetching = PROVIDERS.filter((p) => adapterFor(p).fetchResource && adapterFor(p).isFetchAllowed);
    expect(fetching).toEqual(["shipstation", "shipengine"]);
  });
});

describe("shared normalizers", () => {
  it("isoTimestamp refuses dates outside years 0000–9999 rather than emit a non-ISO +010000-… string", async () => {
    const { isoTimestamp } = await import("../../../src/events/normalize");
    expect(isoTimestamp("+010000-01-01T00:00:00.000Z")).toBeUndefined();
    expect(isoTimestamp("9999-12-31T23:59:59Z")).toBe("9999-12-31T23:59:59Z");
    expect(isoTimestamp("2024-01-15T10:30:00Z")).toBe("2024-01-15T10:30:00Z");
  });
});
