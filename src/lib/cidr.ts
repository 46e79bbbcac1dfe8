import { parseIp } from "./ip";

/**
 * CIDR matching for per-source IP allowlists (v4 and v6), checked against
 * CF-Connecting-IP. Addresses compare as IPv6 with IPv4 mapped into ::ffff:0:0/96, so
 * "203.0.113.0/24" also admits "::ffff:203.0.113.7" and "::ffff:203.0.113.0/120" admits
 * "203.0.113.7". Only canonical forms are read: decimal dotted quads without leading zeros
 * ("010.0.0.0/8" is refused, not read as octal), IPv6 without zone ids. A bare address is a
 * /32 (or /128). Host bits after the prefix are ignored ("10.1.2.3/8" means 10.0.0.0/8).
 */
function parseCidr(cidr: string) {
  if (typeof cidr !== "string" || cidr.length > 64) return null;
  const [text, len, extra] = cidr.trim().split("/");
  if (!text || extra !== undefined) return null;
  const ip = parseIp(text);
  if (!ip) return null;
  const max = ip.v4 ? 32 : 128;
  if (len !== undefined && !/^\d{1,3}$/.test(len)) return null;
  const prefix = len === undefined ? max : Number(len);
  if (prefix > max) return null;
  return { net: ip.addr, bits: ip.v4 ? 96 + prefix : prefix };
}

export function isValidCidr(cidr: string): boolean {
  return parseCidr(cidr) !== null;
}

/** Whether `ip` is inside any of `cidrs`; an unreadable address matches nothing (fail closed). */
export function ipInCidrs(ip: string, cidrs: string[]): boolean {
  const parsed = parseIp(ip);
  if (!parsed) return false;
  return cidrs.some((cidr) => {
    const range = parseCidr(cidr);
    return range !== null && parsed.addr.match(range.net, range.bits);
  });
}
