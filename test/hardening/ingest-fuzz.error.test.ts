import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { PROVIDERS, type ProviderName } from "../../src/events/canonical";
import aftershipUpdate from "../fixtures/aftership/tracking_update.json";
import atoshipLabel from "../fixtures/atoship/label.created.json";
import easypostTracker from "../fixtures/easypost/tracker.updated.json";
import easypostBatch from "../fixtures/easypost/batch.updated.json";
import shipedgeShipped from "../fixtures/shipedge/orders.shipped_v2.json";
import shipedgeInventory from "../fixtures/shipedge/inventory.corrections_v2.json";
import shipengineTrack from "../fixtures/shipengine/track_event_v2.json";
import shipengineLabel from "../fixtures/shipengine/label_created_v2.json";
import shippyproTracking from "../fixtures/shippypro/tracking_update.json";
import shippyproShipped from "../fixtures/shippypro/order_shipped.json";
import shipstationNotify from "../fixtures/shipstation/ship_notify.json";
import shipupTracker from "../fixtures/shipup/tracker.events.new.json";
import shipupPing from "../fixtures/shipup/livemode_ping.json";
import { mockEndpoint } from "../support/mock";
import { api, createSource, createWorkspace, ingestPath, type ApiResponse } from "../support/relay";
import { isErrorEnvelope, rsaSigner } from "./helpers";

/**
 * Route-level properties of ingest, for every provider's source with its own proof of
 * origin: any JSON body, properly signed, is answered 200 (a body the adapter cannot read
 * is kept as provider.unmapped, CONTRACT.md), never a 5xx; the same bodies unsigned are
 * refused 401 in the envelope. (Adapter-level properties live with the adapters.)
 */
const RUNS = 25;

const unwrap = (f: { body?: unknown }) => f.body ?? f;
const FIXTURES: Record<ProviderName, unknown[]> = {
  aftership: [unwrap(aftershipUpdate)],
  atoship: [unwrap(atoshipLabel), { type: "label.created", data: { label_id: "l", tracking_number: "t" } }],
  easypost: [unwrap(easypostTracker), unwrap(easypostBatch)],
  shipedge: [unwrap(shipedgeShipped), unwrap(shipedgeInventory)],
  shipengine: [unwrap(shipengineTrack), unwrap(shipengineLabel)],
  shippypro: [unwrap(shippyproTracking), unwrap(shippyproShipped)],
  shipstation: [unwrap(shipstationNotify)],
  shipup: [unwrap(shipupTracker), unwrap(shipupPing)],
  generic: [{ type: "order.shipped", id: "g-1", order: { reference: "R-1" }, shipment: { tracking_number: "T1", carrier: "ups" } }],
};

/** Every path of a JSON value (objects and arrays), to mutate one of them. */
function pathsOf(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) pathsOf(v, [...prefix, Array.isArray(value) ? Number(k) : k], out);
  }
  return out;
}

function setPath(value: unknown, path: (string | number)[], next: unknown): unknown {
  if (path.length === 0) return next;
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  copy[path[0]!] = setPath(copy[path[0]!], path.slice(1), next);
  return copy;
}

/** A provider's real payload with a few values replaced by random JSON (type confusion, nulls, huge strings). */
const mutated = (provider: ProviderName) =>
  fc
    .tuple(
      fc.constantFrom(...FIXTURES[provider]),
      fc.array(fc.tuple(fc.nat(), fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom<unknown>(null, "", "x".repeat(20_000), -1, 1e308, [], {}, "2024-13-45T99:99:99Z"))), {
        minLength: 1,
        maxLength: 4,
      }),
    )
    .map(([fixture, edits]) => {
      let body = fixture;
      for (const [n, value] of edits) {
        const paths = pathsOf(body);
        body = setPath(body, paths[n % paths.length]!, value);
      }
      return body;
    });

const bodyFor = (provider: ProviderName) => fc.oneof({ weight: 2, arbitrary: mutated(provider) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 6 }) });

