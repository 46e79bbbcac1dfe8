import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { SourceConfig } from "../../src/db/sources";
import { maskedUrl, pointsAtSource, registerWebhooks } from "../../src/registration";
import { shipengineFlavour } from "../../src/registration/shipengine";

const source = (over: Partial<SourceConfig> = {}): SourceConfig => ({
  id: "src_01jabcdefghjkmnpqrstvwxyz0",
  workspaceId: "ws_unit",
  name: "unit",
  provider: "shipstation",
  verification: { type: "url_token", token: "tok123" } as SourceConfig["verification"],
  credentials: { api_key: "k", api_secret: "s", api_base_url: "https://ssapi.example.com" },
  settings: {},
  rateLimitPerMinute: null,
  ipAllowlist: null,
  ...over,
});

describe("registration helpers", () => {
  it("masks the URL token and nothing else", () => {
    expect(maskedUrl("https://r.example/in/src_1?token=abc")).toBe("https://r.example/in/src_1?token=redacted");
    expect(maskedUrl("https://r.example/in/src_1")).toBe("https://r.example/in/src_1");
  });

  it("recognises the source's ingest URL on any host, with or without a token, and nothing else", () => {
    const id = "src_01jabcdefghjkmnpqrstvwxyz0";
    expect(pointsAtSource(`https://old.example/in/${id}?token=x`, id)).toBe(true);
    expect(pointsAtSource(`https://new.example/prefix/in/${id}/tok`, id)).toBe(true);
    expect(pointsAtSource(`https://new.example/in/${id}0`, id)).toBe(false);
    expect(pointsAtSource(`https://new.example/in/src_other`, id)).toBe(false);
    expect(pointsAtSource("not a url", id)).toBe(false);
  });

  it("picks the ShipStation v2 webhooks API by host, or by settings.webhook_api", () => {
    expect(shipengineFlavour({ api_key: "k" }, {})).toEqual({ flavour: "shipengine" });
    expect(shipengineFlavour({ api_key: "k", api_base_url: "https://api.shipstation.com" }, {})).toEqual({ flavour: "shipstation_v2" });
    expect(shipengineFlavour({ api_key: "k", api_base_url: "https://sandbox.example" }, { webhook_api: "shipstation_v2" })).toEqual({
      flavour: "shipstation_v2",
    });
    expect(shipengineFlavour({ api_key: "k" }, { webhook_api: "v3" })).toHaveProperty("problem");
  });

  it("refuses to register an ingest URL the provider cannot reach (no PUBLIC_BASE_URL, outbound rules on)", async () => {
    const strict = { ...env, ALLOW_INSECURE_DESTINATIONS: "false", PUBLIC_BASE_URL: "" } as Env;
    const err = await registerWebhooks({ env: strict, requestUrl: "http://localhost:8787/v1/sources/x/register" }, source()).catch((e) => e);
    expect(err).toMatchObject({ status: 422, code: "ingest_url_not_public" });
    expect(err.message).toContain("PUBLIC_BASE_URL");
    expect(err.message).not.toContain("tok123");
  });
});
