import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, atoshipEvent, createSource, createWorkspace, hmacBase64, hmacHex, ingestPath, postAtoship } from "../../support/relay";

const JSON_HEADERS = { "content-type": "application/json" };
const canonicalBody = (ref = "ORD-1") => JSON.stringify({ type: "order.shipped", order: { reference: ref } });

async function ingestLog(key: string, sourceId: string) {
  const r = await api("GET", `/v1/ingest-log?source=${sourceId}`, { token: key });
  return r.json.data as { result: string; reason: string | null; event_id: string | null }[];
}

async function deliveriesFor(sourceId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM events WHERE source_id = ?").bind(sourceId).first<{ n: number }>();
  return row!.n;
}

describe("hmac verification", () => {
  it("accepts a good hex signature with the configured prefix", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, {
      provider: "generic",
      verification: { type: "hmac", header: "x-signature", algorithm: "sha256", encoding: "hex", prefix: "sha256=", secret: "s3cret" },
    });
    const body = canonicalBody();
    const r = await api("POST", ingestPath(src), { raw: body, headers: { ...JSON_HEADERS, "x-signature": `sha256=${await hmacHex("s3cret", body)}` } });
    expect(r.status, r.text).toBe(200);
    expect(r.json.event_ids).toHaveLength(1);
  });

  it("accepts a base64 signature without a prefix", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, {
      provider: "generic",
      verification: { type: "hmac", header: "x-sig", encoding: "base64", secret: "b64-secret" },
    });
    const body = canonicalBody();
    const r = await api("POST", ingestPath(src), { raw: body, headers: { ...JSON_HEADERS, "x-sig": await hmacBase64("b64-secret", body) } });
    expect(r.status, r.text).toBe(200);
  });

  it("refuses a forged signature with 401 invalid_signature, logs it, stores nothing", async () => {
    const { key, ...rest } = await createWorkspace();
    const src = await createSource(key, { provider: "atoship" });
    const body = JSON.stringify(atoshipEvent());
    const r = await api("POST", ingestPath(src), {
      raw: body.replace("9400", "9401"),
      headers: { ...JSON_HEADERS, "x-atoship-signature": `sha256=${await hmacHex(src.secret!, body)}` },
    });
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe("invalid_signature");
    expect(rest.id).toBeTruthy();
    const log = await ingestLog(key, src.id);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ result: "rejected", reason: "invalid_signature", event_id: null });
    expect(await deliveriesFor(src.id)).toBe(0);
  });

  it("refuses a signature made with another secret", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, { provider: "atoship" });
    const r = await postAtoship({ ingest_url: src.ingest_url, secret: "not-the-secret" }, atoshipEvent());
    expect(r.status).toBe(401);
  });

  it("refuses a missing signature with 401 missing_signature", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, { provider: "atoship" });
    const r = await postAtoship({ ingest_url: src.ingest_url }, atoshipEvent());
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe("missing_signature");
    expect((await ingestLog(key, src.id))[0]).toMatchObject({ result: "rejected", reason: "missing_signature" });
  });

  it("a replayed (identical) signed callback is acknowledged as a duplicate and stored once", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, { provider: "atoship" });
    const first = await postAtoship(src, atoshipEvent());
    const replay = await postAtoship(src, atoshipEvent());
    expect(first.json.duplicate).toBe(false);
    expect(replay.status).toBe(200);
    expect(replay.json).toMatchObject({ ok: true, duplicate: true, event_ids: first.json.event_ids });
    expect(await deliveriesFor(src.id)).toBe(1);
    const log = await ingestLog(key, src.id);
    expect(log.map((l) => l.result).sort()).toEqual(["accepted", "duplicate"]);
  });

  it("AtoShip: accepts the HMAC over the re-serialized JSON the seed's sender signs", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, { provider: "atoship" });
    const pretty = JSON.stringify(atoshipEvent(), null, 2);
    const compact = JSON.stringify(JSON.parse(pretty));
    const r = await api("POST", ingestPath(src), {
      raw: pretty,
      headers: { ...JSON_HEADERS, "x-atoship-signature": `sha256=${await hmacHex(src.secret!, compact)}` },
    });
    expect(r.status, r.text).toBe(200);
  });
});

