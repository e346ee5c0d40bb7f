import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { formatIpv4, formatIpv6, formatMac } from "./addresses.ts";
import { ipv6 } from "../../tests/support/packet_builder.ts";

Deno.test("IPv6 text follows RFC 5952", () => {
  const cases: [string, string][] = [
    ["2001:db8:0:0:0:0:0:1", "2001:db8::1"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["fe80:0:0:0:1:0:0:0", "fe80::1:0:0:0"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
    ["ff02:0:0:0:0:0:0:fb", "ff02::fb"],
  ];
  for (const [input, text] of cases) {
    assertEquals(formatIpv6(ipv6(input), 0), text);
  }
});

Deno.test("IPv4 and MAC text", () => {
  assertEquals(formatIpv4(Uint8Array.of(9, 10, 0, 1, 255), 1), "10.0.1.255");
  assertEquals(formatMac(Uint8Array.of(0, 0x1a, 0x2b, 0x3c, 0, 0xff), 0), "00:1a:2b:3c:00:ff");
});
