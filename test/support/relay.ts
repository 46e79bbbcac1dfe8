import { env, SELF } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { expect } from "vitest";
import type { RecordedRequest } from "./mock";

/**
 * Helpers that drive the relay the way its users do: over HTTP through the real Worker
 * (SELF.fetch), with the real D1, Durable Objects and Queues behind it.
 */
export const BASE = "http://relay.test";
export const ADMIN_TOKEN = env.ADMIN_TOKEN;

export interface ApiResponse<T = any> {
  status: number;
  json: T;
  text: string;
  headers: Headers;
}

export async function api<T = any>(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined = opts.raw;
  if (opts.body !== undefined) {
    headers["content-type"] ??= "application/json";
    body = JSON.stringify(opts.body);
  }
  const res = await SELF.fetch(`${BASE}${path}`, { method, headers, body });
  if (method === "POST") await ingestSettled(path, res);
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, text, headers: res.headers };
}

export async function createWorkspace(name = "acme"): Promise<{ id: string; key: string }> {
  const r = await api("POST", "/v1/workspaces", { token: ADMIN_TOKEN, body: { name } });
  expect(r.status, r.text).toBe(201);
  return { id: r.json.id, key: r.json.api_key };
}

export async function createSource(key: string, body: Record<string, unknown>) {
  const r = await api("POST", "/v1/sources", { token: key, body: { name: "src", ...body } });
  expect(r.status, r.text).toBe(201);
  return r.json as { id: string; ingest_url: string; secret?: string; [k: string]: unknown };
}

export async function createDestination(key: string, body: Record<string, unknown>) {
  const r = await api("POST", "/v1/destinations", { token: key, body });
  expect(r.status, r.text).toBe(201);
  return r.json as { id: string; signing_secret: string; [k: string]: unknown };
}

export async function hmacHex(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
  return [...sig].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export async function hmacBase64(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
  return btoa(String.fromCharCode(...sig));
}

/**
 * After an ingest 2xx, waits until the request's ingest-log entry is in D1 (found by its
 * `request-id`): an `ingest_log` row, or the `request` of the event an accepted request
 * brought (src/db/ingest-log.ts). The 2xx follows the order object's durable write; D1 gets the
 * event, its deliveries and the log entry from the object's outbox a moment later (CONTRACT.md,
 * Additions), and tests read D1 directly. Refusals write their row before answering.
 */
export async function ingestSettled(path: string, res: Response): Promise<void> {
  const sourceId = /^\/in\/(src_[0-9a-z]+)/.exec(path)?.[1];
  const requestId = res.headers.get("request-id");
  if (!sourceId || !requestId || res.status < 200 || res.status > 299) return;
  await eventually(async () =>
    env.DB.prepare(
      `SELECT 1 AS found FROM ingest_log WHERE source_id = ?1 AND json_extract(detail, '$.request_id') = ?2
       UNION ALL SELECT 1 FROM events WHERE source_id = ?1 AND request ->> '$.detail.request_id' = ?2`,
    )
      .bind(sourceId, requestId)
      .first(),
  );
}

/** The path (and token query) of a source's ingest_url, for SELF.fetch. */
export function ingestPath(source: { ingest_url: string }): string {
  const u = new URL(source.ingest_url);
  return u.pathname + u.search;
}

/** Verifies a delivery with the `standardwebhooks` library and returns the payload (throws if it does not verify). */
export function verifyDelivery(request: RecordedRequest, signingSecret: string): any {
  return new Webhook(signingSecret).verify(request.body, {
    "webhook-id": request.headers["webhook-id"]!,
    "webhook-timestamp": request.headers["webhook-timestamp"]!,
    "webhook-signature": request.headers["webhook-signature"]!,
  });
}

/** Posts a body to a source, signed the AtoShip way when a secret is given. */
export async function postAtoship(source: { ingest_url: string; secret?: string }, payload: unknown) {
  const raw = typeof payload === "string" ? payload : JSON.stringify(payload);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (source.secret) headers["x-atoship-signature"] = `sha256=${await hmacHex(source.secret, raw)}`;
  return api("POST", ingestPath(source), { raw, headers });
}

export function atoshipEvent(overrides: { event?: string; data?: Record<string, unknown>; timestamp?: string } = {}) {
  return {
    event: overrides.event ?? "label.created",
    timestamp: overrides.timestamp ?? "2024-01-15T10:30:00Z",
    data: {
      label_id: "lbl_abc123",
      tracking_number: "9400111899223",
      carrier: "USPS",
      service: "Priority Mail",
      order_id: "ord_xyz789",
      ...overrides.data,
    },
  };
}

/** Polls until `check` returns a truthy value (the queue consumer runs asynchronously). */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/**
 * Waits out a window in which work that must NOT happen (a second send, a send to a paused or
 * disabled destination) would have shown up. Only for such negative checks: to wait for
 * something that does happen, poll for it with `eventually`.
 */
export const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until at least `count` deliveries match `query` (`destination=…`, `event=…` or nothing
 * for the whole workspace) and every one is finished (succeeded or failed), and returns them.
 * A finished delivery is never sent again, so what its endpoints received is then final.
 */
export async function deliveriesFinished(key: string, query: string, count: number, timeoutMs = 15_000) {
  return eventually(async () => {
    const r = await api("GET", `/v1/deliveries?limit=500${query ? `&${query}` : ""}`, { token: key });
    const list = (r.json?.data ?? []) as { id: string; status: string; event_type: string }[];
    return list.length >= count && list.every((d) => d.status === "succeeded" || d.status === "failed") ? list : undefined;
  }, timeoutMs);
}

/** Waits until the delivery list for a destination shows a delivery in one of the given states. */
export async function waitForDeliveryStatus(key: string, destinationId: string, status: string, timeoutMs = 10_000) {
  return eventually(async () => {
    const r = await api("GET", `/v1/deliveries?destination=${destinationId}&status=${status}`, { token: key });
    return r.json?.data?.[0] as { id: string; status: string } | undefined;
  }, timeoutMs);
}

/** A workspace with an AtoShip source (generated secret) and nothing else. */
export async function atoshipWorkspace(name = "acme") {
  const ws = await createWorkspace(name);
  const source = await createSource(ws.key, { name: "AtoShip", provider: "atoship" });
  return { ws, key: ws.key, source };
}
