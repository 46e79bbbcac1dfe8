import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { atoshipAdapter } from "../../src/ingest/providers/atoship";
import type { NormalizedEvent } from "../../src/ingest/providers/types";
import labelCreated from "../fixtures/atoship/label.created.json";
import { expectCanonicalEvent, neverCrashes, normalizeOne } from "./helpers";

const receivedAt = new Date("2024-01-15T10:30:02Z");
const one = (body: unknown) => normalizeOne(atoshipAdapter, body, { receivedAt });
const expectCanonical = (ev: NormalizedEvent) => expectCanonicalEvent(ev, "atoship", receivedAt, { checkFormats: false });

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
    neverCrashes(atoshipAdapter, bodies, { receivedAt, check: expectCanonical, numRuns: 200 });
  });
});
