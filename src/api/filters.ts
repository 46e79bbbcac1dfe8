import { z } from "@hono/zod-openapi";
import { TYPE_PATTERN, unknownValue, unknownValueMessage, values } from "../lib/filters";

/**
 * The list filters that compose (CONTRACT.md, Additions, "Filters"): `status`, `type`, `source`,
 * `destination` take comma-separated values, `type` takes exact types and `prefix.*` wildcards.
 * Each is a plain string in the query (so the OpenAPI document shows it as one) checked value by
 * value here, so a wrong value is a 400 naming it; `values()` splits it for the reads.
 */

export { values };

/** A value already checked against `allowed` by its schema, split. */
export function enumValues<T extends string>(s: string | undefined, _allowed: readonly T[]): T[] | undefined {
  return values(s) as T[] | undefined;
}

/** A comma list of ids or URLs. */
export function listParam(description: string) {
  return z.string().max(2000).optional().openapi({ description: `${description}; several, comma-separated` });
}

/** A comma list of values from a closed set: an unknown one is refused by name. */
export function enumListParam(allowed: readonly string[], description = "") {
  return z
    .string()
    .max(500)
    .superRefine((s, ctx) => {
      const bad = unknownValue(s, allowed);
      if (bad !== undefined) ctx.addIssue({ code: "custom", message: unknownValueMessage(bad, allowed) });
    })
    .optional()
    .openapi({ description: `${description}${description ? "; " : ""}one or more of ${allowed.join(", ")}, comma-separated` });
}

/** Event types: exact (`order.shipped`) or `prefix.*` (`tracking.*`), comma-separated. */
export const typeParam = z
  .string()
  .max(1000)
  .superRefine((s, ctx) => {
    const bad = values(s)?.find((v) => !TYPE_PATTERN.test(v));
    if (bad !== undefined) ctx.addIssue({ code: "custom", message: `"${bad}" is not an event type or a prefix.* pattern` });
  })
  .optional()
  .openapi({ description: "event types, exact (order.shipped) or prefix.* (tracking.*); several, comma-separated" });
