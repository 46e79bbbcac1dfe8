import { describe, expect, it } from "vitest";
import { createSource, createWorkspace, hmacHex, ingestPath } from "../support/relay";
import { callApp } from "./helpers";

/**
 * Without a usable ENCRYPTION_KEY a source's secret cannot be opened. Every scheme that has a
 * secret must then refuse (503 not_configured or 401) — never compare against "undefined" or "".
 */
const JSON_HEADERS = { "content-type": "application/json" };
const body = (ref: string) => JSON.stringify({ type: "order.shipped", order: { reference: ref } });
const basic = (user: string, pass: string) => `Basic ${btoa(`${user}:${pass}`)}`;
// 32 bytes of 0x2b: a valid key, but not the one the secrets were sealed with.
const OTHER_KEY = "KysrKysrKysrKysrKysrKysrKysrKysrKysrKysrKys=";
const KEYLESS = [
  ["no key", { ENCRYPTION_KEY: "" }],
  ["another key", { ENCRYPTION_KEY: OTHER_KEY }],
] as const;

async function refusedEverywhere(make: () => Promise<{ id: string; ingest_url: string }>, attempts: (src: { id: string; ingest_url: string }) => Promise<{ path: string; headers: Record<string, string>; raw: string }[]>) {
  for (const [label, keyEnv] of KEYLESS) {
    // A fresh source per case, so no isolate cache holds its secret opened with the right key.
    const src = await make();
    for (const req of await attempts(src)) {
      const r = await callApp("POST", req.path, { raw: req.raw, headers: req.headers, env: keyEnv });
      expect([401, 503], `${label}: ${JSON.stringify(req.headers)} → ${r.status} ${r.text}`).toContain(r.status);
      if (r.status === 503) expect(r.json.error.code).toBe("not_configured");
    }
  }
}

describe("fail closed when a source's secret cannot be opened", () => {
  it("basic refuses `<user>:undefined` and the real password", async () => {
    const { key } = await createWorkspace("fail-closed");
    await refusedEverywhere(
      () => createSource(key, { provider: "generic", verification: { type: "basic", username: "ship", password: "pw" } }),
      async (src) => [
        { path: ingestPath(src), raw: body("b1"), headers: { ...JSON_HEADERS, authorization: basic("ship", "undefined") } },
        { path: ingestPath(src), raw: body("b2"), headers: { ...JSON_HEADERS, authorization: basic("ship", "pw") } },
      ],
    );
  });

  it("header refuses an empty value and the real one", async () => {
    const { key } = await createWorkspace("fail-closed");
    await refusedEverywhere(
      () => createSource(key, { provider: "generic", verification: { type: "header", name: "x-api-key", value: "k-1" } }),
      async (src) => [
        { path: ingestPath(src), raw: body("h1"), headers: { ...JSON_HEADERS, "x-api-key": "" } },
        { path: ingestPath(src), raw: body("h2"), headers: { ...JSON_HEADERS, "x-api-key": "k-1" } },
      ],
    );
  });

  it("hmac refuses a signature made with the real secret and one made with 'undefined'", async () => {
    const { key } = await createWorkspace("fail-closed");
    await refusedEverywhere(
      () => createSource(key, { provider: "generic", verification: { type: "hmac", header: "x-signature", encoding: "hex", secret: "s3cret" } }),
      async (src) => [
        { path: ingestPath(src), raw: body("m1"), headers: { ...JSON_HEADERS, "x-signature": await hmacHex("s3cret", body("m1")) } },
        { path: ingestPath(src), raw: body("m2"), headers: { ...JSON_HEADERS, "x-signature": await hmacHex("undefined", body("m2")) } },
      ],
    );
  });

  it("url_token refuses the real token", async () => {
    const { key } = await createWorkspace("fail-closed");
    await refusedEverywhere(
      () => createSource(key, { provider: "generic", verification: { type: "url_token" } }),
      async (src) => {
        const token = new URL(src.ingest_url).searchParams.get("token")!;
        return [
          { path: ingestPath(src), raw: body("t1"), headers: JSON_HEADERS },
          { path: `/in/${src.id}/${token}`, raw: body("t2"), headers: JSON_HEADERS },
          { path: `/in/${src.id}?token=undefined`, raw: body("t3"), headers: JSON_HEADERS },
        ];
      },
    );
  });
});

describe("the verifier alone fails closed on a config without its secret", () => {
  it("basic, header and client_cert's header refuse when the secret field is missing", async () => {
    const { verifyRequest } = await import("../../src/ingest/verification");
    const common = { rawBody: "{}", now: Date.now(), fetch };
    const basicHeaders = new Headers({ authorization: basic("ship", "undefined") });
    expect(await verifyRequest({ ...common, headers: basicHeaders, config: { type: "basic", username: "ship" } as never })).toMatchObject({ ok: false });
    expect(await verifyRequest({ ...common, headers: new Headers({ "x-api-key": "" }), config: { type: "header", name: "x-api-key" } as never })).toMatchObject({ ok: false });
    const cf = { tlsClientAuth: { certPresented: "1", certVerified: "SUCCESS", certRevoked: "0", certFingerprintSHA256: "ab".repeat(32) } };
    const certConfig = { type: "client_cert", fingerprint_sha256: "ab".repeat(32), header: { name: "x-k" } } as never;
    expect(await verifyRequest({ ...common, cf, headers: new Headers({ "x-k": "" }), config: certConfig })).toMatchObject({ ok: false });
  });
});
