import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { INLINE_RAW_CHARS } from "../../src/db/events";
import { mockEndpoint } from "../support/mock";
import { api, atoshipEvent, atoshipWorkspace, createDestination, postAtoship } from "../support/relay";

/**
 * A small raw payload rides in its event's row (`events.raw`, no `event_payloads` row: 1 row
 * written less per event); a larger one has an `event_payloads` row. Every reader takes either.
 */

async function storedRaw(eventId: string) {
  return env.DB.prepare(
    "SELECT e.raw IS NOT NULL AS inline, (SELECT count(*) FROM event_payloads p WHERE p.event_id = e.id) AS apart FROM events e WHERE e.id = ?1",
  )
    .bind(eventId)
    .first<{ inline: number; apart: number }>();
}

describe("raw payloads: inline when small, apart when large", () => {
  for (const [name, pad, where] of [
    ["a small payload is in the events row", 10, { inline: 1, apart: 0 }],
    ["a payload past INLINE_RAW_CHARS is in event_payloads", INLINE_RAW_CHARS + 10, { inline: 0, apart: 1 }],
  ] as const) {
    it(`${name}; the event API and an include_raw delivery carry it`, async () => {
      const { key, source } = await atoshipWorkspace(`raw-${pad}`);
      const endpoint = await mockEndpoint();
      await createDestination(key, { url: endpoint.url, include_raw: true });
      const payload = atoshipEvent({ data: { order_id: `ord_raw_${pad}`, note: "y".repeat(pad) } });
      const res = await postAtoship(source, payload);
      expect(res.status, res.text).toBe(200);
      const id = res.json.event_ids[0] as string;
      expect(await storedRaw(id)).toEqual(where);

      const ev = await api("GET", `/v1/events/${id}`, { token: key });
      expect(ev.json.raw).toEqual(payload);
      const [req] = await endpoint.waitForRequests(1);
      expect(JSON.parse(req!.body).raw).toEqual(payload);
    });
  }
});
