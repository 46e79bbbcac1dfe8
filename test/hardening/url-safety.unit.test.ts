import { describe, expect, it } from "vitest";
import { ipInCidrs, isValidCidr } from "../../src/lib/cidr";
import { parseIPv4Loose, parseIPv4Strict, parseIPv6 } from "../../src/lib/ip";
import { jsonDepthExceeds } from "../../src/lib/json-depth";
import { isBlockedHostname, outboundUrlProblem } from "../../src/lib/url-safety";

const off = { allowInsecure: false };
const on = { allowInsecure: true };
const refused = (url: string) => outboundUrlProblem(url, off);

describe("outboundUrlProblem with ALLOW_INSECURE_DESTINATIONS off", () => {
  it("accepts https URLs on public names and public addresses", () => {
    for (const url of [
      "https://erp.example.com/hooks",
      "https://erp.example.com:8443/hooks?x=1",
      "https://example.com./hooks", // a trailing dot is the same public name
      "https://8.8.8.8/",
      "https://[2606:4700:4700::1111]/",
      "https://[::ffff:8.8.8.8]/", // IPv4-mapped, public
      "https://ff12ab34.preview.pages.dev/", // hex-looking labels are fine outside nip.io-style services
      "https://xn--bcher-kva.com/", // punycode that is not an internal name
      "https://bücher.com/",
      "https://api.shipengine.com/jwks",
    ]) {
      expect(refused(url), url).toBeNull();
    }
  });

  it("refuses anything but https", () => {
    expect(refused("http://erp.example.com/hooks")).toMatch(/https/);
    for (const url of ["ftp://example.com/", "file:///etc/passwd", "gopher://example.com/", "javascript:alert(1)", "data:text/plain,hi", "ws://example.com/"]) {
      expect(refused(url), url).not.toBeNull();
    }
  });

  it("refuses what is not an absolute URL", () => {
    for (const url of ["", "example.com/hooks", "/hooks", "https://", "https://exa mple.com/", "https://[fe80::1%25eth0]/", "x".repeat(3000)]) {
      expect(refused(url), url).not.toBeNull();
    }
  });

  it("refuses credentials in the URL (userinfo tricks included)", () => {
    expect(refused("https://user:pass@example.com/")).toMatch(/credentials/);
    expect(refused("https://example.com@127.0.0.1/")).not.toBeNull();
    expect(outboundUrlProblem("https://user@example.com/", on)).toMatch(/credentials/);
  });

  it("refuses loopback, private, link-local, CGNAT, reserved and multicast IPv4 literals", () => {
    for (const host of [
      "127.0.0.1", "127.255.255.254", "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.255", "192.168.1.1",
      "169.254.169.254", "169.254.0.1", "100.64.0.1", "100.127.255.255", "0.0.0.0", "0.1.2.3", "192.0.0.1", "192.0.2.1",
      "198.18.0.1", "198.19.255.255", "198.51.100.7", "203.0.113.9", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
    ]) {
      expect(refused(`https://${host}/`), host).toMatch(/local, private or internal/);
    }
    // Neighbours of the blocked ranges are public.
    for (const host of ["172.15.255.255", "172.32.0.1", "100.63.255.255", "100.128.0.1", "169.253.255.255", "11.0.0.1", "223.255.255.255", "198.20.0.1"]) {
      expect(refused(`https://${host}/`), host).toBeNull();
    }
  });

  it("sees through decimal, octal, hex, short, percent-encoded and full-width IPv4 spellings", () => {
    for (const url of [
      "https://2130706433/", // 127.0.0.1 as one decimal number
      "https://0x7f000001/",
      "https://0x7f.1/",
      "https://127.1/",
      "https://0177.0.0.1/",
      "https://0177.0.0.01/",
      "https://127.0.0.0x1/",
      "https://017700000001/",
      "https://%31%32%37.0.0.1/",
      "https://127。0。0。1/",
      "https://127.0.0.1./",
      "https://0/",
      "https://3232235777/", // 192.168.1.1
      "https://0xa9fea9fe/", // 169.254.169.254
      "https://169.254.43518/", // 169.254.169.254, last part fills two bytes
    ]) {
      expect(refused(url), url).toMatch(/local, private or internal/);
    }
  });

  it("refuses IPv6 loopback, unspecified, ULA, link-local, site-local, multicast and translation forms", () => {
    for (const host of [
      "[::1]", "[::]", "[0:0:0:0:0:0:0:1]", "[fc00::1]", "[fd12:3456:789a::1]", "[fe80::1]", "[febf::1]", "[fec0::1]", "[ff02::1]",
      "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::ffff:10.0.0.1]", "[::ffff:a9fe:a9fe]", "[0:0:0:0:0:ffff:c0a8:101]",
      "[::127.0.0.1]", "[::7f00:1]", // IPv4-compatible (deprecated)
      "[::ffff:0:7f00:1]", // IPv4-translated
      "[64:ff9b::a00:1]", "[64:ff9b::8.8.8.8]", "[64:ff9b:1::1]", // NAT64
      "[2002:7f00:1::]", "[2002:c0a8:101::1]", // 6to4
      "[2001::1]", "[2001:0:4136:e378:8000:63bf:3fff:fdd2]", // Teredo
      "[2001:db8::1]", "[3fff::1]", "[100::1]", "[5f00::1]",
    ]) {
      expect(refused(`https://${host}/`), host).toMatch(/local, private or internal/);
    }
  });

  it("refuses local and internal names, with trailing dots, case and IDN mapping seen through", () => {
    for (const url of [
      "https://localhost/", "https://LOCALHOST/", "https://localhost./", "https://localhost../", "https://api.localhost/",
      "https://local%68ost/", "https://localhost%2e/", "https://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ/",
      "https://metadata.google.internal/", "https://foo.internal/", "https://foo.internal./", "https://foo.internal../",
      "https://printer.local/", "https://nas.home.arpa/", "https://db.corp/", "https://x.lan/", "https://x.localdomain/",
      "https://intranet/", "https://metadata/", "https://a..b/", "https://.localhost/",
      "https://x.test/", "https://x.invalid/", "https://1.0.0.127.in-addr.arpa/",
    ]) {
      expect(refused(url), url).not.toBeNull();
    }
  });

  it("refuses names that spell a private address (wildcard DNS services) and known loopback domains", () => {
    for (const url of [
      "https://127.0.0.1.nip.io/", "https://app.10.0.0.1.nip.io/", "https://10-0-0-1.sslip.io/", "https://app-169-254-169-254.sslip.io/",
      "https://0a000001.nip.io/", "https://7f000001.sslip.io/", "https://www.localtest.me/", "https://lvh.me/", "https://a.localhost.direct/",
    ]) {
      expect(refused(url), url).not.toBeNull();
    }
    expect(refused("https://8.8.8.8.nip.io/")).toBeNull();
  });

  it("refuses names that spell a private IPv6 address through a wildcard DNS service (dashes for colons)", () => {
    for (const url of [
      "https://--1.sslip.io/", "https://fe80--1.sslip.io/", "https://0--ffff-a9fe-a9fe.sslip.io/", "https://app.fd00--1.sslip.io/",
      "https://www---1.sslip.io/", "https://FE80--1.nip.io/", "https://0-0-0-0-0-0-0-1.sslip.io/",
    ]) {
      expect(refused(url), url).not.toBeNull();
    }
    // A public IPv6 spelled the same way, and names that merely hold dashes, pass.
    expect(refused("https://2606-4700-4700--1111.sslip.io/")).toBeNull();
    expect(refused("https://my-app-1.sslip.io/")).toBeNull();
    expect(refused("https://fe80--1.example.com/".replace("example.com", "pages.dev"))).toBeNull();
  });

  it("a backslash is read the way fetch reads it (host before the backslash)", () => {
    expect(refused("https://127.0.0.1\\@example.com/")).not.toBeNull();
    expect(refused("https://example.com\\@127.0.0.1/")).toBeNull(); // the host really is example.com
    expect(refused("https://example.com#@127.0.0.1/")).toBeNull();
  });

  it("allows http and private hosts only with ALLOW_INSECURE_DESTINATIONS", () => {
    expect(outboundUrlProblem("http://127.0.0.1:8787/hook", on)).toBeNull();
    expect(outboundUrlProblem("http://localhost/hook", on)).toBeNull();
    expect(outboundUrlProblem("file:///etc/passwd", on)).not.toBeNull();
  });

  it("isBlockedHostname judges bare hosts too", () => {
    expect(isBlockedHostname("127.1")).toBe(true);
    expect(isBlockedHostname("::1")).toBe(true);
    expect(isBlockedHostname("[::ffff:7f00:1]")).toBe(true);
    expect(isBlockedHostname("")).toBe(true);
    expect(isBlockedHostname("example.com")).toBe(false);
  });
});

