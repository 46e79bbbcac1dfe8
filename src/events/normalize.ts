/**
 * Small, total conversions adapters share: they never throw, and return undefined for
 * input they cannot read so the section stays absent rather than wrong.
 */
import type { TrackingStatus } from "./canonical";

const CARRIER_ALIASES: Record<string, string> = {
  "united parcel service": "ups",
  ups: "ups",
  upsdap: "ups",
  ups_walleted: "ups",
  fedex: "fedex",
  "federal express": "fedex",
  fedex_walleted: "fedex",
  fedexdefault: "fedex",
  usps: "usps",
  stamps_com: "usps",
  "stamps.com": "usps",
  endicia: "usps",
  usps_walleted: "usps",
  "us postal service": "usps",
  "u.s. postal service": "usps",
  "united states postal service": "usps",
  dhl: "dhl_express",
  "dhl express": "dhl_express",
  dhl_express: "dhl_express",
  dhlexpress: "dhl_express",
  "dhl-express": "dhl_express",
  dhl_express_walleted: "dhl_express",
  dhl_express_worldwide: "dhl_express",
};

/**
 * Lower-case carrier code; known aliases folded (ShipStation's `*_walleted` accounts,
 * EasyPost's `DHLExpress`, AfterShip's `dhl` slug, …), unknown carriers lower-cased as
 * sent with blanks turned into `_`.
 */
export function carrierCode(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  if (!trimmed) return undefined;
  const lower = trimmed.toLowerCase();
  // Own keys only: a carrier named "__proto__" or "constructor" is a name, not a lookup into Object.prototype.
  return (Object.hasOwn(CARRIER_ALIASES, lower) ? CARRIER_ALIASES[lower] : undefined) ?? lower.replace(/\s+/g, "_");
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

/** "2024-01-15 10:30:00" / "2024-01-15T10:30:00.0000000": a wall-clock time without a zone. */
const NAIVE_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?$/;

/**
 * ISO-8601 UTC timestamp from an ISO string, a unix-seconds number or a unix-ms number.
 * A date-time without a zone is read as UTC (see `zonedTimestamp` for providers that
 * document another zone). Zero and negative epochs are "not set", as several providers
 * send `"0"` for an unknown date.
 */
export function isoTimestamp(value: unknown): string | undefined {
  let d: Date | undefined;
  if (typeof value === "number" && Number.isFinite(value)) {
    if (value <= 0) return undefined;
    d = new Date(value < 1e12 ? value * 1000 : value);
  } else if (typeof value === "string" && value.trim()) {
    const v = value.trim();
    if (/^\d+(\.\d+)?$/.test(v)) {
      const n = Number(v);
      if (!(n > 0)) return undefined;
      d = new Date(n < 1e12 ? n * 1000 : n);
    } else {
      const naive = NAIVE_DATE_TIME.exec(v);
      d = naive ? new Date(naiveToUtcMs(naive)) : new Date(v);
    }
  }
  if (!d || Number.isNaN(d.getTime())) return undefined;
  // Years outside 0000–9999 serialize as "+010000-…", which is not the ISO-8601 the contract promises.
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999) return undefined;
  return d.toISOString().replace(/\.000Z$/, "Z");
}

function naiveToUtcMs(m: RegExpExecArray): number {
  const [, y, mo, d, h, mi, s, frac] = m;
  const ms = frac ? Math.round(Number(`0.${frac}`) * 1000) : 0;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0), ms);
}

/** Minutes the zone is ahead of UTC at `utcMs` (negative west of Greenwich). */
function zoneOffsetMinutes(utcMs: number, timeZone: string): number | undefined {
  try {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    }).formatToParts(new Date(utcMs));
    const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
    const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
    if (Number.isNaN(asUtc)) return undefined;
    return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 60000);
  } catch {
    return undefined;
  }
}

