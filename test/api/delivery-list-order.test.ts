import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { relayEventWrite, relaySubscribers } from "../../src/delivery/relay-events";
import { deliveryIdOf, eventIdOf } from "../../src/events/ids";
import { fromBase64 } from "../../src/lib/encoding";
import { mockEndpoint } from "../support/mock";
import { api, atoshipWorkspace, createDestination, eventually } from "../support/relay";
import { sendEvent } from "../delivery/helpers";

/**
 * GET /v1/deliveries walks a workspace's events and joins each one's deliveries by key
 * (src/db/deliveries-walks.ts), or each destination's range: its answer must be what a walk of
 * the deliveries themselves by (created_at, id) gave, page by page, both ways. Rows are written
 * directly, so two events can share a millisecond and a delivery can have a legacy 30-character id.
 */

const q = encodeURIComponent;
type Page = { data: { id: string; event_id: string; created_at: string }[]; next_cursor: string | null; prev_cursor: string | null };

async function list(key: string, path: string): Promise<Page> {
  const r = await api("GET", path, { token: key });
  expect(r.status, r.text).toBe(200);
  return r.json as Page;
}
const ids = (p: Page) => p.data.map((d) => d.id);

/** Every page forward from the first, then back from the last by prev_cursor: both must give `expected`, page for page. */
async function expectPages(key: string, path: string, expected: string[], limit: number) {
  const sep = path.includes("?") ? "&" : "?";
  const pages = [await list(key, `${path}${sep}limit=${limit}`)];
  expect(pages[0]!.prev_cursor).toBeNull();
  while (pages[pages.length - 1]!.next_cursor) {
    const last = pages[pages.length - 1]!;
    // The cursor keeps its format: created_at in ms and the id of the page's last row.
    const row = last.data[last.data.length - 1]!;
    expect(new TextDecoder().decode(fromBase64(last.next_cursor!))).toBe(`${Date.parse(row.created_at)}|${row.id}`);
    pages.push(await list(key, `${path}${sep}limit=${limit}&cursor=${q(last.next_cursor!)}`));
    expect(pages.length).toBeLessThan(50);
  }
  expect(pages.flatMap(ids), `${path} limit=${limit}`).toEqual(expected);
  for (let i = pages.length - 1; i > 0; i--) {
    const back = await list(key, `${path}${sep}limit=${limit}&prev_cursor=${q(pages[i]!.prev_cursor!)}`);
    expect(ids(back), `${path} limit=${limit}, back to page ${i - 1}`).toEqual(ids(pages[i - 1]!));
    expect(back.next_cursor).not.toBeNull();
    if (i === 1) expect(back.prev_cursor).toBeNull();
  }
}

interface Row {
  id: string;
  eventId: string;
  destinationId: string;
  type: string;
  status: "succeeded" | "failed";
  createdAt: number;
}

/** Newest first by (created_at, id): the order the list had when an index held (workspace_id, created_at, id). */
const byCreation = (rows: Row[]) =>
  [...rows].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).map((r) => r.id);

