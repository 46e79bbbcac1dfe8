import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app";
import { ConfigError, configOf, orderShards, publicBaseUrl, retentionDays, sourceCacheTtlMs } from "../../src/lib/config";

const envWith = (vars: Record<string, unknown>) => ({ ...vars }) as unknown as Env;

describe("configuration", () => {
  afterEach(() => vi.restoreAllMocks());

  it("unset or blank variables keep their defaults", () => {
    const config = configOf(envWith({ RETENTION_DAYS: "", PUBLIC_BASE_URL: " " }));
    expect(config).toMatchObject({
      ORDER_SHARDS: 64,
      RETENTION_DAYS: 30,
      SOURCE_CACHE_TTL_SECONDS: 60,
      AUTO_DISABLE_AFTER_FAILED_DELIVERIES: 20,
      AUTO_DISABLE_AFTER_FAILING_SECONDS: 432000,
      ALLOW_INSECURE_DESTINATIONS: false,
    });
    expect(config.PUBLIC_BASE_URL).toBeUndefined();
    expect(config.ENCRYPTION_KEY).toBeUndefined();
  });

  it("reads set values (numbers and booleans as wrangler may give them too)", () => {
    const e = envWith({ ORDER_SHARDS: "0", RETENTION_DAYS: 7, SOURCE_CACHE_TTL_SECONDS: "0", ALLOW_INSECURE_DESTINATIONS: "TRUE", PUBLIC_BASE_URL: "https://relay.example.com//" });
    expect(orderShards(e)).toBe(0);
    expect(retentionDays(e)).toBe(7);
    expect(sourceCacheTtlMs(e)).toBe(0);
    expect(configOf(e).ALLOW_INSECURE_DESTINATIONS).toBe(true);
    expect(publicBaseUrl(e, "http://localhost:8787/v1/sources")).toBe("https://relay.example.com");
    expect(publicBaseUrl(envWith({}), "http://localhost:8787/v1/sources")).toBe("http://localhost:8787");
  });

  it.each([
    ["ORDER_SHARDS", "6a"],
    ["ORDER_SHARDS", "5000"],
    ["RETENTION_DAYS", "-1"],
    ["RETENTION_DAYS", "0"],
    ["RETENTION_DAYS", "1.5"],
    ["SOURCE_CACHE_TTL_SECONDS", "soon"],
    ["AUTO_DISABLE_AFTER_FAILED_DELIVERIES", "-3"],
    ["AUTO_DISABLE_AFTER_FAILING_SECONDS", "5d"],
    ["ALLOW_INSECURE_DESTINATIONS", "yes"],
    ["PUBLIC_BASE_URL", "relay.example.com"],
  ])("%s=%j is an error naming the variable, not a silent default", (name, value) => {
    expect(() => configOf(envWith({ [name]: value }))).toThrow(ConfigError);
    expect(() => configOf(envWith({ [name]: value }))).toThrow(new RegExp(`^invalid configuration: ${name} `));
  });

  it("is parsed once per env object", () => {
    const e = envWith({ ORDER_SHARDS: "8" });
    expect(configOf(e)).toBe(configOf(e));
  });

  it("a bad value answers 500 and logs which variable to fix", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const ctx = createExecutionContext();
    const res = await createApp().fetch(
      new Request("http://relay.test/in/src_00000000000000000000000000", { method: "POST", body: "{}", headers: { "content-type": "application/json" } }),
      { ...env, SOURCE_CACHE_TTL_SECONDS: "6a" } as Env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("internal_error");
    expect(logged.mock.calls.flat().join("\n")).toMatch(/SOURCE_CACHE_TTL_SECONDS must be a whole number/);
  });
});
