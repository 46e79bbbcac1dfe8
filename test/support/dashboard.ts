import { SELF } from "cloudflare:test";
import { expect } from "vitest";
import { BASE } from "./relay";

/**
 * Drives the dashboard like a browser does: form posts with the page's Origin, the session
 * cookie carried by hand, redirects not followed (so tests can see them).
 */
export interface PageResponse {
  status: number;
  text: string;
  headers: Headers;
}

export async function page(path: string, cookie?: string, init: RequestInit = {}): Promise<PageResponse> {
  const headers = new Headers(init.headers);
  if (cookie) headers.set("cookie", cookie);
  const res = await SELF.fetch(`${BASE}${path}`, { ...init, headers, redirect: "manual" });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

export async function postForm(
  path: string,
  form: Record<string, string>,
  opts: { cookie?: string; origin?: string | null; headers?: Record<string, string> } = {},
): Promise<PageResponse> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", ...opts.headers };
  if (opts.origin !== null) headers.origin = opts.origin ?? BASE;
  return page(path, opts.cookie, { method: "POST", headers, body: new URLSearchParams(form).toString() });
}

/** Signs in with an API key and returns the `name=value` of the session cookie. */
export async function signIn(key: string): Promise<string> {
  const res = await postForm("/dashboard/login", { api_key: key });
  expect(res.status, res.text).toBe(303);
  const setCookie = res.headers.get("set-cookie") ?? "";
  const pair = setCookie.split(";")[0]!;
  expect(pair).toMatch(/^shiprelay_session=./);
  return pair;
}

/** The CSRF token of the first POST form on a page. */
export function csrfOf(html: string): string {
  const m = html.match(/name="_csrf" value="([^"]+)"/);
  if (!m) throw new Error("no CSRF field on the page");
  return m[1]!;
}

/** Text of the page with tags stripped and whitespace collapsed (for content assertions). */
export function textOf(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>|<script[\s\S]*?<\/script>/g, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");
}
