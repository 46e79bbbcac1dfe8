import jsonata from "jsonata";
import { apiError } from "../lib/errors";
import { ALLOCATION_BUDGET, guard, jsonSizeExceeds, riskyRegex, SIZE_CODE } from "./transform-guards";

/**
 * Per-destination transforms: a JSONata expression over the canonical event whose result is
 * the body sent (CONTRACT.md, Additions). JSONata is an interpreter — no `eval` — but an
 * expression can still loop, recurse or build something huge, so every evaluation runs within
 * these limits (the README's "Transforms" section states them):
 *
 * - `steps`: evaluation steps (every node JSONata evaluates counts one). Workers freeze the
 *   clock while code runs, so a wall-clock timeout cannot stop a busy loop there; counting
 *   steps can. 200 000 steps are a few tens of milliseconds.
 * - `timeoutMs`: a wall-clock limit raced against the evaluation for whatever does yield
 *   (and JSONata's own timeout guard where the clock moves).
 * - `depth`: JSONata's evaluation stack depth (recursion).
 * - `sequence`: the longest sequence or range an expression may build.
 * - `maxBytes`: the result, as JSON, must be an object or array of at most 256 KiB; no string
 *   along the way may be longer, and the built-ins that could build one in a single step
 *   are checked before they run (src/delivery/transform-guards.ts, with `$eval` refused and
 *   backtracking-prone regular expressions refused on save).
 */
export const TRANSFORM_LIMITS = {
  expressionChars: 10_000,
  steps: 200_000,
  timeoutMs: 1_000,
  depth: 200,
  sequence: 100_000,
  maxBytes: 256 * 1024,
} as const;

/** Why a transform produced no body: its message is what the attempt log records. */
export class TransformError extends Error {
  constructor(
    message: string,
    readonly position: number | null = null,
  ) {
    super(message);
    this.name = "TransformError";
  }
}

interface JsonataFailure {
  code?: string;
  message?: string;
  position?: number;
  token?: string;
}

const STEP_LIMIT_CODE = "SR_STEPS";

function compile(expression: string) {
  if (expression.length > TRANSFORM_LIMITS.expressionChars) {
    throw new TransformError(`the expression is longer than ${TRANSFORM_LIMITS.expressionChars} characters`);
  }
  let compiled: ReturnType<typeof jsonata>;
  try {
    compiled = jsonata(expression, { timeout: TRANSFORM_LIMITS.timeoutMs, stack: TRANSFORM_LIMITS.depth, sequence: TRANSFORM_LIMITS.sequence });
  } catch (err) {
    const e = err as JsonataFailure;
    const at = typeof e.position === "number" ? e.position : null;
    throw new TransformError(`${e.message ?? String(err)}${at !== null ? ` (at position ${at})` : ""}`, at);
  }
  const risky = riskyRegex(compiled.ast());
  if (risky) throw new TransformError(risky);
  return compiled;
}

/** Checks an expression on save: `400 invalid_transform` with the position of the syntax error. */
export function checkTransform(expression: string | null | undefined): void {
  if (expression == null) return;
  if (!expression.trim()) throw apiError("invalid_transform", "transform must not be empty (use null to remove it)");
  try {
    compile(expression);
  } catch (err) {
    throw apiError("invalid_transform", `transform is not a valid JSONata expression: ${(err as Error).message}`);
  }
}

function describe(err: unknown): string {
  const e = err as JsonataFailure;
  switch (e?.code) {
    case STEP_LIMIT_CODE:
      return `the expression ran more than ${TRANSFORM_LIMITS.steps} evaluation steps`;
    case "D1011":
      return `the expression recursed deeper than ${TRANSFORM_LIMITS.depth}`;
    case "D1012":
      return `the expression ran longer than ${TRANSFORM_LIMITS.timeoutMs} ms`;
    case "D2014":
    case "D2015":
      return `the expression built a sequence longer than ${TRANSFORM_LIMITS.sequence}`;
    case SIZE_CODE:
      return `${(e as { what?: string }).what ?? "a value"} would be larger than ${TRANSFORM_LIMITS.maxBytes} bytes`;
    case "SR_ALLOC":
      return `the expression built more than ${ALLOCATION_BUDGET} items and characters in all`;
    case "SR_EVAL":
      return "$eval is not available in transforms";
  }
  if (err instanceof RangeError) return "the expression exhausted the stack";
  const at = typeof e?.position === "number" ? ` (at position ${e.position})` : "";
  return `${e?.message ?? String(err)}${at}`.slice(0, 300);
}

/** A JSONata function value (lambda) is an object with internals; it is not data. */
function refuseNonData(_key: string, value: unknown): unknown {
  if (typeof value === "function" || (value && typeof value === "object" && "_jsonata_lambda" in value)) {
    throw new TransformError("the result contains a function");
  }
  return value;
}

/**
 * Runs `expression` over `input` (the canonical event, parsed) and returns the body to send:
 * JSON text of an object or array within the limits. Throws TransformError, never anything
 * else, whatever the expression or the input.
 */
export async function applyTransform(expression: string, input: unknown): Promise<string> {
  const compiled = compile(expression);
  await guard(compiled, TRANSFORM_LIMITS.maxBytes);
  let steps = 0;
  compiled.assign(Symbol.for("jsonata.__evaluate_entry") as unknown as string, () => {
    if (++steps > TRANSFORM_LIMITS.steps) throw { code: STEP_LIMIT_CODE };
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject({ code: "D1012" }), TRANSFORM_LIMITS.timeoutMs);
  });
  let result: unknown;
  try {
    result = await Promise.race([compiled.evaluate(input), timeout]);
  } catch (err) {
    throw new TransformError(`transform failed: ${describe(err)}`);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
  if (result === undefined) throw new TransformError("transform failed: the expression produced nothing");
  if (typeof result !== "object" || result === null) {
    throw new TransformError(`transform failed: the result must be a JSON object or array, not ${result === null ? "null" : typeof result}`);
  }
  // Counted before it is built: a result of repeated references can be small in memory and huge as text.
  if (jsonSizeExceeds(result, TRANSFORM_LIMITS.maxBytes * 2)) {
    throw new TransformError(`transform failed: the result is over the ${TRANSFORM_LIMITS.maxBytes}-byte limit`);
  }
  let text: string;
  try {
    text = JSON.stringify(result, refuseNonData);
  } catch (err) {
    throw new TransformError(`transform failed: ${err instanceof TransformError ? err.message : "the result is not JSON"}`);
  }
  const bytes = new TextEncoder().encode(text).byteLength;
  if (bytes > TRANSFORM_LIMITS.maxBytes) {
    throw new TransformError(`transform failed: the result is ${bytes} bytes, over the ${TRANSFORM_LIMITS.maxBytes}-byte limit`);
  }
  return text;
}

/** Relay events describe the relay itself and are never reshaped: their consumers need the documented shape. */
export function isTransformed(transform: string | null | undefined, eventType: string): transform is string {
  return !!transform && !eventType.startsWith("relay.");
}
