import { env } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { mockEndpoint } from "../support/mock";
import {
  api,
  atoshipEvent,
  atoshipWorkspace,
  createDestination,
  createSource,
  createWorkspace,
  eventually,
  postAtoship,
  waitForDeliveryStatus,
} from "../support/relay";

const settle = (ms = 400) => new Promise((r) => setTimeout(r, ms));

describe("delivery: retries, dead letters, manual retry", () => {
  it("retries a failing endpoint on the schedule with one webhook-id and an increasing webhook-attempt", async () => {
    const { key, source } = await atoshipWorkspace();
    const endpoint = await mockEndpoint({ responses: [{ status: 500 }, { status: 502, body: "bad gateway" }], default: { status: 200 } });
    const dest = await createDestination(key, { url: endpoint.url, retry: { max_attempts: 4, schedule_seconds: [1, 1, 1] } });
    await postAtoship(source, atoshipEvent());

    const reqs = await endpoint.waitForRequests(3, 15_000);
    expect(reqs).toHaveLength(3);
    expect(new Set(reqs.map((r) => r.headers["webhook-id"])).size).toBe(1);
    expect(reqs.map((r) => r.headers["webhook-attempt"])).toEqual(["1", "2", "3"]);
    expect(reqs[1]!.at - reqs[0]!.at).toBeGreaterThanOrEqual(900);
    for (const r of reqs) {
      expect(() =>
        new Webhook(dest.signing_secret).verify(r.body, {
          "webhook-id": r.headers["webhook-id"]!,
          "webhook-timestamp": r.headers["webhook-timestamp"]!,
          "webhook-signature": r.headers["webhook-signature"]!,
        }),
      ).not.toThrow();
    }

    const delivery = await waitForDeliveryStatus(key, dest.id, "succeeded");
    const detail = await api("GET", `/v1/deliveries/${delivery.id}`, { token: key });
    expect(detail.json.attempts.map((a: any) => a.status_code)).toEqual([500, 502, 200]);
    expect(detail.json.attempts[1].response_body).toBe("bad gateway");
    expect(detail.json.attempts[0]).toMatchObject({ attempt: 1, error: "HTTP 500" });
    expect(detail.json.attempt_count).toBe(3);
  });

  it("after max_attempts the delivery is failed; a manual retry sends it once more", async () => {
    const { key, source } = await atoshipWorkspace();
    const endpoint = await mockEndpoint({ default: { status: 503 } });
    const dest = await createDestination(key, { url: endpoint.url, retry: { max_attempts: 2, schedule_seconds: [1] } });
    await postAtoship(source, atoshipEvent());

    const failed = await waitForDeliveryStatus(key, dest.id, "failed", 15_000);
    expect(await endpoint.requests()).toHaveLength(2);
    await settle(1500);
    expect(await endpoint.requests()).toHaveLength(2);

    await endpoint.script({ default: { status: 204 } });
    const retry = await api("POST", `/v1/deliveries/${failed.id}/retry`, { token: key });
    expect(retry.status).toBe(202);
    expect(retry.json.status).toBe("retrying");
    await waitForDeliveryStatus(key, dest.id, "succeeded");
    const reqs = await endpoint.requests();
    expect(reqs).toHaveLength(3);
    expect(reqs[2]!.headers["webhook-attempt"]).toBe("3");
    expect(reqs[2]!.headers["webhook-id"]).toBe(reqs[0]!.headers["webhook-id"]);
  });

  it("a 3xx is a failure, never followed", async () => {
    const { key, source } = await atoshipWorkspace();
    const target = await mockEndpoint();
    const endpoint = await mockEndpoint({ default: { status: 302, headers: { location: target.url } } });
    const dest = await createDestination(key, { url: endpoint.url, retry: { max_attempts: 1, schedule_seconds: [1] } });
    await postAtoship(source, atoshipEvent());
    const failed = await waitForDeliveryStatus(key, dest.id, "failed");
    const detail = await api("GET", `/v1/deliveries/${failed.id}`, { token: key });
    expect(detail.json.attempts[0]).toMatchObject({ status_code: 302, error: "redirect (302) not followed" });
    expect(await target.requests()).toHaveLength(0);
  });

  it("a connection error is recorded as a failed attempt with the reason", async () => {
    const { key, source } = await atoshipWorkspace();
    const endpoint = await mockEndpoint({ default: { close: true } });
    const dest = await createDestination(key, { url: endpoint.url, retry: { max_attempts: 1, schedule_seconds: [1] } });
    await postAtoship(source, atoshipEvent());
    const failed = await waitForDeliveryStatus(key, dest.id, "failed");
    const detail = await api("GET", `/v1/deliveries/${failed.id}`, { token: key });
    expect(detail.json.attempts[0].status_code).toBeNull();
    expect(detail.json.attempts[0].error).toMatch(/connection error|network/i);
  });
});

