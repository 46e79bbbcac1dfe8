import { env, runInDurableObject, SELF } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SEALED_COLUMNS } from "../../src/db/sealed-columns";
import { resealSecrets } from "../../src/housekeeping/rekey";
import { orderShards } from "../../src/lib/config";
import { keyringFrom } from "../../src/lib/crypto";
import { sequencerName } from "../../src/orders/identity";
import type { OrderSequencer } from "../../src/orders/sequencer";
import { mockEndpoint } from "../support/mock";
import { api, ADMIN_TOKEN, atoshipEvent, createWorkspace, eventually, hmacBase64, hmacHex, ingestPath, type ApiResponse } from "../support/relay";
import { signIn } from "../support/dashboard";
import { callApp, captureConsole, dumpDatabase } from "./helpers";

/**
 * No secret ever comes back: not in an API read after creation, not in an error, not in a
 * log line, not in D1 in clear. Every secret here is a unique marker; the test does
 * everything a user and a provider would do with them, records every response and every
 * console line, and then searches all of it, and every row of every table, for each marker.
 */
const mark = (name: string) => `S3CR3T-${name}-${crypto.randomUUID().slice(0, 8)}`;

const secrets = {
  atoshipSecret: mark("atoship-hmac"),
  atoshipRotated: mark("atoship-rotated"),
  basicPassword: mark("basic-password"),
  headerValue: mark("header-value"),
  apiKey: mark("api-key"),
  apiSecret: mark("api-secret"),
  destHeader: mark("dest-header"),
  destPassword: mark("dest-password"),
  destToken: mark("dest-token"),
  invalidInput: mark("invalid-input"),
};
/** Secrets the relay generates and shows exactly once (create / rotate responses). */
const shownOnce: Record<string, string> = {};

const reads: ApiResponse[] = [];
const errors: ApiResponse[] = [];
let consoleCapture: ReturnType<typeof captureConsole>;

beforeAll(() => {
  consoleCapture = captureConsole();
});
afterAll(() => consoleCapture.restore());

function everySecret(): [string, string][] {
  return [...Object.entries(secrets), ...Object.entries(shownOnce), ["ADMIN_TOKEN", ADMIN_TOKEN], ["ENCRYPTION_KEY", env.ENCRYPTION_KEY]];
}

function expectNoSecretIn(where: string, text: string) {
  for (const [name, value] of everySecret()) {
    expect(text.includes(value), `${name} found in ${where}`).toBe(false);
    // Also the forms a careless log would use: base64 of basic credentials, URL-encoded.
    expect(text.includes(encodeURIComponent(value)), `${name} (url-encoded) found in ${where}`).toBe(false);
  }
}

