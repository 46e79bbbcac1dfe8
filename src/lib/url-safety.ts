import ipaddr from "ipaddr.js";
import { parseIPv4Loose, parseIPv6Address, type Octets } from "./ip";

/**
 * Outbound URL rules (SSRF). Unless ALLOW_INSECURE_DESTINATIONS is on, the relay only
 * calls https URLs whose host is a public name or a public IP literal: never loopback,
 * private, link-local (cloud metadata), CGNAT, reserved or multicast space, IPv6
 * ULA/link-local/loopback or an IPv6 form that embeds such an IPv4 address, `localhost`,
 * internal-only names, or names that merely spell a private address (`10.0.0.1.nip.io`).
 * Checked on save and again at send time; redirects are never followed (callers use
 * `redirect: "manual"`, or `guardedFetch` below).
 *
 * The host is judged as the WHATWG URL parser (the one `fetch` uses) reads it, so
 * "0x7f.1", "2130706433", "127。0。0。1", "%31%32%37.0.0.1" and "ⓛⓞⓒⓐⓛⓗⓞⓢⓣ" are all seen
 * as what they are. Names are not resolved: a public name whose DNS answers a private
 * address (DNS rebinding) is not caught here; see SECURITY.md.
 */
export interface OutboundUrlOptions {
  allowInsecure: boolean;
}

/** Returns why the URL is refused, or null when it may be called. */
export function outboundUrlProblem(raw: string, { allowInsecure }: OutboundUrlOptions): string | null {
  if (typeof raw !== "string" || raw.length > 2048) return "must be an absolute URL of at most 2048 characters";
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
  if (isBlockedHostname(url.hostname)) return "must not point to a local, private or internal address";
  return null;
}

/** Names that only resolve inside a private network (RFC 6761, RFC 6762 appendix G, RFC 8375). */
const BLOCKED_SUFFIXES = [
  "localhost",
  "local",
  "internal",
  "localdomain",
  "home.arpa",
  "intranet",
  "private",
  "corp",
  "home",
  "lan",
  "test",
  "invalid",
  "example",
  "onion",
  "arpa",
];

/** Public names known to resolve every subdomain to loopback. */
const LOOPBACK_DOMAINS = ["localtest.me", "lvh.me", "localhost.direct"];
/** Wildcard-DNS services that also read a hex label as an address ("0a000001.nip.io"). */
const HEX_ADDRESS_DOMAINS = ["nip.io", "sslip.io", "xip.io"];

/**
 * Whether a host (as URL.hostname gives it: lower case, IPv6 in brackets) is refused.
 * Exported for callers that hold a bare host name.
 */
export function isBlockedHostname(hostname: string): boolean {
  let host = hostname.toLowerCase();
  if (host.startsWith("[") && host.endsWith("]")) return isBlockedIPv6Text(host.slice(1, -1));
  if (host.includes(":")) return isBlockedIPv6Text(host);
  host = host.replace(/\.+$/, ""); // "localhost." and "foo.internal.." are the same names
  if (!host) return true;
  const v4 = parseIPv4Loose(host);
  if (v4) return isBlockedIPv4(v4);
  const labels = host.split(".");
  // Empty labels ("a..b", ".localhost") are not valid DNS names; a bare label
  // ("intranet", "metadata") only resolves inside a private network.
  if (labels.length < 2 || labels.some((l) => l === "")) return true;
  if (BLOCKED_SUFFIXES.some((s) => host === s || host.endsWith(`.${s}`))) return true;
  if (LOOPBACK_DOMAINS.some((d) => host === d || host.endsWith(`.${d}`))) return true;
  return spellsBlockedIPv4(labels, HEX_ADDRESS_DOMAINS.some((d) => host.endsWith(`.${d}`)));
}

/**
 * Wildcard-DNS services (nip.io, sslip.io, xip.io, …) answer the address spelled in the
 * name: "10.0.0.1.nip.io", "10-0-0-1.sslip.io", "app-127-0-0-1.sslip.io",
 * "0a000001.nip.io". A name that spells a blocked address is refused (hex labels only under
 * the services known to read them: preview hosts such as "ff12ab34.app.pages.dev" are fine).
 */