/**
 * Like `isoTimestamp`, but a date-time without a zone is read as wall-clock time in
 * `timeZone` (IANA name), e.g. ShipStation v1's Pacific-time `createDate`. Values with an
 * explicit zone or epoch numbers are read as they are.
 */
export function zonedTimestamp(value: unknown, timeZone: string): string | undefined {
  if (typeof value === "string") {
    const naive = NAIVE_DATE_TIME.exec(value.trim());
    if (naive) {
      const wall = naiveToUtcMs(naive);
      const first = zoneOffsetMinutes(wall, timeZone);
      if (first === undefined) return isoTimestamp(value);
      // Second pass settles instants near a DST change.
      const second = zoneOffsetMinutes(wall - first * 60000, timeZone) ?? first;
      return isoTimestamp(wall - second * 60000);
    }
  }
  return isoTimestamp(value);
}

/** A calendar date "YYYY-MM-DD" from a date or timestamp string. */
export function isoDate(value: unknown): string | undefined {
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}/.test(value.trim())) {
    const day = value.trim().slice(0, 10);
    return Number.isNaN(Date.parse(`${day}T00:00:00Z`)) ? undefined : day;
  }
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

/** The value when it is a JSON object, else an empty one (reading optional nested objects). */
export function rec(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/** The value when it is an array, else an empty one. */
export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A shallow copy without the named keys (mapped fields, delivery metadata). */
export function omit(obj: Record<string, unknown>, keys: Iterable<string>): Record<string, unknown> {
  const drop = new Set(keys);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (!drop.has(k)) out[k] = v;
  return out;
}

/** A canonical tracking location, or undefined when the provider named no place at all. */
export function location(parts: { city?: unknown; state?: unknown; country?: unknown; postal_code?: unknown }) {
  const city = str(parts.city) ?? null;
  const state = str(parts.state) ?? null;
  const country = str(parts.country) ?? null;
  const postal_code = str(parts.postal_code) ?? null;
  if (city === null && state === null && country === null && postal_code === null) return undefined;
  return { city, state, country, postal_code };
}

/** A canonical tracking section; optional parts left out when unknown. */
export function trackingSection(
  status: TrackingStatus,
  parts: { status_detail?: unknown; location?: ReturnType<typeof location>; estimated_delivery?: unknown } = {},
) {
  const detail = str(parts.status_detail);
  const eta = isoDate(parts.estimated_delivery);
  return {
    status,
    ...(detail ? { status_detail: detail } : {}),
    ...(parts.location ? { location: parts.location } : {}),
    ...(eta ? { estimated_delivery: eta } : {}),
  };
}

/** A canonical shipment item from a provider line, or undefined when it names nothing. */
export function shipmentItem(line: unknown, keys: { sku?: string[]; quantity?: string[]; description?: string[] } = {}) {
  const r = rec(line);
  const pick = (names: string[]) => names.map((n) => r[n]).find((v) => v !== undefined && v !== null);
  return compact({
    sku: str(pick(keys.sku ?? ["sku"])),
    quantity: num(pick(keys.quantity ?? ["quantity"])),
    description: str(pick(keys.description ?? ["description", "name"])),
  });
}

/** Provider line items turned into canonical items; undefined when there are none. */
export function shipmentItems(lines: unknown, keys?: Parameters<typeof shipmentItem>[1]) {
  const items = list(lines)
    .map((l) => shipmentItem(l, keys))
    .filter((i): i is NonNullable<typeof i> => i !== undefined);
  return items.length ? items : undefined;
}

/** The first issue of a failed zod parse as `{message, field}` (field as a dotted path). */
export function firstIssue(error: { issues: ReadonlyArray<{ message: string; path: ReadonlyArray<PropertyKey> }> }) {
  const issue = error.issues[0];
  return {
    message: issue?.message ?? "invalid payload",
    field: issue && issue.path.length ? issue.path.map((p) => String(p)).join(".") : undefined,
  };
}
