import { describe, expect, it } from "vitest";
import { page, signIn } from "../support/dashboard";
import { mockEndpoint } from "../support/mock";
import { api, atoshipWorkspace, createDestination } from "../support/relay";

/**
 * Issue #18: a destination test appears in the log, marked as a test — its `test.ping` event
 * (livemode false) and a finished delivery with its one attempt, as the endpoint answered.
 */
describe("destination tests are logged as tests", () => {
  it("a test the endpoint acknowledges is a succeeded test.ping delivery with its attempt, in the API and the console", async () => {
    const { key } = await atoshipWorkspace("test-log-ok");
    const endpoint = await mockEndpoint();
    const dest = await createDestination(key, { url: endpoint.url });
    const sent = await api("POST", `/v1/destinations/${dest.id}/test`, { token: key });
    expect(sent.status).toBe(200);
    expect(sent.json.status_code).toBe(200);

    const list = await api("GET", `/v1/deliveries?destination=${dest.id}`, { token: key });
    expect(list.json.data).toHaveLength(1);
    const [delivery] = list.json.data;
    expect(delivery).toMatchObject({ event_type: "test.ping", status: "succeeded", attempt_count: 1 });
    const detail = await api("GET", `/v1/deliveries/${delivery.id}`, { token: key });
    expect(detail.json.attempts).toMatchObject([{ attempt: 1, status_code: 200, error: null }]);
    const event = await api("GET", `/v1/events/${delivery.event_id}`, { token: key });
    expect(event.json).toMatchObject({ type: "test.ping", livemode: false });
    // The webhook-id the endpoint saw is the logged delivery's id.
    const [request] = await endpoint.requests();
    expect(request!.headers["webhook-id"]).toBe(delivery.id);

    const cookie = await signIn(key);
    const html = (await page(`/dashboard/deliveries?destination=${dest.id}`, cookie)).text;
    expect(html).toContain("test.ping");
    expect(html).toMatch(/class="badge s-test">test</);
  });

  it("a test the endpoint refuses is a failed delivery with the answer recorded, and is never retried", async () => {
    const { key } = await atoshipWorkspace("test-log-failed");
    const endpoint = await mockEndpoint();
    const dest = await createDestination(key, { url: endpoint.url });
    await endpoint.script({ responses: [{ status: 503, body: "down for maintenance" }], default: { status: 503 } });
    const sent = await api("POST", `/v1/destinations/${dest.id}/test`, { token: key });
    expect(sent.status).toBe(200);
    expect(sent.json.status_code).toBe(503);

    const [delivery] = (await api("GET", `/v1/deliveries?destination=${dest.id}`, { token: key })).json.data;
    expect(delivery).toMatchObject({ event_type: "test.ping", status: "failed", attempt_count: 1 });
    const detail = await api("GET", `/v1/deliveries/${delivery.id}`, { token: key });
    expect(detail.json.attempts).toMatchObject([{ attempt: 1, status_code: 503, response_body: "down for maintenance" }]);
    expect(await endpoint.requests()).toHaveLength(1);
  });
});
