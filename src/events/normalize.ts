/**
 * Small, total conversions adapters share: they never throw, and return undefined for
 * input they cannot read so the section stays absent rather than wrong.
 */

const CARRIER_ALIASES: Record<string, string> = {
  "united parcel service": "ups",
  ups: "ups",
  fedex: "fedex",
  "federal express": "fedex",
  usps: "usps",
  "stamps_com": "usps",
  "stamps.com": "usps",
  "us postal service": "usps",
  "u.s. postal service": "usps",
  dhl: "dhl_express",
  "dhl express": "dhl_express",
  dhl_express: "dhl_express",
  dhlexpress: "dhl_express",
  "dhl-express": "dhl_express",
};

/** Lower-case carrier code; known aliases folded, unknown carriers lower-cased as sent. */
export function carrierCode(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  if (!trimmed) return undefined;
  const lower = trimmed.toLowerCase();
  return CARRIER_ALIASES[lower] ?? lower.replace(/\s+/g, "_");
}

/** A decimal string for money; numbers are formatted without float noise. */
export function decimalString(value: unknown): string | undefined {
  if (typeof value === "number" && Number.isFinite(value)) {
    return String(Math.round(value * 1e6) / 1e6);
  }
  if (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value.trim())) return value.trim();
  return undefined;
}

export function money(amount: unknown, currency: unknown = "USD") {
  const a = decimalString(amount);
  if (a === undefined) return undefined;
  const c = typeof currency === "string" && /^[A-Za-z]{3}$/.test(currency) ? currency.toUpperCase() : "USD";
  return { amount: a, currency: c };
}

/** ISO-8601 UTC timestamp from an ISO string, a unix-seconds number or a unix-ms number. */
export function isoTimestamp(value: unknown): string | undefined {
  let d: Date | undefined;
  if (typeof value === "number" && Number.isFinite(value)) {
    d = new Date(value < 1e12 ? value * 1000 : value);
  } else if (typeof value === "string" && value.trim()) {
    const v = value.trim();
    d = /^\d+$/.test(v) ? new Date(Number(v) < 1e12 ? Number(v) * 1000 : Number(v)) : new Date(v);
  }
  if (!d || Number.isNaN(d.getTime())) return undefined;
  return d.toISOString().replace(/\.000Z$/, "Z");
}

/** A calendar date "YYYY-MM-DD" from a date or timestamp string. */
export function isoDate(value: unknown): string | undefined {
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}/.test(value)) return value.slice(0, 10);
  const ts = isoTimestamp(value);
  return ts?.slice(0, 10);
}

/** A trimmed non-empty string, or a number turned into one; anything else undefined. */
export function str(value: unknown): string | undefined {
  if (typeof value === "string") return value.trim() || undefined;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

export function num(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/** Drops undefined fields; returns undefined when nothing is left (sections absent, not empty). */
export function compact<T extends Record<string, unknown>>(obj: T): T | undefined {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return Object.keys(out).length ? (out as T) : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
