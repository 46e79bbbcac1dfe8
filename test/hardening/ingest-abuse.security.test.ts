import { describe, expect, it } from "vitest";
import { mockEndpoint } from "../support/mock";
import { postIngest } from "../ingest/providers/helpers";
import { api, atoshipEvent, atoshipWorkspace, createDestination, createSource, createWorkspace, eventually, hmacHex, ingestPath, postAtoship } from "../support/relay";
import { isErrorEnvelope, rsaSigner } from "./helpers";

async function signedPost(source: { ingest_url: string; secret?: string }, raw: string, headers: Record<string, string> = {}) {
  return api("POST", ingestPath(source), {
    raw,
    headers: { "content-type": "application/json", "x-atoship-signature": `sha256=${await hmacHex(source.secret!, raw)}`, ...headers },
  });
}

async function lastLog(key: string, sourceId: string) {
  const r = await api("GET", `/v1/ingest-log?source=${sourceId}&limit=1`, { token: key });
  return r.json.data[0] as { result: string; reason: string | null; http_status: number };
}

describe("per-source IP allowlist (CF-Connecting-IP)", () => {
  it("admits listed IPv4 and IPv6 clients, IPv4-mapped addresses included, and refuses the rest with 403 and a log row", async () => {
    const { ws, key, source } = await atoshipWorkspace("allowlist");
    const r = await api("PATCH", `/v1/sources/${source.id}`, { token: ws.key, body: { ip_allowlist: ["203.0.113.0/24", "2001:db8:42::/48"] } });
    expect(r.status, r.text).toBe(200);
    expect(r.json.ip_allowlist).toEqual(["203.0.113.0/24", "2001:db8:42::/48"]);

    const cases: [string | null, number][] = [
      ["203.0.113.9", 200],
      ["::ffff:203.0.113.10", 200],
      ["2001:db8:42:1::7", 200],
      ["203.0.114.9", 403],
      ["2001:db8:43::1", 403],
      ["::ffff:198.51.100.1", 403],
      ["0203.0.113.9", 403], // not a canonical address: fail closed
      ["garbage", 403],
      [null, 403], // no client address at all
    ];
    let n = 0;
    for (const [ip, status] of cases) {
      const raw = JSON.stringify(atoshipEvent({ data: { order_id: `ord_ip_${n++}` } }));
      const res = await signedPost(source, raw, ip ? { "cf-connecting-ip": ip } : {});
      expect(res.status, `${ip}`).toBe(status);
      if (status === 403) {
        expect(res.json.error.code).toBe("ip_not_allowed");
        expect(await lastLog(key, source.id)).toMatchObject({ result: "rejected", reason: "ip_not_allowed", http_status: 403 });
      }
    }
  });

  it("refuses an invalid CIDR on save with 400 naming the entry", async () => {
    const { key } = await createWorkspace("allowlist-invalid");
    for (const bad of ["10.0.0.0/33", "example.com", "010.0.0.0/8", "2001:db8::/129", "1.2.3.4/"]) {
      const created = await api("POST", "/v1/sources", { token: key, body: { name: "s", provider: "atoship", ip_allowlist: ["10.0.0.0/8", bad] } });
      expect(created.status, bad).toBe(400);
      expect(created.json.error.code).toBe("invalid_request");
      expect(created.json.error.message).toMatch(/^ip_allowlist\.1: /);
    }
    const source = await createSource(key, { provider: "atoship" });
    const patched = await api("PATCH", `/v1/sources/${source.id}`, { token: key, body: { ip_allowlist: ["::/0", "fe80::1%eth0/64"] } });
    expect(patched.status).toBe(400);
    expect(patched.json.error.message).toMatch(/^ip_allowlist\.1: /);
  });
});

