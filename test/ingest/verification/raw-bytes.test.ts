import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, BASE, createSource, createWorkspace, ingestPath } from "../../support/relay";

/** HMAC-SHA256 hex over bytes, as a provider signs what it sends. */
async function hmacHexBytes(secret: string, bytes: Uint8Array): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, bytes));
  return [...sig].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function bytesOf(...parts: (string | number[])[]): Uint8Array {
  const chunks = parts.map((p) => (typeof p === "string" ? new TextEncoder().encode(p) : new Uint8Array(p)));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) (out.set(c, at), (at += c.length));
  return out;
}

async function post(path: string, body: Uint8Array, headers: Record<string, string>) {
  const res = await SELF.fetch(`${BASE}${path}`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
  return { status: res.status, json: (await res.json()) as any };
}

describe("signatures are verified over the bytes that arrived", () => {
  it("a correctly signed body that is not valid UTF-8 is 400 (not a forged signature), a wrongly signed one 401", async () => {
    const { key } = await createWorkspace("raw-bytes");
    const src = await createSource(key, { provider: "generic", verification: { type: "hmac", header: "x-signature", encoding: "hex", secret: "s3cret" } });
    // 0xff never occurs in UTF-8.
    const body = bytesOf('{"type":"order.shipped","order":{"reference":"R', [0xff, 0xfe], '"}}');
    const signed = await post(ingestPath(src), body, { "x-signature": await hmacHexBytes("s3cret", body) });
    expect(signed.status, JSON.stringify(signed.json)).toBe(400);
    expect(signed.json.error.code).toBe("invalid_json");
    expect(signed.json.error.message).toMatch(/UTF-8/);
    const forged = await post(ingestPath(src), body, { "x-signature": await hmacHexBytes("other", body) });
    expect(forged.status).toBe(401);
    expect(forged.json.error.code).toBe("invalid_signature");

    const log = await api("GET", `/v1/ingest-log?source=${src.id}`, { token: key });
    expect(log.json.data.map((r: { http_status?: number; reason: string }) => r.reason).sort()).toEqual(["invalid_json", "invalid_signature"].sort());
  });

  it("a signed body with multi-byte UTF-8 is accepted as before", async () => {
    const { key } = await createWorkspace("raw-bytes");
    const src = await createSource(key, { provider: "generic", verification: { type: "hmac", header: "x-signature", encoding: "hex", secret: "s3cret" } });
    const body = bytesOf('{"type":"order.shipped","order":{"reference":"Zürich-€-1"}}');
    const ok = await post(ingestPath(src), body, { "x-signature": await hmacHexBytes("s3cret", body) });
    expect(ok.status, JSON.stringify(ok.json)).toBe(200);
  });
});
