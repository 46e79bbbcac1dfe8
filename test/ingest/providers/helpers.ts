import { SELF } from "cloudflare:test";
import { expect } from "vitest";
import { mockEndpoint, type MockEndpoint, type RecordedRequest } from "../../support/mock";
import { api, BASE, createDestination, createSource, createWorkspace, deliveriesFinished, ingestPath, ingestSettled, verifyDelivery, type ApiResponse } from "../../support/relay";

/**
 * Helpers of the route-level provider tests: a workspace with one source of the provider
 * and one catch-all destination on the fake outside world, callbacks posted through the real
 * Worker (SELF.fetch), and the checks every provider shares — the ingest answer, the error
 * envelope plus its ingest-log row, and what the destination received (Standard Webhooks).
 */

/** A recorded provider callback (test/fixtures/<provider>/*.json). */
export interface Fixture {
  provider: string;
  headers: Record<string, string>;
  body: unknown;
}

/** The body exactly as the provider sends it. */
export const rawOf = (fixture: { body: unknown }) => JSON.stringify(fixture.body);

export interface SourceView {
  id: string;
  ingest_url: string;
  secret?: string;
  [k: string]: unknown;
}

export interface PostOptions {
  headers?: Record<string, string>;
  /** request.cf as Cloudflare fills it (client-certificate identification). */
  cf?: Record<string, unknown>;
  /** Another path than the source's ingest_url (a wrong or missing token). */
  path?: string;
}

export interface ProviderRelay {
  key: string;
  source: SourceView;
  /** The customer endpoint of the workspace's one destination (all event types). */
  endpoint: MockEndpoint;
  signingSecret: string;
  /** POSTs a callback to the source's ingest URL through the real Worker. */
  post(raw: string, opts?: PostOptions): Promise<ApiResponse>;
}

/** A fresh workspace with one source of `provider` and one destination that takes everything. */
export async function providerRelay(provider: string, source: Record<string, unknown> = {}): Promise<ProviderRelay> {
  const ws = await createWorkspace(`${provider} tests`);
  const src = (await createSource(ws.key, { name: provider, provider, ...source })) as SourceView;
  const endpoint = await mockEndpoint();
  const dest = await createDestination(ws.key, { url: endpoint.url });
  return {
    key: ws.key,
    source: src,
    endpoint,
    signingSecret: dest.signing_secret,
    post: (raw, opts = {}) => postIngest(opts.path ?? ingestPath(src), raw, opts),
  };
}

/** The ingest call, with an optional `cf` object: SELF.fetch hands it to the Worker as request.cf. */
export async function postIngest(path: string, raw: string, opts: PostOptions = {}): Promise<ApiResponse> {
  const init = {
    method: "POST",
    headers: { "content-type": "application/json", ...opts.headers },
    body: raw,
    ...(opts.cf ? { cf: opts.cf } : {}),
  } as RequestInit<RequestInitCfProperties>;
  const res = await SELF.fetch(`${BASE}${path}`, init);
  await ingestSettled(path, res);
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, text, headers: res.headers };
}

/** The path of the source's ingest URL without its token. */
export const pathWithoutToken = (source: { id: string }) => `/in/${source.id}`;

/** The path of the source's ingest URL with another token. */
export function pathWithForgedToken(source: { id: string; ingest_url: string }): string {
  const token = new URL(source.ingest_url).searchParams.get("token");
  expect(token, "a url_token source's ingest_url carries its token").toBeTruthy();
  return `/in/${source.id}?token=${token!.slice(0, -2)}${token!.endsWith("zz") ? "yy" : "zz"}`;
}

function expectJson(res: ApiResponse) {
  expect(res.headers.get("content-type") ?? "").toMatch(/^application\/json/);
}

/** CONTRACT "Ingest": 200 {"ok": true, "event_ids": [...], "duplicate": false}, JSON. */
export function expectAccepted(res: ApiResponse, count = 1): string[] {
  expect(res.status, res.text).toBe(200);
  expectJson(res);
  expect(res.json).toEqual({
    ok: true,
    event_ids: Array.from({ length: count }, () => expect.stringMatching(/^evt_[0-9a-z]{26}$/)),
    duplicate: false,
  });
  expect(new Set(res.json.event_ids).size).toBe(count);
  return res.json.event_ids as string[];
}

/** A repeat: the same event ids, `duplicate: true`. */
export function expectDuplicate(res: ApiResponse, eventIds: string[]) {
  expect(res.status, res.text).toBe(200);
  expectJson(res);
  expect(res.json).toEqual({ ok: true, event_ids: eventIds, duplicate: true });
}

/** A pointer callback: ACKed before the resource is fetched. */
export function expectPendingFetch(res: ApiResponse) {
  expect(res.status, res.text).toBe(200);
  expectJson(res);
  expect(res.json).toEqual({ ok: true, event_ids: [], pending_fetch: true });
}

export interface IngestLogRow {
  id: string;
  at: string;
  source_id: string;
  result: "accepted" | "duplicate" | "rejected";
  reason: string | null;
  event_id: string | null;
  event_ids: string[];
}

export async function ingestLog(key: string, sourceId: string): Promise<IngestLogRow[]> {
  const r = await api("GET", `/v1/ingest-log?source=${sourceId}`, { token: key });
  expect(r.status, r.text).toBe(200);
  return r.json.data;
}