function spellsBlockedIPv4(labels: string[], hexToo: boolean): boolean {
  for (let i = 0; i + 4 <= labels.length; i++) {
    const quad = labels.slice(i, i + 4);
    if (quad.every((l) => /^\d{1,3}$/.test(l) && Number(l) <= 255) && isBlockedIPv4(quad.map(Number) as Octets)) return true;
  }
  for (const label of labels) {
    for (const m of label.matchAll(/(?:^|[^0-9])(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})(?=$|[^0-9])/g)) {
      const o = [m[1], m[2], m[3], m[4]].map(Number);
      if (o.every((n) => n <= 255) && isBlockedIPv4(o as Octets)) return true;
    }
    if (hexToo && /^[0-9a-f]{8}$/.test(label)) {
      const n = parseInt(label, 16);
      if (isBlockedIPv4([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255])) return true;
    }
    if (hexToo && spellsBlockedIPv6(label)) return true;
  }
  return false;
}

/**
 * The same services read IPv6 with dashes for colons ("--1.sslip.io" is ::1,
 * "0--ffff-a9fe-a9fe.sslip.io" is ::ffff:169.254.169.254), optionally after a prefix
 * ("www---1"). A label that is itself an address is judged as that address alone (so a
 * public "2606-4700-4700--1111" is not refused for its tail); otherwise any tail that
 * starts after a dash and reads as a blocked address refuses the name.
 */
function spellsBlockedIPv6(label: string): boolean {
  const read = (text: string) => parseIPv6Address(text.replaceAll("-", ":"));
  const whole = read(label);
  if (whole) return isBlockedIPv6(whole);
  for (let i = label.indexOf("-"); i >= 0; i = label.indexOf("-", i + 1)) {
    const tail = read(label.slice(i + 1));
    if (tail && isBlockedIPv6(tail)) return true;
  }
  return false;
}

/**
 * The relay's policy over ipaddr.js's address classes (IANA special-purpose registries):
 * IPv4 that is not the public Internet is refused — "this network", broadcast, multicast,
 * link-local (cloud metadata 169.254.169.254), loopback, CGNAT, private, and reserved
 * (documentation, benchmarking, IETF assignments, 6to4 relay, 240/4). AS112 and AMT
 * anycast are public services and pass.
 */
const REFUSED_V4_CLASSES = new Set(["unspecified", "broadcast", "multicast", "linkLocal", "loopback", "carrierGradeNat", "private", "reserved"]);

function isBlockedIPv4(octets: Octets): boolean {
  return REFUSED_V4_CLASSES.has(new ipaddr.IPv4(octets).range());
}

const GLOBAL_UNICAST = ipaddr.parseCIDR("2000::/3");

/**
 * IPv6 outside global unicast (2000::/3) is refused outright: loopback, unspecified,
 * IPv4-compatible/-translated forms, NAT64 (which reaches the embedded IPv4 address),
 * discard, ULA, link-local, site-local, multicast, SRv6. Inside it, every special class
 * (6to4 and Teredo embed IPv4; documentation, IETF assignments, benchmarking, ORCHID, …)
 * is refused too. IPv4-mapped addresses (::ffff:a.b.c.d) are judged by their IPv4 address.
 */
function isBlockedIPv6(addr: ipaddr.IPv6): boolean {
  if (addr.isIPv4MappedAddress()) return isBlockedIPv4(addr.toIPv4Address().octets as Octets);
  return !addr.match(GLOBAL_UNICAST) || addr.range() !== "unicast";
}

function isBlockedIPv6Text(text: string): boolean {
  const addr = parseIPv6Address(text);
  return addr === null || isBlockedIPv6(addr); // an address we cannot judge is refused
}

export interface GuardedFetchOptions extends OutboundUrlOptions {
  timeoutMs: number;
}

/**
 * A `fetch` for calls to URLs a user configured (JWKS, provider APIs): the SSRF rule is
 * checked again at call time, redirects are never followed (a 3xx comes back as is), and
 * the call is abandoned after `timeoutMs`. A refused URL rejects with an Error whose
 * message says why (never the URL's query, which may carry a token).
 */
export function guardedFetch({ allowInsecure, timeoutMs }: GuardedFetchOptions): typeof fetch {
  return async function guarded(input: RequestInfo | URL, init?: RequestInit) {
    const url = input instanceof Request ? input.url : String(input);
    const problem = outboundUrlProblem(url, { allowInsecure });
    if (problem) throw new Error(`refused outbound URL: ${problem}`);
    return fetch(input, { ...init, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
  } as typeof fetch;
}
