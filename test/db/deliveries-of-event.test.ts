import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eventAttemptsQuery } from "../../src/db/attempts";
import { dbOf } from "../../src/db/client";
import { ofEventSql } from "../../src/db/deliveries-of-event";
import {
  deliveriesOfEventsQuery,
  deliveryCountsByEvent,
  eventDeliveriesQuery,
  eventHasDeliveryIn,
} from "../../src/db/deliveries-reads";
import { deliveryFilterWhere } from "../../src/db/deliveries-walks";
import { deliveryStatusByEvent } from "../../src/dashboard/queries";
import { deliveries, events } from "../../src/db/schema";
import { deliveryIdOf } from "../../src/events/ids";
import { api } from "../support/relay";
import { rig, sendEvent, waitForDelivery } from "../delivery/helpers";

/**
 * A delivery's id begins with its event's, so "the deliveries of event E" is a range of the
 * primary key and costs no index entry per delivery (src/db/deliveries-of-event.ts); rows of
 * before (30-character ids) are still found, through the partial legacy index.
 */

const db = dbOf(env);
const EVENT = "evt_0123456789abcdefghjkmnpqrs";

async function explain(sql: string, params: unknown[]): Promise<string[]> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...params).all<{ detail: string }>();
  return results.map((r) => r.detail);
}

/** The plan reads `deliveries` by the event's key range and the legacy index, and no other way. */
function expectReadByEvent(steps: string[]) {
  const ofDeliveries = steps.filter((s) => /\bdeliveries\b/.test(s));
  expect(ofDeliveries, steps.join("\n")).toEqual([
    "SEARCH deliveries USING PRIMARY KEY (id>? AND id<?)",
    "SEARCH deliveries USING INDEX deliveries_event_legacy (event_id=?)",
  ]);
}

describe("delivery ids", () => {
  it("begin with their event's 26 characters, then 10 of (event, destination): the same each time, another for another destination", async () => {
    const id = await deliveryIdOf(EVENT, "dst_a");
    expect(id).toMatch(/^dlv_0123456789abcdefghjkmnpqrs[0-9a-z]{10}$/);
    expect(await deliveryIdOf(EVENT, "dst_a")).toBe(id);
    expect(await deliveryIdOf(EVENT, "dst_b")).not.toBe(id);
    await expect(deliveryIdOf("evt_short", "dst_a")).rejects.toThrow();
  });
});

describe("an event's deliveries are read by key", () => {
  it("one event (its detail): the primary key's range and the legacy partial index, no walk of the workspace's deliveries", async () => {
    const { sql, params } = eventDeliveriesQuery(db, "ws_x", EVENT).toSQL();
    expectReadByEvent(await explain(sql, params));
  });

  it("every other reader of an event's deliveries, correlated or over a list of events", async () => {
    const readers = [
      eventAttemptsQuery(db, "ws_x", EVENT),
      db.select({ id: deliveries.id }).from(deliveries).where(deliveryFilterWhere("ws_x", { eventId: EVENT, destinationIds: ["dst_a"], statuses: ["failed"] })),
      db.select({ id: events.id }).from(events).where(eventHasDeliveryIn(db, events.id, ["failed"])),
      deliveriesOfEventsQuery(db, "ws_x", [EVENT, EVENT]),
      deliveryCountsByEvent(db, "ws_x", [EVENT, EVENT]),
    ];
    for (const q of readers) {
      const { sql, params } = q.toSQL();
      expectReadByEvent(await explain(sql, params));
    }
    // Retention's "no delivery refers to it" (src/db/events.ts purgeEvents), written as text.
    expectReadByEvent(await explain(`SELECT e.id FROM events e WHERE e.workspace_id = ?1 AND NOT EXISTS (SELECT 1 FROM deliveries WHERE ${ofEventSql("e.id")})`, ["ws_x"]));
  });
});

describe("a delivery written before ids began with their event's", () => {
  it("is still one of its event's deliveries: detail, list by event, events by delivery status, the console's counts", async () => {
    const r = await rig();
    const eventId = await sendEvent(r);
    const current = await waitForDelivery(r.key, r.destination.id, eventId, "succeeded");
    expect(current.id.startsWith(`dlv_${eventId.slice(4)}`)).toBe(true);

    // The old shape: `dlv_` + 26 characters, nothing of the event.
    const legacy = `dlv_${"0123456789abcdefghjkmnpqrs".split("").reverse().join("")}`;
    expect(legacy).toHaveLength(30);
    const now = Date.now();
    await env.DB.prepare(
      `INSERT INTO deliveries (id, workspace_id, event_id, destination_id, event_type, status, attempt_count, attempt_limit,
         next_attempt_at, created_at, updated_at, completed_at)
       VALUES (?1, ?2, ?3, ?4, 'label.created', 'failed', 1, 1, ?5, ?5, ?5, ?5)`,
    )
      .bind(legacy, r.workspaceId, eventId, r.destination.id, now)
      .run();

    const detail = await api("GET", `/v1/events/${eventId}`, { token: r.key });
    expect(detail.status, detail.text).toBe(200);
    expect((detail.json.deliveries as { id: string }[]).map((d) => d.id).sort()).toEqual([current.id, legacy].sort());

    const byEvent = await api("GET", `/v1/deliveries?event=${eventId}`, { token: r.key });
    expect((byEvent.json.data as { id: string }[]).map((d) => d.id).sort()).toEqual([current.id, legacy].sort());

    // The range is only the way in: a prefix of the id is no event, and `evt_` alone is not every delivery.
    for (const prefix of ["evt_", eventId.slice(0, 10)]) {
      const none = await api("GET", `/v1/deliveries?event=${prefix}`, { token: r.key });
      expect(none.json.data, prefix).toEqual([]);
    }

    const failedEvents = await api("GET", `/v1/events?delivery_status=failed`, { token: r.key });
    expect((failedEvents.json.data as { id: string }[]).map((e) => e.id)).toEqual([eventId]);

    expect((await deliveryStatusByEvent(db, r.workspaceId, [eventId])).get(eventId)).toEqual({ succeeded: 1, failed: 1 });
  });
});
