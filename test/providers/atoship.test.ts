import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalEventSchema, EVENT_TYPES } from "../../src/events/canonical";
import { atoshipAdapter } from "../../src/ingest/providers/atoship";
import { AdapterParseError, type AdapterInput, type NormalizedEvent } from "../../src/ingest/providers/types";
import labelCreated from "../fixtures/atoship/label.created.json";

const receivedAt = new Date("2024-01-15T10:30:02Z");

function input(body: unknown): AdapterInput {
  return { body, rawBody: JSON.stringify(body), headers: new Headers(), settings: {}, receivedAt };
}

function one(body: unknown): NormalizedEvent {
  const result = atoshipAdapter.normalize(input(body));
  if (result.kind !== "events") throw new Error("expected events");
  expect(result.events).toHaveLength(1);
  return result.events[0]!;
}

function expectCanonical(ev: NormalizedEvent) {
  expect(EVENT_TYPES as readonly string[]).toContain(ev.type);
  const full = canonicalEventSchema.safeParse({
    ...ev,
    id: "evt_test",
    created_at: receivedAt.toISOString(),
    occurred_at: ev.occurred_at ?? receivedAt.toISOString(),
    sequence: null,
    source: { id: "src_test", provider: "atoship", event: ev.source_event },
  });
  expect(full.success, JSON.stringify(full.error?.issues)).toBe(true);
  for (const section of [ev.order, ev.shipment, ev.tracking, ev.inventory]) {
    if (section !== undefined) expect(Object.keys(section).length).toBeGreaterThan(0);
  }
}

describe("atoship normalize", () => {
  it("maps the seed label.created sample", () => {
    const ev = one(labelCreated.body);
    expect(ev).toMatchObject({
      type: "label.created",
      occurred_at: "2024-01-15T10:30:00Z",
      order: { reference: "ord_xyz789" },
      shipment: { label_id: "lbl_abc123", tracking_number: "9400111899223", carrier: "usps", service: "Priority Mail" },
    });
    expectCanonical(ev);
  });

  it("normalizes tracking dates", () => {
    const ev = one({ type: "shipment.in_transit", data: { order_id: "o1", estimated_delivery: "2024-01-18T12:00:00Z", ship_date: "2024-01-15T08:00:00Z" } });
    expect(ev.tracking).toEqual({ status: "in_transit", estimated_delivery: "2024-01-18" });
    expect(ev.shipment).toEqual({ ship_date: "2024-01-15" });
  });
});

describe("atoship properties", () => {
  const bodies = fc.oneof(
    fc.jsonValue(),
    fc.record(
      {
        event: fc.oneof(fc.constantFrom("label.created", "shipment.delivered", "order.fulfilled", "x"), fc.jsonValue()),
        timestamp: fc.jsonValue(),
        data: fc.oneof(fc.dictionary(fc.constantFrom("order_id", "carrier", "ship_date", "estimated_delivery", "rate", "status_detail"), fc.jsonValue()), fc.jsonValue()),
      },
      { requiredKeys: [] },
    ),
  );

  it("normalize returns a result or throws AdapterParseError, never anything else", () => {
    fc.assert(
      fc.property(bodies, (body) => {
        try {
          const r = atoshipAdapter.normalize(input(body));
          if (r.kind === "events") r.events.forEach(expectCanonical);
        } catch (e) {
          if (!(e instanceof AdapterParseError)) throw e;
        }
      }),
      { numRuns: 200 },
    );
  });
});
