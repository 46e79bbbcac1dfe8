import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { processDelivery } from "../support/consumer";
import { mockEndpoint } from "../support/mock";
import { api, atoshipEvent, createDestination, postAtoship, verifyDelivery } from "../support/relay";
import { bodyOf, deliveriesOf, rig, sendEvent, waitForDelivery } from "./helpers";

describe("test send", () => {
  it("sends a livemode:false test.ping, signed, and answers 200 with the attempt", async () => {
    const r = await rig();
    const res = await api("POST", `/v1/destinations/${r.destination.id}/test`, { token: r.key });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status_code: 200, error: null, url: r.endpoint.url, response_body: '{"ok":true}' });
    expect(typeof res.json.duration_ms).toBe("number");
    expect(res.json.payload).toMatchObject({ type: "test.ping", livemode: false });

    const [req] = await r.endpoint.waitForRequests(1);
    const ping = verifyDelivery(req!, r.destination.signing_secret) as Record<string, unknown>;
    expect(ping).toMatchObject({ type: "test.ping", livemode: false, data: { destination_id: r.destination.id } });
    // The test appears in the log, marked as a test (issue #18): a finished test.ping delivery, never retried.
    expect(await deliveriesOf(r.key, r.destination.id)).toMatchObject([{ event_type: "test.ping", status: "succeeded", attempt_count: 1 }]);
  });

  it("still answers 200 when the endpoint fails, with the attempt saying how", async () => {
    const r = await rig({}, { responses: [{ status: 500, body: { boom: 1 } }, { close: true }] });
    const failed = await api("POST", `/v1/destinations/${r.destination.id}/test`, { token: r.key });
    expect(failed.status).toBe(200);
    expect(failed.json).toMatchObject({ status_code: 500, error: "HTTP 500", response_body: '{"boom":1}' });
    const unreachable = await api("POST", `/v1/destinations/${r.destination.id}/test`, { token: r.key });
    expect(unreachable.status).toBe(200);
    expect(unreachable.json.status_code).toBeNull();
    expect(unreachable.json.error).toMatch(/^connection error/);
  });
});

describe("verify: true", () => {
  it("refuses to save (422) unless the endpoint acknowledges a test event with 2xx", async () => {
    const r = await rig();
    const refusing = await mockEndpoint({ default: { status: 500 } });
    const res = await api("POST", "/v1/destinations", { token: r.key, body: { url: refusing.url, verify: true } });
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe("endpoint_unverified");
    expect(res.json.error.message).toMatch(/answered 500/);
    expect(bodyOf((await refusing.requests())[0]!)).toMatchObject({ type: "test.ping", livemode: false });
    const list = await api("GET", "/v1/destinations", { token: r.key });
    expect(list.json.data.map((d: { url: string }) => d.url)).not.toContain(refusing.url);

    const accepting = await mockEndpoint();
    const ok = await api("POST", "/v1/destinations", { token: r.key, body: { url: accepting.url, verify: true } });
    expect(ok.status).toBe(201);
    expect(await accepting.requests()).toHaveLength(1);

    // The same check guards an update that moves the destination to a refusing URL.
    const moved = await api("PATCH", `/v1/destinations/${ok.json.id}`, { token: r.key, body: { url: refusing.url, verify: true } });
    expect(moved.status).toBe(422);
  });
});

describe("stats", () => {
  it("counts every attempt (each retry), successes and failures, with durations", async () => {
    const r = await rig({ retry: { max_attempts: 3, schedule_seconds: [0] } }, { responses: [{ status: 500 }, { status: 500 }], default: { status: 200 } });
    const empty = await api("GET", `/v1/destinations/${r.destination.id}/stats`, { token: r.key });
    expect(empty.json).toEqual({
      trigger_count: 0, success_count: 0, failure_count: 0, last_triggered_at: null, last_success_at: null, p50_ms: null, p95_ms: null,
    });

    const eventId = await sendEvent(r);
    const d = await waitForDelivery(r.key, r.destination.id, eventId, "succeeded");
    const stats = await api("GET", `/v1/destinations/${r.destination.id}/stats`, { token: r.key });
    expect(stats.status).toBe(200);
    expect(stats.json).toMatchObject({ trigger_count: 3, success_count: 1, failure_count: 2 });
    expect(stats.json.last_success_at).toBe(d.attempts![2]!.at);
    expect(stats.json.last_triggered_at).toBe(d.attempts![2]!.at);
    const durations = d.attempts!.map((a) => a.duration_ms).sort((a, b) => a - b);
    expect(stats.json.p50_ms).toBe(durations[1]);
    expect(stats.json.p95_ms).toBe(durations[2]);
  });
});

describe("delivery body options", () => {
  it("include_raw adds the provider's original payload; format v1 is the canonical event", async () => {
    const r = await rig({ include_raw: true, format: "v1" });
    expect(r.destination).toMatchObject({ include_raw: true, format: "v1" });
    const payload = atoshipEvent({ data: { label_id: "lbl_raw_1" } });
    const res = await postAtoship(r.source, payload);
    expect(res.status).toBe(200);
    const [req] = await r.endpoint.waitForRequests(1);
    const body = bodyOf(req!);
    expect(body.raw).toEqual(payload);
    expect(body).toMatchObject({ id: res.json.event_ids[0], type: "label.created", shipment: { label_id: "lbl_raw_1" } });

    const plain = await mockEndpoint();
    await createDestination(r.key, { url: plain.url });
    await sendEvent(r);
    const [plainReq] = await plain.waitForRequests(1);
    expect(bodyOf(plainReq!).raw).toBeUndefined();
  });

  it("refuses a format that does not exist", async () => {
    const r = await rig();
    const res = await api("POST", "/v1/destinations", { token: r.key, body: { url: r.endpoint.url, format: "v2" } });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toMatch(/^format/);
  });
});

