import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, api, createDestination, createSource, createWorkspace, type ApiResponse } from "../support/relay";
import { isErrorEnvelope } from "./helpers";

/**
 * Properties of the management API under random input: whatever JSON (or non-JSON) is sent
 * to the routes that take a body, the answer is never a 5xx, and every error is the
 * contract's envelope. Bodies are random JSON, and objects built from the real field names
 * with random or almost-valid values, which reach much deeper than noise does.
 */
const RUNS = 40;

let key = "";
let sourceId = "";
let destinationId = "";

beforeAll(async () => {
  ({ key } = await createWorkspace("fuzz-management"));
  sourceId = (await createSource(key, { provider: "atoship" })).id;
  destinationId = (await createDestination(key, { url: "https://erp.example.com/hooks", status: "paused" })).id;
});

const deepValue = fc.integer({ min: 65, max: 2000 }).map((depth) => {
  let v: unknown = "x";
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v };
  return v;
});

/** Values a field might get: junk of every JSON type, plus plausible ones. */
const anyValue = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 1, arbitrary: deepValue },
  {
    weight: 3,
    arbitrary: fc.constantFrom<unknown>(
      "", " ", "x".repeat(5000), "https://erp.example.com/hooks", "http://127.0.0.1/", "not a url", "javascript:alert(1)", "10.0.0.0/8", "::/0",
      "010.0.0.0/8", "active", "paused", "disabled", "atoship", "generic", "shipengine", "hmac", "basic", "url_token", "rsa_jwks", "none",
      "order.*", "*", "src_00000000000000000000000000", -1, 0, 1, 1.5, 1e308, -0, 2 ** 53, null, true, false, [], {}, ["x"], { type: "basic" },
      { type: "bearer", token: "t" }, { type: "hmac", header: "x-sig", secret: "s" }, { type: "rsa_jwks", jwks_url: "https://example.com/jwks" },
      { max_attempts: 3, schedule_seconds: [1] }, { max_attempts: 99 }, { "x-api-key": "v" }, { "bad header": "v" }, { "content-type": "x" },
      { api_key: "k", api_base_url: "https://api.example.com" }, { event_type_path: "type" }, "\u0000", "\ud800", "🚚".repeat(50),
    ),
  },
);

const FIELDS = [
  "name", "provider", "verification", "credentials", "settings", "rate_limit_per_minute", "ip_allowlist", "url", "backup_url", "events",
  "sources", "status", "headers", "auth", "retry", "timeout_ms", "filter", "format", "include_raw", "mtls_certificate", "ordering", "secret",
  "__proto__", "constructor", "since", "until",
];

const shapedBody = fc
  .dictionary(fc.constantFrom(...FIELDS), anyValue, { maxKeys: 8 })
  // A body may ask for a verification send; never towards the outside world from a test.
  .map((body) => ({ ...body, verify: false }));

const anyBody = fc.oneof({ weight: 3, arbitrary: shapedBody }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 5 }) });

/** A body that is not JSON at all, or not declared as JSON. */
const rawBody = fc.record({
  text: fc.oneof(fc.string({ maxLength: 200 }), fc.constantFrom("{", '{"name":', "[1,2", "null", "\u0000\u0001", "name=x&provider=atoship")),
  type: fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", "application/xml", "", "application/json; charset=utf-16"),
});

function expectSane(r: ApiResponse, what: string) {
  expect(r.status, `${what} → ${r.status} ${r.text.slice(0, 300)}`).toBeLessThan(500);
  if (r.status >= 400) expect(isErrorEnvelope(r.json), `${what} → not an envelope: ${r.text.slice(0, 300)}`).toBe(true);
  else if (r.status !== 204) expect(r.json, `${what} → not JSON: ${r.text.slice(0, 300)}`).toBeTypeOf("object");
}

/** [method, path as documented, the path with this test's objects, the token]. */
const routes: [string, string, () => string, () => string][] = [
  ["POST", "/v1/sources", () => "/v1/sources", () => key],
  ["PATCH", "/v1/sources/:id", () => `/v1/sources/${sourceId}`, () => key],
  ["POST", "/v1/sources/:id/rotate-secret", () => `/v1/sources/${sourceId}/rotate-secret`, () => key],
  ["POST", "/v1/destinations", () => "/v1/destinations", () => key],
  ["PATCH", "/v1/destinations/:id", () => `/v1/destinations/${destinationId}`, () => key],
  ["POST", "/v1/workspaces", () => "/v1/workspaces", () => ADMIN_TOKEN],
];

describe("management API under random bodies", () => {
  for (const [method, name, path, token] of routes) {
    it(`${method} ${name}: never 5xx, errors always in the envelope`, async () => {
      await fc.assert(
        fc.asyncProperty(anyBody, async (body) => {
          const r = await api(method, path(), { token: token(), body });
          expectSane(r, `${method} ${path()} ${JSON.stringify(body).slice(0, 300)}`);
        }),
        { numRuns: RUNS },
      );
      await fc.assert(
        fc.asyncProperty(rawBody, async ({ text, type }) => {
          const r = await api(method, path(), { token: token(), raw: text, headers: type ? { "content-type": type } : {} });
          expectSane(r, `${method} ${path()} raw ${JSON.stringify(text).slice(0, 100)} as ${type}`);
          if (r.status < 300) expect(type).toMatch(/json/);
        }),
        { numRuns: Math.ceil(RUNS / 2) },
      );
    });
  }

  it("query strings of the list routes: never 5xx", async () => {
    const param = fc.constantFrom("limit", "cursor", "since", "until", "type", "source", "destination", "event", "status", "result", "order", "tracking_number");
    const value = fc.oneof(fc.string({ maxLength: 50 }), fc.constantFrom("0", "-1", "501", "1e3", "2024-01-01T00:00:00Z", "not-a-date", "%", "%00", "MXwy"));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("/v1/sources", "/v1/destinations", "/v1/events", "/v1/deliveries", "/v1/ingest-log"), fc.dictionary(param, value, { maxKeys: 4 }), async (path, query) => {
        const qs = Object.entries(query).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
        const r = await api("GET", `${path}?${qs}`, { token: key });
        expectSane(r, `GET ${path}?${qs}`);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("JSON nesting in management bodies", () => {
  it("a body nested deeper than 64 levels → 422 json_too_deep (never a stack overflow), on every body route", async () => {
    // Deep enough to overflow a recursive walk: a 256 KiB body holds ~50 000 levels.
    const depth = fc.integer({ min: 65, max: 50_000 });
    const field = fc.constantFrom("settings", "filter", "verification", "headers", "name");
    const open = fc.constantFrom('{"k":', "[");
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), depth, field, open, async ([method, name, path, token], n, key, opener) => {
        const close = opener === "[" ? "]" : "}";
        const raw = `{"name":"n","provider":"atoship","url":"https://erp.example.com/","${key}":${opener.repeat(n)}1${close.repeat(n)}}`;
        const r = await api(method, path(), { token: token(), raw, headers: { "content-type": "application/json" } });
        // Past 256 KiB the size limit answers first (413); either way a clean refusal.
        if (raw.length > 256 * 1024) expect(r.status).toBe(413);
        else {
          expect(r.status, `${method} ${name} ${key} nested ${n}: ${r.text}`).toBe(422);
          expect(r.json.error.code).toBe("json_too_deep");
        }
      }),
      { numRuns: 12 },
    );
  });
});