export async function eventsOf(key: string, sourceId: string): Promise<any[]> {
  const r = await api("GET", `/v1/events?source=${sourceId}&limit=500`, { token: key });
  expect(r.status, r.text).toBe(200);
  return r.json.data;
}

/**
 * A refused proof of origin: 401 with the JSON error envelope naming `code`, an ingest-log
 * row `rejected` with that reason, and no event stored for it.
 */
export async function expectRefused(relay: ProviderRelay, res: ApiResponse, code: string, opts: { eventsBefore?: number } = {}) {
  expect(res.status, res.text).toBe(401);
  expectJson(res);
  expect(Object.keys(res.json)).toEqual(["error"]);
  expect(res.json.error).toMatchObject({ code, message: expect.any(String) });
  expect(res.json.error.message.length).toBeGreaterThan(0);
  const log = await ingestLog(relay.key, relay.source.id);
  const rows = log.filter((row) => row.result === "rejected" && row.reason === code);
  expect(rows.length, JSON.stringify(log)).toBeGreaterThanOrEqual(1);
  for (const row of rows) expect(row).toMatchObject({ source_id: relay.source.id, event_id: null, event_ids: [] });
  expect(await eventsOf(relay.key, relay.source.id)).toHaveLength(opts.eventsBefore ?? 0);
}

export interface Delivered {
  request: RecordedRequest;
  /** The body, after its Standard Webhooks signature verified. */
  event: any;
}

/** Waits for exactly `count` deliveries at the relay's endpoint, each verified. */
export async function deliveries(relay: ProviderRelay, count: number): Promise<Delivered[]> {
  const requests = await relay.endpoint.waitForRequests(count);
  expect(requests, "deliveries at the customer endpoint").toHaveLength(count);
  return requests.map((request) => {
    expect(request.method).toBe("POST");
    expect(request.headers["content-type"]).toMatch(/^application\/json/);
    expect(request.headers["webhook-attempt"]).toBe("1");
    return { request, event: verifyDelivery(request, relay.signingSecret) };
  });
}

/** The delivered event with the given id (deliveries may arrive in any order). */
export function deliveredEvent(delivered: Delivered[], eventId: string): any {
  const found = delivered.find((d) => d.event.id === eventId);
  expect(found, `a delivery of ${eventId}`).toBeDefined();
  return found!.event;
}

/** GET /v1/events/:id: the canonical event plus `raw` and `deliveries`. */
export async function storedEvent(key: string, eventId: string): Promise<any> {
  const r = await api("GET", `/v1/events/${eventId}`, { token: key });
  expect(r.status, r.text).toBe(200);
  return r.json;
}

/**
 * The destination received the stored canonical event, field for field; the stored one keeps
 * the provider's payload as `raw`. Returns the stored event.
 */
export async function expectDeliveredAsStored(relay: ProviderRelay, delivered: any, raw?: unknown): Promise<any> {
  const stored = await storedEvent(relay.key, delivered.id);
  const { raw: storedRaw, deliveries: storedDeliveries, ...canonical } = stored;
  expect(delivered).toEqual(canonical);
  if (raw !== undefined) expect(storedRaw).toEqual(raw);
  expect(storedDeliveries).toHaveLength(1);
  expect(stored.source).toMatchObject({ id: relay.source.id });
  return stored;
}

/**
 * The workspace has exactly `count` deliveries, all finished, and the endpoint got exactly
 * `count` requests: nothing was (or will be) delivered twice.
 */
export async function expectNoFurtherDeliveries(relay: ProviderRelay, count: number) {
  expect(await deliveriesFinished(relay.key, "", count), "deliveries of the workspace").toHaveLength(count);
  expect(await relay.endpoint.requests()).toHaveLength(count);
}

/**
 * Nothing of the source reached the destination. No settle needed: a delivery exists only
 * with a stored event, and the source has none.
 */
export async function expectNothingForwarded(relay: ProviderRelay) {
  expect(await eventsOf(relay.key, relay.source.id)).toHaveLength(0);
  expect(await relay.endpoint.requests()).toHaveLength(0);
}

/** Canonical fields every accepted event carries, whatever the provider. */
export function expectCanonicalEnvelope(event: any, relay: ProviderRelay, provider: string) {
  expect(event.id).toMatch(/^evt_[0-9a-z]{26}$/);
  expect(event.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/);
  expect(event.occurred_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/);
  expect(event.source).toMatchObject({ id: relay.source.id, provider });
  expect(typeof event.livemode).toBe("boolean");
  expect(event.data).toEqual(expect.any(Object));
  // Sections that do not apply are absent, not empty (EVENTS.md).
  for (const section of ["order", "shipment", "tracking", "inventory"]) {
    if (section in event) expect(Object.keys(event[section]).length, section).toBeGreaterThan(0);
  }
}

/**
 * Matches an ISO-8601 UTC string naming the same instant (`…:00Z` and `…:00.000Z` alike):
 * the contract fixes the format loosely ("ISO-8601 UTC"), the instant exactly.
 */
export function instant(iso: string) {
  const want = Date.parse(iso);
  if (Number.isNaN(want)) throw new Error(`instant(${iso}): not a timestamp`);
  return {
    asymmetricMatch: (value: unknown) => typeof value === "string" && /Z$/.test(value) && Date.parse(value) === want,
    toString: () => `instant(${iso})`,
    toAsymmetricMatcher: () => `instant(${iso})`,
  };
}
