import { parseIPv4 } from "./url-safety";

/**
 * CIDR matching for per-source IP allowlists (v4 and v6). Addresses are compared as
 * 128-bit numbers; IPv4 is mapped into ::ffff:0:0/96 so one routine serves both.
 */
function ipv6ToBigInt(addr: string): bigint | null {
  let a = addr.toLowerCase();
  const v4tail = a.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4tail?.[1]) {
    const v4 = parseIPv4(v4tail[1]);
    if (!v4) return null;
    a = a.slice(0, -v4tail[1].length) + `${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const halves = a.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-f]{1,4}$/.test(g)) return null;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  return n;
}

function toBigInt(addr: string): { n: bigint; v4: boolean } | null {
  if (!addr.includes(":")) {
    const v4 = parseIPv4(addr);
    if (!v4 || !/^\d+\.\d+\.\d+\.\d+$/.test(addr)) return null;
    return { n: (0xffffn << 32n) | BigInt(((v4[0] << 24) >>> 0) + (v4[1] << 16) + (v4[2] << 8) + v4[3]), v4: true };
  }
  const n = ipv6ToBigInt(addr);
  return n === null ? null : { n, v4: false };
}

function parseCidr(cidr: string): { net: bigint; bits: number } | null {
  const [addr, len, extra] = cidr.trim().split("/");
  if (!addr || extra !== undefined) return null;
  const ip = toBigInt(addr);
  if (!ip) return null;
  const max = ip.v4 ? 32 : 128;
  const prefix = len === undefined ? max : /^\d+$/.test(len) ? Number(len) : NaN;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return null;
  const bits = ip.v4 ? 96 + prefix : prefix;
  return { net: ip.n, bits };
}

export function isValidCidr(cidr: string): boolean {
  return parseCidr(cidr) !== null;
}

export function ipInCidrs(ip: string, cidrs: string[]): boolean {
  const addr = toBigInt(ip.trim());
  if (!addr) return false;
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (!parsed) continue;
    const shift = BigInt(128 - parsed.bits);
    if (addr.n >> shift === parsed.net >> shift) return true;
  }
  return false;
}
