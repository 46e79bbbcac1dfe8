import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { keyringOf } from "../../src/lib/config";
import { encryptString } from "../../src/lib/crypto";
import { mockEndpoint } from "../support/mock";
import { api, atoshipWorkspace, createDestination } from "../support/relay";
import { rig, sendEvent, waitForDelivery } from "./helpers";

/** RFC 7617: the user-pass is UTF-8 before base64. */
const utf8Basic = (user: string, pass: string) => `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${pass}`)))}`;

describe("basic auth outside Latin-1 (RFC 7617, UTF-8)", () => {
  it("saves with verify, tests and delivers to a destination whose password is pa€s, sending UTF-8 base64", async () => {
    const { key, source } = await atoshipWorkspace();
    const endpoint = await mockEndpoint();
    const auth = { type: "basic", username: "über", password: "pa€s" };
    const saved = await api("POST", "/v1/destinations", { token: key, body: { url: endpoint.url, auth, verify: true } });
    expect(saved.status, saved.text).toBe(201);
    const tested = await api("POST", `/v1/destinations/${saved.json.id}/test`, { token: key });
    expect(tested.status, tested.text).toBe(200);
    expect(tested.json.status_code).toBe(200);

    const eventId = await sendEvent({ source });
    await waitForDelivery(key, saved.json.id, eventId, "succeeded");
    const requests = await endpoint.waitForRequests(3);
    expect(requests).toHaveLength(3);
    for (const r of requests) expect(r.headers.authorization).toBe(utf8Basic("über", "pa€s"));
  });
});

describe("an exception while building a request", () => {
  it("is a recorded, failed attempt with the reason, and the delivery fails for good after its attempts", async () => {
    const r = await rig({ retry: { max_attempts: 2, schedule_seconds: [0] } });
    // A signing secret that cannot be decoded: signing throws before anything is sent.
    const ring = (await keyringOf(env))!;
    await env.DB.prepare("UPDATE destinations SET signing_secret_enc = ?2 WHERE id = ?1")
      .bind(r.destination.id, await encryptString(ring, "whsec_!!not base64!!"))
      .run();
    const eventId = await sendEvent(r);
    const failed = await waitForDelivery(r.key, r.destination.id, eventId, "failed");
    expect(failed.attempts).toHaveLength(2);
    for (const a of failed.attempts!) {
      expect(a.status_code).toBeNull();
      expect(a.error).toMatch(/^could not build the request/);
    }
    expect(await r.endpoint.requests()).toHaveLength(0);
  });
});