describe("delivery: fan-out and what each destination gets", () => {
  it("event patterns, source filters and the relay.* default decide who receives what", async () => {
    const { key, source } = await atoshipWorkspace();
    const other = await createSource(key, { name: "second", provider: "atoship" });
    const all = await mockEndpoint();
    const tracking = await mockEndpoint();
    const onlyOther = await mockEndpoint();
    const exact = await mockEndpoint();
    await createDestination(key, { url: all.url });
    await createDestination(key, { url: tracking.url, events: ["tracking.*"] });
    await createDestination(key, { url: onlyOther.url, sources: [other.id] });
    await createDestination(key, { url: exact.url, events: ["label.created"] });

    await postAtoship(source, atoshipEvent({ event: "label.created" }));
    await postAtoship(source, atoshipEvent({ event: "shipment.delivered" }));
    await postAtoship(other, atoshipEvent({ event: "order.fulfilled" }));

    await all.waitForRequests(3);
    await settle(800);
    const types = async (ep: typeof all) => (await ep.requests()).map((r) => JSON.parse(r.body).type).sort();
    expect(await types(all)).toEqual(["label.created", "order.shipped", "tracking.updated"]);
    expect(await types(tracking)).toEqual(["tracking.updated"]);
    expect(await types(onlyOther)).toEqual(["order.shipped"]);
    expect(await types(exact)).toEqual(["label.created"]);
  });

  it("a destination's sources must exist in the workspace", async () => {
    const { key } = await atoshipWorkspace();
    const r = await api("POST", "/v1/destinations", { token: key, body: { url: "http://127.0.0.1:9/x", sources: ["src_00000000000000000000000000"] } });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toContain("sources.0");
  });

  it("custom headers and basic auth go out with every attempt; signature headers cannot be overridden", async () => {
    const { key, source } = await atoshipWorkspace();
    const endpoint = await mockEndpoint();
    await createDestination(key, {
      url: endpoint.url,
      headers: { "x-api-key": "k-123", "x-tenant": "acme" },
      auth: { type: "basic", username: "erp", password: "pw" },
    });
    await postAtoship(source, atoshipEvent());
    const [req] = await endpoint.waitForRequests(1);
    expect(req!.headers["x-api-key"]).toBe("k-123");
    expect(req!.headers["x-tenant"]).toBe("acme");
    expect(req!.headers.authorization).toBe(`Basic ${btoa("erp:pw")}`);

    const refused = await api("POST", "/v1/destinations", { token: key, body: { url: endpoint.url, headers: { "webhook-signature": "v1,forged" } } });
    expect(refused.status).toBe(400);
    expect(refused.json.error.message).toContain("webhook-signature");
  });

  it("a paused destination gets nothing while paused; its deliveries wait and go out, in order, when it is active again", async () => {
    const { key, source } = await atoshipWorkspace();
    const endpoint = await mockEndpoint();
    const dest = await createDestination(key, { url: endpoint.url, status: "paused" });
    const first = await postAtoship(source, atoshipEvent({ event: "order.imported", data: { order_id: "P1" } }));
    const second = await postAtoship(source, atoshipEvent({ event: "order.fulfilled", data: { order_id: "P1" } }));
    await settle(800);
    expect(await endpoint.requests()).toHaveLength(0);
    const pending = await api("GET", `/v1/deliveries?destination=${dest.id}&status=pending`, { token: key });
    expect(pending.json.data).toHaveLength(2);

    const resumed = await api("PATCH", `/v1/destinations/${dest.id}`, { token: key, body: { status: "active" } });
    expect(resumed.status).toBe(200);
    const reqs = await endpoint.waitForRequests(2);
    expect(reqs.map((r) => JSON.parse(r.body).id)).toEqual([first.json.event_ids[0], second.json.event_ids[0]]);
  });
});

describe("deliveries whose event is gone", () => {
  it("fail with a reason instead of being re-queued forever", async () => {
    const { key, source } = await atoshipWorkspace();
    const endpoint = await mockEndpoint();
    const dest = await createDestination(key, { url: endpoint.url, status: "paused" });
    const posted = await postAtoship(source, atoshipEvent());
    await env.DB.prepare("DELETE FROM events WHERE id = ?").bind(posted.json.event_ids[0]).run();
    await api("PATCH", `/v1/destinations/${dest.id}`, { token: key, body: { status: "active" } });
    const failed = await waitForDeliveryStatus(key, dest.id, "failed");
    expect((await api("GET", `/v1/deliveries/${failed.id}`, { token: key })).json.last_error).toBe("event deleted");
    expect(await endpoint.requests()).toHaveLength(0);
  });
});

