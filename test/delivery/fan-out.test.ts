import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { mockEndpoint } from "../support/mock";
import {
  api,
  atoshipEvent,
  atoshipWorkspace,
  createDestination,
  createSource,
  deliveriesFinished,
  postAtoship,
  settle,
  waitForDeliveryStatus,
} from "../support/relay";

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

    // 3 + 1 + 1 + 1: once every delivery the events made is finished, nothing more goes out.
    expect(await deliveriesFinished(key, "", 6)).toHaveLength(6);
    const types = async (ep: typeof all) => (await ep.requests()).map((r) => JSON.parse(r.body).type).sort();
    expect(await types(all)).toEqual(["label.created", "order.shipped", "tracking.updated"]);
    expect(await types(tracking)).toEqual(["tracking.updated"]);
    expect(await types(onlyOther)).toEqual(["order.shipped"]);
    expect(await types(exact)).toEqual(["label.created"]);
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