describe("basic, header and url_token verification", () => {
  it("basic: good credentials pass; wrong and missing are refused", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, { provider: "generic", verification: { type: "basic", username: "ship", password: "pw" } });
    const auth = (u: string, p: string) => ({ ...JSON_HEADERS, authorization: `Basic ${btoa(`${u}:${p}`)}` });
    expect((await api("POST", ingestPath(src), { raw: canonicalBody(), headers: auth("ship", "pw") })).status).toBe(200);
    const wrong = await api("POST", ingestPath(src), { raw: canonicalBody(), headers: auth("ship", "nope") });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.code).toBe("invalid_credentials");
    const missing = await api("POST", ingestPath(src), { raw: canonicalBody(), headers: JSON_HEADERS });
    expect(missing.json.error.code).toBe("missing_credentials");
  });

  it("header: the exact value passes; another value or none is refused", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, { provider: "generic", verification: { type: "header", name: "x-api-key", value: "k-1" } });
    expect((await api("POST", ingestPath(src), { raw: canonicalBody(), headers: { ...JSON_HEADERS, "x-api-key": "k-1" } })).status).toBe(200);
    expect((await api("POST", ingestPath(src), { raw: canonicalBody(), headers: { ...JSON_HEADERS, "x-api-key": "k-2" } })).status).toBe(401);
    expect((await api("POST", ingestPath(src), { raw: canonicalBody(), headers: JSON_HEADERS })).status).toBe(401);
  });

  it("url_token: the token works in the query and as a path segment; a wrong or missing one is refused", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, { provider: "generic", verification: { type: "url_token" } });
    const token = new URL(src.ingest_url).searchParams.get("token")!;
    expect((await api("POST", ingestPath(src), { raw: canonicalBody("A"), headers: JSON_HEADERS })).status).toBe(200);
    expect((await api("POST", `/in/${src.id}/${token}`, { raw: canonicalBody("B"), headers: JSON_HEADERS })).status).toBe(200);
    const wrong = await api("POST", `/in/${src.id}?token=${token.slice(0, -1)}x`, { raw: canonicalBody(), headers: JSON_HEADERS });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.code).toBe("invalid_token");
    const missing = await api("POST", `/in/${src.id}`, { raw: canonicalBody(), headers: JSON_HEADERS });
    expect(missing.json.error.code).toBe("missing_token");
  });

  it("none: accepts unsigned callbacks when explicitly configured", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, { provider: "generic", verification: { type: "none" } });
    expect((await api("POST", ingestPath(src), { raw: canonicalBody(), headers: JSON_HEADERS })).status).toBe(200);
  });
});

describe("the ingest route's other refusals", () => {
  it("an unknown source is a JSON 404", async () => {
    const r = await api("POST", "/in/src_0000000000000000000000000a", { raw: "{}", headers: JSON_HEADERS });
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe("not_found");
    expect((await api("POST", "/in/not-an-id", { raw: "{}", headers: JSON_HEADERS })).status).toBe(404);
  });

  it("GET on an ingest URL is 405", async () => {
    const r = await api("GET", "/in/src_0000000000000000000000000a");
    expect(r.status).toBe(405);
    expect(r.json.error.code).toBe("method_not_allowed");
  });

  it("a body over 1 MiB is 413 and logged", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, { provider: "generic", verification: { type: "none" } });
    const big = JSON.stringify({ type: "order.shipped", data: { pad: "x".repeat(1024 * 1024 + 10) } });
    const r = await api("POST", ingestPath(src), { raw: big, headers: JSON_HEADERS });
    expect(r.status).toBe(413);
    expect(r.json.error.code).toBe("payload_too_large");
    expect((await ingestLog(key, src.id))[0]).toMatchObject({ result: "rejected", reason: "payload_too_large" });
  });

  it("an unsupported content type is 415", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, { provider: "generic", verification: { type: "none" } });
    const r = await api("POST", ingestPath(src), { raw: "<xml/>", headers: { "content-type": "application/xml" } });
    expect(r.status).toBe(415);
    expect((await ingestLog(key, src.id))[0]).toMatchObject({ result: "rejected", reason: "unsupported_content_type" });
  });

  it("a verified body that is not JSON is 400 invalid_json", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, { provider: "atoship" });
    const r = await postAtoship(src, "{not json");
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("invalid_json");
  });

  it("valid JSON the adapter cannot read is kept as provider.unmapped with data.parse_error", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, { provider: "atoship" });
    const r = await postAtoship(src, { hello: "world" });
    expect(r.status, r.text).toBe(200);
    const ev = await api("GET", `/v1/events/${r.json.event_ids[0]}`, { token: key });
    expect(ev.json.type).toBe("provider.unmapped");
    expect(ev.json.data.parse_error).toEqual(expect.any(String));
    expect(ev.json.data.payload).toEqual({ hello: "world" });
    expect(ev.json.raw).toEqual({ hello: "world" });
  });

  it("an unknown AtoShip event name is kept as provider.unmapped", async () => {
    const { key } = await createWorkspace();
    const src = await createSource(key, { provider: "atoship" });
    const r = await postAtoship(src, atoshipEvent({ event: "label.reprinted" }));
    const ev = await api("GET", `/v1/events/${r.json.event_ids[0]}`, { token: key });
    expect(ev.json.type).toBe("provider.unmapped");
    expect(ev.json.source).toMatchObject({ provider: "atoship", event: "label.reprinted" });
  });
});
