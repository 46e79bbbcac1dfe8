import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { runDeliveryBatch, waitingDeliveries } from "../support/consumer";
import { api, eventually } from "../support/relay";

/**
 * CONTRACT.md, Additions: a retry of a delivery while an attempt is in flight answers 202, and
 * its attempt goes out only after the one in flight is recorded; two copies of one attempt
 * number are never sent. Production runs consumer invocations concurrently: here two batches
 * run at once, with a retry issued while the endpoint holds the first attempt open.
 */
describe("retry while an attempt is in flight", () => {
  it("sends attempt 1 once, then the retry's attempt 2 after attempt 1 is recorded", async () => {
    const { key, endpoints, deliveries } = await waitingDeliveries("retry-in-flight", 1);
    const endpoint = endpoints[0]!;
    const id = deliveries[0]!.id;
    // The first answer is held open; later ones come at once.
    await endpoint.script({ responses: [{ status: 200, delay_ms: 1500 }], default: { status: 200 } });

    const first = runDeliveryBatch([{ id: "a", body: { delivery_id: id, attempt: 1 } }]);
    await eventually(async () => (await endpoint.requests()).length === 1);
    const retry = await api("POST", `/v1/deliveries/${id}/retry`, { token: key });
    expect(retry.status, retry.text).toBe(202);
    // A second consumer invocation gets the message for the next attempt as the retry would have queued it.
    const second = runDeliveryBatch([{ id: "b", body: { delivery_id: id, attempt: retry.json.attempt_count + 1 } }]);
    await Promise.all([first, second]);

    const done = await eventually(async () => {
      const row = await env.DB.prepare("SELECT status, attempt_count, lease_until FROM deliveries WHERE id = ?1")
        .bind(id)
        .first<{ status: string; attempt_count: number; lease_until: number | null }>();
      return row && row.status === "succeeded" && row.attempt_count === 2 ? row : null;
    });
    expect(done).toMatchObject({ status: "succeeded", attempt_count: 2, lease_until: null });
    const sent = (await endpoint.requests()).map((r) => r.headers["webhook-attempt"]);
    expect(sent).toEqual(["1", "2"]);
    // Attempt 1 succeeded first time, so it is kept on the delivery row; the API lists both.
    const detail = await api("GET", `/v1/deliveries/${id}`, { token: key });
    expect(detail.json.attempts.map((a: { attempt: number }) => a.attempt)).toEqual([1, 2]);
  });

  it("an older attempt's record never overwrites a newer one", async () => {
    const NO_FIRST_ATTEMPT = { firstAttemptAt: null, firstDurationMs: null, firstUrl: null, firstStatusCode: null, firstResponseBody: null };
    const { finishStatements } = await import("../../src/db/deliveries");
    const { deliveries } = await waitingDeliveries("retry-older-record", 1);
    const id = deliveries[0]!.id;
    const now = Date.now();
    const finish = (attemptCount: number, status: "succeeded" | "failed") =>
      env.DB.batch(
        finishStatements(env.DB, [
          { id, status, attemptCount, nextAttemptAt: now, lastStatusCode: status === "failed" ? 500 : 200, lastError: null, updatedAt: now, completedAt: now, ...NO_FIRST_ATTEMPT },
        ]),
      );
    await finish(2, "succeeded");
    await finish(1, "failed");
    const row = await env.DB.prepare("SELECT status, attempt_count FROM deliveries WHERE id = ?1").bind(id).first();
    expect(row).toEqual({ status: "succeeded", attempt_count: 2 });
  });
});
