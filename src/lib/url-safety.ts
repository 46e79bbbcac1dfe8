/**
 * Outbound URL rules (SSRF). Unless ALLOW_INSECURE_DESTINATIONS is on, the relay only
 * calls https URLs whose host is a public name or a public IP literal: never loopback,
 * private, link-local (cloud metadata), CGNAT, IPv6 ULA/link-local, `localhost`, or
 * internal-looking names. Checked on save and again at send time; redirects are never
 * followed (callers use `redirect: "manual"`).
 */
export interface OutboundUrlOptions {
  allowInsecure: boolean;
}

/** Returns why the URL is refused, or null when it may be called. */
export function outboundUrlProblem(raw: string, { allowInsecure }: OutboundUrlOptions): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "must be an absolute URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must be an http(s) URL";
  if (url.username || url.password) return "must not carry credentials; use auth instead";
  if (allowInsecure) return null;
  if (url.protocol !== "https:") return "must be an https URL (http is allowed only with ALLOW_INSECURE_DESTINATIONS)";
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  if (isBlockedHostname(host)) return "must not point to a local, private or internal address";
  return null;
}

const BLOCKED_SUFFIXES = [".localhost", ".local", ".internal", ".localdomain", ".home.arpa", ".intranet", ".lan"];

export function isBlockedHostname(host: string): boolean {
  if (!host) return true;
  if (host === "localhost" || host === "metadata.google.internal" || host === "metadata") return true;
  if (BLOCKED_SUFFIXES.some((s) => host.endsWith(s))) return true;
  const v4 = parseIPv4(host);
  if (v4) return isBlockedIPv4(v4);
  if (host.includes(":")) return isBlockedIPv6(host);
  // A bare single label ("intranet") only resolves inside a private network.
  if (!host.includes(".")) return true;
  return false;
}

/** Parses dotted-quad (and the decimal/hex/octal forms browsers also accept) to four octets. */
export function parseIPv4(host: string): [number, number, number, number] | null {
  if (/^\d+$/.test(host) || /^0x[0-9a-f]+$/i.test(host)) {
    const n = Number(host);
    if (!Number.isSafeInteger(n) || n > 0xffffffff) return null;
    return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  }
  const parts = host.split(".");
  if (parts.length !== 4) return null;
  const octets: number[] = [];
  for (const p of parts) {
    if (!/^(0x[0-9a-f]+|\d+)$/i.test(p)) return null;
    const n = p.startsWith("0x") || p.startsWith("0X") ? parseInt(p, 16) : p.length > 1 && p.startsWith("0") ? parseInt(p, 8) : Number(p);
    if (!Number.isInteger(n) || n < 0 || n > 255) return null;
    octets.push(n);
  }
  return octets as [number, number, number, number];
}

function isBlockedIPv4([a, b]: [number, number, number, number]): boolean {
  return (
    a === 0 || // "this network"
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // CGNAT
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) ||
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a >= 224 // multicast, reserved, broadcast
  );
}

function isBlockedIPv6(host: string): boolean {
  const h = host.toLowerCase();
  if (h === "::" || h === "::1") return true;
  // IPv4-mapped / -compatible addresses carry a v4 address in their tail.
  const mapped = h.match(/^(?:0*:)*(?:ffff:)?(\d+\.\d+\.\d+\.\d+)$/);
  if (mapped?.[1]) {
    const v4 = parseIPv4(mapped[1]);
    return v4 ? isBlockedIPv4(v4) : true;
  }
  const hexMapped = h.match(/^(?:0*:)*ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/);
  if (hexMapped?.[1] && hexMapped[2]) {
    const hi = parseInt(hexMapped[1], 16);
    const lo = parseInt(hexMapped[2], 16);
    return isBlockedIPv4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
  }
  const first = parseInt(h.split(":")[0] || "0", 16);
  return (
    (first & 0xfe00) === 0xfc00 || // ULA fc00::/7
    (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (first & 0xff00) === 0xff00 || // multicast
    h.startsWith("64:ff9b:") || // NAT64 can reach v4 private space
    h.startsWith("2001:db8:") // documentation
  );
}
