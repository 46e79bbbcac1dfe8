import ipaddr from "ipaddr.js";

/**
 * IP address parsing (ipaddr.js) shared by the outbound SSRF rule (url-safety.ts) and source
 * IP allowlists (cidr.ts), with the relay's own strictness on top: addresses a provider
 * or an operator writes are read in canonical forms only.
 */
export type Octets = [number, number, number, number];
export type Address = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * A dotted quad as written in CF-Connecting-IP and CIDR lists: four decimal octets without
 * leading zeros. "010.0.0.1" is refused rather than read as octal (8.0.0.1) or decimal.
 */
export function parseIPv4Strict(text: string): Octets | null {
  return ipaddr.IPv4.isValidFourPartDecimal(text) ? (ipaddr.IPv4.parse(text).octets as Octets) : null;
}

/**
 * IPv4 the way WHATWG URL parsers read a host: one to four parts, each decimal, octal
 * (leading 0) or hex (0x), the last part filling the remaining bytes ("127.1",
 * "0x7f000001", "2130706433", "0177.0.0.1"), an optional trailing dot. Null when the text
 * is not such a number (then it is a name).
 */
export function parseIPv4Loose(text: string): Octets | null {
  const host = text.length > 1 && text.endsWith(".") ? text.slice(0, -1) : text;
  return ipaddr.IPv4.isValid(host) ? (ipaddr.IPv4.parse(host).octets as Octets) : null;
}

/** IPv6 text (brackets allowed, with an optional dotted-quad tail); zone ids ("%eth0") are refused. */
export function parseIPv6Address(text: string): ipaddr.IPv6 | null {
  const a = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (a.includes("%") || !ipaddr.IPv6.isValid(a)) return null;
  return ipaddr.IPv6.parse(a);
}

/** IPv6 text as a 128-bit number (see `parseIPv6Address`). */
export function parseIPv6(text: string): bigint | null {
  const addr = parseIPv6Address(text);
  return addr ? addr.toByteArray().reduce((n, byte) => (n << 8n) | BigInt(byte), 0n) : null;
}

/**
 * An address in strict form, as IPv6: IPv4 is mapped into ::ffff:0:0/96, so one comparison
 * serves both families. `v4` says which family it was written in.
 */
export function parseIp(text: string): { addr: ipaddr.IPv6; v4: boolean } | null {
  const t = text.trim();
  if (!t.includes(":")) {
    const v4 = parseIPv4Strict(t);
    return v4 ? { addr: new ipaddr.IPv4(v4).toIPv4MappedAddress(), v4: true } : null;
  }
  const addr = parseIPv6Address(t);
  return addr ? { addr, v4: false } : null;
}
