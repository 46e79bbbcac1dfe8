import { env, runDurableObjectAlarm, SELF } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { deliveriesOf, waitForDelivery } from "../delivery/helpers";
import { api, atoshipWorkspace, BASE, eventually } from "../support/relay";

interface Frame {
  type: string;
  [k: string]: any;
}

/** Opens `GET /v1/listen` as `shiprelay listen` does, and collects its frames. */
async function openListener(key: string, query = "") {
  const res = await SELF.fetch(`${BASE}/v1/listen${query}`, { headers: { upgrade: "websocket", authorization: `Bearer ${key}` } });
  if (!res.webSocket) return { res, ws: null, frames: [] as Frame[], next: async () => ({}) as Frame };
  const ws = res.webSocket;
  ws.accept();
  const frames: Frame[] = [];
  ws.addEventListener("message", (e) => frames.push(JSON.parse(e.data as string)));
  let read = 0;
  const next = async (type: string) => eventually(async () => {
    const i = frames.findIndex((f, n) => n >= read && f.type === type);
    if (i < 0) return null;
    read = i + 1;
    return frames[i]!;
  });
  return { res, ws, frames, next };
}

async function trigger(key: string, sourceId: string, sample = "atoship/label.created") {
  const r = await api("POST", `/v1/sources/${sourceId}/trigger`, { token: key, body: { sample } });
  expect(r.status, r.text).toBe(200);
  return r.json.event_ids[0] as string;
}

describe("GET /v1/listen", () => {
  it("a listener receives a triggered event as a frame, verifies it with the secret it was given, and its answer is the attempt", async () => {
    const { key, source } = await atoshipWorkspace();
    const l = await openListener(key, `?events=label.*&source=${source.id}`);
    expect(l.res.status).toBe(101);
    const ready = await l.next("ready");
    expect(ready.signing_secret).toMatch(/^whsec_/);
    expect(ready.events).toEqual(["label.*"]);
    const listed = await api("GET", `/v1/destinations/${ready.destination_id}`, { token: key });
    expect(listed.json).toMatchObject({ kind: "listen", events: ["label.*"], sources: [source.id] });

    const eventId = await trigger(key, source.id);
    const frame = await l.next("delivery");
    const event = new Webhook(ready.signing_secret).verify(frame.body, frame.headers) as { id: string; type: string };
    expect(event).toMatchObject({ id: eventId, type: "label.created", livemode: false });
    expect(frame.headers["webhook-id"]).toMatch(/^dlv_/);
    l.ws!.send(JSON.stringify({ type: "result", request_id: frame.request_id, status: 202, body: "local ok", ms: 3 }));
    const d = await waitForDelivery(key, ready.destination_id, eventId, "succeeded");
    expect(d.attempts![0]).toMatchObject({ status_code: 202, response_body: "local ok" });

    // A local failure is a failed attempt, retried like any.
    const second = await trigger(key, source.id);
    const again = await l.next("delivery");
    l.ws!.send(JSON.stringify({ type: "result", request_id: again.request_id, status: null, error: "ECONNREFUSED" }));
    const failed = await eventually(async () => (await deliveriesOf(key, ready.destination_id, `&event=${second}`)).find((x) => x.attempt_count >= 1 && x.status !== "pending"));
    expect(failed.last_error).toMatch(/local endpoint: ECONNREFUSED/);
    l.ws!.close(1000);
  });

  it("closed for the grace period: the destination is deleted and its open deliveries fail with listener_gone", async () => {
    const { key, source } = await atoshipWorkspace();
    const l = await openListener(key);
    const ready = await l.next("ready");
    l.ws!.close(1000);
    const stub = env.LISTENERS.get(env.LISTENERS.idFromName(ready.destination_id));
    // Closed: a delivery now cannot be made, and waits for a retry.
    await eventually(async () => /not connected/.test((await stub.fetch("https://listen/", { method: "POST", body: "{}" })).headers.get("x-listener-error") ?? ""));
    const eventId = await trigger(key, source.id);
    await eventually(async () => (await deliveriesOf(key, ready.destination_id, `&event=${eventId}`)).find((x) => x.status === "retrying"));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await api("GET", `/v1/destinations/${ready.destination_id}`, { token: key })).status).toBe(404);
    const gone = await api("GET", `/v1/deliveries?event=${eventId}`, { token: key });
    expect(gone.json.data[0]).toMatchObject({ status: "failed", last_error: "listener_gone" });
  });

  it("refuses without a key, without an upgrade, a bad pattern, another workspace's source, and a sixth listener", async () => {
    const { key } = await atoshipWorkspace();
    expect((await openListener("sk_wrong")).res.status).toBe(401);
    const plain = await api("GET", "/v1/listen", { token: key });
    expect(plain.status).toBe(400);
    expect((await openListener(key, "?events=Not%20A%20Type")).res.status).toBe(400);
    const other = await atoshipWorkspace("other");
    expect((await openListener(key, `?source=${other.source.id}`)).res.status).toBe(400);
    const open = [];
    for (let i = 0; i < 5; i++) open.push(await openListener(key));
    const sixth = await openListener(key);
    expect(sixth.res.status).toBe(422);
    expect(((await sixth.res.json()) as any).error.code).toBe("limit_exceeded");
    for (const l of open) l.ws!.close(1000);
  });
});
