import type { DestinationAuth } from "../db/destinations";
import { toBase64, utf8 } from "../lib/encoding";
import { outboundUrlProblem } from "../lib/url-safety";
import { signatureHeader } from "./signing";

export interface SendTarget {
  url: string;
  /** Custom headers of the destination, then its auth header. */
  headers: Record<string, string>;
  auth?: DestinationAuth | null;
  timeoutMs: number;
  /** Signing secrets, newest first (two during rotation). */
  secrets: string[];
  allowInsecure: boolean;
  /** An mTLS certificate binding to send through (presents the client certificate); else global fetch. */
  fetcher?: Pick<Fetcher, "fetch"> | null;
}

export type { DestinationAuth };

export interface SendMessage {
  /** webhook-id: the delivery id, stable across attempts. */
  id: string;
  body: string;
  attempt: number;
}

export interface AttemptOutcome {
  ok: boolean;
  url: string;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** First 1 KiB of the response body. */
  responseBody: string | null;
  /** Seconds the endpoint asked us to wait (Retry-After on 429/503). */
  retryAfterSeconds?: number;
  /** A connection error or timeout (no HTTP answer) — backup URLs take over on these and 5xx. */
  transportFailure: boolean;
}

const RESPONSE_BODY_LIMIT = 1024;
const RESERVED_HEADERS = new Set(["content-type", "content-length", "host", "webhook-id", "webhook-timestamp", "webhook-signature", "webhook-attempt"]);

export function isReservedHeader(name: string): boolean {
  return RESERVED_HEADERS.has(name.toLowerCase());
}

/**
 * One signed POST to a customer endpoint. Only 200–299 is success; redirects are not
 * followed (a 3xx is a failure, and following it could reach an address we refused).
 */
export async function sendWebhook(target: SendTarget, msg: SendMessage, now = Date.now()): Promise<AttemptOutcome> {
  const started = Date.now();
  const problem = outboundUrlProblem(target.url, { allowInsecure: target.allowInsecure });
  if (problem) {
    return { ok: false, url: target.url, statusCode: null, durationMs: 0, error: `refused: url ${problem}`, responseBody: null, transportFailure: false };
  }
  let headers: Record<string, string>;
  try {
    headers = await requestHeaders(target, msg, now);
  } catch (err) {
    // Whatever a stored destination holds, building its request never crashes the consumer:
    // it is this attempt's failure (recorded, counted towards the attempt limit), not a loop.
    const error = `could not build the request: ${(err as Error)?.message ?? String(err)}`.slice(0, 300);
    return { ok: false, url: target.url, statusCode: null, durationMs: 0, error, responseBody: null, transportFailure: false };
  }

  try {
    const send = target.fetcher ? target.fetcher.fetch.bind(target.fetcher) : fetch;
    const res = await send(target.url, {
      method: "POST",
      headers,
      body: msg.body,
      redirect: "manual",
      signal: AbortSignal.timeout(target.timeoutMs),
    });
    const responseBody = await readPrefix(res, RESPONSE_BODY_LIMIT);
    const ok = res.status >= 200 && res.status <= 299;
    const retryAfter = res.status === 429 || res.status === 503 ? parseRetryAfter(res.headers.get("retry-after"), now) : undefined;
    return {
      ok,
      url: target.url,
      statusCode: res.status,
      durationMs: Date.now() - started,
      error: ok ? null : res.status >= 300 && res.status < 400 ? `redirect (${res.status}) not followed` : `HTTP ${res.status}`,
      responseBody,
      ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
      transportFailure: false,
    };
  } catch (err) {
    const e = err as Error;
    const timedOut = e.name === "TimeoutError" || e.name === "AbortError";
    return {
      ok: false,
      url: target.url,
      statusCode: null,
      durationMs: Date.now() - started,
      error: timedOut ? `timeout after ${target.timeoutMs} ms` : `connection error: ${e.message}`.slice(0, 300),
      responseBody: null,
      transportFailure: true,
    };
  }
}

/** Basic credentials per RFC 7617 with charset UTF-8: `btoa` alone throws outside Latin-1 ("pa€s"). */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${toBase64(utf8(`${username}:${password}`))}`;
}

async function requestHeaders(target: SendTarget, msg: SendMessage, now: number): Promise<Record<string, string>> {
  const timestamp = Math.floor(now / 1000);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(target.headers)) if (!isReservedHeader(k)) headers[k] = v;
  if (target.auth?.type === "basic") headers.authorization = basicAuthorization(target.auth.username, target.auth.password);
  if (target.auth?.type === "bearer") headers.authorization = `Bearer ${target.auth.token}`;
  headers["content-type"] = "application/json";
  headers["user-agent"] = "shiprelay/1 (+https://www.standardwebhooks.com)";
  headers["webhook-id"] = msg.id;
  headers["webhook-timestamp"] = String(timestamp);
  headers["webhook-signature"] = await signatureHeader(target.secrets, msg.id, timestamp, msg.body);
  headers["webhook-attempt"] = String(msg.attempt);
  return headers;
}

async function readPrefix(res: Response, limit: number): Promise<string | null> {
  if (!res.body) return null;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.length;
  }
  return new TextDecoder().decode(all.subarray(0, limit));
}

/** Retry-After as seconds: delta-seconds or an HTTP date. Capped at a day. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Math.min(Number(v), 86_400);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, Math.ceil((at - now) / 1000)), 86_400);
}
