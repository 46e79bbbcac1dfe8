import { isRecord, num } from "../../events/normalize";
import { AdapterParseError, type ProviderCredentials } from "./types";

/**
 * What the pointer-callback providers (ShipStation v1, ShipEngine / ShipStation v2) share:
 * the SSRF rule for `resource_url` and the paginated, credential-safe GET of the resource.
 */
/** Bounds pagination of one callback's resource (ShipStation rate-limits at 40 calls/min). */
export const MAX_RESOURCE_PAGES = 10;

export function parseUrl(value: string | undefined): URL | undefined {
  if (!value) return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * The resource fetch host rule (PROVIDERS.md): with a custom `api_base_url` (sandbox, tests)
 * only that origin; with the provider's own base only https on the default port and a host
 * the provider's rule accepts. Never a URL that carries userinfo.
 */
export function resourceFetchAllowed(
  resourceUrl: string,
  credentials: ProviderCredentials,
  isProviderHost: (hostname: string) => boolean,
): boolean {
  const url = parseUrl(resourceUrl);
  if (!url || url.username || url.password) return false;
  const onProviderHost = (u: URL) => u.protocol === "https:" && u.port === "" && isProviderHost(u.hostname);
  if (credentials.api_base_url) {
    const base = parseUrl(credentials.api_base_url);
    if (!base) return false;
    if (!onProviderHost(base)) return url.origin === base.origin;
  }
  return onProviderHost(url);
}

/**
 * GETs a pointer resource and, when it reports `pages > 1`, its further pages (bounded by
 * MAX_RESOURCE_PAGES), one after the other. Redirects are not followed: credentials go to
 * the checked origin only. A non-2xx answer throws an Error naming the status (the relay
 * retries); messages never contain the credentials.
 */
export async function fetchResourcePages(
  resourceUrl: string,
  headers: Record<string, string>,
  fetcher: typeof fetch,
  label: string,
): Promise<Record<string, unknown>[]> {
  const first = await getJson(resourceUrl, headers, fetcher, label);
  const pages = [first];
  const total = num(first.pages);
  if (total !== undefined && total > 1) {
    const last = Math.min(Math.floor(total), MAX_RESOURCE_PAGES);
    const startPage = num(first.page) ?? 1;
    for (let p = Math.max(2, startPage + 1); p <= last; p++) {
      const next = new URL(resourceUrl);
      next.searchParams.set("page", String(p));
      pages.push(await getJson(next.toString(), headers, fetcher, label));
    }
  }
  return pages;
}

async function getJson(
  url: string,
  headers: Record<string, string>,
  fetcher: typeof fetch,
  label: string,
): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetcher(url, { method: "GET", headers, redirect: "manual" });
  } catch {
    throw new Error(`${label} resource fetch failed: network error`);
  }
  if (res.status < 200 || res.status > 299) {
    await res.body?.cancel();
    throw new Error(`${label} resource fetch failed: HTTP ${res.status}`);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new Error(`${label} resource fetch failed: the response (HTTP ${res.status}) is not JSON`);
  }
  if (!isRecord(body)) throw new AdapterParseError(`the ${label} resource is not a JSON object`);
  return body;
}