describe("secrets at rest and in transit", () => {
  let key = "";
  let workspaceId = "";
  const ids = { atoship: "", basic: "", header: "", token: "", aftership: "", dest: "", dest2: "" };

  it("sets up sources and destinations with known secrets (the only responses allowed to show them)", async () => {
    const ws = await createWorkspace("secrets");
    key = ws.key;
    workspaceId = ws.id;
    shownOnce.workspaceKey = ws.key;
    const providerApi = await mockEndpoint({ routes: { "GET /webhooks": { status: 200, body: { webhooks: [] } }, "POST /webhooks/subscribe": { status: 200, body: { id: 4242 } } } });
    const endpoint = await mockEndpoint({ responses: [{ status: 500, body: "try again" }], default: { status: 200, body: { ok: true } } });

    const create = async (path: string, body: unknown) => {
      const r = await api("POST", path, { token: key, body });
      expect(r.status, r.text).toBe(201);
      return r.json;
    };
    ids.atoship = (await create("/v1/sources", { name: "a", provider: "atoship", verification: { secret: secrets.atoshipSecret } })).id;
    ids.basic = (await create("/v1/sources", { name: "b", provider: "generic", verification: { type: "basic", username: "relay", password: secrets.basicPassword } })).id;
    ids.header = (await create("/v1/sources", { name: "h", provider: "shipedge", verification: { type: "header", name: "x-shipedge-key", value: secrets.headerValue } })).id;
    const tokenSource = await create("/v1/sources", {
      name: "ss",
      provider: "shipstation",
      credentials: { api_key: secrets.apiKey, api_secret: secrets.apiSecret, api_base_url: providerApi.url },
    });
    ids.token = tokenSource.id;
    shownOnce.urlToken = new URL(tokenSource.ingest_url).searchParams.get("token")!;
    const generated = await create("/v1/sources", { name: "as", provider: "aftership" });
    ids.aftership = generated.id;
    shownOnce.aftershipSecret = generated.secret;

    const d1 = await create("/v1/destinations", {
      url: endpoint.url,
      headers: { "x-api-key": secrets.destHeader },
      auth: { type: "basic", username: "erp", password: secrets.destPassword },
      retry: { max_attempts: 3, schedule_seconds: [0] },
    });
    ids.dest = d1.id;
    shownOnce.signing1 = d1.signing_secret;
    const d2 = await create("/v1/destinations", { url: endpoint.url, auth: { type: "bearer", token: secrets.destToken }, status: "paused" });
    ids.dest2 = d2.id;
    shownOnce.signing2 = d2.signing_secret;

    const rotated = await api("POST", `/v1/destinations/${ids.dest}/rotate-secret`, { token: key });
    expect(rotated.status).toBe(200);
    shownOnce.signing1Rotated = rotated.json.signing_secret;
    const rotatedSource = await api("POST", `/v1/sources/${ids.atoship}/rotate-secret`, { token: key, body: { secret: secrets.atoshipRotated } });
    expect(rotatedSource.status).toBe(200);
    const rotatedBasic = await api("POST", `/v1/sources/${ids.basic}/rotate-secret`, { token: key });
    expect(rotatedBasic.status).toBe(200);
    shownOnce.basicRotated = rotatedBasic.json.secret;
    secrets.basicPassword = rotatedBasic.json.secret; // the one now in force

    // Registration with the provider, where the relay offers it (the URL token must stay masked).
    const register = await api("POST", `/v1/sources/${ids.token}/register`, { token: key, body: {} });
    if (register.status !== 404) {
      expect(register.status, register.text).toBe(200);
      reads.push(register);
      const subscribed = (await providerApi.requests()).find((r) => r.path === "/webhooks/subscribe");
      expect(subscribed?.body).toContain(shownOnce.urlToken); // the provider, and only it, is told the token
    }
  });

  it("uses them: verified and refused ingest, deliveries with custom headers and auth, test sends", async () => {
    const atoshipRaw = JSON.stringify(atoshipEvent({ data: { order_id: "ord_secret_1" } }));
    const post = (sourceId: string, raw: string, headers: Record<string, string>, query = "") =>
      api("POST", `/in/${sourceId}${query}`, { raw, headers: { "content-type": "application/json", ...headers } });

    expect((await post(ids.atoship, atoshipRaw, { "x-atoship-signature": `sha256=${await hmacHex(secrets.atoshipRotated, atoshipRaw)}` })).status).toBe(200);
    errors.push(await post(ids.atoship, atoshipRaw, { "x-atoship-signature": `sha256=${await hmacHex(secrets.atoshipSecret, atoshipRaw)}` }));
    const basic = (user: string, pw: string) => `Basic ${btoa(`${user}:${pw}`)}`;
    const generic = JSON.stringify({ type: "order.shipped", id: "g-1", order: { id: "o-1" } });
    expect((await post(ids.basic, generic, { authorization: basic("relay", secrets.basicPassword) })).status).toBe(200);
    errors.push(await post(ids.basic, generic, { authorization: basic("relay", secrets.basicPassword + "x") }));
    const shipedge = JSON.stringify({ event: "orders/shipped_v2", order: { order_number: "SE-1" } });
    expect((await post(ids.header, shipedge, { "x-shipedge-key": secrets.headerValue })).status).toBe(200);
    errors.push(await post(ids.header, shipedge, { "x-shipedge-key": "wrong" }));
    const pointer = JSON.stringify({ resource_url: "https://ssapi.shipstation.com/shipments?batchId=1", resource_type: "SHIP_NOTIFY" });
    expect((await post(ids.token, pointer, {}, `?token=${shownOnce.urlToken}`)).status).toBe(200);
    errors.push(await post(ids.token, pointer, {}, `?token=${shownOnce.urlToken}x`));
    const aftership = JSON.stringify({ event: "tracking_update", event_id: "e-1", msg: { tracking_number: "1Z1", slug: "ups", tag: "InTransit" }, ts: 1 });
    expect((await post(ids.aftership, aftership, { "aftership-hmac-sha256": await hmacBase64(shownOnce.aftershipSecret!, aftership) })).status).toBe(200);
    for (const e of errors) expect(e.status).toBe(401);

    // The first attempt fails (500), the retry succeeds: attempts are recorded both ways.
    const delivered = await eventually(async () => {
      const r = await api("GET", `/v1/deliveries?destination=${ids.dest}&status=succeeded`, { token: key });
      return r.json.data.length >= 5 ? r.json.data : undefined;
    }, 15_000);
    expect(delivered).toHaveLength(5);
    const test = await api("POST", `/v1/destinations/${ids.dest2}/test`, { token: key });
    expect(test.status).toBe(200);
    reads.push(test);
  });

  it("refuses invalid input without echoing it", async () => {
    const s = secrets.invalidInput;
    const bodies: [string, string, unknown][] = [
      ["PATCH", `/v1/destinations/${ids.dest}`, { headers: { "bad header name": s } }],
      ["PATCH", `/v1/destinations/${ids.dest}`, { status: s }],
      ["PATCH", `/v1/destinations/${ids.dest}`, { url: s }],
      ["PATCH", `/v1/destinations/${ids.dest}`, { auth: { type: "basic", username: s } }],
      ["PATCH", `/v1/destinations/${ids.dest}`, { auth: { type: s, token: s } }],
      ["PATCH", `/v1/destinations/${ids.dest}`, { timeout_ms: s }],
      ["POST", "/v1/destinations", { url: `https://user:${s}@example.com/` }],
      ["POST", "/v1/sources", { name: "x", provider: s, verification: { secret: s } }],
      ["POST", "/v1/sources", { name: "x", provider: "easypost", verification: { type: "basic", username: "u", password: [s] } }],
      ["POST", "/v1/sources", { name: "x", provider: "atoship", verification: { type: "hmac", header: "x", algorithm: s, secret: s } }],
      ["POST", "/v1/sources", { name: "x", provider: "easypost", credentials: { api_key: s, api_base_url: s } }],
      ["PATCH", `/v1/sources/${ids.atoship}`, { ip_allowlist: [s] }],
      ["POST", `/v1/sources/${ids.dest}/rotate-secret`, { secret: s }],
    ];
    for (const [method, path, body] of bodies) {
      const r = await api(method, path, { token: key, body });
      expect(r.status, `${method} ${path} ${r.text}`).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      errors.push(r);
    }
    errors.push(await api("POST", "/v1/sources", { token: key, raw: `{"name": "${s}", `, headers: { "content-type": "application/json" } }));
    errors.push(await api("GET", "/v1/sources", { token: s }));
    errors.push(await api("POST", "/v1/workspaces", { token: s, body: { name: "x" } }));
    for (const e of errors.slice(-3)) expect(e.status).toBeGreaterThanOrEqual(400);
  });

  it("fails inside (D1 refusing writes, a commit fault) without logging or answering a secret", async () => {
    // Real D1 failures: triggers make the writes that carry sealed secrets fail.
    await env.DB.prepare("CREATE TRIGGER refuse_source_update BEFORE UPDATE ON sources BEGIN SELECT RAISE(ABORT, 'refused by test'); END").run();
    await env.DB.prepare("CREATE TRIGGER refuse_destination_insert BEFORE INSERT ON destinations BEGIN SELECT RAISE(ABORT, 'refused by test'); END").run();
    try {
      const r1 = await api("PATCH", `/v1/sources/${ids.atoship}`, { token: key, body: { verification: { secret: secrets.invalidInput } } });
      const r2 = await api("POST", "/v1/destinations", { token: key, body: { url: "https://erp.example.com/", headers: { "x-k": secrets.invalidInput }, auth: { type: "bearer", token: secrets.invalidInput } } });
      for (const r of [r1, r2]) {
        expect(r.status).toBe(500);
        errors.push(r);
      }
    } finally {
      await env.DB.prepare("DROP TRIGGER refuse_source_update").run();
      await env.DB.prepare("DROP TRIGGER refuse_destination_insert").run();
    }
    // D1 refusing the outbox's flush on the ingest path: the event is held in its order
    // object (the provider got its 200), and the failure is logged without a secret.
    await env.DB.prepare("CREATE TRIGGER refuse_event_insert BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'refused by test'); END").run();
    const order = env.ORDERS.get(env.ORDERS.idFromName(sequencerName(workspaceId, "order:ord_secret_fail", "", orderShards(env))));
    try {
      const raw = JSON.stringify(atoshipEvent({ data: { order_id: "ord_secret_fail" } }));
      const r = await SELF.fetch(`http://relay.test/in/${ids.atoship}`, {
        method: "POST",
        body: raw,
        headers: { "content-type": "application/json", "x-atoship-signature": `sha256=${await hmacHex(secrets.atoshipRotated, raw)}` },
      });
      expect(r.status).toBe(200);
      await eventually(async () => consoleCapture.lines.some((l) => l.includes("refused by test")));
    } finally {
      await env.DB.prepare("DROP TRIGGER refuse_event_insert").run();
    }
    await order.flushNow();
    // A commit failure inside the order object's own write answers 503.
    await runInDurableObject(order, (instance: OrderSequencer) => {
      instance.fault = "commit";
    });
    const raw = JSON.stringify(atoshipEvent({ event: "order.fulfilled", data: { order_id: "ord_secret_fail" } }));
    const failed = await api("POST", `/in/${ids.atoship}`, {
      raw,
      headers: { "content-type": "application/json", "x-atoship-signature": `sha256=${await hmacHex(secrets.atoshipRotated, raw)}` },
    });
    expect(failed.status).toBe(503);
    errors.push(failed);
    expect(consoleCapture.lines.some((l) => l.includes("refused by test"))).toBe(true);
  });

  it("no API read, list or error response shows a secret", async () => {
    const doc = await api("GET", "/v1/openapi.json", { token: key });
    const idsByCollection: Record<string, string[]> = {
      sources: [ids.atoship, ids.basic, ids.header, ids.token, ids.aftership],
      destinations: [ids.dest, ids.dest2],
    };
    for (const [collection, field] of [["events", "id"], ["deliveries", "id"]] as const) {
      const list = await api("GET", `/v1/${collection}?limit=500`, { token: key });
      idsByCollection[collection] = list.json.data.map((d: Record<string, string>) => d[field]);
    }
    for (const [path, ops] of Object.entries(doc.json.paths as Record<string, Record<string, unknown>>)) {
      if (!("get" in ops) || path === "/v1/openapi.json") continue;
      const collection = path.split("/")[2]!;
      const targets = path.includes("{") ? (idsByCollection[collection] ?? []).map((id) => path.replace(/\{[^}]+\}/, id)) : [`${path}?limit=500`];
      for (const target of targets) {
        const r = await api("GET", target, { token: key });
        expect(r.status, `${target}: ${r.text}`).toBeLessThan(500);
        reads.push(r);
      }
    }
    expect(reads.length).toBeGreaterThan(15);
    for (const r of reads) expectNoSecretIn(`a read (${r.status}) ${r.text.slice(0, 200)}`, r.text);
    for (const r of errors) {
      expect(r.json?.error, r.text).toBeDefined();
      expectNoSecretIn(`an error ${r.status} ${r.text.slice(0, 200)}`, r.text);
    }
    // The dashboard renders the same objects for people.
    const cookie = await signIn(key);
    const pages = ["/dashboard", ...idsByCollection.events!.map((id) => `/dashboard/events/${id}`)];
    for (const p of pages) {
      const page = await api("GET", p, { headers: { cookie } });
      expect(page.status, p).toBe(200);
      expectNoSecretIn(`the dashboard page ${p}`, page.text);
    }
  });

  it("D1 holds no secret in clear: every secret column is AES-GCM ciphertext", async () => {
    const dump = await dumpDatabase();
    expectNoSecretIn("D1", dump);
    const { results } = await env.DB.prepare("SELECT secret_enc, credentials_enc FROM sources").all<Record<string, string | null>>();
    for (const row of results) for (const v of Object.values(row)) if (v !== null) expect(v).toMatch(/^v1\.[0-9a-f]{8}\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/);
    const workspaceRows = await env.DB.prepare("SELECT api_key_hash FROM workspaces").all<{ api_key_hash: string }>();
    for (const row of workspaceRows.results) expect(row.api_key_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("no console line of the Worker shows a secret", () => {
    expect(consoleCapture.lines.length).toBeGreaterThan(0); // something was logged and captured
    for (const line of consoleCapture.lines) expectNoSecretIn(`a log line: ${line.slice(0, 200)}`, line);
  });
});

describe("encryption key rotation", () => {
  const keyA = env.ENCRYPTION_KEY;
  const keyB = btoa(String.fromCharCode(...new Uint8Array(32).fill(0x2b)));
  const keyC = btoa(String.fromCharCode(...new Uint8Array(32).fill(0x2c)));
  const rotating = { ENCRYPTION_KEY: keyB, ENCRYPTION_KEY_PREVIOUS: keyA };
  const rotated = { ENCRYPTION_KEY: keyB };

  async function sealedValues(): Promise<string[]> {
    const out: string[] = [];
    for (const [table, columns] of Object.entries(SEALED_COLUMNS)) {
      const { results } = await env.DB.prepare(`SELECT ${columns.join(", ")} FROM ${table}`).all<Record<string, string | null>>();
      for (const row of results) for (const v of Object.values(row)) if (v) out.push(v);
    }
    return out;
  }

  it("re-encrypts every secret under the new key in bounded runs; everything keeps working without the old key", async () => {
    const ringA = (await keyringFrom(keyA))!;
    const ringB = (await keyringFrom(keyB))!;
    const { key } = await createWorkspace("rotation");
    const hmacSecret = mark("rotation-hmac");
    const source = await api("POST", "/v1/sources", { token: key, body: { name: "a", provider: "atoship", verification: { secret: hmacSecret } } });
    const endpoint = await mockEndpoint();
    const dest = await api("POST", "/v1/destinations", { token: key, body: { url: endpoint.url, headers: { "x-api-key": mark("rot-header") }, auth: { type: "bearer", token: mark("rot-token") } } });
    expect(dest.status).toBe(201);
    expect((await sealedValues()).some((v) => v.startsWith(`v1.${ringA.current.id}.`))).toBe(true);

    // During the rotation both keys open secrets: ingest verifies, the API reads.
    const raw = JSON.stringify(atoshipEvent({ data: { order_id: "ord_rotation" } }));
    const signed = { "content-type": "application/json", "x-atoship-signature": `sha256=${await hmacHex(hmacSecret, raw)}` };
    expect((await callApp("POST", ingestPath(source.json), { raw, headers: signed, env: rotating })).status).toBe(200);
    expect((await callApp("GET", `/v1/destinations/${dest.json.id}`, { token: key, env: rotating })).status).toBe(200);

    // The cron step, a few rows per run, until nothing is left under the old key.
    let runs = 0;
    let report;
    do {
      report = await resealSecrets({ ...env, ...rotating } as Env, { batchSize: 2, maxPerRun: 3 });
      runs++;
    } while (report.remaining > 0 && runs < 50);
    expect(runs).toBeGreaterThan(1);
    expect(report).toMatchObject({ remaining: 0, unreadable: 0 });
    expect(await resealSecrets({ ...env, ...rotating } as Env)).toEqual({ resealed: 0, remaining: 0, unreadable: 0 });
    const after = await sealedValues();
    expect(after.length).toBeGreaterThan(5);
    for (const v of after) expect(v.startsWith(`v1.${ringB.current.id}.`), v.slice(0, 12)).toBe(true);

    // Without the old key: still verifies, still reads, a new source seals with the new key.
    const raw2 = JSON.stringify(atoshipEvent({ data: { order_id: "ord_rotation_2" } }));
    const signed2 = { "content-type": "application/json", "x-atoship-signature": `sha256=${await hmacHex(hmacSecret, raw2)}` };
    expect((await callApp("POST", ingestPath(source.json), { raw: raw2, headers: signed2, env: rotated })).status).toBe(200);
    const read = await callApp("GET", `/v1/destinations/${dest.json.id}`, { token: key, env: rotated });
    expect(read.status).toBe(200);
    expect(read.json.headers).toEqual({ "x-api-key": "[redacted]" });
  });

  it("a secret sealed with a key the deployment does not have is reported, never overwritten", async () => {
    const ringC = (await keyringFrom(keyC))!;
    const { key } = await createWorkspace("rotation-unreadable");
    const created = await api("POST", "/v1/sources", { token: key, body: { name: "a", provider: "atoship", verification: { secret: "whatever-secret" } } });
    const { encryptJson } = await import("../../src/lib/crypto");
    const foreign = await encryptJson(ringC, { secret: "sealed-elsewhere" });
    await env.DB.prepare("UPDATE sources SET secret_enc = ?2 WHERE id = ?1").bind(created.json.id, foreign).run();
    const report = await resealSecrets({ ...env, ...rotating } as Env);
    expect(report.unreadable).toBe(1);
    const row = await env.DB.prepare("SELECT secret_enc FROM sources WHERE id = ?1").bind(created.json.id).first<{ secret_enc: string }>();
    expect(row!.secret_enc).toBe(foreign);
  });

  it("does nothing without ENCRYPTION_KEY_PREVIOUS, and fails loudly when it is set but unusable", async () => {
    expect(await resealSecrets(env)).toEqual({ resealed: 0, remaining: 0, unreadable: 0 });
    await expect(resealSecrets({ ...env, ENCRYPTION_KEY_PREVIOUS: "too-short" } as Env)).rejects.toThrow(/ENCRYPTION_KEY_PREVIOUS is set but/);
  });
});
