import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { processDelivery } from "../support/consumer";
import { mockEndpoint } from "../support/mock";
import { api, atoshipEvent, atoshipWorkspace, createDestination, createSource, createWorkspace, ingestPath, postAtoship, waitForDeliveryStatus } from "../support/relay";
import { callApp, rsaSigner, SECURE_ENV } from "./helpers";

const PRIVATE_URLS = [
  "https://127.0.0.1/hook",
  "https://localhost/hook",
  "https://169.254.169.254/latest/meta-data/",
  "https://[::ffff:169.254.169.254]/",
  "https://[::1]/",
  "https://0x7f000001/",
  "https://10.1.2.3/",
  "https://metadata.google.internal/",
  "https://db.internal./",
  "https://10-0-0-1.sslip.io/",
];

describe("outbound SSRF rule on save (ALLOW_INSECURE_DESTINATIONS off)", () => {
  it("refuses private, local and http destination URLs with 400 naming the field, and saves public https ones", async () => {
    const { key } = await createWorkspace("ssrf");
    for (const url of [...PRIVATE_URLS, "http://erp.example.com/hooks"]) {
      const r = await callApp("POST", "/v1/destinations", { token: key, body: { url }, env: SECURE_ENV });
      expect(r.status, url).toBe(400);
      expect(r.json.error.code).toBe("invalid_request");
      expect(r.json.error.message).toMatch(/^url: /);
    }
    const backup = await callApp("POST", "/v1/destinations", {
      token: key,
      body: { url: "https://erp.example.com/hooks", backup_url: "https://192.168.0.10/" },
      env: SECURE_ENV,
    });
    expect(backup.status).toBe(400);
    expect(backup.json.error.message).toMatch(/^backup_url: /);

    const ok = await callApp("POST", "/v1/destinations", { token: key, body: { url: "https://erp.example.com/hooks", status: "paused" }, env: SECURE_ENV });
    expect(ok.status, ok.text).toBe(201);
    const patched = await callApp("PATCH", `/v1/destinations/${ok.json.id}`, { token: key, body: { url: "https://[fd00::1]/" }, env: SECURE_ENV });
    expect(patched.status).toBe(400);
    expect(patched.json.error.message).toMatch(/^url: /);
    const still = await api("GET", `/v1/destinations/${ok.json.id}`, { token: key });
    expect(still.json.url).toBe("https://erp.example.com/hooks");
  });

  it("refuses private provider API bases and JWKS URLs on sources", async () => {
    const { key } = await createWorkspace("ssrf-sources");
    const creds = await callApp("POST", "/v1/sources", {
      token: key,
      body: { name: "ss", provider: "shipstation", credentials: { api_key: "k", api_secret: "s", api_base_url: "https://169.254.169.254/" } },
      env: SECURE_ENV,
    });
    expect(creds.status).toBe(400);
    expect(creds.json.error.message).toMatch(/^credentials\.api_base_url: /);
    const jwks = await callApp("POST", "/v1/sources", {
      token: key,
      body: { name: "se", provider: "shipengine", verification: { type: "rsa_jwks", jwks_url: "https://localhost/jwks" } },
      env: SECURE_ENV,
    });
    expect(jwks.status).toBe(400);
    expect(jwks.json.error.message).toMatch(/^verification\.jwks_url: /);
  });
});

