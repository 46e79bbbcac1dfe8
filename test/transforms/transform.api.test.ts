import { describe, expect, it } from "vitest";
import { api } from "../support/relay";
import { rig, sendEvent, waitForDelivery } from "../delivery/helpers";
import { eventually, verifyDelivery } from "../support/relay";

const SHAPE = '{"tracking": shipment.tracking_number, "status": type, "id": id}';

describe("destination transform: save", () => {
  it("stores a valid expression, shows it, and removes it with null", async () => {
    const r = await rig({ transform: SHAPE });
    expect(r.destination.transform).toBe(SHAPE);
    const cleared = await api("PATCH", `/v1/destinations/${r.destination.id}`, { token: r.key, body: { transform: null } });
    expect(cleared.status, cleared.text).toBe(200);
    expect(cleared.json.transform).toBeNull();
  });

  it("refuses an invalid expression on create and update: 400 invalid_transform with the position", async () => {
    const r = await rig();
    const created = await api("POST", "/v1/destinations", { token: r.key, body: { url: r.endpoint.url, transform: '{"a": id' } });
    expect(created.status).toBe(400);
    expect(created.json.error.code).toBe("invalid_transform");
    expect(created.json.error.message).toMatch(/at position \d+/);
    const updated = await api("PATCH", `/v1/destinations/${r.destination.id}`, { token: r.key, body: { transform: "$$$(" } });
    expect(updated.status).toBe(400);
    expect(updated.json.error.code).toBe("invalid_transform");
  });
});

describe("destination transform: delivery", () => {
  it("sends the expression's result, signed over the body as sent", async () => {
    const r = await rig({ transform: SHAPE });
    const eventId = await sendEvent(r, { label: "lbl_tf_1" });
    await waitForDelivery(r.key, r.destination.id, eventId, "succeeded");
    const [req] = await r.endpoint.waitForRequests(1);
    expect(verifyDelivery(req!, r.destination.signing_secret)).toEqual({ tracking: "9400111899223", status: "label.created", id: eventId });
  });

  it("a transform that fails on the event fails that attempt with the reason; the next event still goes", async () => {
    const r = await rig({ transform: '$count(data) > 0 ? {"ok": true} : "not an object"', retry: { max_attempts: 1, schedule_seconds: [0] } });
    // The canonical data of an AtoShip label is not empty: first the good one, then make it fail.
    const good = await sendEvent(r, { label: "lbl_tf_good" });
    await waitForDelivery(r.key, r.destination.id, good, "succeeded");
    await api("PATCH", `/v1/destinations/${r.destination.id}`, { token: r.key, body: { transform: "($f := function($x){ $f($x + 1) }; $f(0))" } });
    const bad = await sendEvent(r, { label: "lbl_tf_bad" });
    const failed = await waitForDelivery(r.key, r.destination.id, bad, "failed");
    expect(failed.attempts![0]!.error).toMatch(/^transform failed: the expression ran more than \d+ evaluation steps/);
    expect(failed.attempts![0]!.status_code).toBeNull();
    await api("PATCH", `/v1/destinations/${r.destination.id}`, { token: r.key, body: { transform: '{"n": 1}' } });
    const after = await sendEvent(r, { label: "lbl_tf_after" });
    await waitForDelivery(r.key, r.destination.id, after, "succeeded");
    expect((await r.endpoint.requests()).map((q) => JSON.parse(q.body))).toEqual([{ ok: true }, { n: 1 }]);
  });

  it("transforms the test ping too", async () => {
    const r = await rig({ transform: '{"kind": type, "dest": data.destination_id}' });
    const res = await api("POST", `/v1/destinations/${r.destination.id}/test`, { token: r.key });
    expect(res.json).toMatchObject({ status_code: 200, payload: { kind: "test.ping", dest: r.destination.id } });
    const [req] = await r.endpoint.waitForRequests(1);
    expect(verifyDelivery(req!, r.destination.signing_secret)).toEqual({ kind: "test.ping", dest: r.destination.id });
  });
});

describe("POST /v1/destinations/:id/transform/preview", () => {
  it("previews a stored event, a given event, and an unsaved expression", async () => {
    const r = await rig({ transform: SHAPE });
    const eventId = await sendEvent(r, { label: "lbl_tf_prev" });
    const stored = await api("POST", `/v1/destinations/${r.destination.id}/transform/preview`, { token: r.key, body: { event_id: eventId } });
    expect(stored.status, stored.text).toBe(200);
    expect(stored.json.body).toEqual({ tracking: "9400111899223", status: "label.created", id: eventId });

    const given = await api("POST", `/v1/destinations/${r.destination.id}/transform/preview`, {
      token: r.key,
      body: { event: { id: "evt_x", type: "tracking.updated", shipment: { tracking_number: "1Z" } } },
    });
    expect(given.json.body).toEqual({ tracking: "1Z", status: "tracking.updated", id: "evt_x" });

    const tried = await api("POST", `/v1/destinations/${r.destination.id}/transform/preview`, { token: r.key, body: { event_id: eventId, transform: "[id]" } });
    expect(tried.json.body).toEqual([eventId]);
  });

  it("answers the error: a failing result, a bad expression, an unknown event", async () => {
    const r = await rig({ transform: "id" });
    const url = `/v1/destinations/${r.destination.id}/transform/preview`;
    const notObject = await api("POST", url, { token: r.key, body: { event: { id: "evt_1", type: "x" } } });
    expect(notObject.status).toBe(400);
    expect(notObject.json.error).toMatchObject({ code: "invalid_transform" });
    expect(notObject.json.error.message).toMatch(/must be a JSON object or array/);
    const bad = await api("POST", url, { token: r.key, body: { event: {}, transform: "(" } });
    expect(bad.json.error.code).toBe("invalid_transform");
    const missing = await api("POST", url, { token: r.key, body: { event_id: "evt_nope" } });
    expect(missing.status).toBe(404);
    const neither = await api("POST", url, { token: r.key, body: {} });
    expect(neither.status).toBe(400);
  });
});

describe("fuzz: the consumer", () => {
  it("random expressions on a live destination never stall the consumer: every delivery finishes", async () => {
    const expressions = ["id", "[1..20000000]", "($f := function($x){ $f($x) }; $f(1))", '{"a": $pad("", 300000, "z")}', "$", "function($x){$x}", "{'k': $string($)}"];
    const r = await rig({ retry: { max_attempts: 1, schedule_seconds: [0] } });
    const ids: string[] = [];
    for (const [i, transform] of expressions.entries()) {
      const saved = await api("PATCH", `/v1/destinations/${r.destination.id}`, { token: r.key, body: { transform } });
      expect(saved.status, saved.text).toBe(200);
      const id = await sendEvent(r, { label: `lbl_fuzz_${i}` });
      ids.push(id);
      const done = await eventually(async () => {
        const list = await api("GET", `/v1/deliveries?destination=${r.destination.id}&event=${id}`, { token: r.key });
        const d = list.json.data[0];
        return d && (d.status === "succeeded" || d.status === "failed") ? d : null;
      }, 20_000);
      expect(done.status).toBe(["$", "{'k': $string($)}"].includes(transform) ? "succeeded" : "failed");
    }
    expect(ids).toHaveLength(expressions.length);
  });
});
