import { badRequest } from "./errors";

/**
 * The list filters' values (CONTRACT.md, Additions, "Filters"), shared by the API's query
 * schemas (src/api/filters.ts) and the console's forms, so both read `status=failed,retrying`
 * and `type=tracking.*` the same way.
 */

/** A comma-separated value as its non-empty parts; undefined when absent or empty. */
export function values(s: string | undefined): string[] | undefined {
  const parts = (s ?? "").split(",").map((v) => v.trim()).filter(Boolean);
  return parts.length ? parts : undefined;
}

/** The first part of `s` that is not one of `allowed`, if any. */
export function unknownValue(s: string | undefined, allowed: readonly string[]): string | undefined {
  return values(s)?.find((v) => !allowed.includes(v));
}

/** An event type filter's part: an exact type, `prefix.*`, or `*`, as destination subscriptions take them. */
export const TYPE_PATTERN = /^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$/;

export const unknownValueMessage = (bad: string, allowed: readonly string[]) => `unknown value "${bad}" (one of ${allowed.join(", ")})`;

/** `s` split and checked against `allowed`: an unknown value is a 400 naming it and the field. */
export function checkedValues<T extends string>(field: string, s: string | undefined, allowed: readonly T[]): T[] | undefined {
  const bad = unknownValue(s, allowed);
  if (bad !== undefined) throw badRequest(`${field}: ${unknownValueMessage(bad, allowed)}`);
  return values(s) as T[] | undefined;
}

/** Event type patterns split and checked: a malformed one is a 400 naming it. */
export function typeValues(field: string, s: string | undefined): string[] | undefined {
  const bad = values(s)?.find((v) => !TYPE_PATTERN.test(v));
  if (bad !== undefined) throw badRequest(`${field}: "${bad}" is not an event type or a prefix.* pattern`);
  return values(s);
}