interface Poster {
  signed(raw: string): Promise<ApiResponse>;
  unsigned(raw: string): Promise<ApiResponse>;
}

async function hmac(secret: string, message: string, encoding: string) {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret.normalize("NFKD")), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message)));
  return encoding === "base64" ? btoa(String.fromCharCode(...sig)) : [...sig].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const posters = {} as Record<ProviderName, Poster>;

beforeAll(async () => {
  const { key } = await createWorkspace("fuzz-ingest");
  const signer = await rsaSigner("fuzz-kid");
  const jwks = await mockEndpoint({ default: { status: 200, body: signer.jwks } });
  const json = { "content-type": "application/json" };
  for (const provider of PROVIDERS) {
    const source =
      provider === "shipengine"
        ? await createSource(key, { name: provider, provider, verification: { type: "rsa_jwks", jwks_url: `${jwks.url}/jwks` } })
        : await createSource(key, { name: provider, provider });
    const v = source.verification as { type: string; header?: string; prefix?: string; encoding?: string };
    const path = ingestPath(source);
    const bare = `/in/${source.id}`;
    let signed: Poster["signed"];
    if (v.type === "hmac") {
      signed = async (raw) => api("POST", path, { raw, headers: { ...json, [v.header!]: `${v.prefix ?? ""}${await hmac(source.secret!, raw, v.encoding!)}` } });
    } else if (v.type === "rsa_jwks") {
      signed = async (raw) => api("POST", path, { raw, headers: await signer.headers(raw, new Date().toISOString()) });
    } else if (v.type === "url_token") {
      expect(path).toMatch(/\?token=/);
      signed = async (raw) => api("POST", path, { raw, headers: json });
    } else throw new Error(`no signer for ${provider}'s ${v.type} preset`);
    posters[provider] = { signed, unsigned: async (raw) => api("POST", bare, { raw, headers: json }) };
  }
});

describe("ingest under random JSON, per provider, with valid proof of origin", () => {
  for (const provider of PROVIDERS) {
    it(`${provider}: 200 for every JSON body, never a 5xx; unsigned → 401 in the envelope`, async () => {
      await fc.assert(
        fc.asyncProperty(bodyFor(provider), async (body) => {
          const raw = JSON.stringify(body);
          const r = await posters[provider].signed(raw);
          expect(r.status, `${provider} ${raw.slice(0, 400)} → ${r.text.slice(0, 300)}`).toBe(200);
          expect(r.json.ok).toBe(true);
          expect(Array.isArray(r.json.event_ids)).toBe(true);
        }),
        { numRuns: RUNS },
      );
      await fc.assert(
        fc.asyncProperty(bodyFor(provider), async (body) => {
          const r = await posters[provider].unsigned(JSON.stringify(body));
          expect(r.status).toBe(401);
          expect(isErrorEnvelope(r.json), r.text).toBe(true);
        }),
        { numRuns: 5 },
      );
    });
  }

  it("non-JSON and odd bodies, signed: 4xx in the envelope or 200, never 5xx", async () => {
    const odd = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.constantFrom("", "null", "0", '""', "[]", "{}", "{", "\ufeff{}", '{"a":1}{"b":2}', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', "1e999"),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PROVIDERS), odd, async (provider, raw) => {
        const r = await posters[provider].signed(raw);
        expect(r.status, `${provider} ${JSON.stringify(raw)} → ${r.text.slice(0, 300)}`).toBeLessThan(500);
        if (r.status !== 200) expect(isErrorEnvelope(r.json), r.text).toBe(true);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it("a body just under the 1 MiB limit is stored, not refused with a 5xx the provider would retry forever", async () => {
    const raw = JSON.stringify({ event: "label.created", data: { label_id: "big", tracking_number: "T-big", notes: "n".repeat(1024 * 1024 - 200) } });
    expect(raw.length).toBeLessThan(1024 * 1024);
    const r = await posters.atoship.signed(raw);
    expect(r.status, r.text).toBeLessThan(500);
  });
});
