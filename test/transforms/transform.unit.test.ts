import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bodyFor } from "../../src/delivery/body";
import { applyTransform, checkTransform, TRANSFORM_LIMITS, TransformError } from "../../src/delivery/transform";
import { ApiError } from "../../src/lib/errors";

const event = {
  id: "evt_1",
  type: "tracking.updated",
  livemode: true,
  created_at: "2026-12-01T00:00:00Z",
  occurred_at: "2026-12-01T00:00:00Z",
  sequence: 3,
  source: { id: "src_1", provider: "atoship", event: "tracking.updated" },
  shipment: { tracking_number: "1Z999", carrier: "ups" },
  tracking: { status: "in_transit" },
  data: {},
};

async function failure(expression: string, input: unknown = event): Promise<string> {
  try {
    await applyTransform(expression, input);
  } catch (err) {
    expect(err).toBeInstanceOf(TransformError);
    return (err as Error).message;
  }
  throw new Error(`expected ${expression} to fail`);
}

describe("applyTransform", () => {
  it("reshapes the canonical event into the customer's own shape", async () => {
    const body = await applyTransform('{"tracking": shipment.tracking_number, "status": tracking.status, "seq": sequence}', event);
    expect(JSON.parse(body)).toEqual({ tracking: "1Z999", status: "in_transit", seq: 3 });
    expect(JSON.parse(await applyTransform("[id, type]", event))).toEqual(["evt_1", "tracking.updated"]);
  });

  it("refuses results that are not a JSON object or array", async () => {
    expect(await failure("id")).toMatch(/must be a JSON object or array, not string/);
    expect(await failure("sequence")).toMatch(/not number/);
    expect(await failure("nothing.here")).toMatch(/produced nothing/);
    expect(await failure("function($x){$x}")).toMatch(/function/);
    expect(await failure('{"f": function($x){$x}}')).toMatch(/function/);
  });

  it("refuses a result over 256 KiB and accepts one just under", async () => {
    const big = `{"a": $pad("", ${TRANSFORM_LIMITS.maxBytes}, "x")}`;
    expect(await failure(big)).toMatch(/over the 262144-byte limit/);
    const fits = await applyTransform(`{"a": $pad("", ${TRANSFORM_LIMITS.maxBytes - 10}, "x")}`, event);
    expect(fits.length).toBeLessThanOrEqual(TRANSFORM_LIMITS.maxBytes);
  });

  it("stops runaway expressions: endless recursion, long loops, huge ranges", async () => {
    expect(await failure("($f := function($x){ $f($x + 1) }; $f(0))")).toMatch(/evaluation steps|recursed|stack/);
    expect(await failure("($f := function($x){ $x > 0 ? 1 + $f($x - 1) : 0 }; {'n': $f(100000)})")).toMatch(/recursed|stack|steps/);
    expect(await failure("[1..10000000]")).toMatch(/sequence longer/);
    expect(await failure("($loop := function($i){ $i < 100000000 ? $loop($i + 1) : $i }; {'n': $loop(0)})")).toMatch(/evaluation steps/);
  });

  it("bounds memory: built-ins that could build a huge string in one step, repeated references, many medium values", async () => {
    expect(await failure('{"a": $pad("", 100000000, "x")}')).toMatch(/\$pad would be larger/);
    expect(await failure('{"a": $pad("", 200000, $pad("", 1000, "y"))}')).toMatch(/\$pad would be larger/);
    expect(await failure('($s := $pad("", 20000, "x"); {"a": $join([1..15].($s), "")})')).toMatch(/\$join would be larger/);
    expect(await failure('($s := $pad("", 20000, "x"); {"a": $string([1..15].($s))})')).toMatch(/\$string would be larger/);
    expect(await failure('{"a": $replace($pad("", 200000, "a"), "a", $pad("", 1000, "b"))}')).toMatch(/\$replace would be larger/);
    expect(await failure('($f := function($s, $n){ $n = 0 ? $s : $f($s & $s, $n - 1) }; {"a": $f("x", 29)})')).toMatch(/a string would be larger/);
    expect(await failure('($s := $pad("", 20000, "x"); {"a": [1..15].($s)})')).toMatch(/over the 262144-byte limit/);
    expect(await failure('{"a": [1..100000].([1..100000])}')).toMatch(/items and characters in all/);
    // The same built-ins still work within bounds.
    const ok = await applyTransform('{"r": $replace("a-b", "-", "+"), "j": $join(["x", "y"], ","), "s": $string({"k": 1}), "p": $pad("7", -3, "0"), "x": $replace("x1y22", /\\d+/, "#")}', event);
    expect(JSON.parse(ok)).toEqual({ r: "a+b", j: "x,y", s: '{"k":1}', p: "007", x: "x#y#" });
  });

  it("refuses $eval and backtracking-prone regular expressions", async () => {
    expect(await failure('{"a": $eval("[1..10]")}')).toMatch(/\$eval is not available/);
    expect(await failure('{"a": $match("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", /(a+)+$/)}')).toMatch(/catastrophic backtracking/);
    expect(() => checkTransform('{"a": $contains(id, /(\\w*)*x/)}')).toThrow(/catastrophic backtracking/);
  });

  it("reports runtime errors with their reason", async () => {
    expect(await failure('{"x": $number("abc") + "a"}')).toMatch(/transform failed/);
  });
});

