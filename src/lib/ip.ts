/**
 * IP address parsing shared by the outbound SSRF rule (url-safety.ts) and source IP
 * allowlists (cidr.ts). Addresses become 128-bit numbers; IPv4 is mapped into
 * ::ffff:0:0/96, so one comparison serves both families.
 */
export type Octets = [number, number, number, number];

const V4_MAPPED_PREFIX = 0xffffn << 32n;

/**
 * A dotted quad as written in CF-Connecting-IP and CIDR lists: four decimal octets without
 * leading zeros. "010.0.0.1" is refused rather than read as octal (8.0.0.1) or decimal.
 */
export function parseIPv4Strict(text: string): Octets | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out.push(n);
  }
  return out as Octets;
}

/**
 * IPv4 the way WHATWG URL parsers read a host: one to four parts, each decimal, octal
 * (leading 0) or hex (0x), the last part filling the remaining bytes ("127.1",
 * "0x7f000001", "2130706433", "0177.0.0.1"), an optional trailing dot. Null when the text
 * is not such a number (then it is a name).
 */
export function parseIPv4Loose(text: string): Octets | null {
  const parts = text.split(".");
  if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  if (parts.length === 0 || parts.length > 4) return null;
  const values: bigint[] = [];
  for (const p of parts) {
    let v: bigint;
    if (/^0x[0-9a-f]*$/i.test(p)) v = p.length === 2 ? 0n : BigInt(p);
    else if (/^0\d+$/.test(p)) {
      if (!/^0[0-7]+$/.test(p)) return null;
      v = BigInt(`0o${p.slice(1)}`);
    } else if (/^\d+$/.test(p)) v = BigInt(p);
    else return null;
    values.push(v);
  }
  const last = values.pop()!;
  if (values.some((v) => v > 255n)) return null;
  if (last >= 256n ** BigInt(5 - parts.length)) return null;
  let n = last;
  values.forEach((v, i) => {
    n += v << BigInt(8 * (3 - i));
  });
  const num = Number(n);
  return [(num >>> 24) & 255, (num >>> 16) & 255, (num >>> 8) & 255, num & 255];
}

export function octetsToNumber([a, b, c, d]: Octets): number {
  return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}

/**
 * IPv6 text (brackets allowed, with an optional dotted-quad tail such as "::ffff:1.2.3.4")
 * as a 128-bit number. Zone ids ("%eth0") are refused.
 */
export function parseIPv6(text: string): bigint | null {
  let a = text.toLowerCase();
  if (a.startsWith("[") && a.endsWith("]")) a = a.slice(1, -1);
  if (!a.includes(":")) return null;
  const v4tail = a.match(/:(\d+\.\d+\.\d+\.\d+)$/);
  if (v4tail?.[1]) {
    const v4 = parseIPv4Strict(v4tail[1]);
    if (!v4) return null;
    a = `${a.slice(0, -v4tail[1].length)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const halves = a.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-f]{1,4}$/.test(g)) return null;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  return n;
}

/** An address as a 128-bit number (IPv4 mapped into ::ffff:0:0/96); strict forms only. */
export function parseIp(text: string): { n: bigint; v4: boolean } | null {
  const t = text.trim();
  if (!t.includes(":")) {
    const v4 = parseIPv4Strict(t);
    return v4 ? { n: V4_MAPPED_PREFIX | BigInt(octetsToNumber(v4)), v4: true } : null;
  }
  const n = parseIPv6(t);
  return n === null ? null : { n, v4: false };
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d), else null. */
export function mappedIPv4(n: bigint): Octets | null {
  if (n >> 32n !== 0xffffn) return null;
  const v = Number(n & 0xffffffffn);
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}

/** Whether `n` lies in prefix `net`/`bits` of a 128-bit space. */
export function inPrefix(n: bigint, net: bigint, bits: number): boolean {
  const shift = BigInt(128 - bits);
  return n >> shift === net >> shift;
}
