import { inPrefix, parseIp } from "./ip";

/**
 * CIDR matching for per-source IP allowlists (v4 and v6), checked against
 * CF-Connecting-IP. Addresses compare as 128-bit numbers with IPv4 mapped into
 * ::ffff:0:0/96, so "203.0.113.0/24" also admits "::ffff:203.0.113.7" and
 * "::ffff:203.0.113.0/120" admits "203.0.113.7". Only canonical forms are read: decimal
 * dotted quads without leading zeros ("010.0.0.0/8" is refused, not read as octal), IPv6
 * without zone ids. A bare address is a /32 (or /128). Host bits after the prefix are
 * ignored ("10.1.2.3/8" means 10.0.0.0/8).
 */
function parseCidr(cidr: string): { net: bigint; bits: number } | null {
  if (typeof cidr !== "string" || cidr.length > 64) return null;
  const [addr, len, extra] = cidr.trim().split("/");
  if (!addr || extra !== undefined) return null;
  const ip = parseIp(addr);
  if (!ip) return null;
  const max = ip.v4 ? 32 : 128;
  if (len !== undefined && !/^\d{1,3}$/.test(len)) return null;
  const prefix = len === undefined ? max : Number(len);
  if (prefix > max) return null;
  return { net: ip.n, bits: ip.v4 ? 96 + prefix : prefix };
}

export function isValidCidr(cidr: string): boolean {
  return parseCidr(cidr) !== null;
}

/** Whether `ip` is inside any of `cidrs`; an unreadable address matches nothing (fail closed). */
export function ipInCidrs(ip: string, cidrs: string[]): boolean {
  const addr = parseIp(ip);
  if (!addr) return false;
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (parsed && inPrefix(addr.n, parsed.net, parsed.bits)) return true;
  }
  return false;
}
