import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { vi } from "vitest";
import { createApp } from "../../src/app";
import type { ApiResponse } from "../support/relay";

/**
 * Helpers of the hardening tests. The suite runs with ALLOW_INSECURE_DESTINATIONS="true"
 * (vitest.config.ts); `callApp` drives the same app with other configuration, e.g. the
 * production default "false", through the app's own fetch handler.
 */
const app = createApp();

export async function callApp<T = any>(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string>; env?: Record<string, unknown> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined = opts.raw;
  if (opts.body !== undefined) {
    headers["content-type"] ??= "application/json";
    body = JSON.stringify(opts.body);
  }
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`http://relay.test${path}`, { method, headers, body }), { ...env, ...opts.env } as Env, ctx);
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, text, headers: res.headers };
}

/** The production default: destinations must be https and public. */
export const SECURE_ENV = { ALLOW_INSECURE_DESTINATIONS: "false" };

/** The contract's error envelope, and nothing that looks like a stack trace. */
export function isErrorEnvelope(json: unknown): boolean {
  if (!json || typeof json !== "object") return false;
  const error = (json as { error?: unknown }).error;
  if (!error || typeof error !== "object") return false;
  const { code, message } = error as Record<string, unknown>;
  return typeof code === "string" && code.length > 0 && typeof message === "string" && message.length > 0 && !/\n\s+at /.test(message);
}

/** A ShipEngine-style RSA signer and the JWKS that verifies it. */
export async function rsaSigner(kid = "test-key-1") {
  const pair = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  const jwk = (await crypto.subtle.exportKey("jwk", pair.publicKey)) as JsonWebKey;
  return {
    jwks: { keys: [{ kty: jwk.kty, n: jwk.n, e: jwk.e, kid, alg: "RS256", use: "sig" }] },
    async headers(body: string, timestamp: string): Promise<Record<string, string>> {
      const sig = new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", pair.privateKey, new TextEncoder().encode(`${timestamp}.${body}`)));
      return {
        "content-type": "application/json",
        "x-shipengine-rsa-sha256-key-id": kid,
        "x-shipengine-rsa-sha256-signature": btoa(String.fromCharCode(...sig)),
        "x-shipengine-timestamp": timestamp,
      };
    },
  };
}

/** Captures everything the Worker (same isolate as the tests) writes to the console. */
export function captureConsole() {
  const lines: string[] = [];
  const spies = (["log", "info", "warn", "error", "debug"] as const).map((level) =>
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === "string" ? a : a instanceof Error ? `${a.name}: ${a.message}\n${a.stack}` : JSON.stringify(a))).join(" "));
    }),
  );
  return {
    lines,
    restore() {
      for (const s of spies) s.mockRestore();
    },
  };
}

/** All rows of every table of the D1 database, as text (for "is this secret anywhere?"). */
export async function dumpDatabase(): Promise<string> {
  const { results: tables } = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").all<{ name: string }>();
  const parts: string[] = [];
  for (const { name } of tables) {
    const { results } = await env.DB.prepare(`SELECT * FROM "${name}"`).all();
    parts.push(`${name}: ${JSON.stringify(results)}`);
  }
  return parts.join("\n");
}
