import jsonata from "jsonata";

/**
 * What keeps a transform's memory and time bounded beyond the step and depth counts: JSONata
 * built-ins that can turn small inputs into a huge string in a single step ($pad, $join,
 * $replace, $string, and stringifying a result full of repeated references) are checked
 * before they run; every value an expression node produces is checked after; `$eval` (which
 * would run an expression outside these limits) is refused; what all nodes produce together
 * is counted against ALLOCATION_BUDGET; regular expressions with a
 * quantified group that itself repeats (catastrophic backtracking) are refused on save.
 * A Worker's isolate has 128 MB: one 200 MB string would take the consumer down with it.
 */

export const SIZE_CODE = "SR_SIZE";

type Compiled = ReturnType<typeof jsonata>;
type Native = { implementation: (...args: unknown[]) => unknown };

/** A size error JSONata passes through unchanged (it is thrown from our own code). */
const tooBig = (what: string) => ({ code: SIZE_CODE, what });

/**
 * The length of `value` as JSON, counted without building it; stops counting past `budget`
 * (shared references count each time they are written, as JSON.stringify would write them).
 */
export function jsonSizeExceeds(value: unknown, budget: number): boolean {
  let size = 0;
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === "string") size += v.length + 2;
    else if (v === null || typeof v === "number" || typeof v === "boolean" || v === undefined) size += 5;
    else if (Array.isArray(v)) {
      size += 2 + v.length;
      for (const x of v) stack.push(x);
    } else if (typeof v === "object") {
      if ("_jsonata_lambda" in v || "_jsonata_function" in v) continue;
      const entries = Object.entries(v as Record<string, unknown>);
      size += 2;
      for (const [k, x] of entries) {
        size += k.length + 4;
        stack.push(x);
      }
    }
    if (size > budget) return true;
  }
  return false;
}

/** A group that repeats and holds a repetition: `(a+)+`, `(\w*)*`, `(x{2,})+` … */
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*(?:[*+]|\{\d*,?\d*\})(?:[^()\\]|\\.)*\)(?:[*+]|\{\d*,\d*\})/;

/** Refuses regular expressions prone to catastrophic backtracking; returns a reason or null. */
export function riskyRegex(ast: unknown): string | null {
  const stack: unknown[] = [ast];
  while (stack.length) {
    const node = stack.pop();
    if (!node || typeof node !== "object") continue;
    const n = node as Record<string, unknown>;
    if (n.type === "regex" && n.value instanceof RegExp && NESTED_QUANTIFIER.test(n.value.source)) {
      return `the regular expression /${n.value.source}/ repeats a group that itself repeats (catastrophic backtracking)`;
    }
    for (const v of Object.values(n)) if (v && typeof v === "object") stack.push(v);
  }
  return null;
}

const natives = new Map<string, Native>();
async function native(name: string): Promise<Native> {
  let fn = natives.get(name);
  if (!fn) {
    fn = (await jsonata(`$${name}`).evaluate({})) as Native;
    natives.set(name, fn);
  }
  return fn;
}

function occurrences(str: string, pattern: unknown): number {
  if (typeof pattern === "string") return pattern ? str.split(pattern).length - 1 : 0;
  // A JSONata regex: a matcher function whose match has next().
  let count = 0;
  let m = typeof pattern === "function" ? (pattern as (s: string) => { next?: () => unknown } | undefined)(str) : undefined;
  while (m && count <= str.length) {
    count += 1;
    m = m.next?.() as typeof m;
  }
  return count;
}

/**
 * How many array items and string characters all the expression's nodes may produce in all,
 * counted as they come out (a value passing through several nodes counts each time): what
 * bounds the memory of many medium values kept at once, e.g. a map that builds a 100 000-item
 * range per item. Generous for reshaping one event.
 */
export const ALLOCATION_BUDGET = 4_000_000;

/** Installs the guards on a compiled expression; `limit` is the most characters any string may have. */
export async function guard(compiled: Compiled, limit: number): Promise<void> {
  const [pad, join, replace, string] = await Promise.all(["pad", "join", "replace", "string"].map(native));
  let allocated = 0;
  compiled.assign(Symbol.for("jsonata.__evaluate_exit") as unknown as string, (_e: unknown, _i: unknown, _env: unknown, result: unknown) => {
    if (typeof result === "string") {
      if (result.length > limit) throw tooBig("a string");
      allocated += result.length;
    } else if (Array.isArray(result)) allocated += result.length;
    if (allocated > ALLOCATION_BUDGET) throw { code: "SR_ALLOC" };
  });
  compiled.registerFunction(
    "pad",
    function (this: unknown, str: unknown, width: number, char?: string) {
      const padLength = Math.abs(Math.trunc(width)) - (typeof str === "string" ? str.length : 0);
      if (Math.abs(width) > limit || (padLength > 0 && padLength * Math.max(1, char?.length ?? 1) > 4 * limit)) throw tooBig("$pad");
      return pad!.implementation.call(this, str, width, char);
    },
    "<s-ns?:s>",
  );
  compiled.registerFunction(
    "join",
    function (this: unknown, strs: unknown, separator?: string) {
      if (Array.isArray(strs)) {
        let size = (separator?.length ?? 0) * strs.length;
        for (const s of strs) size += typeof s === "string" ? s.length : 0;
        if (size > limit) throw tooBig("$join");
      }
      return join!.implementation.call(this, strs, separator);
    },
    "<a<s>s?:s>",
  );
  compiled.registerFunction(
    "replace",
    function (this: unknown, str: unknown, pattern: unknown, replacement: unknown, max?: number) {
      if (typeof str === "string" && typeof replacement === "string") {
        const count = Math.min(occurrences(str, pattern), max ?? Infinity);
        if (str.length + count * replacement.length > 4 * limit) throw tooBig("$replace");
      }
      return replace!.implementation.call(this, str, pattern, replacement, max);
    },
    "<s-(sf)(sf)n?:s>",
  );
  compiled.registerFunction(
    "string",
    function (this: unknown, value: unknown, prettify?: boolean) {
      if (value && typeof value === "object" && jsonSizeExceeds(value, limit)) throw tooBig("$string");
      return string!.implementation.call(this, value, prettify);
    },
    "<x-b?:s>",
  );
  compiled.registerFunction(
    "eval",
    () => {
      throw { code: "SR_EVAL" };
    },
    "<sx?:x>",
  );
}
