/**
 * Reads a dotted path ("data.order.id", "items.0.sku", optionally prefixed "$.") from a
 * JSON value. Returns undefined for any missing step; never throws.
 */
export function getPath(value: unknown, path: string): unknown {
  const steps = path.replace(/^\$\.?/, "").split(".").filter(Boolean);
  let cur: unknown = value;
  for (const step of steps) {
    if (cur === null || typeof cur !== "object") return undefined;
    if (Array.isArray(cur)) {
      const i = Number(step);
      if (!Number.isInteger(i)) return undefined;
      cur = cur[i];
    } else {
      if (!Object.prototype.hasOwnProperty.call(cur, step)) return undefined;
      cur = (cur as Record<string, unknown>)[step];
    }
  }
  return cur;
}
