import { describe, expect, it } from "vitest";
import { PROVIDERS } from "../../../src/events/canonical";
import { adapterFor } from "../../../src/ingest/providers";
import { api, createWorkspace } from "../../support/relay";

/**
 * Every provider can have a source created with nothing but its name: the relay fills in the
 * adapter's verification preset, generates what the preset needs (an HMAC secret, a URL
 * token), shows it once, and echoes no other secret.
 */

/** What the API may show of a verification config: everything but its secret fields. */
function visiblePart(preset: Record<string, unknown>): Record<string, unknown> {
  const { secret: _secret, token: _token, password: _password, value: _value, ...visible } = preset;
  return visible;
}

describe("provider presets through POST /v1/sources", () => {
  it.each(PROVIDERS)("%s: a source created without verification gets the adapter's preset", async (provider) => {
    const { key } = await createWorkspace();
    const preset = adapterFor(provider).verificationPreset as Record<string, unknown>;
    const r = await api("POST", "/v1/sources", { token: key, body: { name: `${provider} main`, provider } });
    expect(r.status, r.text).toBe(201);
    const source = r.json;
    expect(source).toMatchObject({ provider, name: `${provider} main`, has_credentials: false });
    expect(source.verification).toEqual(visiblePart(preset));

    const ingest = new URL(source.ingest_url);
    expect(ingest.pathname).toBe(`/in/${source.id}`);
    if (preset.type === "hmac") {
      // The generated secret, shown once; the URL carries nothing.
      expect(source.secret).toMatch(/^[0-9a-z]{32,}$/);
      expect(ingest.search).toBe("");
    } else if (preset.type === "url_token") {
      // The generated token lives in the ingest_url only; no `secret` field.
      expect(source).not.toHaveProperty("secret");
      expect(ingest.searchParams.get("token")).toMatch(/^[0-9a-z]{30,}$/);
    } else {
      expect(source).not.toHaveProperty("secret");
      expect(ingest.search).toBe("");
    }

    const read = await api("GET", `/v1/sources/${source.id}`, { token: key });
    expect(read.status).toBe(200);
    expect(read.json.verification).toEqual(visiblePart(preset));
    expect(read.json).not.toHaveProperty("secret");
    expect(read.json.ingest_url).toBe(`${ingest.origin}/in/${source.id}`);
    if (source.secret) expect(read.text).not.toContain(source.secret);
    const token = ingest.searchParams.get("token");
    if (token) expect(read.text).not.toContain(token);
  });

  it.each(PROVIDERS.filter((p) => adapterFor(p).verificationPreset.type === "hmac"))(
    "%s: a provider-issued secret ({secret}) completes the preset and is never echoed",
    async (provider) => {
      const { key } = await createWorkspace();
      const issued = `issued-by-${provider}-5a7c9e`;
      const r = await api("POST", "/v1/sources", { token: key, body: { name: provider, provider, verification: { secret: issued } } });
      expect(r.status, r.text).toBe(201);
      expect(r.json.verification).toEqual(visiblePart(adapterFor(provider).verificationPreset as Record<string, unknown>));
      expect(r.json).not.toHaveProperty("secret");
      expect(r.text).not.toContain(issued);
      const read = await api("GET", `/v1/sources/${r.json.id}`, { token: key });
      expect(read.text).not.toContain(issued);
    },
  );

  it.each(PROVIDERS.filter((p) => adapterFor(p).verificationPreset.type !== "hmac"))(
    "%s: a secret-only verification is refused 400 (its preset takes no secret)",
    async (provider) => {
      const { key } = await createWorkspace();
      const r = await api("POST", "/v1/sources", { token: key, body: { name: provider, provider, verification: { secret: "x-secret-1" } } });
      expect(r.status, r.text).toBe(400);
      expect(r.json.error).toMatchObject({ code: expect.any(String), message: expect.stringContaining("verification") });
      expect(r.text).not.toContain("x-secret-1");
    },
  );
});
