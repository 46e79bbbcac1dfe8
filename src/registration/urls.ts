import type { SourceConfig } from "../db/sources";
import { publicBaseUrl } from "../lib/config";
import { ingestUrl } from "../sources/ingest-url";
import type { RegistrationContext } from "./types";

/** The complete ingest URL providers must call, token included (CONTRACT.md "Sources"). */
export function ingestUrlFor(ctx: RegistrationContext, source: SourceConfig): string {
  const token = source.verification.type === "url_token" ? source.verification.token : undefined;
  return ingestUrl(publicBaseUrl(ctx.env, ctx.requestUrl), source.id, token);
}

/** The URL as it may be shown and stored: the URL token masked. */
export function maskedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.searchParams.has("token")) return url;
    u.searchParams.set("token", "redacted");
    return u.toString();
  } catch {
    return url;
  }
}

export function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}

/** Does this URL lead to the source's ingest route, on any host, with any token? */
export function pointsAtSource(url: string, sourceId: string): boolean {
  try {
    const path = new URL(url).pathname;
    return new RegExp(`/in/${sourceId}(/[^/]*)?/?$`).test(path);
  } catch {
    return false;
  }
}
