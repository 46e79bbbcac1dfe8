import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { delivery, rig, sendEvent, waitForDelivery } from "../delivery/helpers";
import { page, signIn, textOf } from "../support/dashboard";
import { api, eventually } from "../support/relay";

/**
 * A first attempt that succeeds writes no `attempts` row: it is kept on its delivery's row
 * (src/delivery/record.ts) and every reader shows it as attempt 1 (src/db/attempts.ts) — the
 * delivery and event APIs, the console's event page and the destination's stats.
 */

async function attemptRows(deliveryId: string): Promise<number> {
  const r = await env.DB.prepare("SELECT count(*) AS n FROM attempts WHERE delivery_id = ?1").bind(deliveryId).first<{ n: number }>();
  return r!.n;
}

describe("a first attempt that succeeds is kept on its delivery row", () => {
  it("no attempts row, yet the API, the event detail, the console and the stats show attempt 1; a later retry adds attempt 2 beside it", async () => {
    const r = await rig({}, { default: { status: 202, body: { got: "it" } } });
    const eventId = await sendEvent(r);
    const d = await waitForDelivery(r.key, r.destination.id, eventId, "succeeded");
    expect(await attemptRows(d.id)).toBe(0);

    const got = await delivery(r.key, d.id);
    expect(got.attempts).toHaveLength(1);
    const first = got.attempts![0]!;
    expect(first).toMatchObject({ attempt: 1, url: r.endpoint.url, status_code: 202, error: null, response_body: '{"got":"it"}' });
    expect(typeof first.duration_ms).toBe("number");
    expect(Date.parse(first.at)).toBeGreaterThan(0);

    const ev = await api("GET", `/v1/events/${eventId}`, { token: r.key });
    expect(ev.json.deliveries[0].attempts).toEqual([first]);

    const html = textOf((await page(`/dashboard/events/${eventId}`, await signIn(r.key))).text);
    expect(html).toContain("Attempt 1");
    expect(html).not.toContain("No attempt yet");

    const stats = await api("GET", `/v1/destinations/${r.destination.id}/stats`, { token: r.key });
    expect(stats.json).toEqual({
      trigger_count: 1,
      success_count: 1,
      failure_count: 0,
      last_triggered_at: first.at,
      last_success_at: first.at,
      p50_ms: first.duration_ms,
      p95_ms: first.duration_ms,
    });

    // A manual retry that fails: attempt 2 is a row, attempt 1 keeps its own status code.
    await r.endpoint.script({ default: { status: 503, body: "busy" } });
    expect((await api("POST", `/v1/deliveries/${d.id}/retry`, { token: r.key })).status).toBe(202);
    const after = await eventually(async () => {
      const x = await delivery(r.key, d.id);
      return x.attempt_count === 2 && (x.status === "failed" || x.status === "retrying") ? x : undefined;
    });
    expect(await attemptRows(d.id)).toBe(1);
    expect(after.attempts!.map((a) => [a.attempt, a.status_code])).toEqual([[1, 202], [2, 503]]);
    const again = await api("GET", `/v1/destinations/${r.destination.id}/stats`, { token: r.key });
    expect(again.json).toMatchObject({ trigger_count: 2, success_count: 1, failure_count: 1, last_success_at: first.at });
  });

  it("a first attempt that fails is an attempts row, as before", async () => {
    const r = await rig({ retry: { max_attempts: 2, schedule_seconds: [0] } }, { responses: [{ status: 500 }], default: { status: 200 } });
    const eventId = await sendEvent(r);
    const d = await waitForDelivery(r.key, r.destination.id, eventId, "succeeded");
    expect(await attemptRows(d.id)).toBe(2);
    expect(d.attempts!.map((a) => [a.attempt, a.status_code])).toEqual([[1, 500], [2, 200]]);
  });
});
