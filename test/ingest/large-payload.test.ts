import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { mockEndpoint } from "../support/mock";
import { api, atoshipWorkspace, createDestination, postAtoship } from "../support/relay";

describe("payloads near the 1 MiB limit", () => {
  it("an unmapped payload of ~1 MiB is stored once in event_payloads, not twice in one events row", async () => {
    const { key, source } = await atoshipWorkspace();
    const endpoint = await mockEndpoint();
    await createDestination(key, { url: endpoint.url, include_raw: true });
    const payload = { note: "no event field: unmapped", pad: "x".repeat(1000 * 1024) };
    const r = await postAtoship(source, payload);
    expect(r.status, r.text).toBe(200);
    const id = r.json.event_ids[0];

    const sizes = await env.DB.prepare(
      "SELECT length(e.body) AS body, length(p.raw) AS raw FROM events e JOIN event_payloads p ON p.event_id = e.id WHERE e.id = ?",
    )
      .bind(id)
      .first<{ body: number; raw: number }>();
    expect(sizes!.raw).toBeGreaterThan(1000 * 1024);
    expect(sizes!.body).toBeLessThan(2 * 1000 * 1024);

    const ev = await api("GET", `/v1/events/${id}`, { token: key });
    expect(ev.json.raw.pad).toHaveLength(1000 * 1024);
    const [req] = await endpoint.waitForRequests(1);
    expect(JSON.parse(req!.body).raw.pad).toHaveLength(1000 * 1024);
  });
});
