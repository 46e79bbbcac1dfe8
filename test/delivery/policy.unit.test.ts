import { describe, expect, it } from "vitest";
import { autoDisablePolicy, DEFAULT_AUTO_DISABLE_FAILURES, DEFAULT_AUTO_DISABLE_SECONDS } from "../../src/delivery/auto-disable";
import { renderBody } from "../../src/delivery/body";
import { hopDelaySeconds } from "../../src/delivery/decide";
import { failsOver } from "../../src/delivery/dispatch";
import { MAX_QUEUE_DELAY_SECONDS } from "../../src/delivery/messages";
import { burstFor } from "../../src/delivery/pacing";
import { retryDelaySeconds } from "../../src/delivery/retry-policy";
import { filterMatches, routes, typeMatches } from "../../src/delivery/routing";
import { parseRetryAfter, type AttemptOutcome } from "../../src/delivery/send";
import { DEFAULT_SCHEDULE_SECONDS } from "../../src/db/destinations";

const HOUR = 3600;

describe("retry schedule", () => {
  it("defaults to 1 m, 5 m, 30 m, 2 h, 24 h after the immediate first attempt", () => {
    expect(DEFAULT_SCHEDULE_SECONDS).toEqual([60, 300, 1800, 7200, 86400]);
    const noJitter = () => 0;
    expect([1, 2, 3, 4, 5].map((n) => retryDelaySeconds(DEFAULT_SCHEDULE_SECONDS, n, undefined, noJitter))).toEqual([
      60, 300, 1800, 7200, 86400,
    ]);
  });

  it("repeats the last entry when attempts outnumber the schedule", () => {
    expect(retryDelaySeconds([1, 2], 5, undefined, () => 0)).toBe(2);
  });

  it("adds up to 10 % jitter to delays of 10 s or more, never less than scheduled", () => {
    expect(retryDelaySeconds([300], 1, undefined, () => 0.999)).toBe(329);
    expect(retryDelaySeconds([300], 1, undefined, () => 0.5)).toBe(315);
    expect(retryDelaySeconds([300], 1, undefined, () => 0)).toBe(300);
    // Second-scale schedules stay exact (tests and tight loops).
    expect(retryDelaySeconds([1], 1, undefined, () => 0.999)).toBe(1);
  });

  it("waits at least as long as Retry-After asks", () => {
    expect(retryDelaySeconds([1], 1, 120, () => 0)).toBe(120);
    expect(retryDelaySeconds([300], 1, 5, () => 0)).toBe(300);
  });

  it("reads Retry-After as seconds or an HTTP date, capped at a day", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("30", now)).toBe(30);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:02:00 GMT", now)).toBe(120);
    expect(parseRetryAfter("999999", now)).toBe(86_400);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe("long waits are split into queue-sized hops", () => {
  it("never asks the queue for more than its 12 h maximum, and asks for the rest when less remains", () => {
    const now = 1_000_000;
    expect(MAX_QUEUE_DELAY_SECONDS).toBe(12 * HOUR);
    expect(hopDelaySeconds(now + 30 * HOUR * 1000, now)).toBe(12 * HOUR);
    expect(hopDelaySeconds(now + 18 * HOUR * 1000, now)).toBe(12 * HOUR);
    expect(hopDelaySeconds(now + 6 * HOUR * 1000 + 1, now)).toBe(6 * HOUR + 1);
  });
});

describe("routing", () => {
  it("matches exact types and prefix.* patterns; no patterns means everything but relay.*", () => {
    expect(typeMatches(["order.shipped"], "order.shipped")).toBe(true);
    expect(typeMatches(["tracking.*"], "tracking.updated")).toBe(true);
    expect(typeMatches(["tracking.*"], "order.shipped")).toBe(false);
    expect(typeMatches(null, "order.shipped")).toBe(true);
    expect(typeMatches(null, "relay.delivery.failed")).toBe(false);
    expect(typeMatches([], "relay.destination.disabled")).toBe(false);
  });

  it("sends relay.* events only to destinations that name them, not to * catch-alls", () => {
    expect(typeMatches(["*"], "order.shipped")).toBe(true);
    expect(typeMatches(["*"], "relay.delivery.failed")).toBe(false);
    expect(typeMatches(["relay.*"], "relay.delivery.failed")).toBe(true);
    expect(typeMatches(["relay.delivery.*"], "relay.delivery.failed")).toBe(true);
    expect(typeMatches(["relay.delivery.*"], "relay.destination.disabled")).toBe(false);
    expect(typeMatches(["relay.destination.disabled"], "relay.destination.disabled")).toBe(true);
  });

  it("filters on canonical fields: equality, or one-of for arrays", () => {
    const event = { shipment: { carrier: "ups" }, source: { provider: "atoship" } };
    expect(filterMatches({ "shipment.carrier": "ups" }, event)).toBe(true);
    expect(filterMatches({ "shipment.carrier": ["fedex", "ups"] }, event)).toBe(true);
    expect(filterMatches({ "shipment.carrier": "usps" }, event)).toBe(false);
    expect(filterMatches({ "shipment.carrier": "ups", "source.provider": "shipedge" }, event)).toBe(false);
    expect(filterMatches({ "order.reference": "x" }, event)).toBe(false);
  });

  it("does not apply a sources restriction to the relay's own (sourceless) events", () => {
    const dest = { events: ["relay.*"], sourceIds: ["src_a"], filter: null };
    expect(routes(dest, { type: "relay.delivery.failed", sourceId: "relay", canonical: {} })).toBe(true);
    expect(routes({ ...dest, events: null }, { type: "order.shipped", sourceId: "src_b", canonical: {} })).toBe(false);
  });
});

describe("backup URL takes over", () => {
  const outcome = (o: Partial<AttemptOutcome>): AttemptOutcome => ({
    ok: false, url: "u", statusCode: null, durationMs: 1, error: "x", responseBody: null, transportFailure: false, ...o,
  });
  it("on connection errors, timeouts and 5xx — not on 4xx, 3xx or success", () => {
    expect(failsOver(outcome({ transportFailure: true }))).toBe(true);
    expect(failsOver(outcome({ statusCode: 503 }))).toBe(true);
    expect(failsOver(outcome({ statusCode: 500 }))).toBe(true);
    expect(failsOver(outcome({ statusCode: 404 }))).toBe(false);
    expect(failsOver(outcome({ statusCode: 302 }))).toBe(false);
    expect(failsOver(outcome({ ok: true, statusCode: 200, error: null }))).toBe(false);
  });
});

describe("rate limit bursts", () => {
  it("allow one second's worth of the limit at once, at least one", () => {
    expect(burstFor(1000)).toBe(17);
    expect(burstFor(60)).toBe(1);
    expect(burstFor(1)).toBe(1);
  });
});

describe("auto-disable policy", () => {
  it("takes the destination's own rules over the defaults (20 deliveries, 5 days); 0 switches a rule off", () => {
    const env = {} as Env;
    expect(autoDisablePolicy(env, { autoDisableFailures: null, autoDisableSeconds: null })).toEqual({
      afterFailedDeliveries: DEFAULT_AUTO_DISABLE_FAILURES,
      afterFailingSeconds: DEFAULT_AUTO_DISABLE_SECONDS,
    });
    expect(DEFAULT_AUTO_DISABLE_SECONDS).toBe(5 * 24 * HOUR);
    expect(autoDisablePolicy(env, { autoDisableFailures: 0, autoDisableSeconds: 60 })).toEqual({ afterFailedDeliveries: 0, afterFailingSeconds: 60 });
  });

  it("reads the Worker-wide defaults from env vars; nonsense is an error naming the variable", () => {
    const env = { AUTO_DISABLE_AFTER_FAILED_DELIVERIES: "5" } as unknown as Env;
    expect(autoDisablePolicy(env, { autoDisableFailures: null, autoDisableSeconds: null })).toEqual({
      afterFailedDeliveries: 5,
      afterFailingSeconds: DEFAULT_AUTO_DISABLE_SECONDS,
    });
    const bad = { AUTO_DISABLE_AFTER_FAILED_DELIVERIES: "5", AUTO_DISABLE_AFTER_FAILING_SECONDS: "-3" } as unknown as Env;
    expect(() => autoDisablePolicy(bad, { autoDisableFailures: null, autoDisableSeconds: null })).toThrow(/AUTO_DISABLE_AFTER_FAILING_SECONDS/);
  });
});

describe("delivery body formats", () => {
  const event = { body: JSON.stringify({ id: "evt_1", type: "label.created" }), raw: '{"event":"label.created"}' };
  it("v1 is the canonical event as stored; include_raw adds the provider payload", () => {
    expect(renderBody("v1", event, false)).toBe(event.body);
    expect(JSON.parse(renderBody("v1", event, true))).toEqual({ id: "evt_1", type: "label.created", raw: { event: "label.created" } });
    expect(JSON.parse(renderBody("v1", { ...event, raw: "a=1&b=2" }, true)).raw).toBe("a=1&b=2");
  });
  it("refuses a format this version does not know rather than send the wrong shape", () => {
    expect(() => renderBody("v9", event, false)).toThrow(/unknown delivery format/);
  });
});