describe("payload filter", () => {
  it("sends only events whose canonical fields match", async () => {
    const r = await rig({ filter: { "shipment.carrier": ["ups", "fedex"] } });
    const usps = await sendEvent(r, { carrier: "USPS" });
    const ups = await sendEvent(r, { carrier: "UPS" });
    await waitForDelivery(r.key, r.destination.id, ups, "succeeded");
    const reqs = await r.endpoint.requests();
    expect(reqs.map((q) => bodyOf(q).id)).toEqual([ups]);
    expect(await deliveriesOf(r.key, r.destination.id, `&event=${usps}`)).toHaveLength(0);
  });
});

describe("backup URL", () => {
  it("sends the same attempt to the backup at once when the primary answers 5xx or cannot be reached", async () => {
    const backup = await mockEndpoint();
    const r = await rig({ backup_url: backup.url, retry: { max_attempts: 1 } }, { responses: [{ status: 503 }, { close: true }] });
    const first = await sendEvent(r);
    const d1 = await waitForDelivery(r.key, r.destination.id, first, "succeeded");
    expect(d1.attempts).toHaveLength(1);
    expect(d1.attempts![0]).toMatchObject({ attempt: 1, url: backup.url, status_code: 200, error: null });
    const second = await sendEvent(r);
    const d2 = await waitForDelivery(r.key, r.destination.id, second, "succeeded");
    expect(d2.attempts![0]!.url).toBe(backup.url);

    const [viaPrimary] = await r.endpoint.waitForRequests(2);
    const backupReqs = await backup.requests();
    expect(backupReqs).toHaveLength(2);
    // The same message: same webhook-id and attempt number as the primary got.
    expect(backupReqs[0]!.headers["webhook-id"]).toBe(viaPrimary!.headers["webhook-id"]);
    expect(backupReqs[0]!.headers["webhook-attempt"]).toBe("1");
  });

  it("is not used for a 4xx, and records the primary's answer", async () => {
    const backup = await mockEndpoint();
    const r = await rig({ backup_url: backup.url, retry: { max_attempts: 1 } }, { default: { status: 400 } });
    const eventId = await sendEvent(r);
    const d = await waitForDelivery(r.key, r.destination.id, eventId, "failed");
    expect(d.attempts![0]).toMatchObject({ url: r.endpoint.url, status_code: 400 });
    expect(await backup.requests()).toHaveLength(0);
  });

  it("records both failures when the backup fails too", async () => {
    const backup = await mockEndpoint({ default: { status: 502 } });
    const r = await rig({ backup_url: backup.url, retry: { max_attempts: 1 } }, { default: { status: 500 } });
    const eventId = await sendEvent(r);
    const d = await waitForDelivery(r.key, r.destination.id, eventId, "failed");
    expect(d.attempts![0]).toMatchObject({ url: backup.url, status_code: 502, error: "HTTP 502 (primary: HTTP 500)" });
  });
});

describe("client certificates (mTLS)", () => {
  it("refuses a binding this Worker does not have, or a name that is not an MTLS_ binding", async () => {
    const r = await rig();
    const missing = await api("POST", "/v1/destinations", { token: r.key, body: { url: r.endpoint.url, mtls_certificate: "MTLS_ACME" } });
    expect(missing.status).toBe(400);
    expect(missing.json.error.message).toBe("mtls_certificate: this Worker has no mtls_certificates binding named MTLS_ACME");
    // Never any other binding, even one that can fetch.
    const other = await api("POST", "/v1/destinations", { token: r.key, body: { url: r.endpoint.url, mtls_certificate: "DB" } });
    expect(other.status).toBe(400);
    expect(other.json.error.message).toMatch(/^mtls_certificate: must name/);
  });

  it("sends through the named binding's fetch, and fails the attempt visibly if the binding is gone", async () => {
    // mTLS bindings exist only on Cloudflare (Miniflare has no local simulator), so this stands
    // one in: a binding-shaped object whose fetch passes through to the loopback endpoint and
    // notes that it was used. Everything else — D1, the queue message, signing — is real.
    const r = await rig({ status: "paused", retry: { max_attempts: 2, schedule_seconds: [3600] } });
    const used: string[] = [];
    const MTLS_TEST = { fetch: (input: RequestInfo | URL, init?: RequestInit) => (used.push(String(input)), fetch(input, init)) };
    // Paused, so the event's delivery waits for us to run it by hand.
    const eventId = await sendEvent(r);
    const [pending] = await deliveriesOf(r.key, r.destination.id, `&event=${eventId}`);
    expect(pending!.status).toBe("pending");
    await env.DB.prepare("UPDATE destinations SET status = 'active', mtls_certificate = 'MTLS_TEST' WHERE id = ?1").bind(r.destination.id).run();

    // Without the binding: a clear failure, nothing sent without the certificate.
    expect(await processDelivery(env, { delivery_id: pending!.id, attempt: 1 })).toBe("sent");
    const failed = await waitForDelivery(r.key, r.destination.id, eventId, "retrying");
    expect(failed.attempts![0]!.error).toBe("mTLS certificate binding MTLS_TEST is not configured on this Worker");
    expect(await r.endpoint.requests()).toHaveLength(0);

    const withCert = { ...env, MTLS_TEST } as unknown as Env;
    expect(await processDelivery(withCert, { delivery_id: pending!.id, attempt: 2 }, Date.parse(failed.next_attempt_at!))).toBe("sent");
    expect(used).toEqual([r.endpoint.url]);
    expect(await r.endpoint.waitForRequests(1)).toHaveLength(1);
    expect((await waitForDelivery(r.key, r.destination.id, eventId, "succeeded")).attempt_count).toBe(2);
  });
});