describe("checkTransform", () => {
  it("accepts a valid expression and null", () => {
    expect(() => checkTransform('{"a": id}')).not.toThrow();
    expect(() => checkTransform(null)).not.toThrow();
  });

  it("refuses a syntax error as invalid_transform with its position", () => {
    try {
      checkTransform('{"a": id');
      throw new Error("accepted");
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe("invalid_transform");
      expect((err as ApiError).message).toMatch(/at position \d+/);
    }
    expect(() => checkTransform("   ")).toThrow(/empty/);
  });
});

describe("bodyFor", () => {
  const row = { format: "v1", includeRaw: false, transform: '{"t": type}' };
  it("transforms events and never relay.* events", async () => {
    expect(JSON.parse(await bodyFor(row, { type: "tracking.updated", body: JSON.stringify(event), raw: "" }))).toEqual({ t: "tracking.updated" });
    const relay = JSON.stringify({ ...event, type: "relay.delivery.failed" });
    expect(await bodyFor(row, { type: "relay.delivery.failed", body: relay, raw: "" })).toBe(relay);
    expect(await bodyFor({ ...row, transform: null }, { type: "x", body: relay, raw: "" })).toBe(relay);
  });

  it("sees the raw payload under raw when include_raw is set", async () => {
    const body = await bodyFor({ format: "v1", includeRaw: true, transform: '{"r": raw.n}' }, { type: "x", body: JSON.stringify(event), raw: '{"n":7}' });
    expect(JSON.parse(body)).toEqual({ r: 7 });
  });
});

describe("fuzz", () => {
  // Random expressions built from JSONata's pieces over random events: whatever happens, the
  // result is a body within the limits or a TransformError — never another throw, never a hang.
  const atoms = ["id", "type", "data", "$", "shipment", "[1..50]", "'s'", "3", "null", "true", "$count(data)", "$string($)", "$keys($)", "**", "*", "$pad('x', 300000, 'ab')", "$join(['a', 'b'], '-')", "$replace('aaa', 'a', 'bb')"];
  const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
    e: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.constantFrom(...atoms),
      fc.tuple(tie("e"), fc.constantFrom(" & ", " + ", " = ", ".", " ? ", " and ", " in "), tie("e")).map(([a, op, b]) => `(${a}${op}${b})`),
      fc.tuple(fc.string({ maxLength: 8 }), tie("e")).map(([k, v]) => `{${JSON.stringify(k)}: ${v}}`),
      fc.array(tie("e"), { maxLength: 3 }).map((xs) => `[${xs.join(", ")}]`),
      tie("e").map((e) => `$map([1..20], function($v){ ${e} })`),
      tie("e").map((e) => `${e}[0]`),
    ),
  })).e;

  it("random expressions over random events never throw anything but TransformError", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(expr, fc.string({ maxLength: 40 })), fc.jsonValue({ maxDepth: 4 }), async (expression, input) => {
        try {
          const body = await applyTransform(expression, input);
          const parsed = JSON.parse(body) as unknown;
          expect(typeof parsed === "object" && parsed !== null).toBe(true);
          expect(new TextEncoder().encode(body).byteLength).toBeLessThanOrEqual(TRANSFORM_LIMITS.maxBytes);
        } catch (err) {
          expect(err).toBeInstanceOf(TransformError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("results over the limit are always refused", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: TRANSFORM_LIMITS.maxBytes, max: TRANSFORM_LIMITS.maxBytes * 3 }), fc.boolean(), async (n, asArray) => {
        const expression = asArray ? `[$pad("", ${n}, "y")]` : `{"k": $pad("", ${n}, "y")}`;
        await expect(applyTransform(expression, {})).rejects.toThrow(/byte limit|larger than 262144 bytes/);
      }),
      { numRuns: 20 },
    );
  });
});
