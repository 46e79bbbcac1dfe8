import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { BASE, createWorkspace } from "../support/relay";

/**
 * Every response carries `request-id`; `/v1` bodies and the console's sign-in are capped by
 * the bytes actually read (a streamed body has no content-length to trust), answered 413
 * `payload_too_large` in the contract's envelope.
 */
const app = createApp();

/** A body sent in chunks, without a content-length. */
function streamed(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, at + 16 * 1024));
      at += 16 * 1024;
    },
  });
}

async function send(path: string, init: RequestInit) {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`${BASE}${path}`, init), env, ctx);
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  return { status: res.status, text, headers: res.headers };
}

describe("request-id", () => {
  it("is on every response: health, API, ingest, 404 and 405", async () => {
    for (const [method, path] of [
      ["GET", "/healthz"],
      ["GET", "/v1/sources"],
      ["POST", "/in/src_00000000000000000000000000"],
      ["GET", "/in/src_00000000000000000000000000"],
      ["GET", "/no/such/route"],
      ["GET", "/dashboard/login"],
    ] as const) {
      const res = await SELF.fetch(`${BASE}${path}`, { method });
      expect(res.headers.get("request-id"), `${method} ${path}`).toMatch(/^[\w-]{8,}$/);
      await res.body?.cancel();
    }
  });

  it("is Cloudflare's ray id when there is one, and the error envelope carries it", async () => {
    const res = await send("/no/such/route", { headers: { "cf-ray": "8f1a2b3c4d5e6f70-SJC", "request-id": "chosen-by-client" } });
    expect(res.headers.get("request-id")).toBe("8f1a2b3c4d5e6f70-SJC");
    expect(JSON.parse(res.text)).toEqual({ error: { code: "not_found", message: expect.any(String), request_id: "8f1a2b3c4d5e6f70-SJC" } });
  });

  it("is not taken from the client", async () => {
    const res = await send("/healthz", { headers: { "request-id": "chosen-by-client" } });
    expect(res.headers.get("request-id")).not.toBe("chosen-by-client");
  });
});

describe("body limits", () => {
  it("a /v1 body over 256 KiB is 413 payload_too_large, declared or streamed", async () => {
    expect(new Request(BASE, { method: "POST", body: streamed("{}") }).headers.has("content-length")).toBe(false);
    const ws = await createWorkspace("body-limit");
    const body = JSON.stringify({ name: "x", pad: "y".repeat(300 * 1024) });
    const headers = { authorization: `Bearer ${ws.key}`, "content-type": "application/json" };
    for (const sent of [body, streamed(body)]) {
      const res = await send("/v1/sources", { method: "POST", headers, body: sent });
      expect(res.status).toBe(413);
      expect(JSON.parse(res.text).error.code).toBe("payload_too_large");
    }
    // Under the limit, a streamed body is read as usual (here: refused for what it says).
    const small = await send("/v1/sources", { method: "POST", headers, body: streamed(JSON.stringify({ name: "x" })) });
    expect(small.status).toBe(400);
    expect(JSON.parse(small.text).error.code).toBe("invalid_request");
  });

  it("a sign-in form over 8 KiB is 413 payload_too_large, declared or streamed", async () => {
    const form = new URLSearchParams({ api_key: "sk_x", pad: "z".repeat(9 * 1024) }).toString();
    const headers = { "content-type": "application/x-www-form-urlencoded", origin: BASE };
    for (const sent of [form, streamed(form)]) {
      const res = await send("/dashboard/login", { method: "POST", headers, body: sent });
      expect(res.status).toBe(413);
      expect(JSON.parse(res.text).error.code).toBe("payload_too_large");
    }
  });
});
