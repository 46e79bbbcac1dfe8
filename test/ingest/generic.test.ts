import { describe, expect, it } from "vitest";
import { api, createSource, createWorkspace, ingestPath } from "../support/relay";

const JSON_HEADERS = { "content-type": "application/json" };

async function genericSource(settings?: Record<string, unknown>) {
  const { key } = await createWorkspace();
  const src = await createSource(key, { provider: "generic", verification: { type: "none" }, ...(settings ? { settings } : {}) });
  const post = (body: unknown) => api("POST", ingestPath(src), { raw: JSON.stringify(body), headers: JSON_HEADERS });
  const event = async (id: string) => (await api("GET", `/v1/events/${id}`, { token: key })).json;
  return { key, src, post, event };
}

describe("the generic adapter", () => {
  it("takes a canonical-shaped body as it is", async () => {
    const { post, event } = await genericSource();
    const r = await post({
      id: "msg-1",
      type: "tracking.updated",
      order: { reference: "SO-1" },
      shipment: { tracking_number: "1Z1", carrier: "ups" },
      tracking: { status: "out_for_delivery", status_detail: "On vehicle" },
      data: { extra: 1 },
    });
    expect(r.status, r.text).toBe(200);
    const ev = await event(r.json.event_ids[0]);
    expect(ev).toMatchObject({
      type: "tracking.updated",
      livemode: true,
      sequence: 1,
      order: { reference: "SO-1" },
      shipment: { tracking_number: "1Z1", carrier: "ups" },
      tracking: { status: "out_for_delivery" },
      data: { extra: 1 },
      source: { provider: "generic", event: "tracking.updated" },
    });
  });

  it("dedupes a canonical body on its id", async () => {
    const { post } = await genericSource();
    const a = await post({ id: "msg-2", type: "order.shipped", order: { reference: "SO-2" } });
    const b = await post({ id: "msg-2", type: "order.shipped", order: { reference: "SO-2" }, data: { resent: true } });
    expect(b.json).toMatchObject({ duplicate: true, event_ids: a.json.event_ids });
  });

  it("reads configured field paths and maps the provider's event names", async () => {
    const { post, event } = await genericSource({
      event_type_path: "topic",
      event_id_path: "meta.delivery_id",
      order_reference_path: "payload.order.name",
      tracking_number_path: "payload.fulfillment.tracking",
      carrier_path: "payload.fulfillment.company",
      occurred_at_path: "meta.at",
      type_map: { "fulfillments/create": "order.shipped" },
    });
    const body = {
      topic: "fulfillments/create",
      meta: { delivery_id: "d-77", at: 1705314600 },
      payload: { order: { name: "#1001" }, fulfillment: { tracking: "9400", company: "USPS" } },
    };
    const r = await post(body);
    expect(r.status, r.text).toBe(200);
    const ev = await event(r.json.event_ids[0]);
    expect(ev).toMatchObject({
      type: "order.shipped",
      occurred_at: "2024-01-15T10:30:00.000Z",
      order: { reference: "#1001" },
      shipment: { tracking_number: "9400", carrier: "usps" },
      source: { event: "fulfillments/create" },
    });
    expect(ev.data).toEqual(body);
    expect((await post(body)).json.duplicate).toBe(true);
  });

  it("an event name with no mapping is provider.unmapped; a missing type field is kept with parse_error", async () => {
    const { post, event } = await genericSource({ event_type_path: "topic" });
    const unmapped = await post({ topic: "carts/update" });
    expect((await event(unmapped.json.event_ids[0])).type).toBe("provider.unmapped");
    const missing = await post({ nothing: true });
    expect(missing.status).toBe(200);
    const ev = await event(missing.json.event_ids[0]);
    expect(ev.type).toBe("provider.unmapped");
    expect(ev.data.parse_error).toContain("topic");
  });

  it("a non-canonical body with no configured paths is kept as provider.unmapped, never refused", async () => {
    const { post, event } = await genericSource();
    for (const body of [{ type: "whatever" }, [1, 2, 3], "just a string", null]) {
      const r = await post(body);
      expect(r.status, JSON.stringify(body)).toBe(200);
      expect((await event(r.json.event_ids[0])).type).toBe("provider.unmapped");
    }
  });
});