describe("outbound SSRF rule at send time", () => {
  it("a destination saved while the rule was off is refused when sent with it on: no request leaves", async () => {
    const { key, source } = await atoshipWorkspace("ssrf-send");
    const endpoint = await mockEndpoint();
    const dest = await createDestination(key, { url: endpoint.url, status: "paused" });
    const res = await postAtoship(source, atoshipEvent({ data: { order_id: "ord_ssrf_send" } }));
    expect(res.status).toBe(200);
    const delivery = (await api("GET", `/v1/deliveries?destination=${dest.id}`, { token: key })).json.data[0];
    expect(delivery.status).toBe("pending");
    // Re-activate without the drain, then run the consumer as production would.
    await env.DB.prepare("UPDATE destinations SET status = 'active' WHERE id = ?1").bind(dest.id).run();
    const outcome = await processDelivery({ ...env, ...SECURE_ENV } as Env, { delivery_id: delivery.id, attempt: 1 });
    expect(outcome).toBe("sent");
    const detail = await api("GET", `/v1/deliveries/${delivery.id}`, { token: key });
    expect(detail.json.attempts[0]).toMatchObject({ status_code: null });
    expect(detail.json.attempts[0].error).toMatch(/^refused: url must be an https URL/);
    expect(await endpoint.requests()).toHaveLength(0);
  });

  it("the test button refuses a private URL under the production rule", async () => {
    const { key } = await createWorkspace("ssrf-test-button");
    const endpoint = await mockEndpoint();
    const dest = await createDestination(key, { url: endpoint.url });
    const r = await callApp("POST", `/v1/destinations/${dest.id}/test`, { token: key, env: SECURE_ENV });
    expect(r.status).toBe(200);
    expect(r.json.status_code).toBeNull();
    expect(r.json.error).toMatch(/^refused: url /);
    expect(await endpoint.requests()).toHaveLength(0);
  });

  it("redirects are not followed: a 302 is a failed attempt and its target is never called", async () => {
    const { key, source } = await atoshipWorkspace("ssrf-redirect");
    const target = await mockEndpoint();
    const redirector = await mockEndpoint({ default: { status: 302, headers: { location: `${target.url}/stolen` }, body: "" } });
    const dest = await createDestination(key, { url: redirector.url, retry: { max_attempts: 1, schedule_seconds: [60] } });
    expect((await postAtoship(source, atoshipEvent({ data: { order_id: "ord_redirect" } }))).status).toBe(200);
    const failed = await waitForDeliveryStatus(key, dest.id, "failed");
    const detail = await api("GET", `/v1/deliveries/${failed.id}`, { token: key });
    expect(detail.json.attempts).toHaveLength(1);
    expect(detail.json.attempts[0]).toMatchObject({ status_code: 302, error: "redirect (302) not followed" });
    expect(await redirector.requests()).toHaveLength(1);
    expect(await target.requests()).toHaveLength(0);
  });
});

describe("JWKS fetches during verification", () => {
  const body = JSON.stringify({ resource_url: "https://api.shipengine.com/v1/labels/se-1", resource_type: "LABEL_CREATED_V2" });

  it("are re-checked against the SSRF rule: a JWKS URL on a private host is never fetched", async () => {
    const { key } = await createWorkspace("jwks-ssrf");
    const signer = await rsaSigner();
    const jwks = await mockEndpoint({ default: { status: 200, body: signer.jwks } });
    const source = await createSource(key, { provider: "shipengine", verification: { type: "rsa_jwks", jwks_url: `${jwks.url}/jwks` } });
    const r = await callApp("POST", ingestPath(source), { raw: body, headers: await signer.headers(body, new Date().toISOString()), env: SECURE_ENV });
    // Unverifiable is not forged: the provider is asked to retry (503), and nothing is stored.
    expect(r.status).toBe(503);
    expect(r.json.error.code).toBe("jwks_unavailable");
    expect(r.headers.get("retry-after")).toBe("30");
    expect(await jwks.requests()).toHaveLength(0);
  });

  it("do not follow redirects", async () => {
    const { key } = await createWorkspace("jwks-redirect");
    const signer = await rsaSigner();
    const real = await mockEndpoint({ default: { status: 200, body: signer.jwks } });
    const redirector = await mockEndpoint({ default: { status: 302, headers: { location: `${real.url}/jwks` }, body: "" } });
    const source = await createSource(key, { provider: "shipengine", verification: { type: "rsa_jwks", jwks_url: `${redirector.url}/jwks` } });
    const r = await api("POST", ingestPath(source), { raw: body, headers: await signer.headers(body, new Date().toISOString()) });
    // Unverifiable is not forged: the provider is asked to retry (503), and nothing is stored.
    expect(r.status).toBe(503);
    expect(r.json.error.code).toBe("jwks_unavailable");
    expect(r.headers.get("retry-after")).toBe("30");
    expect(await redirector.requests()).toHaveLength(1);
    expect(await real.requests()).toHaveLength(0);
  });
});
