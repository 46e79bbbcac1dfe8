/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";
import { SAMPLES } from "../../src/ingest/samples";
import { rig, waitForDelivery } from "../delivery/helpers";
import { api, createSource, createWorkspace, verifyDelivery, eventually } from "../support/relay";

// The fixtures are the source of truth: the bundled samples are their inline callbacks, verbatim.
const fixtures = import.meta.glob("../fixtures/*/*.json", { eager: true, import: "default" }) as Record<string, { body: unknown }>;

describe("bundled samples", () => {
  it("are the inline fixtures, verbatim (npm run samples regenerates them)", () => {
    let compared = 0;
    for (const [provider, set] of Object.entries(SAMPLES)) {
      for (const [event, sample] of Object.entries(set)) {
        const fixture = fixtures[`../fixtures/${provider}/${event}.json`];
        expect(fixture, `${provider}/${event}`).toBeDefined();
        expect(sample.body).toEqual(fixture!.body);
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThan(20);
    // …and every inline fixture is bundled (a new fixture needs `npm run samples`).
    for (const [file, fixture] of Object.entries(fixtures)) {
      const [, provider, event] = file.match(/fixtures\/([^/]+)\/(.+)\.json$/)!;
      const body = fixture.body as Record<string, unknown> | null;
      const pointer = !!body && typeof body === "object" && "resource_url" in body && !("data" in body);
      if (pointer || event!.endsWith(".retry")) continue;
      expect(SAMPLES[provider!]?.[event!], `${provider}/${event} is not bundled: run npm run samples`).toBeDefined();
    }
    // Pointer callbacks (their event is fetched later) and repeats are left out.
    expect(SAMPLES.shipstation).toBeUndefined();
    expect(SAMPLES.shipengine?.label_created_v2).toBeUndefined();
    expect(SAMPLES.shipup?.["tracker.events.new.retry"]).toBeUndefined();
  });

  it("GET /v1/samples lists <provider>/<event> names", async () => {
    const { key } = await createWorkspace();
    const r = await api("GET", "/v1/samples", { token: key });
    expect(r.status).toBe(200);
    const names = r.json.data.map((s: { name: string }) => s.name);
    expect(names).toContain("atoship/label.created");
    expect(names).toContain("shipengine/track_event_v2");
    expect(r.json.data[0]).toMatchObject({ name: expect.stringContaining("/"), provider: expect.any(String), event: expect.any(String) });
    expect((await api("GET", "/v1/samples")).status).toBe(401);
  });
});

describe("POST /v1/sources/:id/trigger", () => {
  it("the developer loop: a triggered sample reaches the destination transformed and verifies with the signing secret", async () => {
    const r = await rig({ transform: '{"tracking": shipment.tracking_number, "type": type, "live": livemode, "id": id}' });
    const first = await api("POST", `/v1/sources/${r.source.id}/trigger`, { token: r.key, body: { sample: "atoship/label.created" } });
    expect(first.status, first.text).toBe(200);
    expect(first.json).toMatchObject({ sample: "atoship/label.created", livemode: false });
    const [eventId] = first.json.event_ids as string[];
    await waitForDelivery(r.key, r.destination.id, eventId!, "succeeded");
    const [req] = await r.endpoint.waitForRequests(1);
    const body = verifyDelivery(req!, r.destination.signing_secret);
    expect(body).toMatchObject({ type: "label.created", live: false, id: eventId });
    expect(typeof body.tracking).toBe("string");

    // Run again: a fresh event, never deduplicated away; live: true is livemode.
    const again = await api("POST", `/v1/sources/${r.source.id}/trigger`, { token: r.key, body: { sample: "atoship/label.created", live: true } });
    expect(again.status).toBe(200);
    expect(again.json.livemode).toBe(true);
    expect(again.json.event_ids[0]).not.toBe(eventId);
    // Listed once the order object's outbox has written it (within about a second).
    const event = await eventually(async () => {
      const e = await api("GET", `/v1/events/${again.json.event_ids[0]}`, { token: r.key });
      return e.status === 200 ? e : undefined;
    });
    expect(event.json).toMatchObject({ type: "label.created", livemode: true });
  });

  it("refuses an unknown sample (404), another provider's sample (422), another workspace's source (404), unknown fields (400)", async () => {
    const r = await rig();
    const url = `/v1/sources/${r.source.id}/trigger`;
    expect((await api("POST", url, { token: r.key, body: { sample: "atoship/nope" } })).status).toBe(404);
    expect((await api("POST", url, { token: r.key, body: { sample: "nope" } })).status).toBe(404);
    const mismatch = await api("POST", url, { token: r.key, body: { sample: "easypost/tracker.updated" } });
    expect(mismatch.status).toBe(422);
    expect(mismatch.json.error.message).toMatch(/easypost.*atoship/);
    const stranger = await createWorkspace("stranger");
    expect((await api("POST", url, { token: stranger.key, body: { sample: "atoship/label.created" } })).status).toBe(404);
    expect((await api("POST", url, { token: r.key, body: { sample: "atoship/label.created", extra: 1 } })).status).toBe(400);
  });

  it("every bundled sample runs through its provider's adapter to at least one event", async () => {
    const { key } = await createWorkspace("samples");
    for (const [provider, set] of Object.entries(SAMPLES)) {
      const source = await createSource(key, { provider });
      for (const event of Object.keys(set)) {
        const r = await api("POST", `/v1/sources/${source.id}/trigger`, { token: key, body: { sample: `${provider}/${event}` } });
        expect(r.status, `${provider}/${event}: ${r.text}`).toBe(200);
        expect(r.json.event_ids.length, `${provider}/${event}`).toBeGreaterThan(0);
      }
    }
  });
});
