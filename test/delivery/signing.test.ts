import { env } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import type { RecordedRequest } from "../support/mock";
import { api } from "../support/relay";
import { getDestination, rig, sendEvent } from "./helpers";

const headersOf = (req: RecordedRequest) => ({
  "webhook-id": req.headers["webhook-id"]!,
  "webhook-timestamp": req.headers["webhook-timestamp"]!,
  "webhook-signature": req.headers["webhook-signature"]!,
});

/** What a customer does: verify with the Standard Webhooks library and the secret they hold. */
const verifies = (secret: string, req: RecordedRequest) => {
  try {
    new Webhook(secret).verify(req.body, headersOf(req));
    return true;
  } catch {
    return false;
  }
};

describe("signing secret rotation", () => {
  it("signs with both secrets for the overlap, so receivers holding either verify; afterwards only the new one", async () => {
    const r = await rig();
    const oldSecret = r.destination.signing_secret;
    expect(oldSecret).toMatch(/^whsec_/);

    await sendEvent(r);
    const [before] = await r.endpoint.waitForRequests(1);
    expect(before!.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
    expect(verifies(oldSecret, before!)).toBe(true);

    const rotated = await api("POST", `/v1/destinations/${r.destination.id}/rotate-secret`, { token: r.key });
    expect(rotated.status).toBe(200);
    const newSecret = rotated.json.signing_secret as string;
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(oldSecret);
    // Shown on rotate only.
    expect((await getDestination(r.key, r.destination.id)).signing_secret).toBeUndefined();

    await sendEvent(r);
    const during = (await r.endpoint.waitForRequests(2))[1]!;
    const signatures = during.headers["webhook-signature"]!.split(" ");
    expect(signatures).toHaveLength(2);
    expect(signatures.every((s) => s.startsWith("v1,"))).toBe(true);
    expect(verifies(newSecret, during)).toBe(true);
    expect(verifies(oldSecret, during)).toBe(true);
    expect(verifies("whsec_" + btoa("someone else's secret, 32 bytes"), during)).toBe(false);

    // The 24 h overlap is over (aged in D1, standing in for a day passing).
    const row = await env.DB.prepare("SELECT previous_secret_expires_at AS at FROM destinations WHERE id = ?1").bind(r.destination.id).first<{ at: number }>();
    expect(row!.at - Date.now()).toBeGreaterThan(23.9 * 3600_000);
    expect(row!.at - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
    await env.DB.prepare("UPDATE destinations SET previous_secret_expires_at = ?2 WHERE id = ?1").bind(r.destination.id, Date.now() - 1).run();

    await sendEvent(r);
    const after = (await r.endpoint.waitForRequests(3))[2]!;
    expect(after.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
    expect(verifies(newSecret, after)).toBe(true);
    expect(verifies(oldSecret, after)).toBe(false);
  });

  it("answers 404 for another workspace's destination and never returns a secret on read", async () => {
    const r = await rig();
    const other = await rig();
    expect((await api("POST", `/v1/destinations/${r.destination.id}/rotate-secret`, { token: other.key })).status).toBe(404);
    const list = await api("GET", "/v1/destinations", { token: r.key });
    expect(list.text).not.toContain("whsec_");
  });
});
