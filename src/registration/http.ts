import { ProviderCallError } from "./types";

/** Per call; the management request waits for the provider, so this bounds it. */
export const PROVIDER_TIMEOUT_MS = 10_000;

export interface ProviderClientOptions {
  /** How messages name the provider. */
  label: string;
  /** The configured API base: an origin, optionally with a path prefix (sandboxes, tests). */
  baseUrl: string;
  /** Authentication headers, sent only to `baseUrl`'s origin. */
  headers: Record<string, string>;
  /** Values that must never reach a message (the credentials and what is derived from them). */
  secrets: string[];
  /** Says which credential fields to check when the provider refuses them. */
  credentialHint: string;
}

export interface ProviderResponse {
  status: number;
  body: unknown;
}

export interface ProviderClient {
  /**
   * Calls `<base><path>`. 2xx answers come back (404 too when `allow404`); everything else
   * throws a ProviderCallError: 401/403/429/other 4xx → 422 `provider_rejected`; 5xx, a
   * redirect, a timeout or a network failure → 502 `provider_error`.
   */
  call(method: string, path: string, init?: { body?: unknown; allow404?: boolean }): Promise<ProviderResponse>;
}

/**
 * The one way registration talks to a provider: credentials go to the configured API origin
 * only, redirects are never followed (`redirect: "manual"`), every call has a timeout, and no
 * message ever carries the credentials.
 */
export function providerClient(opts: ProviderClientOptions): ProviderClient {
  const base = new URL(opts.baseUrl);
  const prefix = `${base.origin}${base.pathname.replace(/\/+$/, "")}`;
  const secrets = opts.secrets.filter((s) => s.length >= 4);
  const clean = (text: string) => scrub(text, secrets);

  return {
    async call(method, path, init = {}) {
      const url = new URL(`${prefix}${path}`);
      // `path` is ours, but the rule is cheap to keep true by construction.
      if (url.origin !== base.origin) throw new Error("provider call left the configured API origin");
      const headers: Record<string, string> = { accept: "application/json", ...opts.headers };
      if (init.body !== undefined) headers["content-type"] = "application/json";
      let res: Response;
      try {
        res = await fetch(url.toString(), {
          method,
          headers,
          body: init.body === undefined ? undefined : JSON.stringify(init.body),
          redirect: "manual",
          signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
        });
      } catch (err) {
        const timedOut = (err as Error)?.name === "TimeoutError" || (err as Error)?.name === "AbortError";
        throw new ProviderCallError(
          502,
          "provider_error",
          timedOut
            ? `${opts.label} did not answer within ${PROVIDER_TIMEOUT_MS / 1000} s; try again later`
            : `${opts.label} could not be reached (${clean((err as Error)?.message || "network error")}); try again later`,
        );
      }
      const text = await res.text().catch(() => "");
      const body = parseJson(text);
      if (res.status >= 200 && res.status <= 299) return { status: res.status, body };
      if (res.status === 404 && init.allow404) return { status: 404, body };

      const what = `${opts.label} ${method} ${path.split("?")[0]}`;
      if (res.status >= 300 && res.status <= 399) {
        throw new ProviderCallError(502, "provider_error", `${what} answered with a redirect (HTTP ${res.status}), which the relay does not follow; check credentials.api_base_url`);
      }
      if (res.status === 401 || res.status === 403) {
        throw new ProviderCallError(
          422,
          "provider_rejected",
          `${opts.label} refused the source's API credentials (HTTP ${res.status}); check ${opts.credentialHint}`,
        );
      }
      if (res.status === 429) {
        const retry = res.headers.get("retry-after");
        throw new ProviderCallError(
          422,
          "provider_rejected",
          `${opts.label} rate-limited the call (HTTP 429)${retry && /^\d+$/.test(retry) ? `; retry after ${retry} s` : "; retry later"}`,
        );
      }
      if (res.status >= 400 && res.status <= 499) {
        const detail = providerMessage(body);
        throw new ProviderCallError(
          422,
          "provider_rejected",
          `${what} was refused (HTTP ${res.status})${detail ? `: ${clean(detail)}` : ""}`,
        );
      }
      throw new ProviderCallError(502, "provider_error", `${what} failed (HTTP ${res.status}); try again later`);
    },
  };
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** ShipStation v1 answers `{"message"}` / `{"Message"}`; ShipEngine `{"errors": [{"message"}]}`. */
function providerMessage(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  const errors = body.errors;
  if (Array.isArray(errors) && isRecord(errors[0]) && typeof errors[0].message === "string") return errors[0].message;
  for (const key of ["message", "Message", "ExceptionMessage", "error_description", "error"]) {
    if (typeof body[key] === "string") return body[key];
  }
  return undefined;
}

/** A provider's text, safe to show: no credentials, no control characters, bounded. */
export function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join("[redacted]");
  // eslint-disable-next-line no-control-regex
  out = out.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return out.length > 200 ? `${out.slice(0, 200)}…` : out;
}

/** Shared by the adapters' webhook lists: a string id from a number or a string. */
export function idOf(value: unknown): string | undefined {
  if (typeof value === "string" && value.length > 0) return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

export { isRecord };
