/** `fmagent demo` prints the embedded capture; its lines agree with tcpdump -nn -tt --nano where the formats overlap. */
import { deepStrictEqual as assertEquals, match } from "node:assert/strict";
import { fmagent } from "../support/cli.ts";
import { sampleCapture } from "../../src/demo/sample_capture.ts";
import { tcpdumpRead } from "../support/tcpdump.ts";
import { withTempDir } from "../support/temp_dir.ts";

Deno.test("demo prints one line per packet and the totals", async () => {
  const out = await fmagent(["demo"]);
  assertEquals(out.code, 0, out.stderr);
  const lines = out.text.trimEnd().split("\n");
  match(
    lines.at(-1)!,
    /^16 packets, 1302 bytes through a temporary FMAD ring \(16 produced, end of stream seen\)$/,
  );
  const packetLines = lines.filter((l) => /^\d{10}\.\d{9} /.test(l));
  assertEquals(packetLines.length, 16);

  await withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/sample.pcap`, sampleCapture());
    const oracle = (await tcpdumpRead(`${dir}/sample.pcap`)).lines;
    // ARP, ICMP, the TCP handshake's first two segments and ICMPv6 print as tcpdump prints them;
    // tcpdump goes further for DNS/HTTP payloads and relative sequence numbers.
    for (const i of [0, 1, 2, 3, 6, 7, 13, 14]) {
      assertEquals(packetLines[i], oracle[i], `packet ${i}`);
    }
  });
});