describe("per-source ingest rate limit", () => {
  it("is off unless the source sets one", async () => {
    const { source } = await atoshipWorkspace("no-rate-limit");
    for (let i = 0; i < 12; i++) {
      const res = await signedPost(source, JSON.stringify(atoshipEvent({ data: { order_id: `ord_free_${i}` } })));
      expect(res.status).toBe(200);
    }
  });

  it("answers 429 with Retry-After once a minute's allowance is spent, logs it, and delivers nothing for it", async () => {
    const { key, source } = await atoshipWorkspace("rate-limit");
    const endpoint = await mockEndpoint();
    await createDestination(key, { url: endpoint.url });
    const r = await api("PATCH", `/v1/sources/${source.id}`, { token: key, body: { rate_limit_per_minute: 3 } });
    expect(r.status).toBe(200);
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof signedPost>> | undefined;
    for (let i = 0; i < 5; i++) {
      const res = await signedPost(source, JSON.stringify(atoshipEvent({ data: { order_id: `ord_rl_${i}` } })));
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(limited!.json.error.code).toBe("rate_limited");
    expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await lastLog(key, source.id)).toMatchObject({ result: "rejected", reason: "rate_limited", http_status: 429 });
    const requests = await endpoint.waitForRequests(3);
    expect(requests).toHaveLength(3);
  });

  it("counts per source: another source of the same workspace is not limited", async () => {
    const { key, source } = await atoshipWorkspace("rate-limit-per-source");
    const other = await createSource(key, { provider: "atoship" });
    await api("PATCH", `/v1/sources/${source.id}`, { token: key, body: { rate_limit_per_minute: 1 } });
    expect((await signedPost(source, JSON.stringify(atoshipEvent({ data: { order_id: "a1" } })))).status).toBe(200);
    expect((await signedPost(source, JSON.stringify(atoshipEvent({ data: { order_id: "a2" } })))).status).toBe(429);
    expect((await signedPost(other, JSON.stringify(atoshipEvent({ data: { order_id: "b1" } })))).status).toBe(200);
  });
});

describe("request limits", () => {
  it("too many headers or too large headers → 431", async () => {
    const { key, source } = await atoshipWorkspace("headers");
    const raw = JSON.stringify(atoshipEvent());
    const many: Record<string, string> = {};
    for (let i = 0; i < 120; i++) many[`x-filler-${i}`] = "1";
    const tooMany = await signedPost(source, raw, many);
    expect(tooMany.status).toBe(431);
    expect(tooMany.json.error.code).toBe("headers_too_large");
    expect(await lastLog(key, source.id)).toMatchObject({ reason: "headers_too_large", http_status: 431 });
    const big = await signedPost(source, raw, { "x-filler": "a".repeat(40 * 1024) });
    expect(big.status).toBe(431);
    expect((await signedPost(source, raw, { "x-filler": "a".repeat(4 * 1024) })).status).toBe(200);
  });

  it("a body over 1 MiB → 413, declared or streamed", async () => {
    const { key, source } = await atoshipWorkspace("size");
    const raw = JSON.stringify({ ...atoshipEvent(), pad: "x".repeat(1024 * 1024) });
    const res = await signedPost(source, raw);
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe("payload_too_large");
    expect(await lastLog(key, source.id)).toMatchObject({ reason: "payload_too_large", http_status: 413 });
  });

  it("an unsupported content type → 415", async () => {
    const { source } = await atoshipWorkspace("content-type");
    const raw = JSON.stringify(atoshipEvent());
    for (const type of ["application/xml", "multipart/form-data; boundary=x", "application/octet-stream"]) {
      const res = await signedPost(source, raw, { "content-type": type });
      expect(res.status, type).toBe(415);
      expect(res.json.error.code).toBe("unsupported_content_type");
    }
  });

  it("JSON nested deeper than 64 levels → 422 json_too_deep; 64 levels is accepted", async () => {
    const { key, source } = await atoshipWorkspace("depth");
    const deep = (levels: number) => {
      let v: unknown = "leaf";
      for (let i = 0; i < levels; i++) v = { n: v };
      return v;
    };
    const tooDeep = JSON.stringify(atoshipEvent({ data: { order_id: "ord_deep", nested: deep(70) } }));
    const res = await signedPost(source, tooDeep);
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe("json_too_deep");
    expect(await lastLog(key, source.id)).toMatchObject({ reason: "json_too_deep", http_status: 422 });
    // A hostile one: 200 000 brackets. Refused just as cleanly, never a crash.
    const hostile = "[".repeat(200_000) + "]".repeat(200_000);
    expect((await signedPost(source, hostile)).status).toBe(422);
    const fine = JSON.stringify(atoshipEvent({ data: { order_id: "ord_deep_ok", nested: deep(60) } }));
    expect((await signedPost(source, fine)).status).toBe(200);
  });

  it("a body that is not JSON → 400 invalid_json, without echoing the body", async () => {
    const { source } = await atoshipWorkspace("not-json");
    const raw = '{"event": "label.created", "secret_looking": "s3cr3t-in-body" ';
    const res = await signedPost(source, raw);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("invalid_json");
    expect(res.text).not.toContain("s3cr3t-in-body");
  });

  it("every refusal is the contract's envelope", async () => {
    const { source } = await atoshipWorkspace("envelopes");
    const responses = [
      await api("POST", "/in/src_00000000000000000000000000", { raw: "{}", headers: { "content-type": "application/json" } }),
      await api("POST", "/in/not-a-source", { raw: "{}" }),
      await api("GET", ingestPath(source)),
      await api("POST", ingestPath(source), { raw: "{}", headers: { "content-type": "application/json", "x-atoship-signature": "sha256=00" } }),
      await api("POST", ingestPath(source), { raw: "{}", headers: { "content-type": "application/json" } }),
    ];
    expect(responses.map((r) => r.status)).toEqual([404, 404, 405, 401, 401]);
    for (const r of responses) expect(isErrorEnvelope(r.json), r.text).toBe(true);
  });
});