describe("IP parsing", () => {
  it("strict IPv4 refuses leading zeros, loose IPv4 reads them as octal like URL parsers", () => {
    expect(parseIPv4Strict("10.0.0.1")).toEqual([10, 0, 0, 1]);
    expect(parseIPv4Strict("010.0.0.1")).toBeNull();
    expect(parseIPv4Strict("1.2.3")).toBeNull();
    expect(parseIPv4Strict("256.0.0.1")).toBeNull();
    expect(parseIPv4Loose("010.0.0.1")).toEqual([8, 0, 0, 1]);
    expect(parseIPv4Loose("08.0.0.1")).toBeNull();
    expect(parseIPv4Loose("4294967296")).toBeNull();
    expect(parseIPv4Loose("example")).toBeNull();
  });

  it("IPv6 with compression, embedded IPv4 and brackets", () => {
    expect(parseIPv6("::1")).toBe(1n);
    expect(parseIPv6("[::1]")).toBe(1n);
    expect(parseIPv6("::ffff:1.2.3.4")).toBe((0xffffn << 32n) | 0x01020304n);
    expect(parseIPv6("1::2::3")).toBeNull();
    expect(parseIPv6("1:2:3:4:5:6:7:8:9")).toBeNull();
    expect(parseIPv6("fe80::1%eth0")).toBeNull();
    expect(parseIPv6("12345::")).toBeNull();
  });
});

