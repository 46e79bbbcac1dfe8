import { base32Number, toBase32 } from "./encoding";

/**
 * Ids are a type prefix and 26 base32 characters: 10 of time (ms, so ids sort by creation)
 * and 16 of randomness. Event and delivery ids are the exceptions (src/events/ids.ts): derived
 * from the dedupe key, so a provider event always maps to the same id, and from (event,
 * destination), beginning with the event's 26 characters.
 */
export type IdPrefix = "ws" | "key" | "src" | "dst" | "att" | "ilg" | "rpl" | "pwh" | "dlq" | "evt" | "rcl" | "pft";

export function newId(prefix: IdPrefix, now = Date.now()): string {
  const time = new Uint8Array(6);
  let t = now;
  for (let i = 5; i >= 0; i--) {
    time[i] = t % 256;
    t = Math.floor(t / 256);
  }
  const random = crypto.getRandomValues(new Uint8Array(10));
  return `${prefix}_${toBase32(time).slice(0, 10)}${toBase32(random).slice(0, 16)}`;
}

/**
 * The creation time (ms) a `newId` id carries: its first 10 characters after the prefix spell
 * the 48-bit time and 2 bits of padding. NaN for an id that is not one (a derived id).
 */
export function timeOfId(id: string): number {
  const time = id.slice(id.indexOf("_") + 1, id.indexOf("_") + 11);
  return time.length === 10 ? Math.floor(base32Number(time) / 4) : NaN;
}

/** Random URL-safe secret material of `bytes` bytes, base32. */
export function randomToken(bytes = 24): string {
  return toBase32(crypto.getRandomValues(new Uint8Array(bytes)));
}
