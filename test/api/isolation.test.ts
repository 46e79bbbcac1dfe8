import { describe, expect, it } from "vitest";
import { mockEndpoint } from "../support/mock";
import { api, atoshipEvent, atoshipWorkspace, createDestination, createWorkspace, eventually, postAtoship } from "../support/relay";

describe("workspace isolation", () => {
  it("another workspace's key gets 404 for every object of this one, and lists none of them", async () => {
    const { key, source } = await atoshipWorkspace("owner");
    const endpoint = await mockEndpoint();
    const dest = await createDestination(key, { url: endpoint.url });
    const posted = await postAtoship(source, atoshipEvent());
    const eventId = posted.json.event_ids[0];
    const delivery = await eventually(async () => (await api("GET", `/v1/deliveries?event=${eventId}`, { token: key })).json.data[0]);
    const { key: intruder } = await createWorkspace("intruder");

    const objectRoutes: [string, string][] = [
      ["GET", `/v1/sources/${source.id}`],
      ["PATCH", `/v1/sources/${source.id}`],
      ["DELETE", `/v1/sources/${source.id}`],
      ["POST", `/v1/sources/${source.id}/rotate-secret`],
      ["GET", `/v1/destinations/${dest.id}`],
      ["PATCH", `/v1/destinations/${dest.id}`],
      ["DELETE", `/v1/destinations/${dest.id}`],
      ["POST", `/v1/destinations/${dest.id}/rotate-secret`],
      ["POST", `/v1/destinations/${dest.id}/test`],
      ["GET", `/v1/destinations/${dest.id}/stats`],
      ["GET", `/v1/events/${eventId}`],
      ["GET", `/v1/deliveries/${delivery.id}`],
      ["POST", `/v1/deliveries/${delivery.id}/retry`],
    ];
    for (const [method, path] of objectRoutes) {
      const body = method === "PATCH" ? { name: "stolen" } : undefined;
      const r = await api(method, path, { token: intruder, body });
      expect(r.status, `${method} ${path}`).toBe(404);
    }
    for (const path of ["/v1/sources", "/v1/destinations", "/v1/events", "/v1/deliveries", "/v1/ingest-log"]) {
      const r = await api("GET", path, { token: intruder });
      expect(r.status).toBe(200);
      expect(r.json.data, path).toEqual([]);
    }
    for (const path of [`/v1/events?source=${source.id}`, `/v1/deliveries?destination=${dest.id}`, `/v1/ingest-log?source=${source.id}`]) {
      expect((await api("GET", path, { token: intruder })).json.data, path).toEqual([]);
    }
    // The owner's objects are untouched.
    expect((await api("GET", `/v1/sources/${source.id}`, { token: key })).json.name).toBe("AtoShip");
  });
});