describe("GET /v1/deliveries: order and pages through the events", () => {
  it("several events of several destinations, two in one millisecond, a legacy row: the same rows in the same order, pages both ways, with and without filters", async () => {
    const { ws, key, source } = await atoshipWorkspace("delivery-order");
    const endpoint = await mockEndpoint();
    const dst: string[] = [];
    for (let i = 0; i < 3; i++) dst.push((await createDestination(key, { url: `${endpoint.url}?d=${i}` })).id);

    const T = Date.now() - 3_600_000;
    // Event i at T + at[i]: events 2 and 3 share a millisecond; event 4 gets a legacy delivery too.
    const at = [0, 1, 2, 2, 3, 4];
    const rows: Row[] = [];
    const statements: D1PreparedStatement[] = [];
    for (let i = 0; i < at.length; i++) {
      const eventId = await eventIdOf(ws.id, source.id, `order-test-${i}`);
      const type = i % 2 ? "tracking.updated" : "label.created";
      const createdAt = T + at[i]!;
      statements.push(
        env.DB.prepare(
          `INSERT INTO events (id, workspace_id, source_id, type, livemode, dedupe_key, body, occurred_at, created_at)
           VALUES (?1, ?2, ?3, ?4, 1, ?1, '{}', ?5, ?5)`,
        ).bind(eventId, ws.id, source.id, type, createdAt),
      );
      // Event i goes to destinations i % 3 onwards: 3, 2 or 1 of them.
      const targets = await Promise.all(dst.slice(i % 3).map(async (d) => [d, await deliveryIdOf(eventId, d)] as const));
      if (i === 4) targets.push([dst[1]!, "dlv_zyxwvutsrqponmkjhgfedcba98"]);
      for (const [destinationId, id] of targets) {
        const status = rows.length % 2 ? "failed" : "succeeded";
        rows.push({ id, eventId, destinationId, type, status, createdAt });
        statements.push(
          env.DB.prepare(
            `INSERT INTO deliveries (id, workspace_id, event_id, destination_id, event_type, status, attempt_count, attempt_limit,
               next_attempt_at, created_at, updated_at, completed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, 1, ?7, ?7, ?7, ?7)`,
          ).bind(id, ws.id, eventId, destinationId, type, status, createdAt),
        );
      }
    }
    await env.DB.batch(statements);
    expect(rows.filter((r) => r.id.length === 30)).toHaveLength(1);
    expect(new Set(rows.filter((r) => r.createdAt === T + 2).map((r) => r.eventId)).size).toBe(2);

    const iso = (ms: number) => q(new Date(ms).toISOString());
    const cases: [string, (r: Row) => boolean][] = [
      ["/v1/deliveries", () => true],
      ["/v1/deliveries?type=label.created", (r) => r.type === "label.created"],
      ["/v1/deliveries?status=failed", (r) => r.status === "failed"],
      [`/v1/deliveries?source=${source.id}&status=succeeded`, (r) => r.status === "succeeded"],
      [`/v1/deliveries?since=${iso(T + 1)}&until=${iso(T + 4)}`, (r) => r.createdAt >= T + 1 && r.createdAt < T + 4],
      [`/v1/deliveries?destination=${dst[1]}`, (r) => r.destinationId === dst[1]],
      [`/v1/deliveries?destination=${dst[0]},${dst[1]}`, (r) => r.destinationId !== dst[2]],
      [`/v1/deliveries?destination=${dst[1]},${dst[2]}&since=${iso(T + 2)}`, (r) => r.destinationId !== dst[0] && r.createdAt >= T + 2],
      [`/v1/deliveries?destination=${dst[1]}&source=${source.id}`, (r) => r.destinationId === dst[1]],
    ];
    for (const [path, keep] of cases) {
      const expected = byCreation(rows.filter(keep));
      expect(expected.length, path).toBeGreaterThan(1);
      for (const limit of [1, 2, 4]) await expectPages(key, path, expected, limit);
    }
  });
});

describe("a delivery's created_at is its event's", () => {
  it("fanned out, a destination test, and a relay event written again after a destination subscribed to it", async () => {
    const { ws, key, source } = await atoshipWorkspace("delivery-created-at");
    const endpoint = await mockEndpoint();
    const a = await createDestination(key, { url: `${endpoint.url}?a`, events: ["*", "relay.*"] });
    await createDestination(key, { url: `${endpoint.url}?b` });
    await sendEvent({ source });
    expect((await api("POST", `/v1/destinations/${a.id}/test`, { token: key })).status).toBe(200);

    // A relay event written at `first` for the destination then subscribed, and again later (a
    // redelivered message) when another has subscribed: the new delivery has the event's time.
    const spec = { workspaceId: ws.id, type: "relay.delivery.failed" as const, dedupeKey: `delivery.failed:created-at:1`, data: {} };
    const first = Date.now() - 60_000;
    const once = await relayEventWrite(env, { ...spec, now: first }, await relaySubscribers(env, ws.id));
    await env.DB.batch(once.statements);
    const late = await createDestination(key, { url: `${endpoint.url}?late`, events: ["relay.*"] });
    const again = await relayEventWrite(env, { ...spec, now: first + 30_000 }, await relaySubscribers(env, ws.id));
    await env.DB.batch(again.statements);

    const rows = await eventually(async () => {
      const { results } = await env.DB.prepare(
        `SELECT d.id, d.destination_id, d.created_at, e.created_at AS event_created_at, e.type
           FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.workspace_id = ?1`,
      )
        .bind(ws.id)
        .all<{ id: string; destination_id: string; created_at: number; event_created_at: number; type: string }>();
      // The event's two, the test's one, the relay event's two.
      return results.length === 5 ? results : undefined;
    });
    expect(rows.filter((r) => r.created_at !== r.event_created_at)).toEqual([]);
    expect(rows.find((r) => r.destination_id === late.id)).toMatchObject({ created_at: first, type: "relay.delivery.failed" });
    expect(rows.map((r) => r.type).sort()).toEqual(["label.created", "label.created", "relay.delivery.failed", "relay.delivery.failed", "test.ping"]);
  });
});