describe("destinations: validation and secrets", () => {
  it.each([
    [{ url: "ftp://example.com/x" }, "url"],
    [{ url: "not a url" }, "url"],
    [{}, "url"],
    [{ url: "https://example.com", events: ["Order Shipped"] }, "events"],
    [{ url: "https://example.com", retry: { max_attempts: 12 } }, "retry.max_attempts"],
    [{ url: "https://example.com", retry: { max_attempts: 0 } }, "retry.max_attempts"],
    [{ url: "https://example.com", timeout_ms: 10 }, "timeout_ms"],
    [{ url: "https://example.com", status: "disabled" }, "status"],
    [{ url: "https://example.com", auth: { type: "digest" } }, "auth"],
    [{ url: "https://user:pw@example.com/hook" }, "url"],
  ])("refuses %j with a 400 naming %s", async (body, field) => {
    const { key } = await atoshipWorkspace();
    const r = await api("POST", "/v1/destinations", { token: key, body });
    expect(r.status, r.text).toBe(400);
    expect(r.json.error.message).toContain(field);
  });

  it("creates with the contract's defaults and never returns secrets again", async () => {
    const { key } = await atoshipWorkspace();
    const dest = await createDestination(key, { url: "https://erp.example.com/hooks", headers: { "x-api-key": "secret-header" }, auth: { type: "bearer", token: "secret-token" } });
    expect(dest.id).toMatch(/^dst_/);
    expect(dest.signing_secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    expect(dest).toMatchObject({
      status: "active",
      events: null,
      sources: null,
      retry: { max_attempts: 6, schedule_seconds: [60, 300, 1800, 7200, 86400] },
      timeout_ms: 10000,
      rate_limit_per_minute: null,
      auth: { type: "bearer" },
    });
    const read = await api("GET", `/v1/destinations/${dest.id}`, { token: key });
    expect(read.status).toBe(200);
    expect(read.json.signing_secret).toBeUndefined();
    for (const s of [dest.signing_secret, "secret-header", "secret-token"]) expect(read.text).not.toContain(s);
    expect(read.json.headers).toEqual({ "x-api-key": "[redacted]" });
    const list = await api("GET", "/v1/destinations", { token: key });
    for (const s of [dest.signing_secret, "secret-header", "secret-token"]) expect(list.text).not.toContain(s);
  });

  it("PATCH updates fields and DELETE removes the destination", async () => {
    const { key } = await atoshipWorkspace();
    const dest = await createDestination(key, { url: "https://erp.example.com/hooks" });
    const r = await api("PATCH", `/v1/destinations/${dest.id}`, { token: key, body: { events: ["order.*"], timeout_ms: 5000, status: "paused" } });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ events: ["order.*"], timeout_ms: 5000, status: "paused" });
    expect((await api("DELETE", `/v1/destinations/${dest.id}`, { token: key })).status).toBe(204);
    expect((await api("GET", `/v1/destinations/${dest.id}`, { token: key })).status).toBe(404);
  });
});

describe("workspace isolation", () => {
  it("another workspace's key gets 404 for every object of this one, and lists none of them", async () => {
    const { key, source } = await atoshipWorkspace("owner");
    const endpoint = await mockEndpoint();
    const dest = await createDestination(key, { url: endpoint.url });
    const posted = await postAtoship(source, atoshipEvent());
    const eventId = posted.json.event_ids[0];
    const delivery = await eventually(async () => (await api("GET", `/v1/deliveries?event=${eventId}`, { token: key })).json.data[0]);
    const { key: intruder } = await createWorkspace("intruder");

    const objectRoutes: [string, string][] = [
      ["GET", `/v1/sources/${source.id}`],
      ["PATCH", `/v1/sources/${source.id}`],
      ["DELETE", `/v1/sources/${source.id}`],
      ["POST", `/v1/sources/${source.id}/rotate-secret`],
      ["GET", `/v1/destinations/${dest.id}`],
      ["PATCH", `/v1/destinations/${dest.id}`],
      ["DELETE", `/v1/destinations/${dest.id}`],
      ["POST", `/v1/destinations/${dest.id}/rotate-secret`],
      ["POST", `/v1/destinations/${dest.id}/test`],
      ["GET", `/v1/destinations/${dest.id}/stats`],
      ["GET", `/v1/events/${eventId}`],
      ["GET", `/v1/deliveries/${delivery.id}`],
      ["POST", `/v1/deliveries/${delivery.id}/retry`],
    ];
    for (const [method, path] of objectRoutes) {
      const body = method === "PATCH" ? { name: "stolen" } : undefined;
      const r = await api(method, path, { token: intruder, body });
      expect(r.status, `${method} ${path}`).toBe(404);
    }
    for (const path of ["/v1/sources", "/v1/destinations", "/v1/events", "/v1/deliveries", "/v1/ingest-log"]) {
      const r = await api("GET", path, { token: intruder });
      expect(r.status).toBe(200);
      expect(r.json.data, path).toEqual([]);
    }
    for (const path of [`/v1/events?source=${source.id}`, `/v1/deliveries?destination=${dest.id}`, `/v1/ingest-log?source=${source.id}`]) {
      expect((await api("GET", path, { token: intruder })).json.data, path).toEqual([]);
    }
    // The owner's objects are untouched.
    expect((await api("GET", `/v1/sources/${source.id}`, { token: key })).json.name).toBe("AtoShip");
  });
});