describe("CIDR allowlists", () => {
  it("validates CIDRs: v4 and v6, with or without a prefix", () => {
    for (const c of ["203.0.113.0/24", "203.0.113.7", "0.0.0.0/0", "2001:db8::/32", "::/0", "::ffff:203.0.113.0/120", "2001:db8::1"]) {
      expect(isValidCidr(c), c).toBe(true);
    }
    for (const c of ["203.0.113.0/33", "2001:db8::/129", "203.0.113.0/", "203.0.113.0/24/1", "010.0.0.0/8", "example.com/24", "", "1.2.3.4/-1", "1.2.3.4/0x10", "fe80::1%eth0/64", "1.2.3.4/ 8"]) {
      expect(isValidCidr(c), c).toBe(false);
    }
  });

  it("matches v4, v6 and IPv4-mapped IPv6 both ways", () => {
    expect(ipInCidrs("203.0.113.7", ["203.0.113.0/24"])).toBe(true);
    expect(ipInCidrs("203.0.114.7", ["203.0.113.0/24"])).toBe(false);
    expect(ipInCidrs("2001:db8:1::5", ["2001:db8::/32"])).toBe(true);
    expect(ipInCidrs("2001:db9::5", ["2001:db8::/32"])).toBe(false);
    expect(ipInCidrs("::ffff:203.0.113.7", ["203.0.113.0/24"])).toBe(true);
    expect(ipInCidrs("::ffff:cb00:7107", ["203.0.113.0/24"])).toBe(true);
    expect(ipInCidrs("203.0.113.7", ["::ffff:203.0.113.0/120"])).toBe(true);
    expect(ipInCidrs("203.0.113.7", ["203.0.113.7"])).toBe(true);
    expect(ipInCidrs("203.0.113.8", ["203.0.113.7"])).toBe(false);
    expect(ipInCidrs("10.1.2.3", ["10.9.9.9/8"])).toBe(true); // host bits ignored
  });

  it("/0 admits its whole family; an IPv4 /0 does not admit native IPv6", () => {
    expect(ipInCidrs("198.51.100.1", ["0.0.0.0/0"])).toBe(true);
    expect(ipInCidrs("2001:db8::1", ["0.0.0.0/0"])).toBe(false);
    expect(ipInCidrs("2001:db8::1", ["::/0"])).toBe(true);
  });

  it("fails closed on unreadable client addresses and skips unreadable CIDRs", () => {
    expect(ipInCidrs("", ["0.0.0.0/0"])).toBe(false);
    expect(ipInCidrs("not-an-ip", ["::/0"])).toBe(false);
    expect(ipInCidrs("010.0.0.1", ["10.0.0.0/8", "8.0.0.0/8"])).toBe(false);
    expect(ipInCidrs("10.0.0.1", ["garbage", "10.0.0.0/8"])).toBe(true);
  });
});

describe("JSON depth", () => {
  it("counts nesting outside strings only", () => {
    expect(jsonDepthExceeds("[".repeat(64) + "]".repeat(64))).toBe(false);
    expect(jsonDepthExceeds("[".repeat(65) + "]".repeat(65))).toBe(true);
    expect(jsonDepthExceeds(`{"a":"${"[".repeat(500)}"}`)).toBe(false);
    expect(jsonDepthExceeds(`{"a":"\\"${"{".repeat(100)}"}`)).toBe(false);
    expect(jsonDepthExceeds(`${'{"a":'.repeat(65)}1${"}".repeat(65)}`)).toBe(true);
  });
});