describe("replay window of timestamped signatures (ShipEngine RSA)", () => {
  it("accepts a fresh signature, refuses one outside ±5 min, and a replay inside the window is only a duplicate", async () => {
    const { key } = await createWorkspace("replay-window");
    const signer = await rsaSigner();
    const jwks = await mockEndpoint({ default: { status: 200, body: signer.jwks } });
    const endpoint = await mockEndpoint();
    await createDestination(key, { url: endpoint.url });
    const source = await createSource(key, { provider: "shipengine", verification: { type: "rsa_jwks", jwks_url: `${jwks.url}/jwks` } });
    const body = JSON.stringify({
      resource_url: "https://api.shipengine.com/v1/tracking?carrier_code=ups&tracking_number=1Z999",
      resource_type: "API_TRACK",
      data: { tracking_number: "1Z999", carrier_code: "ups", status_code: "IT", status_description: "In Transit", events: [] },
    });
    const post = async (timestamp: string) => api("POST", ingestPath(source), { raw: body, headers: await signer.headers(body, timestamp) });

    const stale = await post(new Date(Date.now() - 6 * 60_000).toISOString());
    expect(stale.status).toBe(401);
    expect(stale.json.error.code).toBe("timestamp_out_of_window");
    const future = await post(new Date(Date.now() + 6 * 60_000).toISOString());
    expect(future.status).toBe(401);
    expect(future.json.error.code).toBe("timestamp_out_of_window");
    expect(await lastLog(key, source.id)).toMatchObject({ result: "rejected", reason: "timestamp_out_of_window" });

    const timestamp = new Date().toISOString();
    const first = await post(timestamp);
    expect(first.status, first.text).toBe(200);
    // The captured request sent again (same signature, same timestamp) within the window.
    const replayed = await post(timestamp);
    expect(replayed.status).toBe(200);
    expect(first.json.event_ids).toHaveLength(1);
    expect(replayed.json).toMatchObject({ duplicate: true, event_ids: first.json.event_ids });
    expect(await endpoint.waitForRequests(1)).toHaveLength(1);
    const deliveries = await api("GET", `/v1/deliveries?event=${first.json.event_ids[0]}`, { token: key });
    expect(deliveries.json.data).toHaveLength(1);
  });
});

describe("refusals are folded: bounded rows whatever the flood (CONTRACT.md, Additions)", () => {
  it("30 forged callbacks in a minute leave one row with count 30, its first and last time, and a sample without secrets", async () => {
    const { key, source } = await atoshipWorkspace("fold-forged");
    const raw = JSON.stringify(atoshipEvent({ data: { order_id: "ord_fold" } }));
    const answers = [];
    for (let i = 0; i < 30; i++) {
      answers.push(await postIngest(ingestPath(source), raw, { headers: { "x-atoship-signature": `sha256=${"0".repeat(63)}${i % 10}`, authorization: "Bearer should-not-be-kept" } }));
    }
    expect(answers.every((a) => a.status === 401 && a.json.error.code === "invalid_signature")).toBe(true);
    const rows = await eventually(async () => {
      const log = await api("GET", `/v1/ingest-log?source=${source.id}`, { token: key });
      const rejected = log.json.data.filter((r: any) => r.reason === "invalid_signature");
      return rejected.reduce((n: number, r: any) => n + r.count, 0) === 30 ? rejected : undefined;
    });
    // One row per minute: a run that straddles a minute boundary leaves two.
    expect(rows.length).toBeLessThanOrEqual(2);
    for (const r of rows) {
      expect(Date.parse(r.last_at)).toBeGreaterThanOrEqual(Date.parse(r.first_at));
      expect(r.first_at).toBe(r.at);
      expect(r.detail.headers["content-type"]).toBe("application/json");
      expect(JSON.stringify(r.detail)).not.toMatch(/should-not-be-kept|x-atoship-signature/);
    }
  });

  it("an accepted request keeps its own row with count 1", async () => {
    const { key, source } = await atoshipWorkspace("fold-accepted");
    expect((await postAtoship(source, atoshipEvent({ data: { order_id: "ord_fold_ok" } }))).status).toBe(200);
    const [row] = (await api("GET", `/v1/ingest-log?source=${source.id}`, { token: key })).json.data;
    expect(row).toMatchObject({ result: "accepted", count: 1 });
    expect(row.last_at).toBe(row.first_at);
  });
});
